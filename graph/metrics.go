package graph

import (
	"context"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

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

// userErrorCounter counts the userErrors of mutation payloads. It wraps the resolvers of
// mutations only: a field interceptor for every operation would run for each of the
// thousands of fields a list query resolves, for nothing.
type userErrorCounter struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = userErrorCounter{}

func (userErrorCounter) ExtensionName() string                   { return "UserErrorCounter" }
func (userErrorCounter) Validate(graphql.ExecutableSchema) error { return nil }
func (userErrorCounter) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	next := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		return countUserErrors(ctx, func(ctx context.Context) (any, error) { return next(ctx, resolve) })
	}
	return nil
}

// countUserErrors counts the userErrors of every mutation's payload by code.
func countUserErrors(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	fc := graphql.GetFieldContext(ctx)
	if err != nil || fc == nil || fc.Object != "Mutation" {
		return res, err
	}
	// A refused resolver returns a nil payload, which has no Outcome to read.
	if o, ok := res.(outcome); ok && !reflect.ValueOf(o).IsNil() {
		for _, e := range o.MutationOutcome().UserErrors {
			middleware.CountUserError(fc.Field.Name, string(e.Code))
		}
	}
	return res, err
}
