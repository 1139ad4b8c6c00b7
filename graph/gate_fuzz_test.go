package graph

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// hostileShape builds a document of one of the shapes that make validation quadratic: n
// copies of a selection (a repeated field, aliases of one field with other selections, inline
// fragments, spreads of one fragment, spreads of n fragments), nested depth levels deep,
// beside m plain fields.
func hostileShape(kind byte, n, depth, m int) string {
	var inner, fragments strings.Builder
	for i := range n {
		switch kind % 5 {
		case 0:
			inner.WriteString("name ")
		case 1:
			fmt.Fprintf(&inner, "a: ofType { x%d: name } ", i)
		case 2:
			inner.WriteString("... on __Type { name } ")
		case 3:
			inner.WriteString("...F ")
		case 4:
			fmt.Fprintf(&inner, "...F%d ", i)
			fmt.Fprintf(&fragments, "fragment F%d on __Type { y%d: name } ", i, i)
		}
	}
	for i := range m {
		fmt.Fprintf(&inner, "z%d: kind ", i)
	}
	if kind%5 == 3 {
		fragments.WriteString("fragment F on __Type { name kind }")
	}
	set := inner.String()
	for range depth {
		set = "ofType { " + set + " } " + set
		if len(set) > 200_000 {
			break
		}
	}
	return `{ __type(name: "Query") { ` + set + ` } } ` + fragments.String()
}

// FuzzHostileDocuments checks the bound on validation work: a document that measureOverlaps
// lets through validates in well under a second, whatever its shape, and measuring never
// takes long itself.
func FuzzHostileDocuments(f *testing.F) {
	for kind := range byte(5) {
		f.Add(kind, uint16(50), uint8(0), uint16(3))
		f.Add(kind, uint16(3000), uint8(0), uint16(0))
		f.Add(kind, uint16(20), uint8(4), uint16(5))
	}
	schema := NewExecutableSchema(Config{}).Schema()
	f.Fuzz(func(t *testing.T, kind byte, n uint16, depth uint8, m uint16) {
		query := hostileShape(kind, int(n%4000), int(depth%6), int(m%500))
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, DefaultOptions.MaxTokens)
		if err != nil {
			return // over the token limit: never validated
		}
		start := time.Now()
		refused := measureOverlaps(doc)
		if took := time.Since(start); took > 100*time.Millisecond {
			t.Errorf("measuring took %v", took)
		}
		if refused != nil {
			return
		}
		start = time.Now()
		validator.ValidateWithRules(schema, doc, rules.NewDefaultRules())
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Errorf("kind %d n %d depth %d m %d: validation took %v though measured within bounds", kind%5, n%4000, depth%6, m%500, took)
		}
	})
}
