package models

import (
	"database/sql"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

func str(s string) *string { return &s }

// validOrder is a merged order that breaks no rule: two TRY items and a TRY shipping.
func validOrder() *DevicePurchaseOrder {
	o := &DevicePurchaseOrder{DealerCode: "DLR-1", Status: OrderDraft, PaymentType: str("CREDIT_CARD"), HasShipping: true,
		ShippingColumns: DevicePurchaseOrderShipping{
			Address: DevicePurchaseOrderAddress{City: str("İzmir"), Country: str("TR"), Line1: str("Kordon 1")},
			Amount:  money("25.00"), Currency: str("TRY"), Email: str("depo@example.com"), Name: str("Ali Veli"),
		},
	}
	for _, id := range []string{"P-1", "P-2"} {
		o.Items = append(o.Items, &DevicePurchaseOrderItem{Quantity: ptr(2), Amount: money("10.50"), Currency: "TRY",
			Product: DevicePurchaseOrderProduct{GatewayCountryProductID: str(id), Orderable: str("true"), Status: str("ACTIVE"),
				Currency: str("TRY"), Country: str("TR"), Amount: money("11.00")}})
	}
	return o
}

func TestDevicePurchaseOrderValidate(t *testing.T) {
	tests := []struct {
		name     string
		change   func(o *DevicePurchaseOrder)
		want     []string
		warnings []string
	}{
		{"valid", func(*DevicePurchaseOrder) {}, nil, nil},
		{"items not loaded are not checked", func(o *DevicePurchaseOrder) { o.Items = nil }, nil, nil},
		{"no items", func(o *DevicePurchaseOrder) { o.Items = []*DevicePurchaseOrderItem{} }, []string{"items:REQUIRED"}, nil},
		{"blank dealer and payment type", func(o *DevicePurchaseOrder) { o.DealerCode, o.PaymentType = "", str(" ") },
			[]string{"dealerCode:REQUIRED", "paymentType:REQUIRED"}, nil},
		{"quantity bounds", func(o *DevicePurchaseOrder) { o.Items[0].Quantity, o.Items[1].Quantity = ptr(0), ptr(10001) },
			[]string{"items.0.quantity:OUT_OF_RANGE", "items.1.quantity:OUT_OF_RANGE"}, nil},
		{"quantity at its bounds", func(o *DevicePurchaseOrder) { o.Items[0].Quantity, o.Items[1].Quantity = ptr(1), ptr(10000) }, nil, nil},
		{"line total too large", func(o *DevicePurchaseOrder) { o.Items[0].Amount = money("9999999999999999.99") },
			[]string{"items.0.quantity:OUT_OF_RANGE"}, nil},
		{"order total too large", func(o *DevicePurchaseOrder) { o.ShippingColumns.Amount = money("9999999999999999.99") },
			[]string{":OUT_OF_RANGE"}, nil},
		{"negative amounts", func(o *DevicePurchaseOrder) {
			o.Items[1].Amount, o.Items[1].Product.Amount, o.ShippingColumns.Amount = money("-1"), money("-0.01"), money("-2")
		}, []string{"items.1.amount:OUT_OF_RANGE", "items.1.product.amount:OUT_OF_RANGE", "shipping.amount:OUT_OF_RANGE"}, nil},
		{"zero amounts", func(o *DevicePurchaseOrder) { o.Items[0].Amount, o.ShippingColumns.Amount = money("0"), money("0") }, nil, nil},
		{"currency codes", func(o *DevicePurchaseOrder) {
			o.Items[0].Currency, o.Items[1].Product.Currency, o.ShippingColumns.Currency = "", str("XYZ"), str("tl")
		}, []string{"items.0.currency:REQUIRED", "items.1.product.currency:INVALID", "shipping.currency:INVALID"}, nil},
		{"country codes", func(o *DevicePurchaseOrder) {
			o.Items[0].Product.Country, o.ShippingColumns.Address.Country = str("TUR"), str("tr")
		}, []string{"items.0.product.country:INVALID", "shipping.address.country:INVALID"}, nil},
		// The odd one out is the item in the minority; the shipping must use the items' currency.
		{"item in another currency", func(o *DevicePurchaseOrder) {
			o.Items = append(o.Items, &DevicePurchaseOrderItem{Quantity: ptr(1), Amount: money("1"), Currency: "EUR",
				Product: DevicePurchaseOrderProduct{GatewayCountryProductID: str("P-3")}})
			o.Items[0].Currency = "EUR"
			o.Currency = "EUR"
		}, []string{"items.1.currency:INVALID", "shipping.currency:INVALID"}, nil},
		{"shipping in another currency", func(o *DevicePurchaseOrder) { o.ShippingColumns.Currency = str("USD") },
			[]string{"shipping.currency:INVALID"}, nil},
		{"shipping amount without currency", func(o *DevicePurchaseOrder) { o.ShippingColumns.Currency = nil },
			[]string{"shipping.currency:REQUIRED"}, nil},
		{"free shipping needs no currency", func(o *DevicePurchaseOrder) { o.ShippingColumns.Currency, o.ShippingColumns.Amount = nil, nil }, nil, nil},
		{"e-mail", func(o *DevicePurchaseOrder) { o.ShippingColumns.Email = str("depo@") }, []string{"shipping.email:INVALID"}, nil},
		{"shipping without name and address", func(o *DevicePurchaseOrder) {
			o.ShippingColumns.Name, o.ShippingColumns.Address = nil, DevicePurchaseOrderAddress{}
		}, []string{"shipping.name:REQUIRED", "shipping.address:REQUIRED"}, nil},
		{"address incomplete", func(o *DevicePurchaseOrder) {
			o.ShippingColumns.Address = DevicePurchaseOrderAddress{Line2: str("Kat 3"), PostalCode: str(" ")}
		}, []string{"shipping.address.line1:REQUIRED", "shipping.address.city:REQUIRED", "shipping.address.country:REQUIRED",
			"shipping.address.postalCode:REQUIRED"}, nil},
		{"no shipping", func(o *DevicePurchaseOrder) { o.HasShipping, o.ShippingColumns = false, DevicePurchaseOrderShipping{} }, nil, nil},
		{"not orderable", func(o *DevicePurchaseOrder) { o.Items[1].Product.Orderable = str("false") },
			[]string{"items.1.product.orderable:INVALID"}, nil},
		{"orderable neither true nor false", func(o *DevicePurchaseOrder) { o.Items[1].Product.Orderable = str("TRUE") },
			[]string{"items.1.product.orderable:INVALID"}, nil},
		{"product missing", func(o *DevicePurchaseOrder) { o.Items[0].Product = DevicePurchaseOrderProduct{} },
			[]string{"items.0.product:REQUIRED"}, nil},
		{"product without its id", func(o *DevicePurchaseOrder) { o.Items[0].Product.GatewayCountryProductID = nil },
			[]string{"items.0.product.gatewayCountryProductId:REQUIRED"}, nil},
		// A product that is not ACTIVE is a warning, never an error.
		{"product not active", func(o *DevicePurchaseOrder) { o.Items[1].Product.Status = str("PASSIVE") },
			nil, []string{"items.1.product.status:PRODUCT_NOT_ACTIVE"}},
		{"product status unknown", func(o *DevicePurchaseOrder) { o.Items[1].Product.Status = nil }, nil, nil},
		{"every violation together", func(o *DevicePurchaseOrder) {
			o.Items[0].Quantity = ptr(0)
			o.Items[1].Product.Orderable, o.Items[1].Product.Status = str("false"), str("DRAFT")
			o.ShippingColumns.Email = str("x")
		}, []string{"items.0.quantity:OUT_OF_RANGE", "items.1.product.orderable:INVALID", "shipping.email:INVALID"},
			[]string{"items.1.product.status:PRODUCT_NOT_ACTIVE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOrder()
			tt.change(o)
			o.derive(newPatch())
			var v Violations
			o.Validate(&v)
			if got := violationKeys(v); !slices.Equal(got, tt.want) {
				t.Errorf("violations = %v, want %v", got, tt.want)
			}
			var warnings []string
			for _, w := range v.Warnings {
				warnings = append(warnings, strings.Join(w.Field, ".")+":"+w.Code)
			}
			if !slices.Equal(warnings, tt.warnings) {
				t.Errorf("warnings = %v, want %v", warnings, tt.warnings)
			}
		})
	}
}

func TestDevicePurchaseOrderDerive(t *testing.T) {
	o := validOrder()
	o.Items[1].Quantity, o.Items[1].Amount = ptr(3), money("0.10")
	p := newPatch()
	o.derive(p)
	if o.Items[0].LineTotal.String() != "21.00" || o.Items[1].LineTotal.StringFixed(2) != "0.30" ||
		o.ItemsTotal.StringFixed(2) != "21.30" || o.Total.StringFixed(2) != "46.30" || o.Currency != "TRY" {
		t.Errorf("derived %s %s %s %s %s", o.Items[0].LineTotal, o.Items[1].LineTotal, o.ItemsTotal, o.Total, o.Currency)
	}
	if !slices.Equal(p.columns, []string{"items_total", "currency", "total"}) || p.changes["total"].To != "46.30" {
		t.Errorf("columns %v, changes %v", p.columns, p.changes)
	}
	// Derived again with nothing changed, nothing moves.
	p = newPatch()
	if o.derive(p); p.changed() {
		t.Errorf("second derive changed %v", p.changes)
	}
	// Without its items loaded, an order keeps its itemsTotal; the shipping still counts.
	o.Items, o.HasShipping, o.ShippingColumns = nil, false, DevicePurchaseOrderShipping{}
	p = newPatch()
	o.derive(p)
	if o.ItemsTotal.StringFixed(2) != "21.30" || o.Total.StringFixed(2) != "21.30" || !slices.Equal(p.columns, []string{"total"}) {
		t.Errorf("without items: %s %s %v", o.ItemsTotal, o.Total, p.columns)
	}
}

func TestCommonCurrency(t *testing.T) {
	tests := []struct {
		currencies []string
		want       string
	}{
		{[]string{"TRY"}, "TRY"},
		{[]string{"TRY", "EUR", "EUR"}, "EUR"},
		{[]string{"EUR", "TRY"}, "EUR"}, // a tie goes to the first
		{[]string{"tl", "XYZ", "USD"}, "USD"},
		{[]string{""}, ""},
	}
	for _, tt := range tests {
		var items []*DevicePurchaseOrderItem
		for _, c := range tt.currencies {
			items = append(items, &DevicePurchaseOrderItem{Currency: c})
		}
		if got := commonCurrency(items); got != tt.want {
			t.Errorf("commonCurrency(%v) = %q, want %q", tt.currencies, got, tt.want)
		}
	}
}

// TestDevicePurchaseOrderStatusMoves tries every move against the workflow as the design
// states it: forward one step along the path, or to CANCELLED from anything but DELIVERED.
func TestDevicePurchaseOrderStatusMoves(t *testing.T) {
	path := []DevicePurchaseOrderStatus{OrderDraft, OrderSubmitted, OrderApproved, OrderShipped, OrderDelivered}
	all := append(slices.Clone(path), OrderCancelled)
	for _, from := range all {
		for _, to := range all {
			i, j := slices.Index(path, from), slices.Index(path, to)
			allowed := from == to || (i >= 0 && j == i+1) || (to == OrderCancelled && from != OrderDelivered)
			o := &DevicePurchaseOrder{Status: from}
			p := newPatch()
			(&orderChange{DevicePurchaseOrderFields: &DevicePurchaseOrderFields{}, Status: graphql.OmittableOf(&to)}).merge(p, nil, o)
			switch {
			case allowed && (p.Failed() || o.Status != to):
				t.Errorf("%s → %s refused: %v", from, to, p.Errors)
			case allowed && p.changed() != (from != to):
				t.Errorf("%s → %s: changed = %v", from, to, p.changed())
			case !allowed && (!slices.Equal(violationKeys(p.Violations), []string{"status:INVALID"}) || o.Status != from):
				t.Errorf("%s → %s allowed: %v, status %s", from, to, p.Errors, o.Status)
			}
		}
	}
	if got := statusMoveMessage(OrderApproved, OrderDraft); got != "an order in APPROVED can move only to SHIPPED or CANCELLED, not to DRAFT" {
		t.Errorf("message = %q", got)
	}
}

func TestDevicePurchaseOrderEditable(t *testing.T) {
	all := &DevicePurchaseOrderFields{
		PaymentType: graphql.OmittableOf(str("CASH")), ShippingMethodGatewayID: graphql.OmittableOf[*string](nil),
		Items: graphql.OmittableOf([]*DevicePurchaseOrderItemInput{}), Shipping: graphql.OmittableOf[*DevicePurchaseOrderShippingInput](nil),
	}
	status := OrderCancelled
	tests := []struct {
		status DevicePurchaseOrderStatus
		change *orderChange
		want   []string
	}{
		{OrderDraft, &orderChange{DevicePurchaseOrderFields: all}, nil},
		{OrderSubmitted, &orderChange{DevicePurchaseOrderFields: all}, nil},
		{OrderApproved, &orderChange{DevicePurchaseOrderFields: all}, []string{"paymentType:NOT_EDITABLE",
			"shippingMethodGatewayId:NOT_EDITABLE", "items:NOT_EDITABLE", "shipping:NOT_EDITABLE"}},
		{OrderShipped, &orderChange{DevicePurchaseOrderFields: &DevicePurchaseOrderFields{Shipping: all.Shipping}},
			[]string{"shipping:NOT_EDITABLE"}},
		{OrderDelivered, &orderChange{DevicePurchaseOrderFields: &DevicePurchaseOrderFields{}, Status: graphql.OmittableOf(&status)}, nil},
	}
	for _, tt := range tests {
		var v Violations
		orderEditable(&v, &DevicePurchaseOrder{Status: tt.status}, tt.change)
		if got := violationKeys(v); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestMergeShipping(t *testing.T) {
	stored := func() *DevicePurchaseOrder { return validOrder() }
	sent := func() *DevicePurchaseOrderShippingInput {
		return &DevicePurchaseOrderShippingInput{
			Address: graphql.OmittableOf(&DevicePurchaseOrderAddressInput{City: graphql.OmittableOf(str("İzmir")),
				Country: graphql.OmittableOf(str("TR")), Line1: graphql.OmittableOf(str("Kordon 1"))}),
			Amount: graphql.OmittableOf(money("25")), Currency: graphql.OmittableOf(str("TRY")),
			Email: graphql.OmittableOf(str("depo@example.com")), Name: graphql.OmittableOf(str("Ali Veli")),
		}
	}
	t.Run("the same shipping changes nothing", func(t *testing.T) {
		o, p := stored(), newPatch()
		mergeShipping(p, graphql.OmittableOf(sent()), o)
		if p.changed() || len(p.columns) != 0 {
			t.Errorf("changed %v", p.changes)
		}
	})
	t.Run("replaced as a whole", func(t *testing.T) {
		o, p := stored(), newPatch()
		in := sent()
		in.Email = graphql.Omittable[*string]{} // left out: cleared, not kept
		in.Phone = graphql.OmittableOf(str("+902321234567"))
		mergeShipping(p, graphql.OmittableOf(in), o)
		if s := o.Shipping(); s == nil || s.Email != nil || *s.Phone != "+902321234567" || *s.Name != "Ali Veli" {
			t.Errorf("shipping = %+v", s)
		}
		if !slices.Equal(p.columns, shippingColumns) || p.changes["shipping"].From == nil {
			t.Errorf("columns %v, changes %v", p.columns, p.changes)
		}
	})
	t.Run("null clears", func(t *testing.T) {
		o, p := stored(), newPatch()
		mergeShipping(p, graphql.OmittableOf[*DevicePurchaseOrderShippingInput](nil), o)
		if o.Shipping() != nil || o.ShippingColumns != (DevicePurchaseOrderShipping{}) || p.changes["shipping"].To != nil {
			t.Errorf("shipping %+v, changes %v", o.Shipping(), p.changes)
		}
	})
	t.Run("amount of three decimals", func(t *testing.T) {
		o, p := stored(), newPatch()
		in := sent()
		in.Amount = graphql.OmittableOf(money("1.005"))
		mergeShipping(p, graphql.OmittableOf(in), o)
		if got := violationKeys(p.Violations); !slices.Equal(got, []string{"shipping.amount:INVALID"}) {
			t.Errorf("violations = %v", got)
		}
	})
}

// TestShippingColumns checks that shippingColumns names every column that holds the shipping,
// so that a shipping change writes all of them.
func TestShippingColumns(t *testing.T) {
	db := bun.NewDB(&sql.DB{}, pgdialect.New())
	typ := reflect.TypeFor[DevicePurchaseOrder]()
	embedded, _ := typ.FieldByName("ShippingColumns")
	var got []string
	for _, f := range db.Table(typ).Fields {
		if f.Index[0] == embedded.Index[0] || f.Name == "has_shipping" {
			got = append(got, f.Name)
		}
	}
	if !slices.Equal(got, shippingColumns) {
		t.Errorf("shipping columns = %v, want %v", got, shippingColumns)
	}
}
