package models

import (
	"reflect"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
)

func TestTextArray(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string // "<nil>" stands for NULL
		bad  bool
	}{
		{in: `{}`, want: nil},
		{in: `{a}`, want: []string{"a"}},
		{in: `{1,-2,30}`, want: []string{"1", "-2", "30"}},
		{in: `{t,f,NULL,t}`, want: []string{"t", "f", "<nil>", "t"}},
		{in: `{"NULL",NULL}`, want: []string{"NULL", "<nil>"}},
		{in: `{"a b","c,d","{e}","q\"uote","back\\slash",""}`, want: []string{"a b", "c,d", "{e}", `q"uote`, `back\slash`, ""}},
		{in: `{Ödeme,"İstanbul ✓"}`, want: []string{"Ödeme", "İstanbul ✓"}},
		{in: ``, bad: true},
		{in: `{a`, bad: true},
		{in: `{"a}`, bad: true},
		{in: `{"a"b}`, bad: true},
	} {
		got, err := textArray(nil, []byte(tt.in))
		if (err != nil) != tt.bad {
			t.Errorf("%s: error %v, want error %v", tt.in, err, tt.bad)
			continue
		}
		var strs []string
		for _, e := range got {
			if e == nil {
				strs = append(strs, "<nil>")
			} else {
				strs = append(strs, string(e))
			}
		}
		if !tt.bad && !slices.Equal(strs, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.in, strs, tt.want)
		}
	}
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "7": 7, "-12": -12, "123456789012345678": 123456789012345678} {
		if got, err := atoi([]byte(in)); err != nil || got != want {
			t.Errorf("atoi(%s) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-", "1x", "1234567890123456789", "+1"} {
		if _, err := atoi([]byte(in)); err == nil {
			t.Errorf("atoi(%q) took it", in)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"0", "0.00", "2.50", "-0.01", "1234567.89", "9999999999999999.99", "123456789012345678901.5",
		"-12", "1e5", "NaN", "", "-", ".", "1.2.3", "12345678901234567.89"} {
		got, gotErr := parseDecimal([]byte(s))
		want, wantErr := decimal.NewFromString(s)
		if (gotErr != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: parsed %v (%v), NewFromString %v (%v)", s, got, gotErr, want, wantErr)
		}
	}
}
