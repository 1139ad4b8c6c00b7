package models

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"github.com/payplat/paygql/internal/database"
)

// updateTexts holds the text of each update-and-audit statement by table and columns: one
// text per shape, so that pgx's statement cache prepares each shape once per connection.
var updateTexts sync.Map // string → string

// updateWithAudit writes the changed columns of r (which already holds its new version and
// updatedAt) and adds its audit row, in one statement and one round trip: the UPDATE is a
// data-modifying WITH query, which PostgreSQL runs to completion whether or not the INSERT
// reads it. Both are hot statements (database.Params), with every value bound.
func updateWithAudit(ctx context.Context, db bun.IDB, entity string, r record, columns []string, actor string, p *patch) error {
	rec := r.record()
	columns = append(columns[:len(columns):len(columns)], "version", "updated_at")
	v := reflect.ValueOf(r)
	table := db.Dialect().Tables().Get(v.Type())
	if len(table.PKs) != 1 {
		return fmt.Errorf("update %s: want one primary key column, not %d", entity, len(table.PKs))
	}
	strct := v.Elem()
	args := make([]any, 0, len(columns)+8)
	fields := make([]*schema.Field, len(columns))
	for i, c := range columns {
		f, ok := table.FieldMap[c]
		if !ok {
			return fmt.Errorf("update %s: no column %s", entity, c)
		}
		fields[i] = f
		args = append(args, f.Value(strct).Interface())
	}
	changes, err := auditChanges(p)
	if err != nil {
		return fmt.Errorf("update %s: audit: %w", entity, err)
	}
	pk := table.PKs[0]
	args = append(args, pk.Value(strct).Interface(),
		entity, rec.ID.String(), rec.Version, actionUpdate, actor, rec.UpdatedAt, changes)
	var params database.Params
	_, err = params.Exec(ctx, db, updateText(table, pk, fields), params.Args(args...)...)
	if err != nil {
		return fmt.Errorf("update %s: %w", entity, err)
	}
	return nil
}

// updateText returns the statement that sets fields of the row with key pk and adds an audit
// row: WITH u AS (UPDATE t SET a = ?, b = ? WHERE id = ?) INSERT INTO audit_log … , each ?
// a bound value.
func updateText(table *schema.Table, pk *schema.Field, fields []*schema.Field) string {
	var key strings.Builder
	key.WriteString(table.Name)
	for _, f := range fields {
		key.WriteByte(',')
		key.WriteString(f.Name)
	}
	if s, ok := updateTexts.Load(key.String()); ok {
		return s.(string)
	}
	var b strings.Builder
	b.WriteString("WITH updated AS (UPDATE ")
	b.WriteString(string(table.SQLName))
	b.WriteString(" SET ")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(f.SQLName))
		b.WriteString(" = ")
		b.WriteString("?")
	}
	b.WriteString(" WHERE ")
	b.WriteString(string(pk.SQLName))
	b.WriteString(" = ")
	b.WriteString("?")
	b.WriteString(") INSERT INTO audit_log (entity_type, entity_id, version, action, actor, at, changes) VALUES (")
	for i := range 7 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
	}
	b.WriteString(")")
	s := b.String()
	updateTexts.Store(key.String(), s)
	return s
}
