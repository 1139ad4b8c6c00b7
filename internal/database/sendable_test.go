package database

import (
	"database/sql/driver"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// TestSendable checks that a UUID, or a list of them, reaches pgx as a value it encodes
// directly in every mode: as bytes where the mode describes the statement (not as a
// driver.Valuer, whose text pgx fails to encode into a uuid parameter before parsing it
// back), as text where the parameter's type is unknown. A decimal likewise goes as a numeric.
func TestSendable(t *testing.T) {
	amount := decimal.RequireFromString("-1234567.50")
	ids := []uuid.UUID{uuid.New(), uuid.New()}
	m := pgtype.NewMap()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		c := &connector{hot: mode}
		one, list := c.sendable(ids[0]), c.sendable(ids)
		dec, decPtr := c.sendable(amount), c.sendable(&amount)
		if mode == pgx.QueryExecModeExec || mode == pgx.QueryExecModeSimpleProtocol {
			for _, v := range []struct {
				value any
				want  string
			}{{one, ids[0].String()}, {list, "{" + ids[0].String() + "," + ids[1].String() + "}"},
				{dec, amount.String()}, {decPtr, amount.String()}} {
				buf, err := m.Encode(0, pgtype.TextFormatCode, v.value, nil)
				if err != nil || string(buf) != v.want {
					t.Errorf("%v: %T encodes as text to %q, %v; want %q", mode, v.value, buf, err, v.want)
				}
			}
			continue
		}
		for _, v := range []any{one, list} {
			if _, ok := v.(driver.Valuer); ok {
				t.Errorf("%v: sends a %T, a driver.Valuer", mode, v)
			}
		}
		for _, v := range []any{dec, decPtr} {
			if _, ok := v.(pgtype.Numeric); !ok {
				t.Errorf("%v: sends a decimal as a %T, not a pgtype.Numeric", mode, v)
				continue
			}
			buf, err := m.Encode(pgtype.NumericOID, pgtype.BinaryFormatCode, v, nil)
			var got pgtype.Numeric
			if err == nil {
				err = m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, buf, &got)
			}
			if err != nil || !got.Valid || !decimal.NewFromBigInt(got.Int, got.Exp).Equal(amount) {
				t.Errorf("%v: a decimal comes back as %v, %v; want %s", mode, got, err, amount)
			}
		}
		buf, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, one, nil)
		var got [16]byte
		if err == nil {
			err = m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, buf, &got)
		}
		if err != nil || got != ids[0] {
			t.Errorf("%v: a UUID comes back as %x, %v; want %s", mode, got, err, ids[0])
		}
		buf, err = m.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, list, nil)
		var gotList [][16]byte
		if err == nil {
			err = m.Scan(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, buf, &gotList)
		}
		if err != nil || !slices.Equal(gotList, [][16]byte{ids[0], ids[1]}) {
			t.Errorf("%v: a list of UUIDs comes back as %x, %v; want %s", mode, gotList, err, ids)
		}
	}
}
