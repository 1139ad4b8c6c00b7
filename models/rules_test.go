package models

import (
	"slices"
	"testing"
)

func TestFormatRules(t *testing.T) {
	tests := []struct {
		rule  func(*Violations, Path, *string)
		value string
		valid bool
	}{
		{email, "ayse@example.com.tr", true},
		{email, "Ayse <ayse@example.com>", false},
		{email, "ayse.example.com", false},
		{email, "", false},
		{countryCode, "TR", true},
		{countryCode, "tr", false},
		{countryCode, "TUR", false},
		{countryCode, "ZZ", false},
		{countryCode, "EU", false},
		{currencyCode, "TRY", true},
		{currencyCode, "EUR", true},
		{currencyCode, "try", false},
		{currencyCode, "ABC", false},
		{currencyCode, "TL", false},
		{gsm, "+905321234567", true},
		{gsm, "05321234567", true},
		{gsm, "5321234567", true},
		{gsm, "0532 123 45 67", false},
		{gsm, "+0123", false},
	}
	for _, tt := range tests {
		var v Violations
		tt.rule(&v, Path{"x", "0", "field"}, &tt.value)
		if v.Failed() == tt.valid {
			t.Errorf("%q: violations %v, want valid=%v", tt.value, violationKeys(v), tt.valid)
		}
		if v.Failed() && !slices.Equal(v.Errors[0].Field, []string{"x", "0", "field"}) {
			t.Errorf("%q reported at %v", tt.value, v.Errors[0].Field)
		}
	}
	var v Violations
	email(&v, Path{"email"}, nil)
	countryCode(&v, Path{"c"}, nil)
	if v.Failed() {
		t.Errorf("null refused: %v", violationKeys(v))
	}
}

func TestWarningsDoNotFail(t *testing.T) {
	var v Violations
	v.Warn(Path{"items", "0", "product", "status"}, "PRODUCT_NOT_ACTIVE", "product %s is %s", "P1", "PASSIVE")
	if v.Failed() || len(v.Warnings) != 1 || v.Warnings[0].Code != "PRODUCT_NOT_ACTIVE" {
		t.Errorf("warnings %+v, failed %v", v.Warnings, v.Failed())
	}
}
