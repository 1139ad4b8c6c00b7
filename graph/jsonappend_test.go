package graph

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/payplat/paygql/models"
)

var tricky = []string{"", "plain", `"quoted"`, `back\slash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f", "<a href='x'>&amp;</a>",
	"Ödeme ✓ İstanbul", "\u2028\u2029", "\xe2\x80", "\xff\xfe invalid", "€ \xe2\x82\xac \xe2 end\xe2"}

func marshalled(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

// TestAppendersMatchMarshalers checks every append function against the marshaler the
// generic path uses for the same scalar.
func TestAppendersMatchMarshalers(t *testing.T) {
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: appended %s, marshaled %s", what, got, want)
		}
	}
	for _, s := range tricky {
		check("string "+s, string(appendString(nil, s)), marshalled(graphql.MarshalString(s)))
	}
	for _, id := range []uuid.UUID{uuid.Nil, uuid.Max, uuid.MustParse("6f1c0000-0000-4000-8000-00000000000a"), uuid.New()} {
		check("uuid", string(appendUUID(nil, id)), marshalled(models.MarshalUUID(id)))
	}
	for _, s := range []string{"0", "0.00", "1.5", "149.90", "-0.01", "1234567.89", "9999999999999999.99", "1e3", "12345678901234567890123.456",
		"0.5", "-1234.5", "-0.00", "0.000001", "-999999999999999999", "0.999999999999999999", "1e-20", "123456789012345678.9"} {
		d := decimal.RequireFromString(s)
		check("decimal "+s, string(appendDecimal(nil, &d)), marshalled(models.MarshalDecimal(d)))
	}
	check("nil decimal", string(appendDecimal(nil, nil)), "null")
	istanbul := time.FixedZone("TRT", 3*3600)
	for _, tm := range []time.Time{time.Time{}, time.Date(2026, 12, 5, 11, 48, 9, 0, time.UTC),
		time.Date(2026, 12, 5, 14, 48, 9, 123456000, istanbul), time.Date(1999, 1, 2, 3, 4, 5, 100, time.UTC)} {
		check("time", string(appendTime(nil, tm)), marshalled(models.MarshalDateTime(tm)))
	}
	check("int", string(appendInt(nil, -42)), marshalled(graphql.MarshalInt(-42)))
	check("bool", string(appendBool(nil, true)), marshalled(graphql.MarshalBoolean(true)))
	f := false
	check("opt bool", string(appendOptBool(nil, &f)), marshalled(graphql.MarshalBoolean(false)))
}

func FuzzAppendString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendString(nil, s)), marshalled(graphql.MarshalString(s)); got != want {
			t.Errorf("appended %q, marshaled %q", got, want)
		}
	})
}

// FuzzAppendData checks that a response of data alone is written byte for byte as gqlgen's
// transports write it with json.Marshal.
func FuzzAppendData(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data := append(append([]byte(`{"list":[{"a":`), appendString(nil, s)...), `,"b":null}],"n":1}`...)
		want, err := json.Marshal(&graphql.Response{Data: data})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.WriteString(`{"data":`)
		writeData(&b, data)
		b.WriteByte('}')
		got := b.Bytes()
		if !bytes.Equal(got, want) {
			t.Errorf("wrote\n%q\njson.Marshal writes\n%q", got, want)
		}
	})
}
