package models

import (
	"encoding/json"
	"slices"
	"strings"
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

func TestTextRule(t *testing.T) {
	tests := []struct {
		value string
		max   int
		want  string // the violation's code, "" when none
	}{
		{"plain", 5, ""},
		{"şşşşş", 5, ""}, // characters, not bytes
		{"şşşşşş", 5, "OUT_OF_RANGE"},
		{"", 0, ""},
		{"a\x00b", 10, "INVALID"},
		{"\x00", 10, "INVALID"},
		{"a\xffb", 10, "INVALID"}, // not UTF-8
		{"\x01\x1b[31m\u202e\ufeff", 10, ""},
		{`'; DROP TABLE x;--`, 50, ""},
		{"<script>alert(1)</script>", 50, ""},
	}
	for _, tt := range tests {
		var v Violations
		text(&v, Path{"users", "0", "name"}, &tt.value, tt.max)
		got := ""
		if v.Failed() {
			got = string(v.Errors[0].Code)
			if !slices.Equal(v.Errors[0].Field, []string{"users", "0", "name"}) || !strings.Contains(v.Errors[0].Message, "name") {
				t.Errorf("%q: reported %+v", tt.value, v.Errors[0])
			}
		}
		if got != tt.want || len(v.Errors) > 1 {
			t.Errorf("text(%q, %d) = %v, want %q", tt.value, tt.max, violationKeys(v), tt.want)
		}
	}
	var v Violations
	text(&v, Path{"x"}, nil, 0)
	texts(&v, Path{"ruleNames"}, []string{"ok", "\x00", strings.Repeat("x", 3)}, 2)
	if got := violationKeys(v); !slices.Equal(got, []string{"ruleNames.1:INVALID", "ruleNames.2:OUT_OF_RANGE"}) {
		t.Errorf("texts: %v", got)
	}
}

func TestJSONObjectRule(t *testing.T) {
	nest := func(n int) JSONObject {
		var v any = json.Number("1")
		for i := range n - 1 {
			if i%2 == 0 {
				v = []any{v}
			} else {
				v = map[string]any{"k": v}
			}
		}
		return JSONObject{"k": v}
	}
	tests := []struct {
		name string
		o    JSONObject
		want string
	}{
		{"flat", JSONObject{"a": "b", "n": nil, "t": true}, ""},
		{"32 levels", nest(32), ""},
		{"33 levels", nest(33), "OUT_OF_RANGE"},
		{"10,000 levels", nest(10000), "OUT_OF_RANGE"},
		{"NUL in a value", JSONObject{"a": []any{map[string]any{"b": "\x00"}}}, "INVALID"},
		{"NUL in a key", JSONObject{"a": map[string]any{"\x00": 1}}, "INVALID"},
		{"escaped NUL is text", JSONObject{`\u0000`: `\u0000`}, ""},
	}
	for _, tt := range tests {
		var v Violations
		jsonObject(&v, Path{"extraPropertiesDict"}, tt.o)
		got := ""
		if v.Failed() {
			got = string(v.Errors[0].Code)
		}
		if got != tt.want {
			t.Errorf("%s: %v, want %q", tt.name, violationKeys(v), tt.want)
		}
	}
}
