package models

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// Audit actions.
const (
	actionCreate = "create"
	actionUpdate = "update"
)

// AuditEntry is one committed change of a record.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID         int64      `bun:"id,pk,autoincrement"`
	EntityType string     `bun:"entity_type"`
	EntityID   string     `bun:"entity_id"`
	At         time.Time  `bun:"at"`
	Actor      string     `bun:"actor"`
	Action     string     `bun:"action"`
	Version    int        `bun:"version"`
	Changes    JSONObject `bun:"changes,type:jsonb"`
	// Rank orders a record's entries, newest first, when they are read in a batch.
	Rank int `bun:"rank,scanonly"`
}

// writeAudit adds the audit row of a committed change inside tx.
func writeAudit(ctx context.Context, tx bun.IDB, entityType, entityID, actor, action string, version int, at time.Time, p *patch) error {
	changes, err := auditChanges(p)
	if err != nil {
		return fmt.Errorf("write audit: %w", err)
	}
	e := &AuditEntry{EntityType: entityType, EntityID: entityID, At: at, Actor: actor, Action: action, Version: version}
	if _, err := tx.NewInsert().Model(e).ExcludeColumn("id").Value("changes", "?", changes).Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("write audit: %w", err)
	}
	return nil
}

// auditChanges is the changes column of p's audit row, {"field":{"from":…,"to":…},…}, as JSON
// text: what json.Marshal writes of p.changes, but with the JSON the lists wrote of themselves
// (json.RawMessage, from json.Marshal) copied as it is, where json.Marshal would scan and
// compact it again (2–4% of a gateway update's CPU).
func auditChanges(p *patch) (string, error) {
	var b bytes.Buffer
	size := 2
	for field, c := range p.changes {
		from, _ := c.From.(json.RawMessage)
		to, _ := c.To.(json.RawMessage)
		size += len(field) + len(from) + len(to) + 48 // a scalar's value fits in its share
	}
	b.Grow(size)
	b.WriteByte('{')
	for i, field := range slices.Sorted(maps.Keys(p.changes)) {
		if i > 0 {
			b.WriteByte(',')
		}
		c := p.changes[field]
		appendJSONString(&b, field)
		b.WriteString(`:{"from":`)
		if err := appendAuditValue(&b, c.From); err != nil {
			return "", err
		}
		b.WriteString(`,"to":`)
		if err := appendAuditValue(&b, c.To); err != nil {
			return "", err
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// appendAuditValue writes v as JSON: a json.RawMessage as it is, anything else with
// json.Marshal.
func appendAuditValue(b *bytes.Buffer, v any) error {
	if raw, ok := v.(json.RawMessage); ok && len(raw) > 0 {
		b.Write(raw)
		return nil
	}
	out, err := json.Marshal(v)
	b.Write(out)
	return err
}

// History returns the latest committed changes of each record, newest first, with one query
// for all of them: first entries each (20 when nil, at most 100).
func History[R record](ctx context.Context, db bun.IDB, entity string, records []R, first *int) ([][]*AuditEntry, error) {
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	return byPage(records, fmt.Sprint("history:", limit), func(records []R) ([][]*AuditEntry, error) {
		return history(ctx, db, entity, records, limit)
	})
}

// history reads the newest limit entries of each record's history with one statement.
func history[R record](ctx context.Context, db bun.IDB, entity string, records []R, limit int) ([][]*AuditEntry, error) {
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.record().ID.String()
	}
	var rows []*AuditEntry
	ranked := db.NewSelect().Model((*AuditEntry)(nil)).ColumnExpr("*").
		ColumnExpr("row_number() OVER (PARTITION BY entity_id ORDER BY version DESC, id DESC) AS rank").
		Where("entity_type = ? AND entity_id IN (?)", entity, bun.List(ids))
	err := db.NewSelect().Model(&rows).ModelTableExpr("(?) AS audit_entry", ranked).
		Where("rank <= ?", limit).Order("entity_id", "rank").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	byID := make(map[string][]*AuditEntry, len(records))
	for _, e := range rows {
		byID[e.EntityID] = append(byID[e.EntityID], e)
	}
	out := make([][]*AuditEntry, len(records))
	for i, id := range ids {
		out[i] = byID[id]
		if out[i] == nil {
			out[i] = []*AuditEntry{}
		}
	}
	return out, nil
}
