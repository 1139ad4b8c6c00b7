package graph

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestSecretInputFieldsMatchSchema keeps secretInputFields equal to the input fields the
// schema documents as write-only.
func TestSecretInputFieldsMatchSchema(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	writeOnly := map[string]bool{}
	for _, def := range schema.Types {
		if def.Kind != ast.InputObject {
			continue
		}
		for _, f := range def.Fields {
			if strings.Contains(f.Description, "(write-only)") {
				writeOnly[f.Name] = true
			}
		}
	}
	got, want := slices.Sorted(maps.Keys(secretInputFields)), slices.Sorted(maps.Keys(writeOnly))
	if !slices.Equal(got, want) {
		t.Errorf("secretInputFields = %v, the schema's write-only input fields = %v", got, want)
	}
}
