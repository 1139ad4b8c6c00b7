package graph

import (
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/payplat/paygql/models"
)

// The append functions write a value exactly as the scalar's gqlgen marshaler does (see
// jsonappend_test.go), into a byte slice instead of through an io.Writer: the fast list path
// (fastlist.go) writes thousands of them per response without an allocation each.

const hexDigits = "0123456789abcdef"

// appendString writes s as gqlgen's MarshalString does: quoted, escaping `"`, `\` and the
// control characters, and nothing else.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '\t':
			buf = append(buf, `\t`...)
		case '\r':
			buf = append(buf, `\r`...)
		case '\n':
			buf = append(buf, `\n`...)
		case '\\':
			buf = append(buf, `\\`...)
		case '"':
			buf = append(buf, `\"`...)
		default:
			buf = append(buf, `\u00`...)
			buf = append(buf, "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// appendOptString writes s, or null.
func appendOptString(buf []byte, s *string) []byte {
	if s == nil {
		return append(buf, "null"...)
	}
	return appendString(buf, *s)
}

// appendUUID writes id as models.MarshalUUID does: quoted, in its canonical form.
func appendUUID(buf []byte, id uuid.UUID) []byte {
	buf = append(buf, '"')
	for i, b := range id {
		switch i {
		case 4, 6, 8, 10:
			buf = append(buf, '-')
		}
		buf = append(buf, hexDigits[b>>4], hexDigits[b&0xf])
	}
	return append(buf, '"')
}

// appendDecimal writes d as models.MarshalDecimal does: a quoted string keeping its scale, or
// null.
func appendDecimal(buf []byte, d *models.Decimal) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	exp := d.Exponent()
	buf = append(buf, '"')
	if exp > 0 || exp < -18 || d.NumDigits() > 18 {
		buf = append(buf, d.StringFixed(max(-exp, 0))...)
		return append(buf, '"')
	}
	// The coefficient fits an int64: written without math/big, as StringFixed writes it.
	c, places := d.CoefficientInt64(), int(-exp)
	if c < 0 {
		buf = append(buf, '-')
		c = -c
	}
	var tmp [40]byte
	digits := strconv.AppendInt(tmp[:0], c, 10)
	n := len(digits)
	if n > places {
		buf = append(buf, digits[:n-places]...)
	} else {
		buf = append(buf, '0')
	}
	if places > 0 {
		buf = append(buf, '.')
		for range places - n {
			buf = append(buf, '0')
		}
		buf = append(buf, digits[max(n-places, 0):]...)
	}
	return append(buf, '"')
}

// appendTime writes t as models.MarshalDateTime does: quoted RFC 3339 in UTC.
func appendTime(buf []byte, t time.Time) []byte {
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	return append(buf, '"')
}

// appendBool writes b.
func appendBool(buf []byte, b bool) []byte { return strconv.AppendBool(buf, b) }

// appendOptBool writes b, or null.
func appendOptBool(buf []byte, b *bool) []byte {
	if b == nil {
		return append(buf, "null"...)
	}
	return strconv.AppendBool(buf, *b)
}

// appendInt writes n.
func appendInt(buf []byte, n int) []byte { return strconv.AppendInt(buf, int64(n), 10) }
