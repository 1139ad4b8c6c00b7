package models

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/events"
)

// EventRecord is what a webhook needs to know of an event's record besides the event: its own
// key, as clients name it, and the codes that decide whose scope it lies in.
type EventRecord struct {
	// Key is the record's key as its query takes it, e.g. {"dealerCode": "D1", "uuid": "…"}.
	Key map[string]string
	// Scope: the order's dealer, the sub-dealer's main dealer, the gateway's customer, the
	// configuration's connector; empty where it does not apply.
	DealerCode, MainDealerCode, CustomerID, ConnectorID string
}

// eventRecordQueries reads the key and scope of a batch of records of one entity type.
var eventRecordQueries = map[string]string{
	EntityDevicePurchaseOrder:    `SELECT id::text AS id, dealer_code AS a, '' AS b FROM device_purchase_orders WHERE id::text IN (?)`,
	EntitySubDealer:              `SELECT id::text AS id, code AS a, main_dealer_code AS b FROM sub_dealers WHERE id::text IN (?)`,
	EntityCustomerPaymentGateway: `SELECT id::text AS id, customer_id::text AS a, '' AS b FROM customer_payment_gateways WHERE id::text IN (?)`,
	EntityConnectorConfiguration: `SELECT id::text AS id, connector_id::text AS a, '' AS b FROM connector_configurations WHERE id::text IN (?)`,
}

// EventRecords loads the records of evs with one statement per entity type, keyed by
// EventKey. An event of an unknown entity type, or whose record is gone, has none.
func EventRecords(ctx context.Context, db bun.IDB, evs []events.Event) (map[string]*EventRecord, error) {
	ids := map[string][]string{}
	for _, e := range evs {
		if _, ok := eventRecordQueries[e.EntityType]; ok && !slices.Contains(ids[e.EntityType], e.EntityID) {
			ids[e.EntityType] = append(ids[e.EntityType], e.EntityID)
		}
	}
	out := make(map[string]*EventRecord, len(evs))
	for entity, list := range ids {
		var rows []struct {
			ID string `bun:"id"`
			A  string `bun:"a"`
			B  string `bun:"b"`
		}
		if err := db.NewRaw(eventRecordQueries[entity], bun.List(list)).Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("load the records of %s events: %w", entity, err)
		}
		for _, r := range rows {
			rec := &EventRecord{}
			switch entity {
			case EntityDevicePurchaseOrder:
				rec.Key, rec.DealerCode = map[string]string{"dealerCode": r.A, "uuid": r.ID}, r.A
			case EntitySubDealer:
				rec.Key, rec.MainDealerCode = map[string]string{"code": r.A, "mainDealerCode": r.B}, r.B
			case EntityCustomerPaymentGateway:
				rec.Key, rec.CustomerID = map[string]string{"customerId": r.A, "id": r.ID}, r.A
			case EntityConnectorConfiguration:
				rec.Key, rec.ConnectorID = map[string]string{"id": r.ID}, r.A
			}
			out[EventKey(entity, r.ID)] = rec
		}
	}
	return out, nil
}

// EventKey names an event's record in the map EventRecords returns.
func EventKey(entityType, entityID string) string { return entityType + "/" + entityID }

// Hears reports whether endpoint w is to hear of a change of r, a record of entityType: w
// lists the type, r lies within the scope w was saved with (as the queries check it), and r
// passes w's filters.
func (w *WebhookEndpoint) Hears(entityType string, r *EventRecord) bool {
	if r == nil || !slices.ContainsFunc(w.EntityTypes, func(t WebhookEntityType) bool { return t.Entity() == entityType }) {
		return false
	}
	f := w.Filters
	switch entityType {
	case EntityDevicePurchaseOrder:
		return w.inDealerScope(r.DealerCode) && (f.DealerCode == nil || *f.DealerCode == r.DealerCode)
	case EntitySubDealer:
		return w.inDealerScope(r.MainDealerCode) && (f.MainDealerCode == nil || *f.MainDealerCode == r.MainDealerCode)
	case EntityCustomerPaymentGateway:
		return (w.ScopeAdmin || slices.Contains(w.ScopeCustomerIDs, r.CustomerID)) &&
			(f.CustomerID == nil || f.CustomerID.String() == r.CustomerID)
	case EntityConnectorConfiguration:
		return f.ConnectorID == nil || f.ConnectorID.String() == r.ConnectorID
	}
	return false
}

func (w *WebhookEndpoint) inDealerScope(code string) bool {
	return w.ScopeAdmin || code != "" && slices.Contains(w.ScopeDealerCodes, code)
}
