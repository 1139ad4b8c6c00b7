package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// wantsGatewayLists reports whether the query selects any list of the gateways the current
// field returns, so that they are loaded in one batch only when needed.
func wantsGatewayLists(ctx context.Context) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "billTypes", "applications", "paymentTypes", "convenienceFees":
			return true
		}
	}
	return false
}
