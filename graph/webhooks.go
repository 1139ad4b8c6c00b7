package graph

import (
	"context"

	"github.com/payplat/paygql/internal/auth"
)

// webhookManager returns the caller when it may manage webhook endpoints: any role that reads
// records (admin, connector-admin, gateway-admin, dealer-admin); which endpoints and entity
// types it sees is the models' concern (an endpoint's scope lies within the caller's).
func webhookManager(ctx context.Context) (*auth.Principal, error) {
	p, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	for _, role := range auth.AllRoles {
		if p.HasRole(role) {
			return p, nil
		}
	}
	return nil, ErrForbidden
}
