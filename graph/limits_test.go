package graph

import (
	"reflect"
	"strings"
	"testing"
)

// TestPageCostsCoverSchema fails when a paged field (one with a `first` argument: a list query
// or history) has no cost in pageCosts, where it would cost 1 whatever its page size and
// escape the complexity limit.
func TestPageCostsCoverSchema(t *testing.T) {
	var c ComplexityRoot
	pageCosts(&c)
	root := reflect.ValueOf(c)
	priced := newPricedComplexity(NewExecutableSchema(Config{Complexity: c}), &c)
	paged := 0
	for _, typ := range NewExecutableSchema(Config{}).Schema().Types {
		if strings.HasPrefix(typ.Name, "__") {
			continue
		}
		for _, f := range typ.Fields {
			if f.Arguments.ForName("first") == nil {
				continue
			}
			paged++
			costs := root.FieldByName(typ.Name)
			var cost reflect.Value
			if costs.IsValid() {
				cost = costs.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, f.Name) })
			}
			if !cost.IsValid() || cost.IsNil() {
				t.Errorf("%s.%s is paged but has no cost in pageCosts (graph/limits.go)", typ.Name, f.Name)
			}
			// The server asks the generated code through pricedComplexity, which must let it.
			if n, ok := priced.Complexity(t.Context(), typ.Name, f.Name, 3, map[string]any{"first": 7}); n != 1+3*7 || !ok {
				t.Errorf("%s.%s(first: 7) with children of 3 costs %d, %v; want %d", typ.Name, f.Name, n, ok, 1+3*7)
			}
		}
	}
	if _, ok := priced.Complexity(t.Context(), "ConnectorConfiguration", "name", 0, nil); ok {
		t.Error("a field without a cost function has a custom complexity")
	}
	if paged < 7 { // three list queries and four histories
		t.Errorf("found %d paged fields; the test no longer sees them", paged)
	}
}
