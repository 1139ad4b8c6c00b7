package models

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// WebhookDeliveryStatus is where a delivery stands.
type WebhookDeliveryStatus string

// The values of WebhookDeliveryStatus.
const (
	DeliveryPending   WebhookDeliveryStatus = "PENDING"
	DeliveryDelivered WebhookDeliveryStatus = "DELIVERED"
)

// UnmarshalGQL reads a WebhookDeliveryStatus from GraphQL.
func (s *WebhookDeliveryStatus) UnmarshalGQL(v any) error {
	str, _ := v.(string)
	switch WebhookDeliveryStatus(str) {
	case DeliveryPending, DeliveryDelivered:
		*s = WebhookDeliveryStatus(str)
		return nil
	}
	return inputErrorf("%v is not a WebhookDeliveryStatus", v)
}

// MarshalGQL writes s to GraphQL.
func (s WebhookDeliveryStatus) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(s)))
}

// WebhookDelivery is one event's delivery to one endpoint: an entry of its delivery log.
type WebhookDelivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries,alias:wd"`

	Seq            int64      `bun:"id"`
	EndpointID     string     `bun:"endpoint_id"`
	WebhookID      string     `bun:"webhook_id"`
	EventType      string     `bun:"event_type"`
	EntityType     string     `bun:"entity_type"`
	EntityID       string     `bun:"entity_id"`
	Version        int        `bun:"version"`
	Attempts       int        `bun:"attempts"`
	LastStatusCode *int       `bun:"last_status"`
	LastError      *string    `bun:"last_error"`
	LastResponse   *string    `bun:"last_response"`
	LastDurationMs *int       `bun:"last_duration_ms"`
	CreatedAt      time.Time  `bun:"created_at"`
	LastAttemptAt  *time.Time `bun:"last_attempt_at"`
	NextAttempt    time.Time  `bun:"next_attempt_at"`
	DeliveredAt    *time.Time `bun:"delivered_at"`
}

// ID is the log entry's id.
func (d *WebhookDelivery) ID() string { return strconv.FormatInt(d.Seq, 10) }

// Status tells whether d was delivered.
func (d *WebhookDelivery) Status() WebhookDeliveryStatus {
	if d.DeliveredAt != nil {
		return DeliveryDelivered
	}
	return DeliveryPending
}

// NextAttemptAt is when d is next due; nil once delivered.
func (d *WebhookDelivery) NextAttemptAt() *time.Time {
	if d.DeliveredAt != nil {
		return nil
	}
	return &d.NextAttempt
}

// WebhookDeliveryEdge is a delivery and its cursor.
type WebhookDeliveryEdge struct {
	Cursor string
	Node   *WebhookDelivery
}

// WebhookDeliveryConnection is a page of an endpoint's delivery log.
type WebhookDeliveryConnection struct {
	Edges    []*WebhookDeliveryEdge
	Nodes    []*WebhookDelivery
	PageInfo *PageInfo
}

// deliveryCursor is the cursor of the delivery with the given id.
func deliveryCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("delivery:" + id))
}

// WebhookDeliveries returns a page of w's delivery log, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, w *WebhookEndpoint, first *int, after *string) (*WebhookDeliveryConnection, error) {
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	var rows []*WebhookDelivery
	q := s.DB.NewSelect().Model(&rows).
		Where("endpoint_id = ?", w.ID).OrderExpr("wd.id DESC").Limit(int64(limit + 1))
	if after != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*after)
		id, ok := strings.CutPrefix(string(raw), "delivery:")
		n, perr := strconv.ParseInt(id, 10, 64)
		if err != nil || !ok || perr != nil {
			return nil, fmt.Errorf("%w: after %q is not a cursor of this list", ErrBadPage, *after)
		}
		q = q.Where("wd.id < ?", n)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("read the delivery log: %w", err)
	}
	out := &WebhookDeliveryConnection{Edges: []*WebhookDeliveryEdge{}, Nodes: []*WebhookDelivery{},
		PageInfo: &PageInfo{HasPreviousPage: after != nil}}
	if len(rows) > limit {
		rows, out.PageInfo.HasNextPage = rows[:limit], true
	}
	for _, d := range rows {
		c := deliveryCursor(d.ID())
		out.Edges = append(out.Edges, &WebhookDeliveryEdge{Cursor: c, Node: d})
		out.Nodes = append(out.Nodes, d)
	}
	if n := len(out.Edges); n > 0 {
		out.PageInfo.StartCursor, out.PageInfo.EndCursor = &out.Edges[0].Cursor, &out.Edges[n-1].Cursor
	}
	return out, nil
}
