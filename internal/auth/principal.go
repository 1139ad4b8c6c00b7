// Package auth authenticates API callers by JWT bearer tokens and carries the
// resulting Principal through request contexts.
//
// Tokens are verified either against a JWKS endpoint (Keycloak realm certs,
// RS256) or against an HS256 shared secret for development and tests; both
// may be configured at once. The GraphQL layer decides which operations need
// a principal and which roles; this package only answers who the caller is.
package auth

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Role names as they appear in tokens.
const (
	// RoleAdmin may do everything and implies every other role.
	RoleAdmin = "admin"
	// RoleConnectorAdmin manages connector configurations.
	RoleConnectorAdmin = "connector-admin"
	// RoleGatewayAdmin manages the gateways of the customers in the
	// customer_ids claim.
	RoleGatewayAdmin = "gateway-admin"
	// RoleDealerAdmin manages the sub-dealers and orders of the dealers in the
	// dealer_codes claim.
	RoleDealerAdmin = "dealer-admin"
)

// AllRoles lists every role the API knows, for tools that mint tokens.
var AllRoles = []string{RoleAdmin, RoleConnectorAdmin, RoleGatewayAdmin, RoleDealerAdmin}

// Error codes put into GraphQL error extensions.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
)

// Principal is an authenticated caller.
//
// Verify normalises the slices: they hold no duplicates and no empty strings,
// and CustomerIDs are canonical lowercase UUIDs.
type Principal struct {
	// Subject is the token's sub claim; it is the actor recorded in audit logs.
	Subject string
	// Roles is the union of realm_access.roles and the top-level roles claim.
	Roles []string
	// CustomerIDs scopes RoleGatewayAdmin.
	CustomerIDs []string
	// DealerCodes scopes RoleDealerAdmin.
	DealerCodes []string
	// Expires is when the token expires (its exp claim): a connection that outlives it, such
	// as a subscription's WebSocket, is closed then.
	Expires time.Time
}

// HasRole reports whether p holds role r. Admins hold every role. A nil
// Principal holds none, so callers need not check for anonymous requests
// separately.
func (p *Principal) HasRole(r string) bool {
	if p == nil || r == "" {
		return false
	}
	return slices.Contains(p.Roles, r) || slices.Contains(p.Roles, RoleAdmin)
}

// IsAdmin reports whether p holds RoleAdmin.
func (p *Principal) IsAdmin() bool {
	return p != nil && slices.Contains(p.Roles, RoleAdmin)
}

// ManagesCustomer reports whether p may manage the gateways of the customer
// with the given ID: admins always, gateway admins only for customers listed
// in CustomerIDs. The ID is compared as a UUID, so letter case and the
// textual form do not matter; an ID that is not a UUID matches nothing.
func (p *Principal) ManagesCustomer(customerID string) bool {
	if p.IsAdmin() {
		return true
	}
	if !p.HasRole(RoleGatewayAdmin) {
		return false
	}
	id, err := uuid.Parse(customerID)
	if err != nil {
		return false
	}
	return slices.Contains(p.CustomerIDs, id.String())
}

// ManagesDealer reports whether p may manage records of the dealer with the
// given code (sub-dealers by their mainDealerCode, orders by their
// dealerCode): admins always, dealer admins only for codes listed in
// DealerCodes. The empty code matches nothing, so records without a dealer
// never fall into a dealer admin's scope.
func (p *Principal) ManagesDealer(dealerCode string) bool {
	if p.IsAdmin() {
		return true
	}
	if dealerCode == "" || !p.HasRole(RoleDealerAdmin) {
		return false
	}
	return slices.Contains(p.DealerCodes, dealerCode)
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored in ctx by WithPrincipal. It
// reports false for anonymous requests.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p, p != nil
}
