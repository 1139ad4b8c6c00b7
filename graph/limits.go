package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/payplat/paygql/models"
)

// Error codes of the query limits, in errors[].extensions.code.
const (
	codeQueryTooDeep     = "QUERY_TOO_DEEP"
	codeTooManyMutations = "TOO_MANY_MUTATIONS"
	// codeComplexity is gqlgen's code for a query over the complexity limit.
	codeComplexity = "COMPLEXITY_LIMIT_EXCEEDED"
)

// The page size a paged list or history has when `first` is left out, and the largest one.
const (
	defaultFirst = 20
	maxFirst     = 100
)

// pageCosts makes a paged list or history cost its selections times its page size, so that
// the complexity limit bounds the rows a query can read, not only the fields it names.
func pageCosts(c *ComplexityRoot) {
	history := func(child int, first *int) int { return pageCost(child, first) }
	c.ConnectorConfiguration.History = history
	c.CustomerPaymentGateway.History = history
	c.SubDealer.History = history
	c.DevicePurchaseOrder.History = history
	c.Query.ConnectorConfigurations = func(child int, _ *uuid.UUID, _ *bool, _ *string, _ *models.ConnectorConfigurationOrder, first *int, _ *string) int {
		return pageCost(child, first)
	}
	c.Query.SubDealers = func(child int, _, _ *string, _ *models.SubDealerOrder, first *int, _ *string) int {
		return pageCost(child, first)
	}
	c.WebhookEndpoint.Deliveries = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.DevicePurchaseOrders = func(child int, _ *string, _ *models.DevicePurchaseOrderStatus, _ *string, _ *models.DevicePurchaseOrderOrder, first *int, _ *string) int {
		return pageCost(child, first)
	}
}

// pageCost is the cost of a page of first items (clamped to what a page may hold; the
// resolver refuses the rest).
func pageCost(child int, first *int) int {
	n := defaultFirst
	if first != nil {
		n = min(max(*first, 1), maxFirst)
	}
	return 1 + child*n
}

// queryLimits refuses operations that nest too deeply, introspection included, and requests
// with too many mutation fields.
type queryLimits Options

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = queryLimits{}

func (queryLimits) ExtensionName() string                   { return "QueryLimits" }
func (queryLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l queryLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	if op.Operation == ast.Mutation {
		if n := topLevelFields(op.SelectionSet, map[string]bool{}); n > l.MaxMutationFields {
			return limitError(codeTooManyMutations,
				"the request holds %d mutation fields (aliases included); at most %d run in one request: send the others in another", n, l.MaxMutationFields)
		}
	}
	m := measurer{memo: map[fragmentKey]shape{}}
	s := m.measure(op.SelectionSet, false)
	switch {
	case s.fields > l.MaxComplexity:
		return limitError(codeComplexity, "the query selects %d fields once its fragments are expanded; its complexity may be at most %d", s.fields, l.MaxComplexity)
	case s.fields+statementCost*s.statements > l.MaxComplexity:
		return limitError(codeComplexity,
			"the query selects %d fields that read the database, each costing %d, and %d fields in all: its complexity %d may be at most %d",
			s.statements, statementCost, s.fields, s.fields+statementCost*s.statements, l.MaxComplexity)
	case s.depth > l.MaxDepth:
		return limitError(codeQueryTooDeep, "the query nests %d levels deep; at most %d are allowed", s.depth, l.MaxDepth)
	case s.introspectionDepth > l.MaxIntrospectionDepth:
		return limitError(codeQueryTooDeep, "the introspection nests %d levels deep; at most %d are allowed", s.introspectionDepth, l.MaxIntrospectionDepth)
	case s.introspectionLists > l.MaxIntrospectionLists:
		return limitError(codeQueryTooDeep, "the introspection nests %d list fields in one another; at most %d are allowed (types, fields, args)", s.introspectionLists, l.MaxIntrospectionLists)
	}
	return nil
}

func limitError(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": code}
	return err
}

// topLevelFields counts the fields an operation selects at its root, through fragments.
func topLevelFields(set ast.SelectionSet, seen map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name != "__typename" {
				n++
			}
		case *ast.InlineFragment:
			n += topLevelFields(sel.SelectionSet, seen)
		case *ast.FragmentSpread:
			if sel.Definition != nil && !seen[sel.Name] {
				seen[sel.Name] = true // spread twice, its fields merge and run once
				n += topLevelFields(sel.Definition.SelectionSet, seen)
			}
		}
	}
	return n
}

// statementCost is what a field that reads the database adds to a query's complexity: a
// statement costs far more than a field, and the fields of a page are already counted once per
// row, so this bounds what aliases of one cheap root field could otherwise multiply (1,000
// aliases of `connectors` sent 3,300 statements).
const statementCost = 100

// dbFields holds the fields that send statements, as "type.field" in lower case: every query,
// mutation and subscription field, and every batch resolver (one statement for the list of each parent
// of a page). They are read from the resolver interfaces gqlgen generates, so that a new one
// cannot be forgotten.
var dbFields = func() map[string]bool {
	fields := map[string]bool{}
	root := reflect.TypeFor[ResolverRoot]()
	for i := range root.NumMethod() {
		typ := root.Method(i)
		resolvers := typ.Type.Out(0)
		for j := range resolvers.NumMethod() {
			m := resolvers.Method(j)
			batch := m.Type.NumIn() > 1 && m.Type.In(1).Kind() == reflect.Slice
			if typ.Name == "Query" || typ.Name == "Mutation" || typ.Name == "Subscription" || batch {
				fields[strings.ToLower(typ.Name+"."+m.Name)] = true
			}
		}
	}
	return fields
}()

func readsDatabase(f *ast.Field) bool {
	var buf [96]byte
	return f.ObjectDefinition != nil && dbFields[string(fieldKey(buf[:0], f.ObjectDefinition.Name, f.Name))]
}

// fieldKey appends "type.field" in lower case to buf: the key of dbFields and of
// pricedComplexity's fields. Lookups run for every field of every request, so a caller passes
// a buffer on its stack and looks the key up as string(key), which does not allocate. GraphQL
// names are ASCII.
func fieldKey(buf []byte, typeName, field string) []byte {
	key := append(append(append(buf, typeName...), '.'), field...)
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			key[i] = c + 'a' - 'A'
		}
	}
	return key
}

// pricedComplexity is the executable schema asking gqlgen's generated Complexity only about
// the fields that have a complexity function (pageCosts): for every other field it builds an
// execution context and a key string to find none, some 60 allocations of a connector update.
type pricedComplexity struct {
	graphql.ExecutableSchema
	priced map[string]bool // fieldKey of each field with a function in the ComplexityRoot
}

func newPricedComplexity(es graphql.ExecutableSchema, root *ComplexityRoot) pricedComplexity {
	priced := map[string]bool{}
	types := reflect.ValueOf(root).Elem()
	for i := range types.NumField() {
		fields := types.Field(i)
		for j := range fields.NumField() {
			if f := fields.Field(j); f.Kind() == reflect.Func && !f.IsNil() {
				priced[string(fieldKey(nil, types.Type().Field(i).Name, fields.Type().Field(j).Name))] = true
			}
		}
	}
	return pricedComplexity{ExecutableSchema: es, priced: priced}
}

func (s pricedComplexity) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	var buf [96]byte
	if !s.priced[string(fieldKey(buf[:0], typeName, field))] {
		return 0, false
	}
	return s.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
}

// shape is how far a selection set reaches below where it sits: data and introspection
// measured apart, since an introspection query chains ofType far deeper than any data query,
// but cheaply, while its list fields (types, fields, args, …) multiply its answer. fields
// counts the fields it selects once fragments are expanded, statements those that read the
// database.
type shape struct{ depth, introspectionDepth, introspectionLists, fields, statements int }

func (s *shape) widen(o shape) {
	s.depth = max(s.depth, o.depth)
	s.introspectionDepth = max(s.introspectionDepth, o.introspectionDepth)
	s.introspectionLists = max(s.introspectionLists, o.introspectionLists)
	s.fields = min(s.fields+o.fields, maxCount)
	s.statements = min(s.statements+o.statements, maxCount)
}

// maxCount caps field counts, which a document of nested fragments can make astronomical.
const maxCount = 1 << 40

type fragmentKey struct {
	name          string
	introspection bool
}

// measurer measures selection sets, each fragment once per context: a document that spreads
// fragments within fragments costs its size to measure, not the size of its expansion.
type measurer struct{ memo map[fragmentKey]shape }

// measure returns the shape of set; introspection says that set sits inside an __schema or
// __type field.
func (m *measurer) measure(set ast.SelectionSet, introspection bool) shape {
	var s shape
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__typename" {
				s.fields = min(s.fields+1, maxCount)
				continue // a leaf, anywhere
			}
			inside := introspection || strings.HasPrefix(sel.Name, "__")
			c := m.measure(sel.SelectionSet, inside)
			c.fields = min(c.fields+1, maxCount)
			if readsDatabase(sel) {
				c.statements = min(c.statements+1, maxCount)
			}
			if inside {
				c.introspectionDepth++
				if len(sel.SelectionSet) > 0 && sel.Definition != nil && sel.Definition.Type.Elem != nil {
					c.introspectionLists++
				}
			} else {
				c.depth++
			}
			s.widen(c)
		case *ast.InlineFragment:
			s.widen(m.measure(sel.SelectionSet, introspection))
		case *ast.FragmentSpread:
			if sel.Definition == nil {
				continue // validation already refused unknown fragments
			}
			key := fragmentKey{sel.Name, introspection}
			c, ok := m.memo[key]
			if !ok {
				m.memo[key] = shape{} // validation refused cycles; this ends one anyway
				c = m.measure(sel.Definition.SelectionSet, introspection)
				m.memo[key] = c
			}
			s.widen(c)
		default:
			panic(fmt.Sprintf("unknown selection %T", sel))
		}
	}
	return s
}
