package graph

import (
	"context"
	"errors"

	"github.com/payplat/paygql/internal/auth"
)

// ErrForbidden is returned when the caller lacks the role an operation needs.
var ErrForbidden = errors.New("forbidden: your token lacks the role this operation needs")

// errNoToken is returned to anonymous callers of data operations.
var errNoToken = &auth.Error{Reason: "missing token: send Authorization: Bearer <JWT>"}

// require returns the caller when it holds role (admin holds every role).
func require(ctx context.Context, role string) (*auth.Principal, error) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return nil, errNoToken
	}
	if !p.HasRole(role) {
		return nil, ErrForbidden
	}
	return p, nil
}

// authenticated returns the caller, whatever its roles.
func authenticated(ctx context.Context) (*auth.Principal, error) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return nil, errNoToken
	}
	return p, nil
}
