package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecimalRoundTrip(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"1234567.89", `"1234567.89"`},
		{"149.90", `"149.90"`},
		{"0.1", `"0.1"`},
		{"-5", `"-5"`},
		{json.Number("99999999999999.99"), `"99999999999999.99"`},
		{int64(7), `"7"`},
		{"1e-64", `"0.` + strings.Repeat("0", 63) + `1"`},
		{strings.Repeat("9", 64), `"` + strings.Repeat("9", 64) + `"`},
		{"-0.5", `"-0.5"`},
		{"+3", `"3"`},
	}
	for _, tt := range tests {
		d, err := UnmarshalDecimal(tt.in)
		if err != nil {
			t.Errorf("UnmarshalDecimal(%v): %v", tt.in, err)
			continue
		}
		var b bytes.Buffer
		MarshalDecimal(d).MarshalGQL(&b)
		if b.String() != tt.want {
			t.Errorf("round trip of %v = %s, want %s", tt.in, b.String(), tt.want)
		}
	}
	long := strings.Repeat("9", 4*maxDecimalDigits+1)
	for _, bad := range []any{"12,50", "abc", 1.5, true, nil, "1e-65", "1e64", "0.1e66", "1e-999999999", long, "NaN", "Infinity", "0x10", ""} {
		_, err := UnmarshalDecimal(bad)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("UnmarshalDecimal(%v) = %v, want an InputError", bad, err)
		}
	}
}

func TestSetMoney(t *testing.T) {
	tests := []struct {
		in       string
		want     string // "" when refused
		wantCode UserErrorCode
	}{
		{"149.9", "149.90", ""},
		{"149.900", "149.90", ""},
		{"0", "0.00", ""},
		{"1.005", "", CodeInvalid},
		{"10000000000000000", "", CodeOutOfRange},
		{"-10000000000000000.00", "", CodeOutOfRange},
		{"9999999999999999.99", "9999999999999999.99", ""}, // the largest numeric(18,2)
	}
	for _, tt := range tests {
		d, err := UnmarshalDecimal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		var dst *Decimal
		p := newPatch()
		setMoney(p, omit(&d), &dst, "amount", "amount")
		switch {
		case tt.wantCode != "":
			if len(p.Errors) != 1 || p.Errors[0].Code != tt.wantCode || dst != nil {
				t.Errorf("setMoney(%s) = %v, %v; want %s", tt.in, dst, p.Errors, tt.wantCode)
			}
		case dst == nil || len(p.Errors) > 0:
			t.Errorf("setMoney(%s) refused: %v", tt.in, p.Errors)
		default:
			var b bytes.Buffer
			MarshalDecimal(*dst).MarshalGQL(&b)
			if b.String() != `"`+tt.want+`"` {
				t.Errorf("setMoney(%s) = %s, want %s", tt.in, b.String(), tt.want)
			}
		}
	}
}

func TestJSONObjectKeepsNumbersExact(t *testing.T) {
	var o JSONObject
	if err := o.Scan([]byte(`{"big": 12345678901234567890, "f": 0.1}`)); err != nil {
		t.Fatal(err)
	}
	v, err := o.Value()
	if err != nil {
		t.Fatal(err)
	}
	if v != `{"big":12345678901234567890,"f":0.1}` {
		t.Errorf("Value() = %v", v)
	}
}
