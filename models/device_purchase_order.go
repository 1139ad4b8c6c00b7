package models

import (
	"io"
	"slices"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/secrets"
)

// EntityDevicePurchaseOrder names device purchase orders in the audit log.
const EntityDevicePurchaseOrder = "DevicePurchaseOrder"

// DevicePurchaseOrderStatus is where an order stands in its workflow.
type DevicePurchaseOrderStatus string

// The values of DevicePurchaseOrderStatus.
const (
	OrderDraft     DevicePurchaseOrderStatus = "DRAFT"
	OrderSubmitted DevicePurchaseOrderStatus = "SUBMITTED"
	OrderApproved  DevicePurchaseOrderStatus = "APPROVED"
	OrderShipped   DevicePurchaseOrderStatus = "SHIPPED"
	OrderDelivered DevicePurchaseOrderStatus = "DELIVERED"
	OrderCancelled DevicePurchaseOrderStatus = "CANCELLED"
)

// orderMoves lists the statuses each status may move to.
var orderMoves = map[DevicePurchaseOrderStatus][]DevicePurchaseOrderStatus{
	OrderDraft:     {OrderSubmitted, OrderCancelled},
	OrderSubmitted: {OrderApproved, OrderCancelled},
	OrderApproved:  {OrderShipped, OrderCancelled},
	OrderShipped:   {OrderDelivered, OrderCancelled},
	OrderDelivered: {},
	OrderCancelled: {},
}

// UnmarshalGQL reads a DevicePurchaseOrderStatus from GraphQL.
func (s *DevicePurchaseOrderStatus) UnmarshalGQL(v any) error {
	str, _ := v.(string)
	if _, ok := orderMoves[DevicePurchaseOrderStatus(str)]; !ok {
		return inputErrorf("%v is not a DevicePurchaseOrderStatus", v)
	}
	*s = DevicePurchaseOrderStatus(str)
	return nil
}

// MarshalGQL writes s to GraphQL.
func (s DevicePurchaseOrderStatus) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(s)))
}

// contentEditable reports whether an order in status s may change its items, shipping,
// paymentType and shippingMethodGatewayId.
func (s DevicePurchaseOrderStatus) contentEditable() bool {
	return s == OrderDraft || s == OrderSubmitted
}

// DevicePurchaseOrder is a dealer's order of devices: items with a snapshot of the product
// ordered, an optional shipping, and totals the server derives from them. Items holds the
// items when they were loaded or merged with the order; readers fetch them on demand.
type DevicePurchaseOrder struct {
	bun.BaseModel `bun:"table:device_purchase_orders,alias:o"`
	Record

	DealerCode              string                    `bun:"dealer_code"`
	Status                  DevicePurchaseOrderStatus `bun:"status"`
	PaymentType             *string                   `bun:"payment_type"`
	ShippingMethodGatewayID *string                   `bun:"shipping_method_gateway_id"`
	// Currency is the items' common currency.
	Currency   string  `bun:"currency"`
	ItemsTotal Decimal `bun:"items_total,type:numeric(18,2)"`
	Total      Decimal `bun:"total,type:numeric(18,2)"`
	// HasShipping says whether ShippingColumns hold a shipping; they are all null when not.
	HasShipping     bool                        `bun:"has_shipping"`
	ShippingColumns DevicePurchaseOrderShipping `bun:"embed:shipping_"`

	// Items holds the items loaded or merged with the order, nil when not loaded.
	Items []*DevicePurchaseOrderItem `bun:"-"`
}

// Shipping returns the order's shipping, or nil when it has none.
func (o *DevicePurchaseOrder) Shipping() *DevicePurchaseOrderShipping {
	if !o.HasShipping {
		return nil
	}
	return &o.ShippingColumns
}

// DevicePurchaseOrderShipping is where and how an order is shipped, and what shipping costs.
type DevicePurchaseOrderShipping struct {
	Address  DevicePurchaseOrderAddress `bun:"embed:address_" json:"address"`
	Amount   *Decimal                   `bun:"amount,type:numeric(18,2)" json:"amount"`
	Company  *string                    `bun:"company" json:"company"`
	Currency *string                    `bun:"currency" json:"currency"`
	Email    *string                    `bun:"email" json:"email"`
	Name     *string                    `bun:"name" json:"name"`
	Phone    *string                    `bun:"phone" json:"phone"`
}

// DevicePurchaseOrderAddress is a shipping address.
type DevicePurchaseOrderAddress struct {
	City       *string `bun:"city" json:"city"`
	Country    *string `bun:"country" json:"country"`
	Line1      *string `bun:"line1" json:"line1"`
	Line2      *string `bun:"line2" json:"line2"`
	PostalCode *string `bun:"postal_code" json:"postalCode"`
	State      *string `bun:"state" json:"state"`
}

// shippingColumns are the order's columns that hold its shipping.
var shippingColumns = []string{
	"has_shipping", "shipping_address_city", "shipping_address_country", "shipping_address_line1",
	"shipping_address_line2", "shipping_address_postal_code", "shipping_address_state",
	"shipping_amount", "shipping_company", "shipping_currency", "shipping_email", "shipping_name",
	"shipping_phone",
}

// orderItem is what every order item row has besides its own fields.
type orderItem struct {
	Item
	OrderID uuid.UUID `bun:"order_id,type:uuid" json:"-"`
}

func (r *orderItem) parent() *uuid.UUID { return &r.OrderID }
func (*orderItem) parentColumn() string { return "order_id" }

// DevicePurchaseOrderItem is one line of an order: a quantity of one product at a unit amount.
// Quantity and Amount are pointers only so that a merge refused for them leaves no made-up
// value behind; a stored item always has both.
type DevicePurchaseOrderItem struct {
	bun.BaseModel `bun:"table:device_purchase_order_items,alias:oi"`
	orderItem
	Quantity *int                       `bun:"quantity" json:"quantity"`
	Amount   *Decimal                   `bun:"amount,type:numeric(18,2)" json:"amount"`
	Currency string                     `bun:"currency" json:"currency"`
	Product  DevicePurchaseOrderProduct `bun:"embed:product_" json:"product"`
	// LineTotal is derived (Amount × Quantity), so the audit trail leaves it out.
	LineTotal Decimal `bun:"line_total,type:numeric(18,2)" json:"-"`
}

// DevicePurchaseOrderProduct is the product an item orders, as the catalogue showed it when
// it was ordered.
type DevicePurchaseOrderProduct struct {
	GatewayCountryProductID *string                           `bun:"gateway_country_product_id" json:"gatewayCountryProductId"`
	GatewayProduct          DevicePurchaseOrderGatewayProduct `bun:"embed:gateway_product_" json:"gatewayProduct"`
	Amount                  *Decimal                          `bun:"amount,type:numeric(18,2)" json:"amount"`
	Currency                *string                           `bun:"currency" json:"currency"`
	Country                 *string                           `bun:"country" json:"country"`
	Orderable               *string                           `bun:"orderable" json:"orderable"`
	Name                    *string                           `bun:"name" json:"name"`
	Description             *string                           `bun:"description" json:"description"`
	ImageURL                *string                           `bun:"image_url" json:"imageUrl"`
	Status                  *string                           `bun:"status" json:"status"`
}

// DevicePurchaseOrderGatewayProduct is the payment gateway's side of a product.
type DevicePurchaseOrderGatewayProduct struct {
	GatewayID *string `bun:"gateway_id" json:"gatewayId"`
	Status    *string `bun:"status" json:"status"`
	Type      *string `bun:"type" json:"type"`
	ID        *string `bun:"id" json:"id"`
}

// DevicePurchaseOrderItemInput is an item in a sent list.
type DevicePurchaseOrderItemInput struct {
	ID       graphql.Omittable[*uuid.UUID]
	Quantity graphql.Omittable[*int]
	Amount   graphql.Omittable[*Decimal]
	Currency graphql.Omittable[*string]
	Product  graphql.Omittable[*DevicePurchaseOrderProductInput]
}

func (in *DevicePurchaseOrderItemInput) inputID() graphql.Omittable[*uuid.UUID] { return in.ID }

// DevicePurchaseOrderProductInput is a product snapshot, replaced as a whole when sent.
type DevicePurchaseOrderProductInput struct {
	GatewayCountryProductID graphql.Omittable[*string]
	GatewayProduct          graphql.Omittable[*DevicePurchaseOrderGatewayProductInput]
	Amount                  graphql.Omittable[*Decimal]
	Currency                graphql.Omittable[*string]
	Country                 graphql.Omittable[*string]
	Orderable               graphql.Omittable[*string]
	Name                    graphql.Omittable[*string]
	Description             graphql.Omittable[*string]
	ImageURL                graphql.Omittable[*string]
	Status                  graphql.Omittable[*string]
}

// DevicePurchaseOrderGatewayProductInput is the gateway's side of a sent product.
type DevicePurchaseOrderGatewayProductInput struct {
	GatewayID graphql.Omittable[*string]
	Status    graphql.Omittable[*string]
	Type      graphql.Omittable[*string]
	ID        graphql.Omittable[*string]
}

// DevicePurchaseOrderShippingInput is a shipping, replaced as a whole when sent.
type DevicePurchaseOrderShippingInput struct {
	Address  graphql.Omittable[*DevicePurchaseOrderAddressInput]
	Amount   graphql.Omittable[*Decimal]
	Company  graphql.Omittable[*string]
	Currency graphql.Omittable[*string]
	Email    graphql.Omittable[*string]
	Name     graphql.Omittable[*string]
	Phone    graphql.Omittable[*string]
}

// DevicePurchaseOrderAddressInput is a sent shipping address.
type DevicePurchaseOrderAddressInput struct {
	City       graphql.Omittable[*string]
	Country    graphql.Omittable[*string]
	Line1      graphql.Omittable[*string]
	Line2      graphql.Omittable[*string]
	PostalCode graphql.Omittable[*string]
	State      graphql.Omittable[*string]
}

// DevicePurchaseOrderFields are the settable fields, shared by the create and update inputs.
// All of them are the order's content, which changes only while the order is DRAFT or
// SUBMITTED.
type DevicePurchaseOrderFields struct {
	PaymentType             graphql.Omittable[*string]
	ShippingMethodGatewayID graphql.Omittable[*string]
	Items                   graphql.Omittable[[]*DevicePurchaseOrderItemInput]
	Shipping                graphql.Omittable[*DevicePurchaseOrderShippingInput]
}

// CreateDevicePurchaseOrderInput is the input of createDevicePurchaseOrder.
type CreateDevicePurchaseOrderInput struct {
	DealerCode string
	MutationInput
	DevicePurchaseOrderFields
}

// UpdateDevicePurchaseOrderInput is the input of updateDevicePurchaseOrder.
type UpdateDevicePurchaseOrderInput struct {
	DealerCode string
	UUID       uuid.UUID
	UpdateInput
	Status graphql.Omittable[*DevicePurchaseOrderStatus]
	DevicePurchaseOrderFields
}

// DevicePurchaseOrderPayload is the result of a device purchase order mutation.
type DevicePurchaseOrderPayload struct {
	DevicePurchaseOrder *DevicePurchaseOrder
	Outcome
}

// DevicePurchaseOrderConnection is a page of device purchase orders.
type DevicePurchaseOrderConnection struct {
	Edges    []*DevicePurchaseOrderEdge
	Nodes    []*DevicePurchaseOrder
	PageInfo PageInfo
}

// DevicePurchaseOrderEdge is an order on a page with its cursor.
type DevicePurchaseOrderEdge struct {
	Cursor string
	Node   *DevicePurchaseOrder
}

// DevicePurchaseOrderOrderField is what purchase orders can be ordered by.
type DevicePurchaseOrderOrderField string

// DevicePurchaseOrderOrder is an order of purchase orders.
type DevicePurchaseOrderOrder struct {
	Field     DevicePurchaseOrderOrderField
	Direction OrderDirection
}

// devicePurchaseOrderKeys are the orders of DevicePurchaseOrders.
var devicePurchaseOrderKeys = map[DevicePurchaseOrderOrderField]sortKey[*DevicePurchaseOrder]{
	"CREATED_AT":  {"o.created_at", "timestamptz", func(o *DevicePurchaseOrder) string { return timeKey(o.CreatedAt) }},
	"UPDATED_AT":  {"o.updated_at", "timestamptz", func(o *DevicePurchaseOrder) string { return timeKey(o.UpdatedAt) }},
	"DEALER_CODE": {"o.dealer_code", "text", func(o *DevicePurchaseOrder) string { return o.DealerCode }},
	"TOTAL":       {"o.total", "numeric", func(o *DevicePurchaseOrder) string { return o.Total.String() }},
}

// UnmarshalGQL reads a DevicePurchaseOrderOrderField from GraphQL.
func (f *DevicePurchaseOrderOrderField) UnmarshalGQL(v any) error {
	return orderField(f, v, "DevicePurchaseOrderOrderField", devicePurchaseOrderKeys)
}

// MarshalGQL writes f to GraphQL.
func (f DevicePurchaseOrderOrderField) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(f)))
}

// orderChange is what one mutation asks of an order: the content fields and, on updates, a
// status move.
type orderChange struct {
	*DevicePurchaseOrderFields
	Status graphql.Omittable[*DevicePurchaseOrderStatus]
}

// contentSent lists the content fields a change sends, by input name.
func (c *orderChange) contentSent() []string {
	var out []string
	for _, f := range []struct {
		name string
		sent bool
	}{
		{"paymentType", c.PaymentType.IsSet()},
		{"shippingMethodGatewayId", c.ShippingMethodGatewayID.IsSet()},
		{"items", c.Items.IsSet()},
		{"shipping", c.Shipping.IsSet()},
	} {
		if f.sent {
			out = append(out, f.name)
		}
	}
	return out
}

// orderItemList is the order's items, replaced as a whole when sent.
var orderItemList = list[DevicePurchaseOrderItem, *DevicePurchaseOrderItem, *DevicePurchaseOrderItemInput]{
	field: "items", merge: mergeOrderItem}

// merge applies the sent fields to o through p. Sent items are merged into o.Items, where
// they must be loaded.
func (c *orderChange) merge(p *patch, _ *secrets.Box, o *DevicePurchaseOrder) []writer {
	if to, ok := c.Status.ValueOK(); ok && to != nil && *to != o.Status && !slices.Contains(orderMoves[o.Status], *to) {
		p.Add(Path{"status"}, CodeInvalid, "%s", statusMoveMessage(o.Status, *to))
	} else {
		setValue(p, c.Status, &o.Status, "status", "status")
	}
	setNullable(p, c.PaymentType, &o.PaymentType, "paymentType", "payment_type")
	setNullable(p, c.ShippingMethodGatewayID, &o.ShippingMethodGatewayID, "shippingMethodGatewayId", "shipping_method_gateway_id")
	mergeShipping(p, c.Shipping, o)
	return []writer{orderItemList.replace(p, o.ID, c.Items, &o.Items)}
}

func mergeOrderItem(p *patch, _ uuid.UUID, in *DevicePurchaseOrderItemInput, it *DevicePurchaseOrderItem, isNew bool) {
	if required(p, isNew, in.Quantity, "quantity") {
		setNullable(p, in.Quantity, &it.Quantity, "quantity", "")
	}
	if required(p, isNew, in.Amount, "amount") {
		setMoney(p, in.Amount, &it.Amount, "amount", "")
	}
	setValue(p, in.Currency, &it.Currency, "currency", "")
	if v, sent := in.Product.ValueOK(); sent {
		// Replaced as a whole; null leaves an empty product, which Validate refuses.
		pp := p.item(p.path("product"))
		var next DevicePurchaseOrderProduct
		if v != nil {
			next = v.product(pp)
		}
		p.Errors = append(p.Errors, pp.Errors...)
		if !sameJSON(it.Product, next) {
			p.record("product", "", it.Product, next)
			it.Product = next
		}
	}
}

// required refuses a field that a new item leaves out or any item sends as null; it reports
// whether the field may be merged. Validate cannot tell these apart from a value the merge
// refused, so the merge reports them.
func required[T any](p *patch, isNew bool, in graphql.Omittable[*T], field string) bool {
	if v, sent := in.ValueOK(); (isNew && !sent) || (sent && v == nil) {
		p.Add(p.path(field), CodeRequired, "%s is required", field)
		return false
	}
	return true
}

// product makes the snapshot a sent product describes; fields left out are null.
func (in *DevicePurchaseOrderProductInput) product(p *patch) DevicePurchaseOrderProduct {
	out := DevicePurchaseOrderProduct{
		GatewayCountryProductID: in.GatewayCountryProductID.Value(),
		Currency:                in.Currency.Value(),
		Country:                 in.Country.Value(),
		Orderable:               in.Orderable.Value(),
		Name:                    in.Name.Value(),
		Description:             in.Description.Value(),
		ImageURL:                in.ImageURL.Value(),
		Status:                  in.Status.Value(),
	}
	setMoney(p, in.Amount, &out.Amount, "amount", "")
	if g := in.GatewayProduct.Value(); g != nil {
		out.GatewayProduct = DevicePurchaseOrderGatewayProduct{
			GatewayID: g.GatewayID.Value(), Status: g.Status.Value(), Type: g.Type.Value(), ID: g.ID.Value(),
		}
	}
	return out
}

// mergeShipping replaces o's shipping with the sent one as a whole; null clears it.
func mergeShipping(p *patch, in graphql.Omittable[*DevicePurchaseOrderShippingInput], o *DevicePurchaseOrder) {
	v, sent := in.ValueOK()
	if !sent {
		return
	}
	sp := p.item(p.path("shipping"))
	var next DevicePurchaseOrderShipping
	if v != nil {
		next = v.shipping(sp)
	}
	p.Errors = append(p.Errors, sp.Errors...)
	if (v != nil) == o.HasShipping && sameJSON(o.ShippingColumns, next) {
		return
	}
	var from, to any
	if o.HasShipping {
		from = o.ShippingColumns
	}
	if v != nil {
		to = next
	}
	p.record("shipping", "", from, to)
	p.columns = append(p.columns, shippingColumns...)
	o.HasShipping, o.ShippingColumns = v != nil, next
}

// shipping makes the shipping a sent one describes; fields left out are null.
func (in *DevicePurchaseOrderShippingInput) shipping(p *patch) DevicePurchaseOrderShipping {
	out := DevicePurchaseOrderShipping{
		Company:  in.Company.Value(),
		Currency: in.Currency.Value(),
		Email:    in.Email.Value(),
		Name:     in.Name.Value(),
		Phone:    in.Phone.Value(),
	}
	setMoney(p, in.Amount, &out.Amount, "amount", "")
	if a := in.Address.Value(); a != nil {
		out.Address = DevicePurchaseOrderAddress{
			City: a.City.Value(), Country: a.Country.Value(), Line1: a.Line1.Value(),
			Line2: a.Line2.Value(), PostalCode: a.PostalCode.Value(), State: a.State.Value(),
		}
	}
	return out
}
