package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// SecretColumn is a column that holds values sealed by the secrets box.
type SecretColumn struct {
	Table, Column string
}

// SecretColumns are all columns that hold sealed secrets. A test compares them with the
// database's bytea columns, so a new secret column cannot be missed by RotateSecrets.
var SecretColumns = []SecretColumn{
	{"connector_configurations", "api_key"},
	{"connector_configurations", "secret_key"},
	{"connector_configurations", "password"},
	{"connector_configurations", "extra_credentials"},
	{"customer_payment_gateways", "merchant_key"},
	{"customer_payment_gateways", "merchant_pin"},
	{"webhook_endpoints", "secret"},
}

// RotationCount is what RotateSecrets did to one table.
type RotationCount struct {
	Table string
	// Rows is the number of rows with at least one secret.
	Rows int
	// Resealed counts the values sealed again with the current key; Current those that
	// already were.
	Resealed, Current int
}

// RotateSecrets seals every stored secret that is not sealed with the current key again with
// it, table by table in batches of batchSize rows, each batch in one transaction that locks
// its rows, so that it can run beside serving instances. Running it again re-seals nothing.
//
// Re-sealing changes no value, so versions, updatedAt and the audit log are left alone. A
// value no key of the box opens stops the rotation with an error naming its row (never its
// value); the batches before it stay committed.
func (s *Store) RotateSecrets(ctx context.Context, batchSize int) ([]RotationCount, error) {
	if batchSize < 1 {
		return nil, errors.New("batch size must be at least 1")
	}
	var out []RotationCount
	for _, table := range secretTables() {
		count := RotationCount{Table: table.name}
		after := uuid.Nil
		for {
			n, last, err := s.rotateBatch(ctx, table, after, batchSize, &count)
			if err != nil {
				return out, fmt.Errorf("%s: %w", table.name, err)
			}
			if n < batchSize {
				break
			}
			after = last
		}
		out = append(out, count)
	}
	return out, nil
}

type secretTable struct {
	name    string
	columns []string
}

func secretTables() []secretTable {
	var tables []secretTable
	for _, c := range SecretColumns {
		if n := len(tables); n > 0 && tables[n-1].name == c.Table {
			tables[n-1].columns = append(tables[n-1].columns, c.Column)
			continue
		}
		tables = append(tables, secretTable{name: c.Table, columns: []string{c.Column}})
	}
	return tables
}

// rotateBatch re-seals the secrets of up to size rows with ids after after, in one
// transaction. It returns how many rows it read and the last id.
func (s *Store) rotateBatch(ctx context.Context, t secretTable, after uuid.UUID, size int, count *RotationCount) (int, uuid.UUID, error) {
	var n int
	var last uuid.UUID
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		rows, err := s.lockSecretRows(ctx, tx, t, after, size)
		if err != nil {
			return err
		}
		n = len(rows)
		var changed []secretRow
		for _, r := range rows {
			last = r.id
			dirty := false
			for i, v := range r.values {
				switch {
				case v == nil:
				case s.Secrets.IsCurrent(v):
					count.Current++
				default:
					sealed, err := s.Secrets.Reseal(v)
					if err != nil {
						return fmt.Errorf("row %s, column %s: %w", r.id, t.columns[i], err)
					}
					r.values[i], dirty = sealed, true
					count.Resealed++
				}
			}
			if dirty {
				changed = append(changed, r)
			}
		}
		count.Rows += n
		return updateSecretRows(ctx, tx, t, changed)
	})
	return n, last, err
}

type secretRow struct {
	id     uuid.UUID
	values [][]byte
}

// lockSecretRows reads and locks the next rows that hold at least one secret.
func (s *Store) lockSecretRows(ctx context.Context, tx bun.Tx, t secretTable, after uuid.UUID, size int) ([]secretRow, error) {
	cols := make([]bun.Ident, len(t.columns))
	anySet := make([]string, len(t.columns))
	for i, c := range t.columns {
		cols[i] = bun.Ident(c)
		anySet[i] = "? IS NOT NULL"
	}
	args := []any{bun.In(cols), bun.Ident(t.name), after}
	for _, c := range cols {
		args = append(args, c)
	}
	args = append(args, size)
	rows, err := tx.QueryContext(ctx, "SELECT id, ? FROM ? WHERE id > ? AND ("+strings.Join(anySet, " OR ")+") ORDER BY id LIMIT ? FOR UPDATE", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []secretRow
	for rows.Next() {
		r := secretRow{values: make([][]byte, len(t.columns))}
		dest := []any{&r.id}
		for i := range r.values {
			dest = append(dest, &r.values[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// updateSecretRows writes the re-sealed values of rows with one statement; a column a row
// did not change is written back as it was.
func updateSecretRows(ctx context.Context, tx bun.Tx, t secretTable, rows []secretRow) error {
	if len(rows) == 0 {
		return nil
	}
	var sets, values []string
	var args []any
	args = append(args, bun.Ident(t.name))
	for _, c := range t.columns {
		sets = append(sets, "? = v.?")
		args = append(args, bun.Ident(c), bun.Ident(c))
	}
	for _, r := range rows {
		ph := []string{"?::uuid"}
		args = append(args, r.id)
		for _, v := range r.values {
			ph = append(ph, "?::bytea")
			args = append(args, v)
		}
		values = append(values, "("+strings.Join(ph, ", ")+")")
	}
	names := []bun.Ident{"id"}
	for _, c := range t.columns {
		names = append(names, bun.Ident(c))
	}
	args = append(args, bun.In(names))
	query := "UPDATE ? AS t SET " + strings.Join(sets, ", ") + " FROM (VALUES " + strings.Join(values, ", ") + ") AS v(?) WHERE t.id = v.id"
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}
