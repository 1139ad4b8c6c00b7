package models

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"github.com/payplat/paygql/internal/secrets"
)

// Change is one field's move, as the audit trail shows it.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// patch is the work of one mutation on one record: the rules it broke and the fields it
// changed. Entities merge their input into the stored record through it, so that every
// entity gets the same partial-update semantics and audit trail.
type patch struct {
	Violations
	// prefix is where the patched record sits inside the input: empty for the top-level
	// record, ["billTypes", "2"] for a list item.
	prefix Path
	// columns lists the changed columns, in the order they were patched.
	columns []string
	// changes maps a field path to its move, for the audit trail.
	changes map[string]Change
}

func newPatch() *patch {
	return &patch{Violations: Violations{sent: map[string]bool{}}, changes: map[string]Change{}}
}

// item returns the patch of a list item at path; its violations are reported under path.
// The fields it is sent are noted with the record's.
func (p *patch) item(path Path) *patch {
	return &patch{Violations: Violations{sent: p.sent}, prefix: path, changes: map[string]Change{}}
}

// markSent notes that the request sent field, whatever its value, for Violations.blame.
func (p *patch) markSent(field string) {
	if p.sent != nil {
		p.sent[p.path(field).key()] = true
	}
}

// path returns where field sits inside the input.
func (p *patch) path(field string) Path { return p.prefix.At(field) }

// record notes that field (stored in column) moved from → to.
func (p *patch) record(field, column string, from, to any) {
	if column != "" {
		p.columns = append(p.columns, column)
	}
	p.changes[field] = Change{From: from, To: to}
}

// changed reports whether anything moved.
func (p *patch) changed() bool { return len(p.changes) > 0 }

// setValue merges an input field into a non-nullable record field: left out keeps it, null is
// refused as REQUIRED, a value different from the stored one is set.
func setValue[T comparable](p *patch, in graphql.Omittable[*T], dst *T, field, column string) {
	v, sent := in.ValueOK()
	if sent {
		p.markSent(field)
	}
	switch {
	case !sent:
	case v == nil:
		p.Add(p.path(field), CodeRequired, "%s must not be null", field)
	case *v != *dst:
		p.record(field, column, *dst, *v)
		*dst = *v
	}
}

// setNullable merges an input field into a nullable record field: left out keeps it, null
// clears it, a value different from the stored one is set.
func setNullable[T comparable](p *patch, in graphql.Omittable[*T], dst **T, field, column string) {
	v, sent := in.ValueOK()
	if sent {
		p.markSent(field)
	}
	if !sent || equalPtr(*dst, v) {
		return
	}
	p.record(field, column, *dst, v)
	if v != nil {
		c := *v
		v = &c
	}
	*dst = v
}

// setJSON merges a JSON object field; null is refused as REQUIRED.
func setJSON(p *patch, in graphql.Omittable[JSONObject], dst *JSONObject, field, column string) {
	v, sent := in.ValueOK()
	if sent {
		p.markSent(field)
	}
	switch {
	case !sent:
	case v == nil:
		p.Add(p.path(field), CodeRequired, "%s must not be null", field)
	case !sameJSON(*dst, v):
		p.record(field, column, *dst, v)
		*dst = v
	}
}

// setSecret merges a write-only field: null clears it, a value is sealed. Re-sending a secret
// counts as a change (a rotation), since the stored value is never compared in clear. The
// audit trail only shows that it was set or cleared.
func setSecret(p *patch, box *secrets.Box, in graphql.Omittable[*string], dst *Sealed, field, column string) {
	v, sent := in.ValueOK()
	if sent {
		p.markSent(field)
	}
	switch {
	case !sent:
	case v == nil:
		if *dst != nil {
			p.record(field, column, secrets.Redacted, nil)
			*dst = nil
		}
	case *v == "":
		p.Add(p.path(field), CodeRequired, "%s must not be empty; send null to clear it", field)
	case utf8.RuneCountInString(*v) > maxSecretLen:
		p.Add(p.path(field), CodeOutOfRange, "%s must be at most %d characters", field, maxSecretLen)
	default:
		var from any
		if *dst != nil {
			from = secrets.Redacted
		}
		p.record(field, column, from, secrets.Redacted)
		*dst = box.Seal(*v)
	}
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// sameJSON reports whether a and b encode to the same JSON; pointers are compared by value.
func sameJSON(a, b any) bool {
	// encoding/json sorts map keys, so equal objects encode to equal bytes.
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// Money is stored as numeric(18,2).
const (
	moneyScale  = 2
	moneyDigits = 18
)

var maxMoney = decimal.New(1, moneyDigits-moneyScale) // exclusive bound of numeric(18,2)

func init() {
	// Amounts are kept at scale 2, so that they print as clients see them ("4.50"): also where
	// the library prints them itself, as in the JSON of list items in the audit trail.
	decimal.TrimTrailingZeros = false
}

// setMoney merges a nullable money field. A value must fit numeric(18,2); it is kept at scale
// 2, so that "149.9" reads back as "149.90" whether it comes from memory or the database.
func setMoney(p *patch, in graphql.Omittable[*Decimal], dst **Decimal, field, column string) {
	v, sent := in.ValueOK()
	if sent {
		p.markSent(field)
	}
	if !sent {
		return
	}
	if v != nil {
		if !v.Equal(v.Round(moneyScale)) {
			p.Add(p.path(field), CodeInvalid, "%s must have at most %d decimal places", field, moneyScale)
			return
		}
		if v.Abs().GreaterThanOrEqual(maxMoney) {
			p.Add(p.path(field), CodeOutOfRange, "%s must be less than %s", field, maxMoney)
			return
		}
		r := v.Round(moneyScale)
		v = &r
	}
	if equalDecimal(*dst, v) {
		return
	}
	p.record(field, column, moneyText(*dst), moneyText(v))
	*dst = v
}

func equalDecimal(a, b *Decimal) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// moneyText shows an amount in the audit trail as clients see it.
func moneyText(d *Decimal) any {
	if d == nil {
		return nil
	}
	return d.StringFixed(moneyScale)
}
