package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/payplat/paygql/internal/auth"
)

// codeTooComplex: validating the document would take more work than any real query needs.
const codeTooComplex = "DOCUMENT_TOO_COMPLEX"

// Bounds on a document's validation work, checked before gqlgen validates it. gqlparser's
// OverlappingFieldsCanBeMerged rule compares every two fields that answer at the same response
// path (aliases, fragments and repeated fields merged), so its work grows with the square of
// how often one path is selected: a field repeated 19,990 times held a core for a minute.
const (
	// maxSelections bounds the selections of a document once its fragments are expanded,
	// which is what validation walks (each fragment counted where it is spread).
	maxSelections = 20000
	// maxOverlaps bounds the pairs of selections that validation compares: two fields at one
	// response path, or two fragments spread into one selection set. A query that selects
	// `id` through ten fragments at one place makes 45; 10,000 take about 5 ms to compare.
	maxOverlaps = 10000
)

// requestGate looks at a request before gqlgen validates its document. A caller without a
// token gets 401 at once, before any validation, unless introspection is on and the document
// asks only for __schema, __type or __typename (the playground loads the schema that way). A
// document new to the query cache is refused when validating it would cost more than the
// bounds above; a cached one was measured before it entered the cache.
type requestGate struct {
	cache         graphql.Cache[*ast.QueryDocument]
	introspection bool
	maxTokens     int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = requestGate{}

func (requestGate) ExtensionName() string                   { return "RequestGate" }
func (requestGate) Validate(graphql.ExecutableSchema) error { return nil }

func (g requestGate) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	_, signedIn := auth.PrincipalFrom(ctx)
	if !signedIn && !g.introspection {
		return unauthenticated()
	}
	doc, cached := g.cache.Get(ctx, p.Query)
	if !cached {
		var err error
		if doc, err = parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, g.maxTokens); err != nil {
			return nil // gqlgen parses it again and reports the error
		}
	}
	if !signedIn && !introspectionOnly(doc) {
		return unauthenticated()
	}
	if byGET, _ := ctx.Value(byGETKey{}).(bool); byGET {
		if op := doc.Operations.ForName(p.OperationName); op != nil && op.Operation != ast.Query {
			return &gqlerror.Error{Message: errNotByGET.Error(), Err: errNotByGET}
		}
	}
	if cached {
		return nil
	}
	return measureOverlaps(doc)
}

// unauthenticated is the answer to a request without a token that asks for data: HTTP 401 (see
// presentError), as for one whose token is refused.
func unauthenticated() *gqlerror.Error {
	return &gqlerror.Error{Message: errNoToken.Error(), Err: errNoToken}
}

// introspectionOnly reports whether every operation of doc selects only __schema, __type and
// __typename at its root.
func introspectionOnly(doc *ast.QueryDocument) bool {
	seen := map[string]bool{}
	var only func(set ast.SelectionSet) bool
	only = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				if sel.Name != "__schema" && sel.Name != "__type" && sel.Name != "__typename" {
					return false
				}
			case *ast.InlineFragment:
				if !only(sel.SelectionSet) {
					return false
				}
			case *ast.FragmentSpread:
				f := doc.Fragments.ForName(sel.Name)
				if f == nil || seen[sel.Name] {
					continue // validation refuses unknown and cyclic fragments
				}
				seen[sel.Name] = true
				if !only(f.SelectionSet) {
					return false
				}
			}
		}
		return true
	}
	for _, op := range doc.Operations {
		if !only(op.SelectionSet) {
			return false
		}
	}
	return true
}

// overlaps counts, over a document, what validation's overlap check will compare.
type overlaps struct {
	fragments  map[string]*ast.FragmentDefinition
	expanding  map[string]bool // fragments being expanded: a cycle, which validation refuses
	selections int
	pairs      int
}

// measureOverlaps refuses doc when its validation would exceed maxSelections or maxOverlaps.
// Each operation and fragment definition is measured as a root, as validation checks each.
func measureOverlaps(doc *ast.QueryDocument) *gqlerror.Error {
	o := &overlaps{fragments: map[string]*ast.FragmentDefinition{}, expanding: map[string]bool{}}
	for _, f := range doc.Fragments {
		o.fragments[f.Name] = f
	}
	var roots []ast.SelectionSet
	for _, op := range doc.Operations {
		roots = append(roots, op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		roots = append(roots, f.SelectionSet)
	}
	for _, set := range roots {
		if path, ok := o.merged([]ast.SelectionSet{set}); !ok {
			return o.refusal(path)
		}
	}
	return nil
}

func (o *overlaps) over() bool { return o.selections > maxSelections || o.pairs > maxOverlaps }

func (o *overlaps) refusal(path string) *gqlerror.Error {
	if o.selections > maxSelections {
		return limitError(codeComplexity,
			"the document holds more than %d selections once its fragments are expanded; its complexity may be at most %d", maxSelections, maxSelections)
	}
	return limitError(codeTooComplex,
		"the document selects %q so many times, through aliases, fragments or repetition, that checking its selections against one another would take more than %d comparisons: select each field once",
		path, maxOverlaps)
}

// merged measures the selection sets whose fields answer at one response path and, below,
// each response path they lead to. Validation compares each two of those sets with one
// another (the sub-selections of two fields that merge), so each set's selections count once
// for every other set, besides the pairs of fields and fragments within. It stops as soon as a
// bound is passed and then returns false and the path where it was passed.
func (o *overlaps) merged(sets []ast.SelectionSet) (string, bool) {
	var (
		counts    = map[string]int{}
		children  = map[string][]ast.SelectionSet{}
		order     []string
		fragments = map[string]int{}
		here      int
	)
	var visit func(set ast.SelectionSet) bool
	visit = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			here++
			if o.selections++; o.over() {
				return false
			}
			switch sel := sel.(type) {
			case *ast.Field:
				name := sel.Alias
				if name == "" {
					name = sel.Name
				}
				o.pairs += counts[name] // this field against each one before it
				counts[name]++
				if len(sel.SelectionSet) > 0 {
					if children[name] == nil {
						order = append(order, name)
					}
					children[name] = append(children[name], sel.SelectionSet)
				}
			case *ast.InlineFragment:
				if !visit(sel.SelectionSet) {
					return false
				}
			case *ast.FragmentSpread:
				f := o.fragments[sel.Name]
				if f == nil || o.expanding[sel.Name] {
					continue
				}
				o.pairs += len(fragments) // this fragment against each one spread before it
				fragments[sel.Name]++
				o.expanding[sel.Name] = true
				ok := visit(f.SelectionSet)
				delete(o.expanding, sel.Name)
				if !ok {
					return false
				}
			}
			if o.over() {
				return false
			}
		}
		return true
	}
	for _, set := range sets {
		if !visit(set) {
			return worst(counts), false
		}
	}
	if o.pairs += (len(sets) - 1) * here; o.over() {
		return worst(counts), false
	}
	for _, name := range order {
		if path, ok := o.merged(children[name]); !ok {
			return name + "." + path, false
		}
	}
	return "", true
}

// worst names the response name selected most often, quoted for a message.
func worst(counts map[string]int) string {
	name, most := "", 0
	for n, c := range counts {
		if c > most || (c == most && n < name) {
			name, most = n, c
		}
	}
	return name
}
