package graph

import (
	"context"
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
	"github.com/payplat/paygql/models"
)

// Options tunes the GraphQL handler.
type Options struct {
	// Introspection allows __schema and __type queries (the playground needs them).
	Introspection bool
	// MaxDepth bounds how deeply a query may nest selections outside introspection.
	MaxDepth int
	// MaxIntrospectionDepth bounds how deeply introspection may nest: GraphiQL's own query
	// nests 14 levels, its type references chaining ofType.
	MaxIntrospectionDepth int
	// MaxIntrospectionLists bounds how many list fields introspection may nest, which is what
	// multiplies its answer: GraphiQL's query nests three (types, fields, args).
	MaxIntrospectionLists int
	// MaxComplexity bounds a query's complexity: every selected field costs 1, aliases
	// included, and a paged list or history costs its selections times `first`.
	MaxComplexity int
	// MaxMutationFields bounds the mutation fields of one request, aliases included.
	MaxMutationFields int
	// MaxTokens bounds the tokens of a query document, so that parsing and validation
	// (quadratic in places) stay cheap.
	MaxTokens int
	// Tracer, when set, traces operations and resolvers (OpenTelemetry).
	Tracer graphql.HandlerExtension
	// GenericLists turns the fast list path off (fastlist.go): every list is then marshalled
	// by gqlgen's generic execution, field by field, and every response by json.Marshal
	// (response.go). Tests compare the two.
	GenericLists bool
}

// DefaultOptions are the limits used unless configured otherwise.
var DefaultOptions = Options{
	Introspection: true, MaxDepth: 12, MaxIntrospectionDepth: 20, MaxIntrospectionLists: 3,
	MaxComplexity: 20000, MaxMutationFields: 10, MaxTokens: 20000,
}

// NewHandler returns the GraphQL HTTP handler for /query.
func NewHandler(r *Resolver, opt Options) http.Handler {
	srv, schema := newServer(r, opt)
	srv.AddTransport(transport.Options{})
	// Variables are checked as strictly as literals, every problem at once (variables.go).
	direct := !opt.GenericLists
	srv.AddTransport(strictVariables{Transport: transport.GET{}, schema: schema, hints: opt.Introspection, direct: direct})
	srv.AddTransport(strictVariables{Transport: transport.POST{}, schema: schema, hints: opt.Introspection, direct: direct})
	return wellFormed(errorStatus(srv))
}

// newServer returns gqlgen's server with every rule and limit of the API but no transport, and
// the schema that the transports check variables against.
func newServer(r *Resolver, opt Options) (*handler.Server, *ast.Schema) {
	cfg := Config{Resolvers: r}
	pageCosts(&cfg.Complexity)
	es := NewExecutableSchema(cfg)
	srv := handler.New(newPricedComplexity(es, &cfg.Complexity))
	srv.SetValidationRulesFn(validationRules(opt.Introspection))
	cache := decimalLiterals{lru.New[*ast.QueryDocument](1000)}
	srv.SetQueryCache(cache)
	srv.SetParserTokenLimit(opt.MaxTokens)
	// Without introspection no error may suggest a name: gqlgen drops the suggestions of
	// unknown fields here, the error presenter those of the other rules.
	srv.SetDisableSuggestion(!opt.Introspection)
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	// After the persisted query is known, before its document is validated.
	srv.Use(requestGate{cache: cache, introspection: opt.Introspection, maxTokens: opt.MaxTokens})
	if opt.Introspection {
		srv.Use(extension.Introspection{})
	}
	// Before the complexity limit: queryLimits measures fragments once each, so a document of
	// nested fragments is refused before anything walks its expansion.
	srv.Use(queryLimits(opt))
	srv.Use(extension.FixedComplexityLimit(opt.MaxComplexity))
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
		return next(models.WithSecrets(ctx, r.Store.Secrets))
	})
	srv.Use(userErrorCounter{})
	if !opt.GenericLists {
		srv.AroundRootFields(fastLists(r.fastRoots()))
	}
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		req := middleware.RequestFrom(ctx)
		if resp != nil {
			resp.Errors = collapseErrors(resp.Errors)
			req.Errors += len(resp.Errors)
		}
		if req.Field == "" {
			req.Field = middleware.OperationInvalid // refused before it could run
		}
		return resp
	})
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		out := r.presentError(ctx, err)
		if !opt.Introspection {
			out.Message = withoutSuggestion(out.Message)
		}
		return out
	})
	srv.SetRecoverFunc(r.recoverPanic)
	return srv, es.Schema()
}
