package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// decimalLiterals keeps the exact text of Decimal literals written in a query. gqlparser reads
// a float literal such as 12345678901234567.89 through a float64, which would round it, while
// the same number sent in variables keeps its text; a Decimal must get the same answer both
// ways. Every validated document enters the query cache before it runs, so the rewrite
// happens there, once per document.
type decimalLiterals struct {
	graphql.Cache[*ast.QueryDocument]
}

// Add rewrites doc's Decimal literals as strings with the same text, then caches it.
func (c decimalLiterals) Add(ctx context.Context, key string, doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			exactDecimal(v.DefaultValue)
		}
		exactDecimalArgs(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		exactDecimalArgs(f.SelectionSet)
	}
	c.Cache.Add(ctx, key, doc)
}

func exactDecimalArgs(set ast.SelectionSet) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			for _, a := range sel.Arguments {
				exactDecimal(a.Value)
			}
			exactDecimalArgs(sel.SelectionSet)
		case *ast.InlineFragment:
			exactDecimalArgs(sel.SelectionSet)
		}
	}
}

// exactDecimal turns a number literal where a Decimal is expected into a string literal;
// validation has set every value's expected type.
func exactDecimal(v *ast.Value) {
	if v == nil {
		return
	}
	if (v.Kind == ast.FloatValue || v.Kind == ast.IntValue) && v.ExpectedType != nil && v.ExpectedType.Name() == "Decimal" {
		v.Kind = ast.StringValue
	}
	for _, c := range v.Children {
		exactDecimal(c.Value)
	}
}
