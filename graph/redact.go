package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// secretInputFields are the input fields that carry secrets (DESIGN §2); the schema marks
// each "(write-only)", and a test keeps the two in step.
var secretInputFields = map[string]bool{
	"apiKey": true, "secretKey": true, "password": true, "extraCredentials": true,
	"merchantKey": true, "merchantPin": true,
}

// redactSecretLiteral keeps a validation error about a literal in a secret input field from
// quoting the literal: for `merchantPin: 4321`, a number where a string belongs, gqlparser
// says "String cannot represent a non string value: 4321".
func redactSecretLiteral(ctx context.Context, e *gqlerror.Error) *gqlerror.Error {
	if e.Rule != "ValuesOfCorrectType" || len(e.Locations) == 0 || !graphql.HasOperationContext(ctx) {
		return e
	}
	// Validation failed, so the operation context holds the query text but no document.
	doc, err := parser.ParseQuery(&ast.Source{Input: graphql.GetOperationContext(ctx).RawQuery})
	if err != nil {
		return e
	}
	if name, ok := secretLiteralAt(doc, e.Locations[0]); ok {
		e.Message = fmt.Sprintf("%s must be a string (the value sent is not repeated: it is a secret)", name)
	}
	return e
}

// secretLiteralAt reports the secret input field whose value, or a part of it, is at loc.
func secretLiteralAt(doc *ast.QueryDocument, loc gqlerror.Location) (string, bool) {
	var found string
	var walkValue func(v *ast.Value, secret string)
	walkValue = func(v *ast.Value, secret string) {
		if v == nil || found != "" {
			return
		}
		if secret != "" && v.Position != nil && v.Position.Line == loc.Line && v.Position.Column == loc.Column {
			found = secret
			return
		}
		for _, c := range v.Children {
			s := secret
			if s == "" && v.Kind == ast.ObjectValue && secretInputFields[c.Name] {
				s = c.Name
			}
			walkValue(c.Value, s)
		}
	}
	var walkSet func(set ast.SelectionSet)
	walkSet = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				for _, a := range sel.Arguments {
					walkValue(a.Value, "")
				}
				walkSet(sel.SelectionSet)
			case *ast.InlineFragment:
				walkSet(sel.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walkSet(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walkSet(f.SelectionSet)
	}
	return found, found != ""
}
