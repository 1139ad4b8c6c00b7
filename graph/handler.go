package graph

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/payplat/paygql/internal/middleware"
)

// Options tunes the GraphQL handler.
type Options struct {
	// Introspection allows __schema and __type queries (the playground needs them).
	Introspection bool
	// MaxDepth bounds how deeply a query may nest selections.
	MaxDepth int
	// MaxComplexity bounds a query's complexity (every field costs 1, lists times their size).
	MaxComplexity int
	// Tracer, when set, traces operations and resolvers (OpenTelemetry).
	Tracer graphql.HandlerExtension
}

// DefaultOptions are the limits used unless configured otherwise.
var DefaultOptions = Options{Introspection: true, MaxDepth: 12, MaxComplexity: 2000}

// NewHandler returns the GraphQL HTTP handler for /query.
func NewHandler(r *Resolver, opt Options) http.Handler {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(decimalLiterals{lru.New[*ast.QueryDocument](1000)})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	if opt.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(opt.MaxComplexity))
	srv.Use(depthLimit(opt.MaxDepth))
	if opt.Tracer != nil {
		srv.Use(opt.Tracer)
	}
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		req := middleware.RequestFrom(ctx)
		if oc.Operation != nil {
			req.Operation = strings.TrimSpace(string(oc.Operation.Operation) + " " + oc.Operation.Name)
		}
		req.Field = metricsOperation(oc.Operation)
		return next(ctx)
	})
	srv.Use(userErrorCounter{})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		req := middleware.RequestFrom(ctx)
		if resp != nil {
			req.Errors += len(resp.Errors)
		}
		if req.Field == "" {
			req.Field = middleware.OperationInvalid // refused before it could run
		}
		return resp
	})
	srv.SetErrorPresenter(r.presentError)
	srv.SetRecoverFunc(r.recoverPanic)
	return wellFormed(unauthorizedStatus(srv))
}

// depthLimit refuses operations whose selections nest deeper than max.
type depthLimit int

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit(0)

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0, map[string]bool{}); depth > int(d) {
		err := gqlerror.Errorf("the query nests %d levels deep; at most %d are allowed", depth, int(d))
		err.Extensions = map[string]any{"code": "QUERY_TOO_DEEP"}
		return err
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, depth int, seen map[string]bool) int {
	deepest := depth
	for _, sel := range set {
		var d int
		switch sel := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(sel.Name, "__") {
				// Introspection nests ofType chains deeply; it is bounded by the schema and
				// switched off in production, and the playground needs it whole.
				continue
			}
			d = selectionDepth(sel.SelectionSet, depth+1, seen)
		case *ast.InlineFragment:
			d = selectionDepth(sel.SelectionSet, depth, seen)
		case *ast.FragmentSpread:
			if sel.Definition == nil || seen[sel.Name] {
				continue // validation already refused unknown or cyclic fragments
			}
			seen[sel.Name] = true
			d = selectionDepth(sel.Definition.SelectionSet, depth, seen)
			delete(seen, sel.Name)
		default:
			panic(fmt.Sprintf("unknown selection %T", sel))
		}
		deepest = max(deepest, d)
	}
	return deepest
}
