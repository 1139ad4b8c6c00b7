package models

import (
	"context"
	"errors"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/payplat/paygql/internal/secrets"
)

// Sealed is a write-only secret as stored: sealed by the store's secrets.Box. GraphQL reads it
// masked (secrets.Box.Mask) with the box that the operation's context carries (WithSecrets).
// Being a plain field rather than a resolver, it is written while its object is, without the
// goroutine gqlgen starts for each resolved field.
type Sealed []byte

type secretsKey struct{}

// WithSecrets returns ctx carrying the box that Sealed fields are masked with.
func WithSecrets(ctx context.Context, box *secrets.Box) context.Context {
	return context.WithValue(ctx, secretsKey{}, box)
}

// errNoSecrets reports a Sealed field written outside an operation that carries the box: a
// programming error, presented to the client as an internal one.
var errNoSecrets = errors.New("models: no secrets box in the operation's context")

// MarshalGQLContext writes the masked secret as a JSON string.
func (s Sealed) MarshalGQLContext(ctx context.Context, w io.Writer) error {
	box, _ := ctx.Value(secretsKey{}).(*secrets.Box)
	if box == nil {
		return errNoSecrets
	}
	m, err := box.Mask(s)
	if err != nil {
		return err
	}
	graphql.MarshalString(*m).MarshalGQL(w)
	return nil
}

// UnmarshalGQLContext refuses: a secret is written through its input's String field, never
// read back into a Sealed.
func (s *Sealed) UnmarshalGQLContext(context.Context, any) error {
	return errors.New("models: a sealed secret is not an input")
}
