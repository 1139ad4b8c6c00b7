package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/events"
	"github.com/payplat/paygql/models"
)

// dispatchBatch is how many events one dispatch transaction reads.
const dispatchBatch = 500

// delivery is one row of webhook_deliveries.
type delivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries"`

	EndpointID string `bun:"endpoint_id"`
	EventID    int64  `bun:"event_id"`
	EventTx    string `bun:"event_tx"`
	WebhookID  string `bun:"webhook_id"`
	EventType  string `bun:"event_type"`
	EntityType string `bun:"entity_type"`
	EntityID   string `bun:"entity_id"`
	Version    int    `bun:"version"`
	Payload    string `bun:"payload"`
}

// dispatchEndpoint is an enabled endpoint as the dispatcher reads it.
type dispatchEndpoint struct {
	models.WebhookEndpoint `bun:",extend"`
	AfterTx                string `bun:"after_tx_text"`
}

// ensureCursor writes the dispatch cursor unless it exists: at the newest final event, or
// before the oldest endpoint's creation when that is earlier, so that no endpoint misses an
// event of its own time and history from before webhooks ran is not dispatched.
func (s *Service) ensureCursor(ctx context.Context) error {
	_, err := s.db.NewRaw(`INSERT INTO webhook_dispatch (id, tx, audit_id)
		SELECT 1, tx, id FROM (
			(SELECT coalesce(head.tx, '0'::xid8) AS tx, coalesce(head.id, 0) AS id
			 FROM (SELECT 1) AS one LEFT JOIN LATERAL (
				SELECT tx, id FROM audit_log WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
				ORDER BY tx DESC, id DESC LIMIT 1) AS head ON true)
			UNION ALL
			(SELECT after_tx, 0 FROM webhook_endpoints ORDER BY after_tx LIMIT 1)
		) AS start ORDER BY tx, id LIMIT 1
		ON CONFLICT (id) DO NOTHING`).Exec(ctx)
	if err != nil {
		return fmt.Errorf("write the dispatch cursor: %w", err)
	}
	return nil
}

// dispatch turns the events after the dispatch cursor into deliveries and moves the cursor, in
// one transaction, unless another instance is doing it; it returns how many events it read.
func (s *Service) dispatch(ctx context.Context) (int, error) {
	n := 0
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var curTx string
		var curID int64
		err := tx.NewRaw(`SELECT tx::text, audit_id FROM webhook_dispatch WHERE id = 1 FOR UPDATE SKIP LOCKED`).Scan(ctx, &curTx, &curID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // another instance holds the cursor
		}
		if err != nil {
			return fmt.Errorf("lock the dispatch cursor: %w", err)
		}
		t, err := strconv.ParseUint(curTx, 10, 64)
		if err != nil {
			return fmt.Errorf("dispatch cursor %q: %w", curTx, err)
		}
		evs, err := events.Read(ctx, tx, events.Cursor{Tx: t, ID: curID}, dispatchBatch)
		if err != nil || len(evs) == 0 {
			return err
		}
		n = len(evs)
		rows, err := s.deliveries(ctx, tx, evs)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (endpoint_id, event_id) DO NOTHING").Returning("NULL").Exec(ctx); err != nil {
				return fmt.Errorf("write deliveries: %w", err)
			}
		}
		last := evs[len(evs)-1].Cursor
		_, err = tx.NewRaw(`UPDATE webhook_dispatch SET tx = ?::text::xid8, audit_id = ? WHERE id = 1`,
			strconv.FormatUint(last.Tx, 10), last.ID).Exec(ctx)
		return err
	})
	return n, err
}

// deliveries returns a delivery for every event of evs and every enabled endpoint that hears
// of it.
func (s *Service) deliveries(ctx context.Context, tx bun.IDB, evs []events.Event) ([]delivery, error) {
	var eps []dispatchEndpoint
	if err := tx.NewSelect().Model(&eps).ColumnExpr("we.id, we.entity_types, we.filters, we.scope_admin, we.scope_customer_ids, we.scope_dealer_codes").
		ColumnExpr("we.after_tx::text AS after_tx_text").
		Where("disabled_at IS NULL").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read webhook endpoints: %w", err)
	}
	s.noEndpoints.Store(len(eps) == 0)
	if len(eps) == 0 {
		return nil, nil
	}
	after := make([]uint64, len(eps))
	for i, ep := range eps {
		v, err := strconv.ParseUint(ep.AfterTx, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("webhook endpoint %s: after_tx %q: %w", ep.ID, ep.AfterTx, err)
		}
		after[i] = v
	}
	recs, err := models.EventRecords(ctx, tx, evs)
	if err != nil {
		return nil, err
	}
	var out []delivery
	for _, e := range evs {
		rec := recs[models.EventKey(e.EntityType, e.EntityID)]
		var payload []byte
		for i := range eps {
			if e.Cursor.Tx <= after[i] || !eps[i].Hears(e.EntityType, rec) {
				continue
			}
			if payload == nil {
				if payload, err = body(e, rec.Key); err != nil {
					return nil, fmt.Errorf("event %s: %w", e.Cursor, err)
				}
			}
			out = append(out, delivery{
				EndpointID: eps[i].ID.String(), EventID: e.Cursor.ID, EventTx: strconv.FormatUint(e.Cursor.Tx, 10),
				WebhookID: WebhookID(e), EventType: EventType(e), EntityType: e.EntityType, EntityID: e.EntityID,
				Version: e.Version, Payload: string(payload),
			})
		}
	}
	return out, nil
}
