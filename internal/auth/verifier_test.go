package auth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestNewVerifierConfig(t *testing.T) {
	jwksURL := newJWKSServer(t, jwkJSON("kid-a", &rsaKeyA().PublicKey)).URL
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"nothing configured", Config{}, true},
		{"short secret", Config{HS256Secret: []byte("tiny-s3cret")}, true},
		{"secret", Config{HS256Secret: testSecret}, false},
		{"jwks", Config{JWKSURL: jwksURL}, false},
		{"relative jwks url", Config{JWKSURL: "/certs"}, true},
		{"jwks url without http", Config{JWKSURL: "ftp://kc.example/certs"}, true},
		{"both", Config{HS256Secret: testSecret, JWKSURL: jwksURL}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.cfg)
			if err == nil {
				v.Close()
			}
			if got := err != nil; got != tt.wantErr {
				t.Errorf("NewVerifier error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && len(tt.cfg.HS256Secret) > 0 && strings.Contains(err.Error(), string(tt.cfg.HS256Secret)) {
				t.Errorf("NewVerifier error %q contains the secret", err)
			}
		})
	}
}

func TestVerifierCopiesSecret(t *testing.T) {
	secret := slices.Clone(testSecret)
	v := newTestVerifier(t, Config{HS256Secret: secret})
	tok := signHS(t, testSecret, claimsValid())
	secret[0] ^= 0xff
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Errorf("Verify after caller changed its secret slice: %v", err)
	}
}

func TestVerifyHS256(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	now := time.Now()
	minted, err := MintHS256(testSecret, Claims{Subject: "alice", Roles: []string{RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	valid := signHS(t, testSecret, claimsValid())
	parts := strings.Split(valid, ".")
	otherPayload := strings.Split(signHS(t, testSecret, with(claimsValid(), map[string]any{"sub": "mallory"})), ".")[1]

	tests := []struct {
		name       string
		token      string
		wantSub    string
		wantReason string
	}{
		{name: "minted", token: minted, wantSub: "alice"},
		{name: "valid", token: valid, wantSub: "user-1"},
		{name: "expired within leeway", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"exp": now.Add(-10 * time.Second).Unix()})), wantSub: "user-1"},
		{name: "expired", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"exp": now.Add(-time.Hour).Unix()})), wantReason: reasonExpired},
		{name: "minted expired", token: mustMint(t, Claims{Subject: "a", TTL: -time.Hour}), wantReason: reasonExpired},
		{name: "wrong secret", token: signHS(t, []byte("another-secret-0123456789abcdef-xyz"), claimsValid()), wantReason: reasonSignature},
		{name: "tampered payload", token: parts[0] + "." + otherPayload + "." + parts[2], wantReason: reasonSignature},
		{name: "stripped signature", token: parts[0] + "." + parts[1] + ".", wantReason: reasonSignature},
		{name: "alg none", token: signNone(t, claimsValid()), wantReason: reasonAlgorithm},
		{name: "alg HS512", token: signHS512(t, claimsValid()), wantReason: reasonAlgorithm},
		{name: "alg unknown", token: b64([]byte(`{"alg":"XX99","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], wantReason: reasonAlgorithm},
		{name: "alg missing", token: b64([]byte(`{"typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], wantReason: reasonAlgorithm},
		{name: "empty", token: "", wantReason: reasonMissing},
		{name: "not a jwt", token: "not-a-jwt-at-all", wantReason: reasonMalformed},
		{name: "bad base64", token: "!!!.###.$$$", wantReason: reasonMalformed},
		{name: "header not json", token: b64([]byte("garbage")) + "." + parts[1] + "." + parts[2], wantReason: reasonMalformed},
		{name: "too long", token: strings.Repeat("a", maxTokenLen+1), wantReason: reasonMalformed},
		{name: "missing exp", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"exp": nil})), wantReason: reasonNoExpiry},
		{name: "exp not a number", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"exp": "tomorrow"})), wantReason: reasonMalformed},
		{name: "not yet valid", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"nbf": now.Add(time.Hour).Unix()})), wantReason: reasonNotYetValid},
		{name: "missing sub", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"sub": nil})), wantReason: reasonNoSubject},
		{name: "keycloak id token", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"typ": "ID"})), wantReason: reasonNotAccess},
		{name: "keycloak access token", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"typ": "Bearer"})), wantSub: "user-1"},
		{name: "roles not strings", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"roles": []int{1}})), wantReason: reasonMalformed},
		{name: "customer id not a uuid", token: signHS(t, testSecret, with(claimsValid(), map[string]any{"customer_ids": []string{"c-1"}})), wantReason: reasonClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.token)
			if tt.wantReason != "" {
				checkRejected(t, err, tt.token, tt.wantReason)
				if p != nil {
					t.Errorf("Verify returned principal %+v with error", p)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != tt.wantSub {
				t.Errorf("Subject = %q, want %q", p.Subject, tt.wantSub)
			}
		})
	}
}

func TestVerifyRolesAndScopes(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	tests := []struct {
		name          string
		claims        map[string]any
		wantRoles     []string
		wantCustomers []string
		wantDealers   []string
	}{
		{
			name:   "no roles",
			claims: nil,
		},
		{
			name:      "keycloak realm_access",
			claims:    map[string]any{"realm_access": map[string]any{"roles": []string{"offline_access", RoleConnectorAdmin}}},
			wantRoles: []string{"offline_access", RoleConnectorAdmin},
		},
		{
			name:      "top-level roles",
			claims:    map[string]any{"roles": []string{RoleGatewayAdmin}},
			wantRoles: []string{RoleGatewayAdmin},
		},
		{
			name: "union without duplicates or blanks",
			claims: map[string]any{
				"realm_access": map[string]any{"roles": []string{RoleAdmin, RoleDealerAdmin}},
				"roles":        []string{RoleDealerAdmin, "", RoleGatewayAdmin},
			},
			wantRoles: []string{RoleAdmin, RoleDealerAdmin, RoleGatewayAdmin},
		},
		{
			name:      "single string role",
			claims:    map[string]any{"roles": RoleAdmin},
			wantRoles: []string{RoleAdmin},
		},
		{
			name: "scopes",
			claims: map[string]any{
				"roles":        []string{RoleGatewayAdmin, RoleDealerAdmin},
				"customer_ids": []string{"3F2504E0-4F89-11D3-9A0C-0305E82C3301", "7c9e6679-7425-40de-944b-e07fc1f90ae7", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
				"dealer_codes": []string{"D-100", "", "D-200", "D-100"},
			},
			wantRoles:     []string{RoleGatewayAdmin, RoleDealerAdmin},
			wantCustomers: []string{"3f2504e0-4f89-11d3-9a0c-0305e82c3301", "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
			wantDealers:   []string{"D-100", "D-200"},
		},
		{
			name: "single string scopes",
			claims: map[string]any{
				"customer_ids": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
				"dealer_codes": "D-1",
			},
			wantCustomers: []string{"7c9e6679-7425-40de-944b-e07fc1f90ae7"},
			wantDealers:   []string{"D-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := signHS(t, testSecret, with(claimsValid(), tt.claims))
			p, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := p.Roles; !slices.Equal(got, tt.wantRoles) {
				t.Errorf("Roles = %q, want %q", got, tt.wantRoles)
			}
			if got := p.CustomerIDs; !slices.Equal(got, tt.wantCustomers) {
				t.Errorf("CustomerIDs = %q, want %q", got, tt.wantCustomers)
			}
			if got := p.DealerCodes; !slices.Equal(got, tt.wantDealers) {
				t.Errorf("DealerCodes = %q, want %q", got, tt.wantDealers)
			}
		})
	}
}

func TestVerifyIssuerAudience(t *testing.T) {
	const (
		iss = "https://kc.example/realms/pay"
		aud = "paygql"
	)
	tests := []struct {
		name       string
		cfg        Config
		claims     map[string]any
		wantReason string
	}{
		{name: "not configured, any iss and aud", cfg: Config{}, claims: map[string]any{"iss": "x", "aud": "y"}},
		{name: "issuer match", cfg: Config{Issuer: iss}, claims: map[string]any{"iss": iss}},
		{name: "issuer mismatch", cfg: Config{Issuer: iss}, claims: map[string]any{"iss": iss + "-evil"}, wantReason: reasonIssuer},
		{name: "issuer missing", cfg: Config{Issuer: iss}, wantReason: reasonIssuer},
		{name: "audience match string", cfg: Config{Audience: aud}, claims: map[string]any{"aud": aud}},
		{name: "audience match in list", cfg: Config{Audience: aud}, claims: map[string]any{"aud": []string{"account", aud}}},
		{name: "audience mismatch", cfg: Config{Audience: aud}, claims: map[string]any{"aud": []string{"account"}}, wantReason: reasonAudience},
		{name: "audience missing", cfg: Config{Audience: aud}, wantReason: reasonAudience},
		{name: "both match", cfg: Config{Issuer: iss, Audience: aud}, claims: map[string]any{"iss": iss, "aud": aud}},
		{name: "both missing", cfg: Config{Issuer: iss, Audience: aud}, wantReason: reasonIssuer},
		{name: "expired beats issuer", cfg: Config{Issuer: iss}, claims: map[string]any{"iss": "x", "exp": time.Now().Add(-time.Hour).Unix()}, wantReason: reasonExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.HS256Secret = testSecret
			v := newTestVerifier(t, cfg)
			tok := signHS(t, testSecret, with(claimsValid(), tt.claims))
			_, err := v.Verify(context.Background(), tok)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkRejected(t, err, tok, tt.wantReason)
		})
	}
}

func TestVerifyErrorCauses(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	tok := signHS(t, testSecret, with(claimsValid(), map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}))
	_, err := v.Verify(context.Background(), tok)
	if !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("Verify error %v does not wrap jwt.ErrTokenExpired", err)
	}
}

func mustMint(t *testing.T, c Claims) string {
	t.Helper()
	s, err := MintHS256(testSecret, c)
	if err != nil {
		t.Fatalf("MintHS256: %v", err)
	}
	return s
}

func signHS512(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS512, claims).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
