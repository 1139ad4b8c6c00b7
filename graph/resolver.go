// Package graph is the GraphQL layer: resolvers map an input to one call of models.Store and
// its result to a payload; the handler, error presenter and access checks live beside them.
package graph

import (
	"log/slog"

	"github.com/payplat/paygql/models"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Store  *models.Store
	Logger *slog.Logger
	// Changes serves the change subscriptions; nil refuses them.
	Changes *Changes
}
