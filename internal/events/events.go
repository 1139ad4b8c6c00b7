// Package events reads the change feed: the audit log's rows, in the order in which they become
// final, from a cursor that misses nothing (see migrations/20261205120001_change_events).
//
// Read pages through the feed from a cursor; a Feed, one per instance, follows the feed as
// changes commit (woken by PostgreSQL's LISTEN/NOTIFY, polling as a safety net) and hands each
// event to its subscriptions, each of which catches up from the database on its own when it
// falls behind, so that a slow consumer holds no more than a bounded inbox.
package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Cursor is a position in the feed: the transaction id and audit row id of an event. The zero
// Cursor is before the first event.
type Cursor struct {
	Tx uint64
	ID int64
}

// String is the cursor as clients keep it: "tx.id".
func (c Cursor) String() string {
	return strconv.FormatUint(c.Tx, 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads a cursor written by String.
func ParseCursor(s string) (Cursor, error) {
	tx, id, ok := strings.Cut(s, ".")
	if ok {
		t, err1 := strconv.ParseUint(tx, 10, 64)
		i, err2 := strconv.ParseInt(id, 10, 64)
		if err1 == nil && err2 == nil && i >= 0 {
			return Cursor{Tx: t, ID: i}, nil
		}
	}
	return Cursor{}, fmt.Errorf("%q is not an event cursor (a cursor looks like \"812.4411\")", s)
}

// After tells whether c comes after d in the feed.
func (c Cursor) After(d Cursor) bool {
	return c.Tx > d.Tx || c.Tx == d.Tx && c.ID > d.ID
}

// Event is one committed change of a record: its audit row.
type Event struct {
	Cursor     Cursor
	EntityType string // the record type, e.g. "DevicePurchaseOrder"
	EntityID   string // the record's stable id
	Version    int    // the record's version after the change
	Action     string // "create" or "update"
	Actor      string // the subject of the token that made the change
	At         time.Time
	// Changes maps each changed field path to {"from", "to"}, secrets redacted (as in history).
	Changes json.RawMessage
}

// row is how an event is read.
type row struct {
	Tx         string          `bun:"tx_text"`
	ID         int64           `bun:"id"`
	EntityType string          `bun:"entity_type"`
	EntityID   string          `bun:"entity_id"`
	Version    int             `bun:"version"`
	Action     string          `bun:"action"`
	Actor      string          `bun:"actor"`
	At         time.Time       `bun:"at"`
	Changes    json.RawMessage `bun:"changes,type:jsonb"`
}

// Read returns up to limit final events after the cursor, in feed order.
func Read(ctx context.Context, db bun.IDB, after Cursor, limit int) ([]Event, error) {
	var rows []row
	err := db.NewRaw(`SELECT tx::text AS tx_text, id, entity_type, entity_id, version, action, actor, at, changes
		FROM audit_log
		WHERE (tx, id) > (?::text::xid8, ?) AND tx < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY audit_log.tx, id LIMIT ?`, strconv.FormatUint(after.Tx, 10), after.ID, limit).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		tx, err := strconv.ParseUint(r.Tx, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read events: transaction id %q: %w", r.Tx, err)
		}
		out[i] = Event{
			Cursor: Cursor{Tx: tx, ID: r.ID}, EntityType: r.EntityType, EntityID: r.EntityID,
			Version: r.Version, Action: r.Action, Actor: r.Actor, At: r.At, Changes: r.Changes,
		}
	}
	return out, nil
}

// Head returns the cursor of the last final event, or the zero Cursor when there is none: a
// reader that starts there hears of every change that becomes final afterwards.
func Head(ctx context.Context, db bun.IDB) (Cursor, error) {
	var tx string
	var id int64
	err := db.NewRaw(`SELECT tx::text, id FROM audit_log WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY audit_log.tx DESC, audit_log.id DESC LIMIT 1`).Scan(ctx, &tx, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Cursor{}, nil
	case err != nil:
		return Cursor{}, fmt.Errorf("read the feed's head: %w", err)
	}
	t, err := strconv.ParseUint(tx, 10, 64)
	if err != nil {
		return Cursor{}, fmt.Errorf("read the feed's head: transaction id %q: %w", tx, err)
	}
	return Cursor{Tx: t, ID: id}, nil
}
