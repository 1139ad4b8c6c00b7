package models

import (
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// TestAuditChangesAsMarshalled checks that an audit row's changes, written by auditChanges,
// are byte for byte what json.Marshal writes of the patch's changes: a list's move (the JSON
// the list wrote of itself), an upsert's touched items, and values json.Marshal escapes.
func TestAuditChangesAsMarshalled(t *testing.T) {
	parent := uuid.New()
	p := newPatch()
	stored := []*PaymentGatewayPaymentType{{PaymentType: "<card> & \"quote\" \u2028"}}
	stored[0].ID, stored[0].PaymentGatewayID = uuid.New(), parent
	moved, added := "wire\ttransfer", "é <b>"
	sent := []*PaymentGatewayPaymentTypeInput{
		{listItemInput: listItemInput{ID: graphql.OmittableOf(&stored[0].ID)}, PaymentType: graphql.OmittableOf(&moved)},
		{PaymentType: graphql.OmittableOf(&added)},
	}
	if w := paymentTypeList.replace(p, parent, graphql.OmittableOf(sent), &stored); w == nil || !p.changed() {
		t.Fatal("the list did not change")
	}
	p.record("name", "name", "old <name>", "new & improved")
	p.record("priority", "priority", 1, nil)
	p.record("fee", "fee", decimal.RequireFromString("1.50"), &[]decimal.Decimal{decimal.RequireFromString("2.25")}[0])
	p.record("touched", "", []json.RawMessage{json.RawMessage(`{"a":"<x>"}`)}, []string{"y"})
	p.record("props", "", JSONObject{"z": json.Number("1e3"), "a": []any{true, nil}}, JSONObject{})
	p.record("empty", "", json.RawMessage(nil), json.RawMessage(`[]`))

	want, err := json.Marshal(p.changes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := auditChanges(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("auditChanges:\n%s\njson.Marshal:\n%s", got, want)
	}
}
