package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/payplat/paygql/internal/auth"
)

const (
	dealerA = "DLR-1001"
	dealerB = "DLR-2002"
)

const orderFields = `uuid dealerCode status paymentType shippingMethodGatewayId itemsTotal total currency version
	items { id quantity amount currency lineTotal product { gatewayCountryProductId
		gatewayProduct { gatewayId status type id } amount currency country orderable name description imageUrl status } }
	shipping { address { city country line1 line2 postalCode state } amount company currency email name phone }`

const orderPayloadFields = `devicePurchaseOrder { ` + orderFields + ` }
	userErrors { field code message } warnings { field code message } clientMutationId`

const createOrderQ = `mutation($in: CreateDevicePurchaseOrderInput!) {
	createDevicePurchaseOrder(input: $in) { ` + orderPayloadFields + ` } }`

const updateOrderQ = `mutation($in: UpdateDevicePurchaseOrderInput!) {
	updateDevicePurchaseOrder(input: $in) { ` + orderPayloadFields + ` } }`

const readOrderQ = `query($dealerCode: String!, $uuid: UUID!) { devicePurchaseOrder(dealerCode: $dealerCode, uuid: $uuid) { ` +
	orderFields + ` history { at actor action version changes } } }`

type gatewayProduct struct {
	GatewayID *string `json:"gatewayId"`
	Status    *string `json:"status"`
	Type      *string `json:"type"`
	ID        *string `json:"id"`
}

type orderProduct struct {
	GatewayCountryProductID string         `json:"gatewayCountryProductId"`
	GatewayProduct          gatewayProduct `json:"gatewayProduct"`
	Amount                  *string        `json:"amount"`
	Currency                *string        `json:"currency"`
	Country                 *string        `json:"country"`
	Orderable               *string        `json:"orderable"`
	Name                    *string        `json:"name"`
	Description             *string        `json:"description"`
	ImageURL                *string        `json:"imageUrl"`
	Status                  *string        `json:"status"`
}

type orderItem struct {
	ID        string       `json:"id"`
	Quantity  int          `json:"quantity"`
	Amount    string       `json:"amount"`
	Currency  string       `json:"currency"`
	LineTotal string       `json:"lineTotal"`
	Product   orderProduct `json:"product"`
}

type orderAddress struct {
	City       string  `json:"city"`
	Country    string  `json:"country"`
	Line1      string  `json:"line1"`
	Line2      *string `json:"line2"`
	PostalCode *string `json:"postalCode"`
	State      *string `json:"state"`
}

type orderShipping struct {
	Address  orderAddress `json:"address"`
	Amount   *string      `json:"amount"`
	Company  *string      `json:"company"`
	Currency *string      `json:"currency"`
	Email    *string      `json:"email"`
	Name     string       `json:"name"`
	Phone    *string      `json:"phone"`
}

type order struct {
	UUID                    string         `json:"uuid"`
	DealerCode              string         `json:"dealerCode"`
	Status                  string         `json:"status"`
	PaymentType             *string        `json:"paymentType"`
	ShippingMethodGatewayID *string        `json:"shippingMethodGatewayId"`
	ItemsTotal              string         `json:"itemsTotal"`
	Total                   string         `json:"total"`
	Currency                string         `json:"currency"`
	Version                 int            `json:"version"`
	Items                   []orderItem    `json:"items"`
	Shipping                *orderShipping `json:"shipping"`
	History                 []auditEntry   `json:"history"`
}

type orderPayload struct {
	DevicePurchaseOrder *order      `json:"devicePurchaseOrder"`
	UserErrors          []userError `json:"userErrors"`
	Warnings            []userError `json:"warnings"`
	ClientMutationID    *string     `json:"clientMutationId"`
}

// product is a product snapshot as a dealer's front end sends it.
func product(id string) map[string]any {
	return map[string]any{
		"gatewayCountryProductId": id,
		"gatewayProduct":          map[string]any{"gatewayId": "GW-PAYTR", "status": "ACTIVE", "type": "POS_DEVICE", "id": "gp-" + id},
		"amount":                  "4250.00", "currency": "TRY", "country": "TR", "orderable": "true",
		"name": "Ingenico Move/5000", "description": "Portable 4G card terminal", "imageUrl": "https://cdn.example.com/move5000.png",
		"status": "ACTIVE",
	}
}

func item(id string, quantity int, amount string) map[string]any {
	return map[string]any{"quantity": quantity, "amount": amount, "currency": "TRY", "product": product(id)}
}

func shipping(amount string) map[string]any {
	return map[string]any{
		"address": map[string]any{"city": "İstanbul", "country": "TR", "line1": "Büyükdere Cad. No:185", "line2": "Kat 7",
			"postalCode": "34394", "state": "Şişli"},
		"amount": amount, "company": "Anadolu Elektronik A.Ş.", "currency": "TRY", "email": "depo@anadolu-elektronik.com.tr",
		"name": "Ayşe Yılmaz", "phone": "+902123456789",
	}
}

// newOrder is a valid create input of dealerA with two items and a shipping.
func newOrder() map[string]any {
	return map[string]any{
		"dealerCode": dealerA, "paymentType": "CREDIT_CARD", "shippingMethodGatewayId": "SHIP-ARAS",
		"items":    []any{item("TR-MOVE5000", 2, "4250.00"), item("TR-DESK3500", 1, "2999.90")},
		"shipping": shipping("150.00"),
	}
}

func (e *env) createOrder(token string, in map[string]any) orderPayload {
	e.t.Helper()
	var out struct{ CreateDevicePurchaseOrder orderPayload }
	e.doAs(token, createOrderQ, map[string]any{"in": in}, &out)
	return out.CreateDevicePurchaseOrder
}

// mustCreateOrder creates an order as admin and fails the test when it is refused.
func (e *env) mustCreateOrder(in map[string]any) *order {
	e.t.Helper()
	p := e.createOrder(e.admin, in)
	if len(p.UserErrors) > 0 || p.DevicePurchaseOrder == nil {
		e.t.Fatalf("create refused: %v", p.UserErrors)
	}
	return p.DevicePurchaseOrder
}

func (e *env) updateOrder(token string, in map[string]any) orderPayload {
	e.t.Helper()
	var out struct{ UpdateDevicePurchaseOrder orderPayload }
	e.doAs(token, updateOrderQ, map[string]any{"in": in}, &out)
	return out.UpdateDevicePurchaseOrder
}

// mustUpdateOrder updates an order of dealerA as admin and fails the test when it is refused.
func (e *env) mustUpdateOrder(o *order, in map[string]any) *order {
	e.t.Helper()
	in["dealerCode"], in["uuid"] = o.DealerCode, o.UUID
	p := e.updateOrder(e.admin, in)
	if len(p.UserErrors) > 0 || p.DevicePurchaseOrder == nil {
		e.t.Fatalf("update refused: %v", p.UserErrors)
	}
	return p.DevicePurchaseOrder
}

func (e *env) readOrder(token, dealerCode, id string) *order {
	e.t.Helper()
	var out struct{ DevicePurchaseOrder *order }
	e.doAs(token, readOrderQ, map[string]any{"dealerCode": dealerCode, "uuid": id}, &out)
	return out.DevicePurchaseOrder
}

// moveOrder moves o through statuses, one update each.
func (e *env) moveOrder(o *order, statuses ...string) *order {
	e.t.Helper()
	for _, s := range statuses {
		o = e.mustUpdateOrder(o, map[string]any{"status": s})
	}
	return o
}

func lineTotals(o *order) []string {
	out := []string{}
	for _, it := range o.Items {
		out = append(out, it.LineTotal)
	}
	return out
}

// withoutHistory returns o as JSON without its history, to compare two reads of one order.
func withoutHistory(t *testing.T, o *order) string {
	c := *o
	c.History = nil
	return mustJSON(t, c)
}

func TestCreateDevicePurchaseOrder(t *testing.T) {
	e := newEnv(t)
	p := e.createOrder(e.admin, map[string]any{
		"dealerCode": dealerA, "clientMutationId": "cart-17",
		"items": []any{item("TR-MOVE5000", 2, "4250"), item("TR-DESK3500", 3, "0.10")}, "shipping": shipping("149.9"),
	})
	if len(p.UserErrors) != 0 || *p.ClientMutationID != "cart-17" {
		t.Fatalf("userErrors = %v, clientMutationId %v", keys(p.UserErrors), p.ClientMutationID)
	}
	o := p.DevicePurchaseOrder
	// Exact decimals: 3 × 0.10 is 0.30, not 0.30000000000000004.
	if o.Status != "DRAFT" || o.Version != 1 || o.DealerCode != dealerA || o.Currency != "TRY" || o.UUID == "" ||
		!slices.Equal(lineTotals(o), []string{"8500.00", "0.30"}) || o.ItemsTotal != "8500.30" || o.Total != "8650.20" {
		t.Errorf("order = %+v", o)
	}
	if o.Items[0].Amount != "4250.00" || *o.Shipping.Amount != "149.90" || o.Shipping.Address.City != "İstanbul" {
		t.Errorf("amounts %s %s, city %s", o.Items[0].Amount, *o.Shipping.Amount, o.Shipping.Address.City)
	}
	stored := e.readOrder(e.admin, dealerA, o.UUID)
	if withoutHistory(t, stored) != mustJSON(t, o) {
		t.Errorf("read back differs:\n got %s\nwant %s", withoutHistory(t, stored), mustJSON(t, o))
	}
	h := stored.History
	if len(h) != 1 || h[0].Action != "create" || h[0].Actor != "alice" || h[0].Changes["status"].(map[string]any)["to"] != "DRAFT" ||
		h[0].Changes["total"].(map[string]any)["to"] != "8650.20" {
		t.Errorf("history = %+v", h)
	}
}

func TestCreateDevicePurchaseOrderRefusals(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]any
		want []string
	}{
		{"no items", map[string]any{"dealerCode": dealerA}, []string{"items:REQUIRED"}},
		{"empty items", map[string]any{"dealerCode": dealerA, "items": []any{}}, []string{"items:REQUIRED"}},
		{"blank dealer", map[string]any{"dealerCode": " ", "items": []any{item("P", 1, "1")}}, []string{"dealerCode:REQUIRED"}},
		{"new item without its fields", map[string]any{"dealerCode": dealerA, "items": []any{map[string]any{}}},
			[]string{"items.0.quantity:REQUIRED", "items.0.amount:REQUIRED", "items.0.currency:REQUIRED", "items.0.product:REQUIRED"}},
		{"product without its id", map[string]any{"dealerCode": dealerA, "items": []any{
			map[string]any{"quantity": 1, "amount": "1", "currency": "TRY", "product": map[string]any{"name": "x"}}}},
			[]string{"items.0.product.gatewayCountryProductId:REQUIRED"}},
		{"shipping without address and name", map[string]any{"dealerCode": dealerA, "items": []any{item("P", 1, "1")},
			"shipping": map[string]any{"amount": "5"}}, []string{"shipping.name:REQUIRED", "shipping.currency:REQUIRED", "shipping.address:REQUIRED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.createOrder(e.admin, tt.in)
			if got := keys(p.UserErrors); !slices.Equal(got, tt.want) || p.DevicePurchaseOrder != nil {
				t.Errorf("userErrors = %v, want %v", got, tt.want)
			}
			if n, err := e.db.NewSelect().Table("device_purchase_orders").Count(t.Context()); err != nil || n != 0 {
				t.Errorf("rows = %d, %v; want none", n, err)
			}
		})
	}
}

// TestDevicePurchaseOrderSeedSample replays the vendor page's sample PUT body, translated to
// GraphQL with realistic values: the path parameters become dealerCode and uuid,
// devicePurchaseOrderItems becomes items, numbers become Decimal strings.
func TestDevicePurchaseOrderSeedSample(t *testing.T) {
	e := newEnv(t)
	o := e.mustCreateOrder(newOrder())
	p := e.updateOrder(e.admin, map[string]any{
		"dealerCode": dealerA, "uuid": o.UUID,
		"items": []any{map[string]any{
			"amount": "3899.50", "currency": "TRY", "quantity": 4,
			"product": map[string]any{
				"gatewayCountryProductId": "TR-A920PRO",
				"gatewayProduct":          map[string]any{"gatewayId": "GW-IYZICO", "status": "ENABLED", "type": "ANDROID_POS", "id": "gp-7731"},
				"amount":                  "3999.00", "currency": "TRY", "country": "TR", "orderable": "true",
				"name": "PAX A920 Pro", "description": "Android POS with printer", "imageUrl": "https://cdn.example.com/a920pro.png",
				"status": "ACTIVE",
			},
		}},
		"paymentType": "BANK_TRANSFER",
		"shipping": map[string]any{
			"address": map[string]any{"city": "Ankara", "country": "TR", "line1": "Atatürk Blv. No:112", "line2": "Daire 4",
				"postalCode": "06680", "state": "Çankaya"},
			"amount": "89.90", "company": "Başkent POS Ltd.", "currency": "TRY", "email": "siparis@baskentpos.com.tr",
			"name": "Mehmet Demir", "phone": "+903124445566",
		},
		"shippingMethodGatewayId": "SHIP-YURTICI",
	})
	if len(p.UserErrors) != 0 || len(p.Warnings) != 0 {
		t.Fatalf("userErrors = %v, warnings = %v", keys(p.UserErrors), keys(p.Warnings))
	}
	got := e.readOrder(e.admin, dealerA, o.UUID)
	it := got.Items[0]
	pr := it.Product
	if len(got.Items) != 1 || it.Quantity != 4 || it.Amount != "3899.50" || it.LineTotal != "15598.00" || it.ID == o.Items[0].ID ||
		pr.GatewayCountryProductID != "TR-A920PRO" || *pr.GatewayProduct.GatewayID != "GW-IYZICO" || *pr.GatewayProduct.Status != "ENABLED" ||
		*pr.GatewayProduct.Type != "ANDROID_POS" || *pr.GatewayProduct.ID != "gp-7731" || *pr.Amount != "3999.00" || *pr.Currency != "TRY" ||
		*pr.Country != "TR" || *pr.Orderable != "true" || *pr.Name != "PAX A920 Pro" || *pr.Description != "Android POS with printer" ||
		*pr.ImageURL != "https://cdn.example.com/a920pro.png" || *pr.Status != "ACTIVE" {
		t.Errorf("items = %+v", got.Items)
	}
	s := got.Shipping
	if s.Address.City != "Ankara" || s.Address.Country != "TR" || s.Address.Line1 != "Atatürk Blv. No:112" || *s.Address.Line2 != "Daire 4" ||
		*s.Address.PostalCode != "06680" || *s.Address.State != "Çankaya" || *s.Amount != "89.90" || *s.Company != "Başkent POS Ltd." ||
		*s.Currency != "TRY" || *s.Email != "siparis@baskentpos.com.tr" || s.Name != "Mehmet Demir" || *s.Phone != "+903124445566" {
		t.Errorf("shipping = %+v", s)
	}
	if *got.PaymentType != "BANK_TRANSFER" || *got.ShippingMethodGatewayID != "SHIP-YURTICI" || got.ItemsTotal != "15598.00" ||
		got.Total != "15687.90" || got.Version != 2 || got.Status != "DRAFT" {
		t.Errorf("order = %+v", got)
	}
}

// TestDevicePurchaseOrderTotalsFollow changes items and shipping the way a dealer's front
// end would and checks that the server's totals follow every change.
func TestDevicePurchaseOrderTotalsFollow(t *testing.T) {
	e := newEnv(t)
	o := e.mustCreateOrder(newOrder()) // 2 × 4250.00 + 1 × 2999.90, shipping 150.00
	if o.ItemsTotal != "11499.90" || o.Total != "11649.90" {
		t.Fatalf("totals = %s %s", o.ItemsTotal, o.Total)
	}
	keep, drop := o.Items[0], o.Items[1]
	// Keep the first item (one more of it), drop the second, add a third.
	o = e.mustUpdateOrder(o, map[string]any{"items": []any{
		map[string]any{"id": keep.ID, "quantity": 3},
		item("TR-CABLE", 10, "12.35"),
	}})
	if len(o.Items) != 2 || o.Items[0].ID != keep.ID || o.Items[1].ID == drop.ID ||
		!slices.Equal(lineTotals(o), []string{"12750.00", "123.50"}) || o.ItemsTotal != "12873.50" || o.Total != "13023.50" {
		t.Errorf("after items: %+v", o)
	}
	o = e.mustUpdateOrder(o, map[string]any{"shipping": shipping("0.01")})
	if o.ItemsTotal != "12873.50" || o.Total != "12873.51" || len(o.Items) != 2 {
		t.Errorf("after shipping: %s %s", o.ItemsTotal, o.Total)
	}
	o = e.mustUpdateOrder(o, map[string]any{"shipping": nil})
	if o.Shipping != nil || o.Total != "12873.50" {
		t.Errorf("after clearing shipping: %+v %s", o.Shipping, o.Total)
	}
	// Other fields are partial: left out is unchanged, null clears.
	o = e.mustUpdateOrder(o, map[string]any{"paymentType": nil})
	if o.PaymentType != nil || *o.ShippingMethodGatewayID != "SHIP-ARAS" {
		t.Errorf("partial: %v %v", o.PaymentType, o.ShippingMethodGatewayID)
	}
	stored := e.readOrder(e.admin, dealerA, o.UUID)
	if withoutHistory(t, stored) != mustJSON(t, o) || stored.Version != 5 {
		t.Errorf("stored differs from the last payload:\n got %s\nwant %s", withoutHistory(t, stored), mustJSON(t, o))
	}
	var rows int
	if err := e.db.NewRaw("SELECT count(*) FROM device_purchase_order_items WHERE order_id = ?", o.UUID).Scan(t.Context(), &rows); err != nil || rows != 2 {
		t.Errorf("item rows = %d, %v", rows, err)
	}
	if ch := stored.History[3].Changes; ch["items"] == nil || ch["itemsTotal"].(map[string]any)["to"] != "12873.50" {
		t.Errorf("history of the items change = %v", ch)
	}
}

// TestDevicePurchaseOrderStatusPath walks the whole workflow, each move one update that the
// history records.
func TestDevicePurchaseOrderStatusPath(t *testing.T) {
	e := newEnv(t)
	o := e.mustCreateOrder(newOrder())
	path := []string{"SUBMITTED", "APPROVED", "SHIPPED", "DELIVERED"}
	o = e.moveOrder(o, path...)
	if o.Status != "DELIVERED" || o.Version != 5 {
		t.Fatalf("status %s version %d", o.Status, o.Version)
	}
	// The same status is no change: no new version, no history entry.
	if same := e.mustUpdateOrder(o, map[string]any{"status": "DELIVERED"}); same.Version != 5 {
		t.Errorf("same status bumped the version to %d", same.Version)
	}
	p := e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "status": "CANCELLED"})
	if !slices.Equal(keys(p.UserErrors), []string{"status:INVALID"}) || !strings.Contains(p.UserErrors[0].Message, "final") {
		t.Errorf("DELIVERED → CANCELLED: %v", p.UserErrors)
	}
	h := e.readOrder(e.admin, dealerA, o.UUID).History
	from := "DRAFT"
	for i, to := range path {
		entry := h[len(path)-1-i] // newest first
		ch, _ := entry.Changes["status"].(map[string]any)
		if entry.Version != i+2 || ch["from"] != from || ch["to"] != to || len(entry.Changes) != 1 {
			t.Errorf("history of move %d = %+v", i, entry)
		}
		from = to
	}
	if len(h) != len(path)+1 {
		t.Errorf("%d history entries, want %d", len(h), len(path)+1)
	}
}

func TestDevicePurchaseOrderStatusMoves(t *testing.T) {
	tests := []struct {
		before []string // moves that bring the order to its status
		to     string
		want   string // "" when allowed, else the allowed moves the message names
	}{
		{nil, "SUBMITTED", ""},
		{nil, "CANCELLED", ""},
		{nil, "APPROVED", "SUBMITTED or CANCELLED"},
		{nil, "DELIVERED", "SUBMITTED or CANCELLED"},
		{[]string{"SUBMITTED"}, "CANCELLED", ""},
		{[]string{"SUBMITTED"}, "DRAFT", "APPROVED or CANCELLED"},
		{[]string{"SUBMITTED", "APPROVED"}, "CANCELLED", ""},
		{[]string{"SUBMITTED", "APPROVED"}, "SUBMITTED", "SHIPPED or CANCELLED"},
		{[]string{"SUBMITTED", "APPROVED", "SHIPPED"}, "CANCELLED", ""},
		{[]string{"SUBMITTED", "APPROVED", "SHIPPED"}, "APPROVED", "DELIVERED or CANCELLED"},
		{[]string{"CANCELLED"}, "DRAFT", "final"},
	}
	e := newEnv(t)
	for _, tt := range tests {
		name := strings.Join(append([]string{"DRAFT"}, tt.before...), "→") + "→" + tt.to
		t.Run(name, func(t *testing.T) {
			o := e.moveOrder(e.mustCreateOrder(newOrder()), tt.before...)
			p := e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "status": tt.to})
			if tt.want == "" {
				if len(p.UserErrors) != 0 || p.DevicePurchaseOrder.Status != tt.to {
					t.Errorf("refused: %v", p.UserErrors)
				}
				return
			}
			if !slices.Equal(keys(p.UserErrors), []string{"status:INVALID"}) || !strings.Contains(p.UserErrors[0].Message, tt.want) {
				t.Errorf("userErrors = %v, want status:INVALID naming %q", p.UserErrors, tt.want)
			}
			if got := e.readOrder(e.admin, dealerA, o.UUID); got.Status != o.Status || got.Version != o.Version {
				t.Errorf("refused move changed the order: %s v%d", got.Status, got.Version)
			}
		})
	}
}

// TestDevicePurchaseOrderEditableOnlyUntilSubmitted: content changes while DRAFT or SUBMITTED
// (even together with the move out of SUBMITTED), and is refused afterwards at every field sent.
func TestDevicePurchaseOrderEditableOnlyUntilSubmitted(t *testing.T) {
	e := newEnv(t)
	o := e.moveOrder(e.mustCreateOrder(newOrder()), "SUBMITTED")
	o = e.mustUpdateOrder(o, map[string]any{"status": "APPROVED", "items": []any{item("TR-MOVE5000", 5, "4000")}})
	if o.Status != "APPROVED" || o.ItemsTotal != "20000.00" {
		t.Fatalf("submitted order: %s %s", o.Status, o.ItemsTotal)
	}
	before := e.readOrder(e.admin, dealerA, o.UUID)
	p := e.updateOrder(e.admin, map[string]any{
		"dealerCode": dealerA, "uuid": o.UUID, "status": "SHIPPED",
		"items": []any{item("TR-MOVE5000", 1, "1")}, "shipping": nil, "paymentType": "CASH", "shippingMethodGatewayId": "SHIP-MNG",
	})
	want := []string{"paymentType:NOT_EDITABLE", "shippingMethodGatewayId:NOT_EDITABLE", "items:NOT_EDITABLE", "shipping:NOT_EDITABLE"}
	if !slices.Equal(keys(p.UserErrors), want) || p.DevicePurchaseOrder != nil {
		t.Errorf("userErrors = %v, want %v", keys(p.UserErrors), want)
	}
	if !strings.Contains(p.UserErrors[0].Message, "APPROVED") {
		t.Errorf("message = %q", p.UserErrors[0].Message)
	}
	if after := e.readOrder(e.admin, dealerA, o.UUID); mustJSON(t, after) != mustJSON(t, before) {
		t.Errorf("refused update changed the order:\n got %s\nwant %s", mustJSON(t, after), mustJSON(t, before))
	}
	// A status move alone is still allowed.
	if o = e.moveOrder(o, "SHIPPED"); o.Status != "SHIPPED" {
		t.Errorf("status = %s", o.Status)
	}
}

// TestUpdateDevicePurchaseOrderRules checks each rule, and that every violation of a request
// is reported together and a refused update leaves the order exactly as it was.
func TestUpdateDevicePurchaseOrderRules(t *testing.T) {
	withItem := func(change func(it map[string]any)) map[string]any {
		second := item("TR-DESK3500", 1, "2999.90")
		change(second)
		return map[string]any{"items": []any{item("TR-MOVE5000", 2, "4250.00"), second}}
	}
	withProduct := func(change func(pr map[string]any)) map[string]any {
		return withItem(func(it map[string]any) { change(it["product"].(map[string]any)) })
	}
	withShipping := func(change func(s map[string]any)) map[string]any {
		s := shipping("150.00")
		change(s)
		return map[string]any{"shipping": s}
	}
	tests := []struct {
		name string
		in   func(o *order) map[string]any
		want []string
	}{
		{"no items", func(*order) map[string]any { return map[string]any{"items": []any{}} }, []string{"items:REQUIRED"}},
		{"items null", func(*order) map[string]any { return map[string]any{"items": nil} }, []string{"items:REQUIRED"}},
		{"status null", func(*order) map[string]any { return map[string]any{"status": nil} }, []string{"status:REQUIRED"}},
		{"quantity 0", func(*order) map[string]any { return withItem(func(it map[string]any) { it["quantity"] = 0 }) },
			[]string{"items.1.quantity:OUT_OF_RANGE"}},
		{"quantity 10001", func(*order) map[string]any { return withItem(func(it map[string]any) { it["quantity"] = 10001 }) },
			[]string{"items.1.quantity:OUT_OF_RANGE"}},
		{"negative amounts", func(*order) map[string]any {
			return withItem(func(it map[string]any) {
				it["amount"] = "-0.01"
				it["product"].(map[string]any)["amount"] = "-1"
			})
		}, []string{"items.1.amount:OUT_OF_RANGE", "items.1.product.amount:OUT_OF_RANGE"}},
		{"three decimals", func(*order) map[string]any { return withItem(func(it map[string]any) { it["amount"] = "1.005" }) },
			[]string{"items.1.amount:INVALID"}},
		{"currency codes", func(*order) map[string]any {
			return withItem(func(it map[string]any) {
				it["currency"] = "TL"
				it["product"].(map[string]any)["currency"] = "try"
			})
		}, []string{"items.1.currency:INVALID", "items.1.product.currency:INVALID"}},
		{"country codes", func(*order) map[string]any {
			in := withProduct(func(pr map[string]any) { pr["country"] = "TUR" })
			s := shipping("1")
			s["address"].(map[string]any)["country"] = "XX"
			in["shipping"] = s
			return in
		}, []string{"items.1.product.country:INVALID", "shipping.address.country:INVALID"}},
		{"item in another currency", func(*order) map[string]any { return withItem(func(it map[string]any) { it["currency"] = "EUR" }) },
			[]string{"items.1.currency:INVALID"}},
		{"shipping in another currency", func(*order) map[string]any { return withShipping(func(s map[string]any) { s["currency"] = "USD" }) },
			[]string{"shipping.currency:INVALID"}},
		{"e-mail", func(*order) map[string]any {
			return withShipping(func(s map[string]any) { s["email"] = "Depo <depo@example.com>" })
		}, []string{"shipping.email:INVALID"}},
		{"not orderable", func(*order) map[string]any { return withProduct(func(pr map[string]any) { pr["orderable"] = "false" }) },
			[]string{"items.1.product.orderable:INVALID"}},
		{"orderable neither true nor false", func(*order) map[string]any { return withProduct(func(pr map[string]any) { pr["orderable"] = "yes" }) },
			[]string{"items.1.product.orderable:INVALID"}},
		{"address incomplete", func(*order) map[string]any {
			return withShipping(func(s map[string]any) { s["address"] = map[string]any{"line2": "Kat 2"} })
		}, []string{"shipping.address.line1:REQUIRED", "shipping.address.city:REQUIRED", "shipping.address.country:REQUIRED"}},
		{"id of another order", func(*order) map[string]any {
			return map[string]any{"items": []any{map[string]any{"id": "00000000-0000-4000-8000-000000000001"}}}
		}, []string{"items.0.id:NOT_FOUND", "items.0.currency:REQUIRED", "items.0.product:REQUIRED"}},
		// Every violation is reported together, beside a valid change; nothing is written.
		{"all together", func(o *order) map[string]any {
			return map[string]any{
				"status": "SUBMITTED", "paymentType": " ",
				"items": []any{
					map[string]any{"id": o.Items[0].ID, "quantity": 0},
					map[string]any{"quantity": 2, "amount": "10", "currency": "EUR", "product": map[string]any{
						"gatewayCountryProductId": "TR-X", "orderable": "false", "status": "PASSIVE"}},
				},
				"shipping": map[string]any{"name": "A", "email": "nope", "amount": "-5", "currency": "TRY",
					"address": map[string]any{"line1": "x", "city": "y", "country": "tr"}},
			}
		}, []string{"paymentType:REQUIRED", "items.0.quantity:OUT_OF_RANGE", "items.1.currency:INVALID",
			"items.1.product.orderable:INVALID", "shipping.email:INVALID", "shipping.amount:OUT_OF_RANGE", "shipping.address.country:INVALID"}},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := e.mustCreateOrder(newOrder())
			before := e.readOrder(e.admin, dealerA, o.UUID)
			in := tt.in(o)
			in["dealerCode"], in["uuid"] = dealerA, o.UUID
			p := e.updateOrder(e.admin, in)
			if got := keys(p.UserErrors); !slices.Equal(got, tt.want) {
				t.Errorf("userErrors = %v, want %v", got, tt.want)
			}
			if p.DevicePurchaseOrder != nil {
				t.Error("a refused update returned the order")
			}
			if after := e.readOrder(e.admin, dealerA, o.UUID); mustJSON(t, after) != mustJSON(t, before) {
				t.Errorf("refused update changed the order:\n got %s\nwant %s", mustJSON(t, after), mustJSON(t, before))
			}
		})
	}
}

func TestDevicePurchaseOrderWarnings(t *testing.T) {
	e := newEnv(t)
	o := e.mustCreateOrder(newOrder())
	inactive := item("TR-LEGACY", 1, "100")
	inactive["product"].(map[string]any)["status"] = "DISCONTINUED"
	p := e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID,
		"items": []any{item("TR-MOVE5000", 1, "4250"), inactive}})
	if len(p.UserErrors) != 0 || !slices.Equal(keys(p.Warnings), []string{"items.1.product.status:PRODUCT_NOT_ACTIVE"}) {
		t.Fatalf("userErrors %v, warnings %v", keys(p.UserErrors), keys(p.Warnings))
	}
	if !strings.Contains(p.Warnings[0].Message, "TR-LEGACY") || !strings.Contains(p.Warnings[0].Message, "DISCONTINUED") {
		t.Errorf("warning = %q", p.Warnings[0].Message)
	}
	// The warning does not stop the update.
	if got := e.readOrder(e.admin, dealerA, o.UUID); len(got.Items) != 2 || *got.Items[1].Product.Status != "DISCONTINUED" || got.Version != 2 {
		t.Errorf("order = %+v", got)
	}
	// Beside an error, the warning is still reported.
	inactive["product"].(map[string]any)["orderable"] = "false"
	p = e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "items": []any{inactive}})
	if !slices.Equal(keys(p.UserErrors), []string{"items.0.product.orderable:INVALID"}) ||
		!slices.Equal(keys(p.Warnings), []string{"items.0.product.status:PRODUCT_NOT_ACTIVE"}) {
		t.Errorf("userErrors %v, warnings %v", keys(p.UserErrors), keys(p.Warnings))
	}
}

func TestDevicePurchaseOrderScope(t *testing.T) {
	e := newEnv(t)
	mine := e.mustCreateOrder(newOrder())
	otherIn := newOrder()
	otherIn["dealerCode"] = dealerB
	other := e.mustCreateOrder(otherIn)
	dealerAdminB := e.token(auth.Claims{Subject: "dealer-b", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{dealerB}})

	// Another dealer's order answers like a missing one.
	if got := e.readOrder(dealerAdminB, dealerA, mine.UUID); got != nil {
		t.Errorf("another dealer's order is visible: %+v", got)
	}
	outside := e.updateOrder(dealerAdminB, map[string]any{"dealerCode": dealerA, "uuid": mine.UUID, "status": "CANCELLED"})
	missing := e.updateOrder(dealerAdminB, map[string]any{"dealerCode": dealerA, "uuid": "00000000-0000-4000-8000-000000000009", "status": "CANCELLED"})
	if !slices.Equal(keys(outside.UserErrors), []string{"uuid:NOT_FOUND"}) ||
		mustJSON(t, outside.UserErrors) != replaceAll(mustJSON(t, missing.UserErrors), "00000000-0000-4000-8000-000000000009", mine.UUID) {
		t.Errorf("outside %v vs missing %v", outside.UserErrors, missing.UserErrors)
	}
	// The key is the pair: a dealer's own code does not reach another dealer's order.
	wrongPair := e.updateOrder(dealerAdminB, map[string]any{"dealerCode": dealerB, "uuid": mine.UUID, "status": "CANCELLED"})
	if !slices.Equal(keys(wrongPair.UserErrors), []string{"uuid:NOT_FOUND"}) {
		t.Errorf("wrong pair: %v", keys(wrongPair.UserErrors))
	}
	if got := e.readOrder(e.admin, dealerA, mine.UUID); got.Status != "DRAFT" || got.Version != 1 {
		t.Errorf("an out-of-scope update changed the order: %s v%d", got.Status, got.Version)
	}
	// Creating outside the scope is refused at dealerCode, and writes nothing.
	if p := e.createOrder(dealerAdminB, newOrder()); !slices.Equal(keys(p.UserErrors), []string{"dealerCode:NOT_FOUND"}) || p.DevicePurchaseOrder != nil {
		t.Errorf("create outside scope: %v", keys(p.UserErrors))
	}
	// Inside the scope everything works.
	if p := e.createOrder(dealerAdminB, otherIn); len(p.UserErrors) != 0 {
		t.Errorf("create in scope: %v", keys(p.UserErrors))
	}
	if p := e.updateOrder(dealerAdminB, map[string]any{"dealerCode": dealerB, "uuid": other.UUID, "status": "SUBMITTED"}); len(p.UserErrors) != 0 {
		t.Errorf("update in scope: %v", keys(p.UserErrors))
	}
	if h := e.readOrder(dealerAdminB, dealerB, other.UUID).History; h[0].Actor != "dealer-b" {
		t.Errorf("actor = %q", h[0].Actor)
	}
	// Lists show only the orders in scope.
	const q = `query($d: String, $s: DevicePurchaseOrderStatus) { devicePurchaseOrders(dealerCode: $d, status: $s) { nodes { uuid dealerCode status } } }`
	list := func(token string, vars map[string]any) []string {
		var out struct {
			DevicePurchaseOrders struct {
				Nodes []struct{ UUID, DealerCode, Status string }
			}
		}
		e.doAs(token, q, vars, &out)
		got := []string{}
		for _, n := range out.DevicePurchaseOrders.Nodes {
			got = append(got, n.DealerCode+"/"+n.Status)
		}
		return got
	}
	for _, tt := range []struct {
		name, token string
		vars        map[string]any
		want        []string
	}{
		{"admin, all", e.admin, nil, []string{dealerA + "/DRAFT", dealerB + "/SUBMITTED", dealerB + "/DRAFT"}},
		{"admin, one dealer", e.admin, map[string]any{"d": dealerA}, []string{dealerA + "/DRAFT"}},
		{"admin, one status", e.admin, map[string]any{"s": "DRAFT"}, []string{dealerA + "/DRAFT", dealerB + "/DRAFT"}},
		{"dealer, own scope", dealerAdminB, nil, []string{dealerB + "/SUBMITTED", dealerB + "/DRAFT"}},
		{"dealer, own scope and status", dealerAdminB, map[string]any{"d": dealerB, "s": "SUBMITTED"}, []string{dealerB + "/SUBMITTED"}},
		{"dealer, another dealer", dealerAdminB, map[string]any{"d": dealerA}, []string{}},
	} {
		if got := list(tt.token, tt.vars); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	gatewayAdmin := e.token(auth.Claims{Subject: "gw", Roles: []string{auth.RoleGatewayAdmin}})
	for _, query := range []string{q, readOrderQ} {
		if res := e.post(gatewayAdmin, query, map[string]any{"dealerCode": dealerA, "uuid": mine.UUID}); res.codeOf() != "FORBIDDEN" {
			t.Errorf("gateway-admin: %s", res.Body)
		}
	}
	if res := e.post("", readOrderQ, map[string]any{"dealerCode": dealerA, "uuid": mine.UUID}); res.codeOf() != "UNAUTHENTICATED" || res.Status != 401 {
		t.Errorf("anonymous: %d %s", res.Status, res.Body)
	}
}

func TestDevicePurchaseOrderDryRunAndVersion(t *testing.T) {
	e := newEnv(t)
	o := e.mustCreateOrder(newOrder())
	before := e.readOrder(e.admin, dealerA, o.UUID)
	p := e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "dryRun": true, "status": "SUBMITTED",
		"items": []any{item("TR-MOVE5000", 7, "100")}})
	if d := p.DevicePurchaseOrder; len(p.UserErrors) != 0 || d.Version != 2 || d.Status != "SUBMITTED" || d.ItemsTotal != "700.00" || d.Total != "850.00" {
		t.Fatalf("dry run = %v %+v", keys(p.UserErrors), d)
	}
	// A refused dry run shows the would-be order beside its errors.
	p = e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "dryRun": true, "items": []any{item("TR-MOVE5000", 0, "100")}})
	if !slices.Equal(keys(p.UserErrors), []string{"items.0.quantity:OUT_OF_RANGE"}) || p.DevicePurchaseOrder == nil {
		t.Errorf("refused dry run = %v %+v", keys(p.UserErrors), p.DevicePurchaseOrder)
	}
	if after := e.readOrder(e.admin, dealerA, o.UUID); mustJSON(t, after) != mustJSON(t, before) {
		t.Errorf("dry run committed:\n got %s\nwant %s", mustJSON(t, after), mustJSON(t, before))
	}
	p = e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "expectedVersion": 2, "status": "SUBMITTED"})
	if !slices.Equal(keys(p.UserErrors), []string{"expectedVersion:VERSION_CONFLICT"}) {
		t.Errorf("stale version: %v", keys(p.UserErrors))
	}
	if got := e.readOrder(e.admin, dealerA, o.UUID); got.Status != "DRAFT" || got.Version != 1 {
		t.Errorf("a conflicting update was written: %s v%d", got.Status, got.Version)
	}
	p = e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "expectedVersion": 1, "status": "SUBMITTED"})
	if len(p.UserErrors) != 0 || p.DevicePurchaseOrder.Version != 2 {
		t.Errorf("current version refused: %v", keys(p.UserErrors))
	}
}

func TestDevicePurchaseOrdersPaging(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for range 5 {
		ids = append(ids, e.mustCreateOrder(newOrder()).UUID)
	}
	const q = `query($first: Int, $after: String) { devicePurchaseOrders(first: $first, after: $after) {
		nodes { uuid itemsTotal items { lineTotal } } pageInfo { hasNextPage endCursor } } }`
	var seen []string
	var after any
	for range 3 {
		var p struct {
			DevicePurchaseOrders struct {
				Nodes []struct {
					UUID, ItemsTotal string
					Items            []struct{ LineTotal string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		e.do(q, map[string]any{"first": 2, "after": after}, &p)
		for _, n := range p.DevicePurchaseOrders.Nodes {
			seen = append(seen, n.UUID)
			if n.ItemsTotal != "11499.90" || len(n.Items) != 2 {
				t.Errorf("node = %+v", n)
			}
		}
		if !p.DevicePurchaseOrders.PageInfo.HasNextPage {
			break
		}
		after = *p.DevicePurchaseOrders.PageInfo.EndCursor
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("paged ids = %v, want %v", seen, ids)
	}
	for _, vars := range []map[string]any{{"first": 0}, {"after": "garbage!"}} {
		if res := e.post(e.admin, q, vars); res.codeOf() != "BAD_USER_INPUT" {
			t.Errorf("%v: %s", vars, res.Body)
		}
	}
}

// TestDevicePurchaseOrderItemsStatements checks that replacing the items takes the same
// number of statements whatever their number.
func TestDevicePurchaseOrderItemsStatements(t *testing.T) {
	statements := func(size int) int64 {
		e := newEnv(t)
		in := newOrder()
		var items []any
		for i := range size {
			items = append(items, item(fmt.Sprintf("TR-%03d", i), 1, "10"))
		}
		in["items"] = items
		o := e.mustCreateOrder(in)
		// Keep and change the first half, drop the second, add as many new ones.
		var sent []any
		for _, it := range o.Items[:size/2] {
			sent = append(sent, map[string]any{"id": it.ID, "quantity": 2})
		}
		for i := range size / 2 {
			sent = append(sent, item(fmt.Sprintf("TR-NEW-%03d", i), 3, "1.50"))
		}
		var out struct{ UpdateDevicePurchaseOrder orderPayload }
		_, n := e.sentBy(func() {
			e.do(`mutation($in: UpdateDevicePurchaseOrderInput!) { updateDevicePurchaseOrder(input: $in) {
			devicePurchaseOrder { version itemsTotal } userErrors { field code message } } }`,
				map[string]any{"in": map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "items": sent}}, &out)
		})
		p := out.UpdateDevicePurchaseOrder
		cents := size / 2 * (2*1000 + 3*150) // kept: 2 × 10.00, new: 3 × 1.50
		want := fmt.Sprintf("%d.%02d", cents/100, cents%100)
		if len(p.UserErrors) != 0 || p.DevicePurchaseOrder.Version != 2 || p.DevicePurchaseOrder.ItemsTotal != want {
			t.Fatalf("update: %v %+v, want itemsTotal %s", keys(p.UserErrors), p.DevicePurchaseOrder, want)
		}
		if got := e.readOrder(e.admin, dealerA, o.UUID); len(got.Items) != size {
			t.Fatalf("%d items stored, want %d", len(got.Items), size)
		}
		return n
	}
	small, large := statements(2), statements(20)
	// BEGIN, its timeouts (SELECT set_config), SELECT … FOR UPDATE, load items, DELETE, bulk
	// UPDATE, bulk INSERT, UPDATE order with the audit INSERT, COMMIT.
	if small != 9 || large != small {
		t.Errorf("statements for 2 items: %d, for 20 items: %d; want 9 for both", small, large)
	}
}

// TestDevicePurchaseOrderListStatements pins the reads of a list query: one statement for the
// orders, one for all their items and one for all their histories, whatever their number.
func TestDevicePurchaseOrderListStatements(t *testing.T) {
	e := newEnv(t)
	const n = 30
	for range n {
		e.mustCreateOrder(newOrder())
	}
	counter := &queryCounter{}
	e.db.AddQueryHook(counter)
	var out struct {
		DevicePurchaseOrders struct {
			Nodes []order
		}
	}
	e.do(`{ devicePurchaseOrders(first: 100) { nodes { `+orderFields+` history(first: 5) { at actor action version changes } } } }`, nil, &out)
	if got := counter.n.Load(); got != 3 {
		t.Errorf("%d statements for %d orders, want 3", got, n)
	}
	if len(out.DevicePurchaseOrders.Nodes) != n {
		t.Fatalf("%d orders, want %d", len(out.DevicePurchaseOrders.Nodes), n)
	}
	for _, o := range out.DevicePurchaseOrders.Nodes {
		if len(o.Items) != 2 || len(o.History) != 1 || o.Shipping == nil {
			t.Fatalf("order %s: %d items, %d history entries", o.UUID, len(o.Items), len(o.History))
		}
	}
}
