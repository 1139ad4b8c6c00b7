package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/mail"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"
)

// Fuzz targets for the scalars and the rules. `go test` runs their seed corpora; CI fuzzes a
// few of them for a bounded time (.ci/run), e.g.
//
//	go test -run '^$' -fuzz '^FuzzUnmarshalDecimal$' -fuzztime 5s ./models/

// marshal returns what a GraphQL marshaler writes.
func marshal(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

// checkInputError fails unless err is an InputError with a message of bounded length: a
// refused value is quoted, never sent back whole.
func checkInputError(t *testing.T, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v is not an InputError", err)
	}
	if n := utf8.RuneCountInString(ie.Error()); n > 500 {
		t.Fatalf("error message of %d characters", n)
	}
}

func FuzzUnmarshalDecimal(f *testing.F) {
	for _, s := range []string{"149.90", "0", "-0.00", "1e-64", "1E64", "9999999999999999.99", "12,50", "1e-999999999",
		"0x1p3", "NaN", "-", ".5", "5.", "+1", "1_000", " 1", "١٢٣", strings.Repeat("9", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDecimal(s)
		if err != nil {
			checkInputError(t, err)
			if _, err2 := UnmarshalDecimal(json.Number(s)); err2 == nil {
				t.Fatalf("%q: refused as a string, read as a JSON number", s)
			}
			return
		}
		out := marshal(MarshalDecimal(d))
		text, err := strconv.Unquote(out)
		if err != nil {
			t.Fatalf("%q marshals to %s, not a JSON string", s, out)
		}
		back, err := UnmarshalDecimal(text)
		if err != nil || !back.Equal(d) || marshal(MarshalDecimal(back)) != out {
			t.Fatalf("%q → %s → %v (%v)", s, out, back, err)
		}
		if len(text) > 2*maxDecimalDigits+3 {
			t.Fatalf("%q prints as %d characters", s, len(text))
		}
	})
}

func FuzzUnmarshalUUID(f *testing.F) {
	for _, s := range []string{"3c90c3cc-0d44-4b50-8888-8dd25736052a", "3C90C3CC0D444B5088888DD25736052A",
		"{3c90c3cc-0d44-4b50-8888-8dd25736052a}", "urn:uuid:3c90c3cc-0d44-4b50-8888-8dd25736052a", "nope", "", strings.Repeat("z", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := UnmarshalUUID(s)
		if err != nil {
			checkInputError(t, err)
			return
		}
		text, err := strconv.Unquote(marshal(MarshalUUID(id)))
		if err != nil || len(text) != 36 {
			t.Fatalf("%q marshals to %q", s, text)
		}
		if back, err := UnmarshalUUID(text); err != nil || back != id {
			t.Fatalf("%q → %q → %v (%v)", s, text, back, err)
		}
	})
}

func FuzzUnmarshalDateTime(f *testing.F) {
	for _, s := range []string{"2026-11-23T16:15:00Z", "2026-11-23T16:15:00.123456789+03:00", "2026-11-23", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59.999999999-23:59", "2026-02-30T00:00:00Z", "yesterday"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := UnmarshalDateTime(s)
		if err != nil {
			checkInputError(t, err)
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("%q read in %v", s, tm.Location())
		}
		text, err := strconv.Unquote(marshal(MarshalDateTime(tm)))
		if err != nil {
			t.Fatal(err)
		}
		if back, err := UnmarshalDateTime(text); err != nil || !back.Equal(tm) {
			t.Fatalf("%q → %q → %v (%v)", s, text, back, err)
		}
	})
}

func FuzzUnmarshalJSONObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a": 1.50, "b": [true, null, "x"], "c": {"d": 12345678901234567890}}`, `[1]`, `"s"`, `null`, `1e400`,
		`{"\u0000": "\u0000"}`, `{"a": {"a": {"a": {"a": []}}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		o, err := UnmarshalJSONObject(v)
		if _, isObject := v.(map[string]any); isObject != (err == nil) {
			t.Fatalf("%s: object %v, error %v", data, isObject, err)
		}
		if err != nil {
			checkInputError(t, err)
			return
		}
		var viol Violations
		jsonObject(&viol, Path{"extraPropertiesDict"}, o) // must not panic
		out := marshal(MarshalJSONObject(o))
		dec = json.NewDecoder(strings.NewReader(out))
		dec.UseNumber()
		var back any
		if err := dec.Decode(&back); err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("%s → %s (%v)", data, out, err)
		}
		stored, err := o.Value()
		if err != nil {
			t.Fatal(err)
		}
		var scanned JSONObject
		if err := scanned.Scan(stored); err != nil || !reflect.DeepEqual(map[string]any(scanned), v) {
			t.Fatalf("%s stored as %v, scanned as %v (%v)", data, stored, scanned, err)
		}
	})
}

// feeOf makes a convenience fee from fuzzed bounds: "" is null, text that is no decimal skips.
func feeOf(lo, hi string) (*ConvenienceFee, bool) {
	f := &ConvenienceFee{PaymentType: "CARD"}
	for _, b := range []struct {
		s   string
		dst **Decimal
	}{{lo, &f.MinRange}, {hi, &f.MaxRange}} {
		if b.s == "" {
			continue
		}
		d, err := UnmarshalDecimal(b.s)
		if err != nil {
			return nil, false
		}
		*b.dst = &d
	}
	return f, true
}

func FuzzRangesOverlap(f *testing.F) {
	f.Add("0", "100", "100", "200")
	f.Add("0", "100.01", "100", "")
	f.Add("", "", "5", "5")
	f.Add("7", "7", "7", "7")
	f.Add("10", "0", "5", "6")
	f.Fuzz(func(t *testing.T, aLo, aHi, bLo, bHi string) {
		a, ok1 := feeOf(aLo, aHi)
		b, ok2 := feeOf(bLo, bHi)
		if !ok1 || !ok2 {
			return
		}
		if rangesOverlap(a, b) != rangesOverlap(b, a) {
			t.Fatalf("not symmetric: %s–%s, %s–%s", aLo, aHi, bLo, bHi)
		}
		lo, hi := a.bounds()
		if (hi == nil || lo.LessThanOrEqual(*hi)) && !rangesOverlap(a, a) {
			t.Fatalf("%s–%s does not overlap itself", aLo, aHi)
		}
		// Compared with the definition: two ranges overlap when they share an interior
		// point; a point range lies inside the other's interior. Touching ends do not.
		bl, bh := b.bounds()
		if hi != nil && bh != nil && lo.LessThan(*hi) && bl.LessThan(*bh) {
			inside := lo.LessThan(*bh) && bl.LessThan(*hi)
			if rangesOverlap(a, b) != inside {
				t.Fatalf("%s–%s and %s–%s: overlap %v, want %v", aLo, aHi, bLo, bHi, rangesOverlap(a, b), inside)
			}
		}
	})
}

var (
	upperLetters = regexp.MustCompile(`^[A-Z]+$`)
	digitsOnly   = regexp.MustCompile(`^\+?[0-9]+$`)
)

func FuzzFormatRules(f *testing.F) {
	for _, s := range []string{"ayse@example.com", "Ayse <a@b.c>", "a@b", "TR", "tr", "ZZ", "TRY", "XXX", "+905321234567", "05321234567",
		"", "\x00", "ş@ş.ş", strings.Repeat("a", 250) + "@x.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(name string, rule func(*Violations, Path, *string), valid func(string) bool) {
			var v Violations
			rule(&v, Path{"f"}, &s)
			if !v.Failed() && !valid(s) {
				t.Fatalf("%s accepted %q", name, s)
			}
			for _, e := range v.Errors {
				if utf8.RuneCountInString(e.Message) > 500 || !reflect.DeepEqual(e.Field, []string{"f"}) {
					t.Fatalf("%s: %+v", name, e)
				}
			}
		}
		check("email", email, func(s string) bool {
			a, err := mail.ParseAddress(s)
			return err == nil && a.Address == s && len(s) <= maxEmailLen
		})
		check("countryCode", countryCode, func(s string) bool { return len(s) == 2 && upperLetters.MatchString(s) })
		check("currencyCode", currencyCode, func(s string) bool { return len(s) == 3 && upperLetters.MatchString(s) })
		check("gsm", gsm, func(s string) bool { return len(s) <= 16 && digitsOnly.MatchString(s) })
		var v Violations
		text(&v, Path{"f"}, &s, 10)
		bad := !utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(s) > 10
		if v.Failed() != bad {
			t.Fatalf("text(%q): %v", s, violationKeys(v))
		}
	})
}

// FuzzMergePatch checks the partial-update semantics on one nullable and one non-nullable
// field: left out keeps, null clears (or is REQUIRED), a value sets, and a change is recorded
// exactly when the value moves.
func FuzzMergePatch(f *testing.F) {
	f.Add("old", false, true, false, "new")
	f.Add("old", false, true, true, "")
	f.Add("", true, true, false, "x")
	f.Add("same", false, true, false, "same")
	f.Add("old", false, false, false, "ignored")
	f.Fuzz(func(t *testing.T, stored string, storedNull, sent, sentNull bool, value string) {
		in := graphql.Omittable[*string]{}
		if sent {
			var v *string
			if !sentNull {
				v = &value
			}
			in = graphql.OmittableOf(v)
		}
		var nullable *string
		if !storedNull {
			nullable = ptr(stored)
		}
		before := nullable
		p := newPatch()
		setNullable(p, in, &nullable, "n", "n")
		switch {
		case !sent:
			if nullable != before || p.changed() {
				t.Fatal("left out changed the field")
			}
		case sentNull:
			if nullable != nil || p.changed() == storedNull {
				t.Fatalf("null: %v, changed %v", nullable, p.changed())
			}
		default:
			if nullable == nil || *nullable != value || p.changed() != (storedNull || stored != value) {
				t.Fatalf("value: %v, changed %v", nullable, p.changed())
			}
		}
		plain := stored
		p = newPatch()
		setValue(p, in, &plain, "v", "v")
		switch {
		case !sent:
			if plain != stored || p.changed() || p.Failed() {
				t.Fatal("left out changed the field")
			}
		case sentNull:
			if plain != stored || !reflect.DeepEqual(violationKeys(p.Violations), []string{"v:REQUIRED"}) {
				t.Fatalf("null on a non-null field: %q, %v", plain, violationKeys(p.Violations))
			}
		default:
			if plain != value || p.changed() != (stored != value) {
				t.Fatalf("value: %q, changed %v", plain, p.changed())
			}
		}
	})
}

// FuzzSetMoney checks that a merged amount fits numeric(18,2) or is refused.
func FuzzSetMoney(f *testing.F) {
	for _, s := range []string{"149.9", "1.005", "9999999999999999.99", "10000000000000000", "-0.01", "1e-64", "1e63"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDecimal(s)
		if err != nil {
			return
		}
		var dst *Decimal
		p := newPatch()
		setMoney(p, omit(&d), &dst, "amount", "amount")
		if p.Failed() {
			if dst != nil {
				t.Fatalf("%q refused but set", s)
			}
			return
		}
		if dst == nil || !dst.Equal(d) || dst.Exponent() != -moneyScale || dst.Abs().GreaterThanOrEqual(decimal.New(1, 16)) {
			t.Fatalf("%q merged as %v", s, dst)
		}
	})
}
