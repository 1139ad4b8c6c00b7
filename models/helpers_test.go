package models

import (
	"strings"

	"github.com/shopspring/decimal"
)

func ptr[T any](v T) *T { return &v }

func money(s string) *Decimal {
	if s == "" {
		return nil
	}
	d := decimal.RequireFromString(s)
	return &d
}

func violationKeys(v Violations) []string {
	var out []string
	for _, e := range v.Errors {
		out = append(out, strings.Join(e.Field, ".")+":"+string(e.Code))
	}
	return out
}
