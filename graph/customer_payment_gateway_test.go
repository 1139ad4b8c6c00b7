package graph_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/payplat/paygql/internal/auth"
)

const (
	customerA = "6f1c0000-0000-4000-8000-00000000000a"
	customerB = "6f1c0000-0000-4000-8000-00000000000b"
	appOne    = "a9900000-0000-4000-8000-000000000001"
	appTwo    = "a9900000-0000-4000-8000-000000000002"
)

const gwFields = `id customerId merchantId merchantKey merchantPin displayName testMode allowToken
	minPaymentAmount maxPaymentAmount version
	billTypes { id paymentGatewayId billTypeId applyConvenienceFee }
	applications { id paymentGatewayId applicationId isActive primaryPaymentVenue }
	paymentTypes { id paymentGatewayId paymentType }
	convenienceFees { id paymentGatewayId paymentType minRange maxRange feeAmount applyAtPaymentOfBoot
		applyAtPaymentOfNotice applyAtPaymentOfTow totalPaymentAmount applyConvenienceFee }`

const createGW = `mutation($in: CreateCustomerPaymentGatewayInput!) {
	createCustomerPaymentGateway(input: $in) {
		customerPaymentGateway { ` + gwFields + ` }
		userErrors { field code message } warnings { field code message } clientMutationId
	}
}`

const updateGW = `mutation($in: UpdateCustomerPaymentGatewayInput!) {
	updateCustomerPaymentGateway(input: $in) {
		customerPaymentGateway { ` + gwFields + ` }
		userErrors { field code message } warnings { field code message } clientMutationId
	}
}`

const readGW = `query($customerId: UUID!, $id: UUID!) { customerPaymentGateway(customerId: $customerId, id: $id) { ` + gwFields + `
	history { at actor action version changes } } }`

type gwItem struct {
	ID                     string  `json:"id"`
	PaymentGatewayID       string  `json:"paymentGatewayId"`
	BillTypeID             int     `json:"billTypeId"`
	ApplyConvenienceFee    *bool   `json:"applyConvenienceFee"`
	ApplicationID          string  `json:"applicationId"`
	IsActive               bool    `json:"isActive"`
	PrimaryPaymentVenue    bool    `json:"primaryPaymentVenue"`
	PaymentType            string  `json:"paymentType"`
	MinRange               *string `json:"minRange"`
	MaxRange               *string `json:"maxRange"`
	FeeAmount              *string `json:"feeAmount"`
	ApplyAtPaymentOfBoot   *bool   `json:"applyAtPaymentOfBoot"`
	ApplyAtPaymentOfNotice *bool   `json:"applyAtPaymentOfNotice"`
	ApplyAtPaymentOfTow    *bool   `json:"applyAtPaymentOfTow"`
	TotalPaymentAmount     *string `json:"totalPaymentAmount"`
}

type gateway struct {
	ID               string       `json:"id"`
	CustomerID       string       `json:"customerId"`
	MerchantID       *string      `json:"merchantId"`
	MerchantKey      *string      `json:"merchantKey"`
	MerchantPin      *string      `json:"merchantPin"`
	DisplayName      string       `json:"displayName"`
	TestMode         bool         `json:"testMode"`
	AllowToken       bool         `json:"allowToken"`
	MinPaymentAmount *string      `json:"minPaymentAmount"`
	MaxPaymentAmount *string      `json:"maxPaymentAmount"`
	Version          int          `json:"version"`
	BillTypes        []gwItem     `json:"billTypes"`
	Applications     []gwItem     `json:"applications"`
	PaymentTypes     []gwItem     `json:"paymentTypes"`
	ConvenienceFees  []gwItem     `json:"convenienceFees"`
	History          []auditEntry `json:"history"`
}

type gwPayload struct {
	CustomerPaymentGateway *gateway    `json:"customerPaymentGateway"`
	UserErrors             []userError `json:"userErrors"`
	Warnings               []userError `json:"warnings"`
	ClientMutationID       *string     `json:"clientMutationId"`
}

// fullGateway is a valid create input with every list filled.
func fullGateway() map[string]any {
	return map[string]any{
		"customerId": customerA, "displayName": "Main gateway", "merchantId": "M-1",
		"merchantKey": "merchant-key-ABCD", "merchantPin": "4321",
		"testMode": true, "allowToken": true, "minPaymentAmount": "1.00", "maxPaymentAmount": "1234567.89",
		"billTypes": []any{
			map[string]any{"billTypeId": 1, "applyConvenienceFee": true},
			map[string]any{"billTypeId": 2},
		},
		"applications": []any{map[string]any{"applicationId": appOne, "isActive": true, "primaryPaymentVenue": true}},
		"paymentTypes": []any{map[string]any{"paymentType": "CREDIT_CARD"}, map[string]any{"paymentType": "ACH"}},
		"convenienceFees": []any{
			map[string]any{"paymentType": "CREDIT_CARD", "minRange": "0", "maxRange": "100", "feeAmount": "2.5", "applyAtPaymentOfBoot": true},
			map[string]any{"paymentType": "CREDIT_CARD", "minRange": "100", "maxRange": "1000", "feeAmount": "4.95"},
			map[string]any{"paymentType": "ACH", "feeAmount": "1", "totalPaymentAmount": "99.99"},
		},
	}
}

func (e *env) createGateway(in map[string]any) *gateway {
	e.t.Helper()
	var out struct{ CreateCustomerPaymentGateway gwPayload }
	e.do(createGW, map[string]any{"in": in}, &out)
	if p := out.CreateCustomerPaymentGateway; len(p.UserErrors) > 0 || p.CustomerPaymentGateway == nil {
		e.t.Fatalf("create refused: %v", keys(p.UserErrors))
	}
	return out.CreateCustomerPaymentGateway.CustomerPaymentGateway
}

func (e *env) updateGateway(token string, in map[string]any) gwPayload {
	e.t.Helper()
	var out struct{ UpdateCustomerPaymentGateway gwPayload }
	e.doAs(token, updateGW, map[string]any{"in": in}, &out)
	return out.UpdateCustomerPaymentGateway
}

func (e *env) readGateway(token, customerID, id string) *gateway {
	e.t.Helper()
	var out struct{ CustomerPaymentGateway *gateway }
	e.doAs(token, readGW, map[string]any{"customerId": customerID, "id": id}, &out)
	return out.CustomerPaymentGateway
}

func ids(items []gwItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestCreateCustomerPaymentGateway(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	if g.DisplayName != "Main gateway" || !g.TestMode || !g.AllowToken || g.Version != 1 || g.CustomerID != customerA {
		t.Errorf("gateway = %+v", g)
	}
	// Decimals never pass through a float and keep the stored scale.
	if *g.MinPaymentAmount != "1.00" || *g.MaxPaymentAmount != "1234567.89" {
		t.Errorf("amounts = %s %s", *g.MinPaymentAmount, *g.MaxPaymentAmount)
	}
	if *g.MerchantKey != "••••ABCD" || *g.MerchantPin != "••••" {
		t.Errorf("masks = %s %s", *g.MerchantKey, *g.MerchantPin)
	}
	if len(g.BillTypes) != 2 || len(g.Applications) != 1 || len(g.PaymentTypes) != 2 || len(g.ConvenienceFees) != 3 {
		t.Fatalf("lists = %d %d %d %d", len(g.BillTypes), len(g.Applications), len(g.PaymentTypes), len(g.ConvenienceFees))
	}
	fee := g.ConvenienceFees[0]
	if *fee.FeeAmount != "2.50" || *fee.MinRange != "0.00" || *fee.MaxRange != "100.00" || !*fee.ApplyAtPaymentOfBoot || fee.ApplyAtPaymentOfTow != nil {
		t.Errorf("fee = %+v", fee)
	}
	if g.BillTypes[1].BillTypeID != 2 || *g.BillTypes[1].ApplyConvenienceFee || g.BillTypes[0].PaymentGatewayID != g.ID {
		t.Errorf("bill types = %+v", g.BillTypes)
	}
	stored := e.readGateway(e.admin, customerA, g.ID)
	if stored == nil || !slices.Equal(ids(stored.ConvenienceFees), ids(g.ConvenienceFees)) || *stored.MaxPaymentAmount != "1234567.89" {
		t.Errorf("stored = %+v", stored)
	}
	// Merchant secrets are stored encrypted and never reach the audit trail.
	var key, pin []byte
	if err := e.db.DB.QueryRowContext(t.Context(), "SELECT merchant_key, merchant_pin FROM customer_payment_gateways WHERE id = $1", g.ID).Scan(&key, &pin); err != nil {
		t.Fatal(err)
	}
	if len(key) == 0 || bytes.Contains(key, []byte("merchant-key-ABCD")) || len(pin) == 0 || bytes.Contains(pin, []byte("4321")) {
		t.Errorf("secrets stored as %q and %q", key, pin)
	}
	if ch := stored.History[0].Changes["merchantKey"].(map[string]any); ch["to"] != "[redacted]" {
		t.Errorf("merchantKey change = %v", ch)
	}
	// Amounts inside list items show in history as on the record.
	fees := stored.History[0].Changes["convenienceFees"].(map[string]any)["to"].([]any)
	if f := fees[0].(map[string]any); f["feeAmount"] != "2.50" || f["minRange"] != "0.00" {
		t.Errorf("fee in history = %v", f)
	}
}

func TestUpdateCustomerPaymentGatewayLists(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	keep := g.BillTypes[1].ID
	p := e.updateGateway(e.admin, map[string]any{
		"customerId": customerA, "id": g.ID,
		// Item 2 is kept (and updated in place), item 1 is deleted, a new one is added.
		"billTypes": []any{
			map[string]any{"id": keep, "paymentGatewayId": g.ID, "applyConvenienceFee": true},
			map[string]any{"billTypeId": 7},
		},
		"applications": []any{}, // cleared
	})
	if len(p.UserErrors) != 0 {
		t.Fatalf("userErrors = %v", keys(p.UserErrors))
	}
	got := p.CustomerPaymentGateway
	if len(got.BillTypes) != 2 || got.BillTypes[0].ID != keep || got.BillTypes[0].BillTypeID != 2 || !*got.BillTypes[0].ApplyConvenienceFee ||
		got.BillTypes[1].BillTypeID != 7 || got.BillTypes[1].ID == g.BillTypes[0].ID {
		t.Errorf("billTypes = %+v", got.BillTypes)
	}
	if len(got.Applications) != 0 {
		t.Errorf("applications = %+v, want cleared", got.Applications)
	}
	// Lists not sent are untouched, ids included.
	if !slices.Equal(ids(got.PaymentTypes), ids(g.PaymentTypes)) || !slices.Equal(ids(got.ConvenienceFees), ids(g.ConvenienceFees)) {
		t.Errorf("unsent lists changed")
	}
	stored := e.readGateway(e.admin, customerA, g.ID)
	if !slices.Equal(ids(stored.BillTypes), ids(got.BillTypes)) || len(stored.Applications) != 0 || stored.Version != 2 {
		t.Errorf("stored billTypes %v applications %d version %d", ids(stored.BillTypes), len(stored.Applications), stored.Version)
	}
	var n int
	if err := e.db.NewRaw("SELECT count(*) FROM payment_gateway_bill_types WHERE payment_gateway_id = ?", g.ID).Scan(t.Context(), &n); err != nil || n != 2 {
		t.Errorf("bill type rows = %d, %v", n, err)
	}
	if h := stored.History[0]; h.Changes["billTypes"] == nil || h.Changes["applications"] == nil || h.Changes["paymentTypes"] != nil {
		t.Errorf("history changes = %v", h.Changes)
	}
}

func TestUpdateCustomerPaymentGatewayReorderAndSwap(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	a, b := g.BillTypes[0], g.BillTypes[1]
	// Swapping values between kept items passes the unique rule, which holds at commit.
	p := e.updateGateway(e.admin, map[string]any{"customerId": customerA, "id": g.ID, "billTypes": []any{
		map[string]any{"id": b.ID, "billTypeId": 1}, map[string]any{"id": a.ID, "billTypeId": 2},
	}})
	if len(p.UserErrors) != 0 {
		t.Fatalf("userErrors = %v", keys(p.UserErrors))
	}
	stored := e.readGateway(e.admin, customerA, g.ID)
	if got := stored.BillTypes; got[0].ID != b.ID || got[0].BillTypeID != 1 || got[1].ID != a.ID || got[1].BillTypeID != 2 {
		t.Errorf("billTypes = %+v", got)
	}
}

func TestUpdateCustomerPaymentGatewayRules(t *testing.T) {
	other := map[string]any{"customerId": customerA, "displayName": "Other", "billTypes": []any{map[string]any{"billTypeId": 9}}}
	tests := []struct {
		name string
		in   func(g, o *gateway) map[string]any
		want []string
	}{
		{"displayName null", func(*gateway, *gateway) map[string]any { return map[string]any{"displayName": nil} }, []string{"displayName:REQUIRED"}},
		{"displayName blank", func(*gateway, *gateway) map[string]any { return map[string]any{"displayName": "  "} }, []string{"displayName:REQUIRED"}},
		{"non-null flags null", func(*gateway, *gateway) map[string]any { return map[string]any{"testMode": nil, "allowToken": nil} },
			[]string{"testMode:REQUIRED", "allowToken:REQUIRED"}},
		{"negative amount", func(*gateway, *gateway) map[string]any { return map[string]any{"minPaymentAmount": "-1"} },
			[]string{"minPaymentAmount:OUT_OF_RANGE"}},
		// A rule over two fields is reported at the one the request sent.
		{"min above stored max", func(*gateway, *gateway) map[string]any { return map[string]any{"minPaymentAmount": "2000000"} },
			[]string{"minPaymentAmount:OUT_OF_RANGE"}},
		{"max below stored min", func(*gateway, *gateway) map[string]any { return map[string]any{"maxPaymentAmount": "0.50"} },
			[]string{"maxPaymentAmount:OUT_OF_RANGE"}},
		{"min above max, both sent", func(*gateway, *gateway) map[string]any {
			return map[string]any{"minPaymentAmount": "20", "maxPaymentAmount": "10"}
		}, []string{"maxPaymentAmount:OUT_OF_RANGE"}},
		{"three decimals", func(*gateway, *gateway) map[string]any { return map[string]any{"maxPaymentAmount": "1.005"} },
			[]string{"maxPaymentAmount:INVALID"}},
		{"fee range reversed", func(g, _ *gateway) map[string]any {
			return map[string]any{"convenienceFees": []any{
				map[string]any{"id": g.ConvenienceFees[0].ID},
				map[string]any{"paymentType": "ACH", "minRange": "50", "maxRange": "10"},
			}}
		}, []string{"convenienceFees.1.maxRange:OUT_OF_RANGE"}},
		{"fee ranges overlap", func(g, _ *gateway) map[string]any {
			return map[string]any{"convenienceFees": []any{
				map[string]any{"id": g.ConvenienceFees[0].ID},
				map[string]any{"id": g.ConvenienceFees[1].ID, "minRange": "99.99"},
			}}
		}, []string{"convenienceFees.1.minRange:INVALID"}},
		{"fee payment type unknown", func(g, _ *gateway) map[string]any {
			return map[string]any{"convenienceFees": []any{map[string]any{"paymentType": "CASH"}}}
		}, []string{"convenienceFees.0.paymentType:INVALID"}},
		// The fee rule is checked against the payment types after the update.
		{"payment type removed under its fees", func(g, _ *gateway) map[string]any {
			return map[string]any{"paymentTypes": []any{map[string]any{"id": g.PaymentTypes[1].ID}}}
		}, []string{"convenienceFees.0.paymentType:INVALID", "convenienceFees.1.paymentType:INVALID"}},
		{"duplicates", func(g, _ *gateway) map[string]any {
			return map[string]any{
				"billTypes":    []any{map[string]any{"billTypeId": 3}, map[string]any{"billTypeId": 3}},
				"applications": []any{map[string]any{"applicationId": appTwo}, map[string]any{"applicationId": appTwo}},
				"paymentTypes": []any{map[string]any{"id": g.PaymentTypes[0].ID}, map[string]any{"id": g.PaymentTypes[1].ID, "paymentType": "CREDIT_CARD"}},
			}
		}, []string{"billTypes.1.billTypeId:DUPLICATE", "applications.1.applicationId:DUPLICATE", "paymentTypes.1.paymentType:DUPLICATE",
			"convenienceFees.2.paymentType:INVALID"}},
		{"id of another gateway", func(_, o *gateway) map[string]any {
			return map[string]any{"billTypes": []any{map[string]any{"billTypeId": 4}, map[string]any{"id": o.BillTypes[0].ID}}}
		}, []string{"billTypes.1.id:NOT_FOUND"}},
		{"new item without its key", func(*gateway, *gateway) map[string]any {
			return map[string]any{"billTypes": []any{map[string]any{"applyConvenienceFee": true}}, "applications": []any{map[string]any{}}}
		}, []string{"billTypes.0.billTypeId:REQUIRED", "applications.0.applicationId:REQUIRED"}},
		{"paymentGatewayId of another gateway", func(_, o *gateway) map[string]any {
			return map[string]any{"paymentTypes": []any{map[string]any{"paymentType": "X", "paymentGatewayId": o.ID}}}
		}, []string{"paymentTypes.0.paymentGatewayId:INVALID", "convenienceFees.0.paymentType:INVALID",
			"convenienceFees.1.paymentType:INVALID", "convenienceFees.2.paymentType:INVALID"}},
		{"too many items", func(*gateway, *gateway) map[string]any {
			many := make([]any, 501)
			for i := range many {
				many[i] = map[string]any{"billTypeId": i}
			}
			return map[string]any{"billTypes": many}
		}, []string{"billTypes:OUT_OF_RANGE"}},
		// A valid list change beside an invalid fee: nothing at all is written.
		{"atomic", func(g, _ *gateway) map[string]any {
			return map[string]any{
				"displayName": "Renamed", "billTypes": []any{},
				"convenienceFees": []any{map[string]any{"paymentType": "ACH", "feeAmount": "-0.01"}},
			}
		}, []string{"convenienceFees.0.feeAmount:OUT_OF_RANGE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			g := e.createGateway(fullGateway())
			o := e.createGateway(other)
			in := tt.in(g, o)
			in["customerId"], in["id"] = customerA, g.ID
			p := e.updateGateway(e.admin, in)
			if got := keys(p.UserErrors); !slices.Equal(got, tt.want) {
				t.Errorf("userErrors = %v, want %v", got, tt.want)
			}
			if p.CustomerPaymentGateway != nil {
				t.Error("a refused update returned the gateway")
			}
			stored := e.readGateway(e.admin, customerA, g.ID)
			stored.History = nil
			if got, want := mustJSON(t, stored), mustJSON(t, g); got != want {
				t.Errorf("refused update changed the gateway:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestCustomerPaymentGatewayScope(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	scoped := e.token(auth.Claims{Subject: "gw-b", Roles: []string{auth.RoleGatewayAdmin}, CustomerIDs: []string{customerB}})
	mine := e.token(auth.Claims{Subject: "gw-a", Roles: []string{auth.RoleGatewayAdmin}, CustomerIDs: []string{customerA}})
	if got := e.readGateway(scoped, customerA, g.ID); got != nil {
		t.Errorf("another customer's gateway is visible: %+v", got)
	}
	var list struct{ CustomerPaymentGateways []struct{ ID string } }
	e.doAs(scoped, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id } }`, map[string]any{"c": customerA}, &list)
	if len(list.CustomerPaymentGateways) != 0 {
		t.Errorf("list outside scope = %v", list.CustomerPaymentGateways)
	}
	// Outside the scope answers exactly like a missing gateway.
	outside := e.updateGateway(scoped, map[string]any{"customerId": customerA, "id": g.ID, "displayName": "x"})
	missing := e.updateGateway(scoped, map[string]any{"customerId": customerB, "id": g.ID, "displayName": "x"})
	if !slices.Equal(keys(outside.UserErrors), []string{"id:NOT_FOUND"}) || mustJSON(t, outside.UserErrors) != mustJSON(t, replaceCustomer(missing.UserErrors)) {
		t.Errorf("outside %v vs missing %v", outside.UserErrors, missing.UserErrors)
	}
	var created struct{ CreateCustomerPaymentGateway gwPayload }
	e.doAs(scoped, createGW, map[string]any{"in": fullGateway()}, &created)
	if !slices.Equal(keys(created.CreateCustomerPaymentGateway.UserErrors), []string{"customerId:NOT_FOUND"}) {
		t.Errorf("create outside scope: %v", keys(created.CreateCustomerPaymentGateway.UserErrors))
	}
	if p := e.updateGateway(mine, map[string]any{"customerId": customerA, "id": g.ID, "displayName": "Mine"}); len(p.UserErrors) != 0 {
		t.Errorf("in-scope update refused: %v", keys(p.UserErrors))
	}
	e.doAs(mine, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id } }`, map[string]any{"c": customerA}, &list)
	if len(list.CustomerPaymentGateways) != 1 {
		t.Errorf("own list = %v", list.CustomerPaymentGateways)
	}
	connectorAdmin := e.token(auth.Claims{Subject: "c", Roles: []string{auth.RoleConnectorAdmin}})
	if res := e.post(connectorAdmin, readGW, map[string]any{"customerId": customerA, "id": g.ID}); res.codeOf() != "FORBIDDEN" {
		t.Errorf("connector-admin read a gateway: %s", res.Body)
	}
}

// replaceCustomer makes a NOT_FOUND message about customerB read as one about customerA, so
// that the two answers can be compared whole.
func replaceCustomer(errs []userError) []userError {
	out := slices.Clone(errs)
	for i := range out {
		out[i].Message = replaceAll(out[i].Message, customerB, customerA)
	}
	return out
}

func TestCustomerPaymentGatewayDryRunAndVersion(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	p := e.updateGateway(e.admin, map[string]any{"customerId": customerA, "id": g.ID, "dryRun": true,
		"paymentTypes": []any{map[string]any{"id": g.PaymentTypes[0].ID}, map[string]any{"id": g.PaymentTypes[1].ID}, map[string]any{"paymentType": "WIRE"}}})
	if len(p.UserErrors) != 0 || len(p.CustomerPaymentGateway.PaymentTypes) != 3 || p.CustomerPaymentGateway.Version != 2 {
		t.Fatalf("dry run = %v %+v", keys(p.UserErrors), p.CustomerPaymentGateway)
	}
	if stored := e.readGateway(e.admin, customerA, g.ID); len(stored.PaymentTypes) != 2 || stored.Version != 1 {
		t.Errorf("dry run committed: %d payment types, version %d", len(stored.PaymentTypes), stored.Version)
	}
	p = e.updateGateway(e.admin, map[string]any{"customerId": customerA, "id": g.ID, "expectedVersion": 5, "displayName": "x"})
	if !slices.Equal(keys(p.UserErrors), []string{"expectedVersion:VERSION_CONFLICT"}) {
		t.Errorf("stale version: %v", keys(p.UserErrors))
	}
}

// TestCustomerPaymentGatewaySeedSample replays the vendor page's sample request, translated to
// GraphQL, against a stored gateway.
func TestCustomerPaymentGatewaySeedSample(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	p := e.updateGateway(e.admin, map[string]any{
		"customerId": customerA, "id": g.ID, "merchantId": "String", "merchantKey": "String", "merchantPin": "String",
		"displayName": "String", "testMode": false, "allowToken": false, "maxPaymentAmount": "0", "minPaymentAmount": "0",
		"billTypes":       []any{map[string]any{"id": g.BillTypes[0].ID, "paymentGatewayId": g.ID, "billTypeId": 0, "applyConvenienceFee": false}},
		"applications":    []any{map[string]any{"id": g.Applications[0].ID, "paymentGatewayId": g.ID, "applicationId": appTwo, "isActive": false, "primaryPaymentVenue": false}},
		"paymentTypes":    []any{map[string]any{"id": g.PaymentTypes[0].ID, "paymentGatewayId": g.ID, "paymentType": "String"}},
		"convenienceFees": []any{map[string]any{"id": g.ConvenienceFees[0].ID, "paymentGatewayId": g.ID, "paymentType": "String", "minRange": "0", "maxRange": "0", "feeAmount": "0", "applyAtPaymentOfBoot": false, "applyAtPaymentOfNotice": false, "applyAtPaymentOfTow": false, "totalPaymentAmount": "0", "applyConvenienceFee": false}},
	})
	if len(p.UserErrors) != 0 {
		t.Fatalf("userErrors = %v", keys(p.UserErrors))
	}
	got := e.readGateway(e.admin, customerA, g.ID)
	if got.DisplayName != "String" || *got.MerchantID != "String" || got.TestMode || *got.MaxPaymentAmount != "0.00" ||
		len(got.BillTypes) != 1 || got.BillTypes[0].ID != g.BillTypes[0].ID || got.BillTypes[0].BillTypeID != 0 ||
		got.Applications[0].ApplicationID != appTwo || got.PaymentTypes[0].PaymentType != "String" ||
		len(got.ConvenienceFees) != 1 || got.ConvenienceFees[0].ID != g.ConvenienceFees[0].ID || *got.ConvenienceFees[0].MaxRange != "0.00" {
		t.Errorf("gateway after the sample = %+v", got)
	}
	for i, f := range got.ConvenienceFees {
		if f.PaymentGatewayID != g.ID {
			t.Errorf("fee %s belongs to %s", strconv.Itoa(i), f.PaymentGatewayID)
		}
	}
}

// TestGatewayListSyncIsBounded checks that a list is synced with the same number of statements
// whatever its length: one load, one delete, one bulk update, one bulk insert.
func TestGatewayListSyncIsBounded(t *testing.T) {
	statements := func(size int) int64 {
		e := newEnv(t)
		in := fullGateway()
		var billTypes []any
		for i := range size {
			billTypes = append(billTypes, map[string]any{"billTypeId": i})
		}
		in["billTypes"] = billTypes
		g := e.createGateway(in)
		// Keep and change the first half, drop the second, add as many new ones.
		var sent []any
		for i, it := range g.BillTypes[:size/2] {
			sent = append(sent, map[string]any{"id": it.ID, "applyConvenienceFee": i%2 == 0})
		}
		for i := range size / 2 {
			sent = append(sent, map[string]any{"billTypeId": 1000 + i})
		}
		var out struct{ UpdateCustomerPaymentGateway gwPayload }
		_, n := e.sentBy(func() {
			e.do(`mutation($in: UpdateCustomerPaymentGatewayInput!) { updateCustomerPaymentGateway(input: $in) {
			customerPaymentGateway { version } userErrors { field code message } } }`,
				map[string]any{"in": map[string]any{"customerId": customerA, "id": g.ID, "billTypes": sent}}, &out)
		})
		if p := out.UpdateCustomerPaymentGateway; len(p.UserErrors) != 0 || p.CustomerPaymentGateway.Version != 2 {
			t.Fatalf("update: %v", keys(p.UserErrors))
		}
		if got := e.readGateway(e.admin, customerA, g.ID); len(got.BillTypes) != size {
			t.Fatalf("%d bill types stored, want %d", len(got.BillTypes), size)
		}
		return n
	}
	small, large := statements(4), statements(400)
	// BEGIN, its timeouts (SELECT set_config), SELECT … FOR UPDATE, load bill types, DELETE,
	// bulk UPDATE, bulk INSERT, UPDATE gateway with the audit INSERT, COMMIT.
	if small != 9 || large != small {
		t.Errorf("statements for 4 items: %d, for 400 items: %d; want 9 for both", small, large)
	}
}

// TestUpdateCustomerPaymentGatewayEveryList updates the lists the other tests touch least:
// applications and payment types gain and lose items, fees are updated in place, deleted and
// created in one request.
func TestUpdateCustomerPaymentGatewayEveryList(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	card, ach := g.PaymentTypes[0], g.PaymentTypes[1]
	p := e.updateGateway(e.admin, map[string]any{
		"customerId": customerA, "id": g.ID,
		"applications": []any{
			map[string]any{"applicationId": appTwo, "isActive": true},
			map[string]any{"id": g.Applications[0].ID, "primaryPaymentVenue": false},
		},
		"paymentTypes": []any{map[string]any{"id": card.ID}, map[string]any{"paymentType": "WIRE"}}, // ACH goes
		"convenienceFees": []any{
			map[string]any{"id": g.ConvenienceFees[1].ID, "feeAmount": "5.00", "maxRange": nil}, // in place
			map[string]any{"paymentType": "WIRE", "feeAmount": "0.99"},                          // new
		}, // fee 0 and the ACH fee go
	})
	if len(p.UserErrors) != 0 {
		t.Fatalf("userErrors = %v", keys(p.UserErrors))
	}
	got := e.readGateway(e.admin, customerA, g.ID)
	if len(got.Applications) != 2 || got.Applications[0].ApplicationID != appTwo || !got.Applications[0].IsActive ||
		got.Applications[1].ID != g.Applications[0].ID || got.Applications[1].PrimaryPaymentVenue || !got.Applications[1].IsActive {
		t.Errorf("applications = %+v", got.Applications)
	}
	if len(got.PaymentTypes) != 2 || got.PaymentTypes[0].ID != card.ID || got.PaymentTypes[1].PaymentType != "WIRE" || got.PaymentTypes[1].ID == ach.ID {
		t.Errorf("paymentTypes = %+v", got.PaymentTypes)
	}
	fees := got.ConvenienceFees
	if len(fees) != 2 || fees[0].ID != g.ConvenienceFees[1].ID || *fees[0].FeeAmount != "5.00" || fees[0].MaxRange != nil ||
		*fees[0].MinRange != "100.00" || fees[1].PaymentType != "WIRE" || *fees[1].FeeAmount != "0.99" {
		t.Errorf("convenienceFees = %+v", fees)
	}
	if !slices.Equal(ids(got.BillTypes), ids(g.BillTypes)) {
		t.Errorf("billTypes changed: %v", ids(got.BillTypes))
	}
}

// TestGatewayListQueryStatements pins the reads of a list query: one statement for the
// gateways, one per selected child list and one for history, whatever the number of gateways.
func TestGatewayListQueryStatements(t *testing.T) {
	e := newEnv(t)
	const n = 100
	for i := range n {
		in := fullGateway()
		in["displayName"] = "Gateway " + strconv.Itoa(i)
		e.createGateway(in)
	}
	first := e.readGateway(e.admin, customerA, e.listGatewayIDs()[0])
	e.updateGateway(e.admin, map[string]any{"customerId": customerA, "id": first.ID, "displayName": "Renamed"})
	counter := &queryCounter{}
	e.db.AddQueryHook(counter)
	var out struct{ CustomerPaymentGateways []gateway }
	e.do(`query($c: UUID!) { customerPaymentGateways(customerId: $c) { `+gwFields+`
		history(first: 5) { at actor action version changes } } }`, map[string]any{"c": customerA}, &out)
	if got := counter.n.Load(); got != 6 {
		t.Errorf("%d statements for %d gateways, want 6", got, n)
	}
	if len(out.CustomerPaymentGateways) != n {
		t.Fatalf("%d gateways, want %d", len(out.CustomerPaymentGateways), n)
	}
	for i, g := range out.CustomerPaymentGateways {
		if len(g.BillTypes) != 2 || len(g.Applications) != 1 || len(g.PaymentTypes) != 2 || len(g.ConvenienceFees) != 3 {
			t.Fatalf("gateway %d lists: %d %d %d %d", i, len(g.BillTypes), len(g.Applications), len(g.PaymentTypes), len(g.ConvenienceFees))
		}
		for _, it := range slices.Concat(g.BillTypes, g.Applications, g.PaymentTypes, g.ConvenienceFees) {
			if it.PaymentGatewayID != g.ID {
				t.Fatalf("gateway %s shows an item of %s", g.ID, it.PaymentGatewayID)
			}
		}
		wantHistory := []int{1}
		if g.ID == first.ID {
			wantHistory = []int{2, 1}
		}
		var versions []int
		for _, h := range g.History {
			versions = append(versions, h.Version)
		}
		if !slices.Equal(versions, wantHistory) {
			t.Errorf("gateway %d history versions %v, want %v", i, versions, wantHistory)
		}
	}
}

func (e *env) listGatewayIDs() []string {
	e.t.Helper()
	var out struct{ CustomerPaymentGateways []struct{ ID string } }
	e.do(`query($c: UUID!) { customerPaymentGateways(customerId: $c) { id } }`, map[string]any{"c": customerA}, &out)
	var ids []string
	for _, g := range out.CustomerPaymentGateways {
		ids = append(ids, g.ID)
	}
	return ids
}

// TestDecimalForms sends one amount in every accepted form: inline as a number or a string, in
// variables as a JSON number or a string. Each keeps its exact text, even past a float64's
// precision.
func TestDecimalForms(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	const exact = "9999999999999999.99" // a float64 reads it as 1e16
	for _, tt := range []struct{ name, query, vars string }{
		{"inline number", `mutation { updateCustomerPaymentGateway(input: {customerId: "` + customerA + `", id: "` + g.ID + `", maxPaymentAmount: ` + exact + `}) { customerPaymentGateway { maxPaymentAmount } userErrors { field code message } } }`, `{}`},
		{"inline string", `mutation { updateCustomerPaymentGateway(input: {customerId: "` + customerA + `", id: "` + g.ID + `", maxPaymentAmount: "` + exact + `"}) { customerPaymentGateway { maxPaymentAmount } userErrors { field code message } } }`, `{}`},
		{"variable number", `mutation($m: Decimal) { updateCustomerPaymentGateway(input: {customerId: "` + customerA + `", id: "` + g.ID + `", maxPaymentAmount: $m}) { customerPaymentGateway { maxPaymentAmount } userErrors { field code message } } }`, `{"m": ` + exact + `}`},
		{"variable string", `mutation($m: Decimal) { updateCustomerPaymentGateway(input: {customerId: "` + customerA + `", id: "` + g.ID + `", maxPaymentAmount: $m}) { customerPaymentGateway { maxPaymentAmount } userErrors { field code message } } }`, `{"m": "` + exact + `"}`},
		{"inline short number", `mutation { updateCustomerPaymentGateway(input: {customerId: "` + customerA + `", id: "` + g.ID + `", maxPaymentAmount: 149.9}) { customerPaymentGateway { maxPaymentAmount } userErrors { field code message } } }`, `{}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"query": ` + strconv.Quote(tt.query) + `, "variables": ` + tt.vars + `}`
			res := e.postRaw(e.admin, "application/json", body)
			var out struct{ UpdateCustomerPaymentGateway gwPayload }
			if err := json.Unmarshal(res.Data, &out); err != nil || len(res.Errors) > 0 {
				t.Fatalf("%v %s", err, res.Body)
			}
			want := exact
			if tt.name == "inline short number" {
				want = "149.90"
			}
			if p := out.UpdateCustomerPaymentGateway; len(p.UserErrors) != 0 || *p.CustomerPaymentGateway.MaxPaymentAmount != want {
				t.Errorf("got %v %s, want %s", p.UserErrors, res.Body, want)
			}
		})
	}
}
