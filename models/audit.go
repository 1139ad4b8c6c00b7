package models

import (
	"context"
	"fmt"
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
}

// writeAudit adds the audit row of a committed change inside tx.
func writeAudit(ctx context.Context, tx bun.IDB, entityType, entityID, actor, action string, version int, at time.Time, p *patch) error {
	changes := make(JSONObject, len(p.changes))
	for k, v := range p.changes {
		changes[k] = v
	}
	e := &AuditEntry{
		EntityType: entityType, EntityID: entityID, At: at, Actor: actor,
		Action: action, Version: version, Changes: changes,
	}
	if _, err := tx.NewInsert().Model(e).ExcludeColumn("id").Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("write audit: %w", err)
	}
	return nil
}

// writeUpdate writes the changed columns of a record whose version and updated_at the caller
// has just bumped, and the audit row of the change: the tail of every update.
func writeUpdate(ctx context.Context, tx bun.IDB, record any, p *patch, entityType, entityID, actor string, version int, at time.Time) error {
	if _, err := tx.NewUpdate().Model(record).Column(append(p.columns, "version", "updated_at")...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update %s: %w", entityType, err)
	}
	return writeAudit(ctx, tx, entityType, entityID, actor, actionUpdate, version, at, p)
}

// History returns a record's latest committed changes, newest first.
func (s *Store) History(ctx context.Context, entityType, entityID string, first *int) ([]*AuditEntry, error) {
	size, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	var out []*AuditEntry
	err = s.DB.NewSelect().Model(&out).
		Where("entity_type = ? AND entity_id = ?", entityType, entityID).
		OrderExpr("version DESC, id DESC").Limit(int64(size)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return out, nil
}
