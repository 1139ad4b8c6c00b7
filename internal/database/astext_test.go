package database

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/payplat/paygql/internal/pgtest"
)

// TestBinaryAsText reads numerics and UUIDs as PostgreSQL sends them in binary, the form the
// statement cache asks for, and checks that numericText and uuidText write the text
// PostgreSQL itself writes for the same values: edge cases, then a few thousand random
// numerics of every scale and magnitude.
func TestBinaryAsText(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	edges := []string{"0", "0.00", "-0.5", "1", "-1", "9999", "10000", "10000.0001", "9999.9999", "0.0001", "0.00001234",
		"-0.000000000000000000001", "1e30", "-123456789012345678901234567890.123456789", "149.90", "100000000", "0.10",
		"1.000000000000000000000000000001", "NaN", "Infinity", "-Infinity"}
	rows, err := conn.Query(ctx, `WITH v(x) AS (
		SELECT unnest($1::text[])::numeric
		UNION ALL
		SELECT round(((random() - 0.5) * 10 ^ (g % 40 - 12))::numeric, g % 17) FROM generate_series(1, 3000) g)
		SELECT x, x::text, u, u::text FROM v, LATERAL (SELECT gen_random_uuid() AS u, x AS y) l`,
		pgx.QueryResultFormats{pgx.BinaryFormatCode, pgx.TextFormatCode, pgx.BinaryFormatCode, pgx.TextFormatCode}, edges)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		raw := rows.RawValues()
		got, err := numericText(raw[0])
		if err != nil || got != string(raw[1]) {
			t.Errorf("numeric %s: numericText wrote %v, %v", raw[1], got, err)
		}
		if got, err := uuidText(raw[2]); err != nil || got != string(raw[3]) {
			t.Errorf("uuid %s: uuidText wrote %v, %v", raw[3], got, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(edges)+3000 {
		t.Fatalf("read %d values, want %d", n, len(edges)+3000)
	}
	if _, err := numericText([]byte{0, 2, 0, 0}); err == nil {
		t.Error("a truncated numeric was read")
	}
}
