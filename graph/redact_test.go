package graph

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestSecretInputFieldsMatchSchema keeps secretInputFields equal to the input fields the
// schema documents as write-only.
func TestSecretInputFieldsMatchSchema(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if gqlErr != nil {
		t.Fatal(gqlErr)
	}
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
