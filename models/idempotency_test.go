package models

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
)

func TestRequestHash(t *testing.T) {
	hash := func(in CreateConnectorConfigurationInput) string {
		t.Helper()
		b, err := requestHash("createConnectorConfiguration", map[string]any{"input": in.MutationInput, "fields": &in.ConnectorConfigurationFields})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	base := func() CreateConnectorConfigurationInput {
		var in CreateConnectorConfigurationInput
		in.Name = omit(ptr("main"))
		in.IdempotencyKey = omit(ptr("k"))
		in.ExtraPropertiesDict = omit(JSONObject{"b": json.Number("1"), "a": []any{"x"}})
		return in
	}
	same := []struct {
		name   string
		change func(in *CreateConnectorConfigurationInput)
	}{
		{"unchanged", func(*CreateConnectorConfigurationInput) {}},
		{"dry run false", func(in *CreateConnectorConfigurationInput) { in.DryRun = omit(ptr(false)) }},
		{"another key", func(in *CreateConnectorConfigurationInput) { in.IdempotencyKey = omit(ptr("k2")) }},
		{"keys in another order", func(in *CreateConnectorConfigurationInput) {
			in.ExtraPropertiesDict = omit(JSONObject{"a": []any{"x"}, "b": json.Number("1")})
		}},
	}
	for _, tt := range same {
		in := base()
		tt.change(&in)
		if hash(in) != hash(base()) {
			t.Errorf("%s: the hash changed", tt.name)
		}
	}
	differ := []struct {
		name   string
		change func(in *CreateConnectorConfigurationInput)
	}{
		{"a value", func(in *CreateConnectorConfigurationInput) { in.Name = omit(ptr("other")) }},
		{"null, not left out", func(in *CreateConnectorConfigurationInput) { in.BankCode = omit[*string](nil) }},
		{"left out, not a value", func(in *CreateConnectorConfigurationInput) { in.Name = graphql.Omittable[*string]{} }},
		{"clientMutationId", func(in *CreateConnectorConfigurationInput) { in.ClientMutationID = omit(ptr("c")) }},
		{"a number's text", func(in *CreateConnectorConfigurationInput) {
			in.ExtraPropertiesDict = omit(JSONObject{"b": json.Number("1.0"), "a": []any{"x"}})
		}},
	}
	for _, tt := range differ {
		in := base()
		tt.change(&in)
		if hash(in) == hash(base()) {
			t.Errorf("%s: the hash did not change", tt.name)
		}
	}
	d1, d2 := money("149.9"), money("149.90")
	a, _ := requestHash("op", map[string]any{"amount": omit(d1)})
	b, _ := requestHash("op", map[string]any{"amount": omit(d2)})
	c, _ := requestHash("op", map[string]any{"amount": omit(money("149.91"))})
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Errorf("decimals: 149.9 and 149.90 must hash alike, 149.91 not")
	}
}

// TestStoredRecordRoundTrip stores every kind of record as a kept result and reads it back:
// what its JSON leaves out (parent ids, positions, line totals) is restored.
func TestStoredRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 23, 16, 15, 0, 123000, time.UTC)
	rec := func() Record { return Record{ID: uuid.New(), Version: 3, CreatedAt: at, UpdatedAt: at.Add(time.Hour)} }
	g := &CustomerPaymentGateway{Record: rec(), CustomerID: uuid.New(), MerchantKey: []byte{1, 2, 3}, DisplayName: "G",
		MaxPaymentAmount: money("10.50")}
	g.Lists.BillTypes = []*PaymentGatewayBillType{{BillTypeID: 7}}
	g.Lists.ConvenienceFees = []*ConvenienceFee{{PaymentType: "CARD", MinRange: money("0.00")}, {PaymentType: "CARD"}}
	g.Lists.Applications = []*PaymentGatewayApplication{}
	g.Lists.PaymentTypes = []*PaymentGatewayPaymentType{{PaymentType: "CARD"}}
	d := &SubDealer{Record: rec(), Code: "C", UsablePaymentSetDefinitionIDs: []uuid.UUID{uuid.New()}, CustomerRepresentativeIDs: []uuid.UUID{},
		Users: []*SubDealerUser{{Code: "u", Roles: []uuid.UUID{}, RuleNames: []string{"r"}, UserType: ptr(2)}}}
	o := validOrder()
	o.Record = rec()
	o.derive(newPatch())
	c := &ConnectorConfiguration{Record: rec(), Connector: &Connector{ID: uuid.New(), Code: "X", Name: "Bank"}, Name: ptr("n"),
		Mode: ModeTest, ExtraPropertiesDict: JSONObject{"big": json.Number("12345678901234567890"), "f": json.Number("0.10")}}
	c.ConnectorID = c.Connector.ID
	for _, l := range [][]listItem{
		{g.Lists.BillTypes[0], g.Lists.ConvenienceFees[0], g.Lists.ConvenienceFees[1], g.Lists.PaymentTypes[0]},
		{d.Users[0]}, {o.Items[0], o.Items[1]},
	} {
		for _, it := range l {
			it.item().ID = uuid.New()
		}
	}
	restoreItems(&g.Record, g.Lists.BillTypes)
	restoreItems(&g.Record, g.Lists.ConvenienceFees)
	restoreItems(&g.Record, g.Lists.PaymentTypes)
	restoreItems(&d.Record, d.Users)
	restoreItems(&o.Record, o.Items)

	check := func(name string, want any, decode func([]byte) (any, error)) {
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read back as\n%+v\nwant\n%+v", name, got, want)
		}
	}
	check("gateway", g, func(b []byte) (any, error) {
		r, err := customerPaymentGateways.decode(b)
		return r, err
	})
	check("sub-dealer", d, func(b []byte) (any, error) {
		r, err := subDealers.decode(b)
		return r, err
	})
	check("order", o, func(b []byte) (any, error) {
		r, err := devicePurchaseOrders.decode(b)
		return r, err
	})
	check("connector configuration", c, func(b []byte) (any, error) {
		r, err := connectorConfigurations.decode(b)
		return r, err
	})
}
