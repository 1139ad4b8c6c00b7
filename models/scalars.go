package models

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// InputError reports a value that cannot be read as its GraphQL type. Its message is meant for
// the client.
type InputError struct{ msg string }

func (e *InputError) Error() string { return e.msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{msg: fmt.Sprintf(format, args...)}
}

// maxQuoted is how many characters of a refused value an error message quotes.
const maxQuoted = 40

// quote quotes s for an error message, cut to maxQuoted characters: a hostile value of a
// megabyte is not sent back whole.
func quote(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:maxQuoted])) + "…"
}

// JSONKind names the JSON type of a decoded input value, for error messages.
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case json.Number:
		return "a number"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value"
}

// UUID is a UUID in its canonical text form.
type UUID = uuid.UUID

// MarshalUUID writes id in its canonical text form, the nil UUID too: gqlgen's own marshaler
// writes null for it, which a non-null field (say an applicationId stored as
// 00000000-0000-0000-0000-000000000000) cannot return.
func MarshalUUID(id uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(id.String())) })
}

// UnmarshalUUID reads a UUID from a string.
func UnmarshalUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, inputErrorf("a UUID must be a string, got %s", JSONKind(v))
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, inputErrorf("%s is not a UUID", quote(s))
	}
	return id, nil
}

// Decimal is an exact decimal number. GraphQL carries it as a JSON string ("149.90").
type Decimal = decimal.Decimal

// MarshalDecimal writes d as a JSON string, keeping its scale ("1.50" stays "1.50").
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		places := -d.Exponent()
		if places < 0 {
			places = 0
		}
		_, _ = io.WriteString(w, strconv.Quote(d.StringFixed(places)))
	})
}

// maxDecimalDigits bounds the digits of a Decimal on either side of the point. Without a
// bound, a short text such as "1e-999999999" would make every later step (rounding, printing)
// build a number of a billion digits.
const maxDecimalDigits = 64

// UnmarshalDecimal reads a decimal from a string, a JSON number (json.Number, its exact text)
// or an integer. A float64 is refused, since it may already have lost the exact value; number
// literals in query text reach here as strings (see graph.decimalLiterals). At most
// maxDecimalDigits digits may stand before the point and as many after it.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	switch v := v.(type) {
	case string:
		if len(v) > 4*maxDecimalDigits {
			return decimal.Decimal{}, inputErrorf("a Decimal of %d characters is too long: at most %d digits before and %d after the point", len(v), maxDecimalDigits, maxDecimalDigits)
		}
		d, err := decimal.NewFromString(v)
		if err != nil {
			return decimal.Decimal{}, inputErrorf("%s is not a decimal number", quote(v))
		}
		if exp := d.Exponent(); exp < -maxDecimalDigits || d.NumDigits()+int(exp) > maxDecimalDigits {
			return decimal.Decimal{}, inputErrorf("%s is out of range: a Decimal has at most %d digits before and %d after the point", quote(v), maxDecimalDigits, maxDecimalDigits)
		}
		return d, nil
	case json.Number:
		return UnmarshalDecimal(string(v))
	case int:
		return decimal.NewFromInt(int64(v)), nil
	case int64:
		return decimal.NewFromInt(v), nil
	default:
		return decimal.Decimal{}, inputErrorf("a Decimal must be a string or a number such as \"149.90\", got %s", JSONKind(v))
	}
}

// DateTime is a point in time, shown in UTC as RFC 3339.
type DateTime = time.Time

// MarshalDateTime writes t in UTC as RFC 3339 with fractional seconds when present.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads an RFC 3339 time.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, inputErrorf("a DateTime must be an RFC 3339 string, got %s", JSONKind(v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, inputErrorf("%s is not an RFC 3339 time such as \"2026-11-23T16:15:00Z\"", quote(s))
	}
	// In UTC, which is how it is written back, the year must still have four digits.
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, inputErrorf("%s is out of range: in UTC it must fall in the years 0000 to 9999", quote(s))
	}
	return t.UTC(), nil
}

// JSONObject is a JSON object stored as jsonb. Numbers keep their exact text.
type JSONObject map[string]any

// MarshalJSONObject writes o as a JSON object ({} when nil).
func MarshalJSONObject(o JSONObject) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if o == nil {
			_, _ = io.WriteString(w, "{}")
			return
		}
		b, err := json.Marshal(map[string]any(o))
		if err != nil {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(b)
	})
}

// UnmarshalJSONObject reads a JSON object.
func UnmarshalJSONObject(v any) (JSONObject, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, inputErrorf("a JSONObject must be an object, got %s", JSONKind(v))
	}
	return JSONObject(m), nil
}

// Value stores o as JSON text.
func (o JSONObject) Value() (driver.Value, error) {
	if o == nil {
		return "{}", nil
	}
	// A string, not []byte: bun would write bytes as a bytea literal.
	b, err := json.Marshal(map[string]any(o))
	return string(b), err
}

// Scan reads jsonb, keeping numbers as json.Number so that none passes through a float.
func (o *JSONObject) Scan(src any) error {
	var b []byte
	switch src := src.(type) {
	case nil:
		*o = nil
		return nil
	case []byte:
		b = src
	case string:
		b = []byte(src)
	default:
		return fmt.Errorf("scan JSONObject from %T", src)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("scan JSONObject: not an object")
	}
	*o = m
	return nil
}
