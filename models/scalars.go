package models

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"
)

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

// UnmarshalDecimal reads a decimal from a string or an integer. Floats are refused, since a
// float may already have lost the exact value.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	switch v := v.(type) {
	case string:
		d, err := decimal.NewFromString(v)
		if err != nil {
			return decimal.Decimal{}, fmt.Errorf("%q is not a decimal number", v)
		}
		return d, nil
	case json.Number:
		return UnmarshalDecimal(string(v))
	case int:
		return decimal.NewFromInt(int64(v)), nil
	case int64:
		return decimal.NewFromInt(v), nil
	default:
		return decimal.Decimal{}, fmt.Errorf("a Decimal must be a string such as \"149.90\", got %T", v)
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
		return time.Time{}, fmt.Errorf("a DateTime must be an RFC 3339 string, got %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
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
		return nil, fmt.Errorf("a JSONObject must be an object, got %T", v)
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
