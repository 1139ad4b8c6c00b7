package webhooks

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/payplat/paygql/internal/events"
)

// Payload is the JSON body of a webhook: Standard Webhooks' {type, timestamp, data}.
type Payload struct {
	// Type is the event type: the entity in camelCase and what happened, e.g.
	// "devicePurchaseOrder.updated".
	Type string `json:"type"`
	// Timestamp is when the change was committed (RFC 3339, UTC).
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is what a webhook tells of one change.
type Data struct {
	EntityType string            `json:"entityType"`
	ID         string            `json:"id"`  // the record's stable id
	Key        map[string]string `json:"key"` // its own key, as its query takes it
	Version    int               `json:"version"`
	Action     string            `json:"action"` // "create" or "update"
	// ChangedFields are the paths of the fields the change moved; their values are not sent
	// (read the record, or its history, with your token).
	ChangedFields []string `json:"changedFields"`
	// Cursor is the event's place in the change feed, the same a subscription resumes from.
	Cursor string `json:"cursor"`
}

// EventType is an event's type, e.g. "devicePurchaseOrder.updated".
func EventType(e events.Event) string {
	entity := e.EntityType
	if entity != "" {
		entity = strings.ToLower(entity[:1]) + entity[1:]
	}
	return entity + "." + e.Action + "d"
}

// WebhookID is an event's stable id, the webhook-id of each of its deliveries: the same on
// every retry and for every endpoint, so that a receiver can drop a repeat.
func WebhookID(e events.Event) string { return "evt_" + strconv.FormatInt(e.Cursor.ID, 10) }

// body returns the JSON body of event e about a record whose key is key.
func body(e events.Event, key map[string]string) ([]byte, error) {
	var changes map[string]json.RawMessage
	if len(e.Changes) > 0 {
		if err := json.Unmarshal(e.Changes, &changes); err != nil {
			return nil, err
		}
	}
	fields := slices.Sorted(maps.Keys(changes))
	if fields == nil {
		fields = []string{}
	}
	return json.Marshal(Payload{
		Type: EventType(e), Timestamp: e.At.UTC(),
		Data: Data{
			EntityType: e.EntityType, ID: e.EntityID, Key: key, Version: e.Version, Action: e.Action,
			ChangedFields: fields, Cursor: e.Cursor.String(),
		},
	})
}
