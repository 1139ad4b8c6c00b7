package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/models"
)

// metricsOperation names an operation in metrics by its root field, a name the schema
// bounds, never by the client's operation name.
func metricsOperation(op *ast.OperationDefinition) string {
	if op == nil {
		return middleware.OperationInvalid
	}
	name := ""
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok {
			return middleware.OperationMultiple
		}
		switch {
		case strings.HasPrefix(f.Name, "__"):
			if name == "" {
				name = middleware.OperationIntrospection
			}
		case name == "" || name == middleware.OperationIntrospection:
			name = f.Name
		case name != f.Name:
			return middleware.OperationMultiple
		}
	}
	if name == "" {
		return middleware.OperationInvalid
	}
	return name
}

// outcome is what every mutation payload has: models.Outcome, embedded.
type outcome interface{ MutationOutcome() *models.Outcome }

// countUserErrors counts the userErrors of every mutation's payload by code.
func countUserErrors(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Object == "Mutation" {
		if o, ok := res.(outcome); ok && o != nil {
			if out := o.MutationOutcome(); out != nil {
				for _, e := range out.UserErrors {
					middleware.CountUserError(fc.Field.Name, string(e.Code))
				}
			}
		}
	}
	return res, err
}
