package auth

import (
	"context"
	"testing"
)

func TestPrincipalRoles(t *testing.T) {
	roles := []string{RoleAdmin, RoleConnectorAdmin, RoleGatewayAdmin, RoleDealerAdmin, "unknown"}
	tests := []struct {
		name      string
		p         *Principal
		wantAdmin bool
		wantRoles []string // roles HasRole must accept; all others rejected
	}{
		{name: "nil", p: nil},
		{name: "no roles", p: &Principal{Subject: "u"}},
		{name: "admin", p: &Principal{Roles: []string{RoleAdmin}}, wantAdmin: true, wantRoles: roles},
		{name: "connector admin", p: &Principal{Roles: []string{RoleConnectorAdmin}}, wantRoles: []string{RoleConnectorAdmin}},
		{name: "two roles", p: &Principal{Roles: []string{RoleGatewayAdmin, RoleDealerAdmin}}, wantRoles: []string{RoleGatewayAdmin, RoleDealerAdmin}},
		{name: "case matters", p: &Principal{Roles: []string{"Admin"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.IsAdmin(); got != tt.wantAdmin {
				t.Errorf("IsAdmin() = %v, want %v", got, tt.wantAdmin)
			}
			for _, r := range roles {
				want := false
				for _, w := range tt.wantRoles {
					want = want || w == r
				}
				if got := tt.p.HasRole(r); got != want {
					t.Errorf("HasRole(%q) = %v, want %v", r, got, want)
				}
			}
			if tt.p.HasRole("") {
				t.Error(`HasRole("") = true, want false`)
			}
		})
	}
}

func TestPrincipalScopes(t *testing.T) {
	const (
		c1 = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
		c2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	)
	gateway := &Principal{Roles: []string{RoleGatewayAdmin}, CustomerIDs: []string{c1}, DealerCodes: []string{"D-1"}}
	dealer := &Principal{Roles: []string{RoleDealerAdmin}, CustomerIDs: []string{c1}, DealerCodes: []string{"D-1"}}
	admin := &Principal{Roles: []string{RoleAdmin}}

	tests := []struct {
		name         string
		p            *Principal
		customer     string
		dealer       string
		wantCustomer bool
		wantDealer   bool
	}{
		{name: "nil", p: nil, customer: c1, dealer: "D-1"},
		{name: "admin", p: admin, customer: c2, dealer: "D-9", wantCustomer: true, wantDealer: true},
		{name: "gateway in scope", p: gateway, customer: c1, dealer: "D-1", wantCustomer: true},
		{name: "gateway uppercase id", p: gateway, customer: "3F2504E0-4F89-11D3-9A0C-0305E82C3301", wantCustomer: true},
		{name: "gateway out of scope", p: gateway, customer: c2},
		{name: "gateway not a uuid", p: gateway, customer: "c1"},
		{name: "dealer in scope", p: dealer, customer: c1, dealer: "D-1", wantDealer: true},
		{name: "dealer out of scope", p: dealer, dealer: "D-2"},
		{name: "dealer empty code", p: &Principal{Roles: []string{RoleDealerAdmin}, DealerCodes: []string{""}}, dealer: ""},
		{name: "scope without role", p: &Principal{CustomerIDs: []string{c1}, DealerCodes: []string{"D-1"}}, customer: c1, dealer: "D-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.ManagesCustomer(tt.customer); got != tt.wantCustomer {
				t.Errorf("ManagesCustomer(%q) = %v, want %v", tt.customer, got, tt.wantCustomer)
			}
			if got := tt.p.ManagesDealer(tt.dealer); got != tt.wantDealer {
				t.Errorf("ManagesDealer(%q) = %v, want %v", tt.dealer, got, tt.wantDealer)
			}
		})
	}
}

func TestPrincipalContext(t *testing.T) {
	ctx := context.Background()
	if p, ok := PrincipalFrom(ctx); ok || p != nil {
		t.Errorf("PrincipalFrom(empty) = %v, %v, want nil, false", p, ok)
	}
	if p, ok := PrincipalFrom(WithPrincipal(ctx, nil)); ok || p != nil {
		t.Errorf("PrincipalFrom(nil principal) = %v, %v, want nil, false", p, ok)
	}
	want := &Principal{Subject: "alice"}
	if got, ok := PrincipalFrom(WithPrincipal(ctx, want)); !ok || got != want {
		t.Errorf("PrincipalFrom = %v, %v, want %v, true", got, ok, want)
	}
}
