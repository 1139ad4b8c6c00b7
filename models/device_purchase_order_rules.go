package models

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Limits of an order item.
const (
	minItemQuantity = 1
	maxItemQuantity = 10000
)

// productActive is the product status an order expects; any other is worth a warning.
const productActive = "ACTIVE"

// WarnProductNotActive is the warning code of an item whose product is not ACTIVE.
const WarnProductNotActive = "PRODUCT_NOT_ACTIVE"

// Validate checks every rule of an order on the merged record, after derive. The items'
// rules run when they are loaded, which they are whenever they were sent; items left out are
// unchanged and were valid when stored.
func (o *DevicePurchaseOrder) Validate(v *Violations) {
	requiredText(v, Path{"dealerCode"}, o.DealerCode)
	text(v, Path{"dealerCode"}, &o.DealerCode, maxCodeLen)
	nonBlank(v, Path{"paymentType"}, o.PaymentType)
	text(v, Path{"paymentType"}, o.PaymentType, maxCodeLen)
	nonBlank(v, Path{"shippingMethodGatewayId"}, o.ShippingMethodGatewayID)
	text(v, Path{"shippingMethodGatewayId"}, o.ShippingMethodGatewayID, maxIdentifierLen)
	linesFit := true
	if o.Items != nil {
		linesFit = validateOrderItems(v, o.Items)
	}
	if s := o.Shipping(); s != nil {
		s.validate(v, o.Currency)
	}
	if linesFit && o.Total.GreaterThanOrEqual(maxMoney) {
		v.Add(Path{}, CodeOutOfRange, "the order total %s must be less than %s", o.Total.StringFixed(moneyScale), maxMoney)
	}
}

// validateOrderItems checks the items: at least one, each well-formed, all in one currency.
// It reports whether every line total fits a money column, so that an order total made too
// large by one line is reported once, at that line.
func validateOrderItems(v *Violations, items []*DevicePurchaseOrderItem) (linesFit bool) {
	linesFit = true
	if len(items) == 0 {
		v.Add(Path{"items"}, CodeRequired, "an order needs at least one item")
		return linesFit
	}
	common := commonCurrency(items)
	for i, it := range items {
		path := Path{"items", strconv.Itoa(i)}
		// A missing quantity or amount was refused by the merge.
		switch q := it.Quantity; {
		case q == nil:
		case *q < minItemQuantity || *q > maxItemQuantity:
			v.Add(path.At("quantity"), CodeOutOfRange, "quantity must be between %d and %d", minItemQuantity, maxItemQuantity)
		case it.lineTotal().GreaterThanOrEqual(maxMoney):
			v.Add(path.At("quantity"), CodeOutOfRange, "quantity × amount must be less than %s", maxMoney)
			linesFit = false
		}
		nonNegative(v, path.At("amount"), it.Amount)
		requiredText(v, path.At("currency"), it.Currency)
		if it.Currency != "" {
			currencyCode(v, path.At("currency"), &it.Currency)
			if isCurrency(it.Currency) && it.Currency != common {
				v.Add(path.At("currency"), CodeInvalid, "currency %q differs from the other items' %q: every item and the shipping use one currency", it.Currency, common)
			}
		}
		it.Product.validate(v, path.At("product"))
	}
	return linesFit
}

func (pr *DevicePurchaseOrderProduct) validate(v *Violations, path Path) {
	if *pr == (DevicePurchaseOrderProduct{}) {
		v.Add(path, CodeRequired, "product is required")
		return
	}
	if pr.GatewayCountryProductID == nil {
		v.Add(path.At("gatewayCountryProductId"), CodeRequired, "gatewayCountryProductId is required: it names the product ordered")
	}
	nonBlank(v, path.At("gatewayCountryProductId"), pr.GatewayCountryProductID)
	nonBlank(v, path.At("name"), pr.Name)
	g := &pr.GatewayProduct
	for _, f := range []struct {
		path Path
		s    *string
		max  int
	}{
		{path.At("gatewayCountryProductId"), pr.GatewayCountryProductID, maxIdentifierLen},
		{path.At("gatewayProduct", "gatewayId"), g.GatewayID, maxIdentifierLen},
		{path.At("gatewayProduct", "status"), g.Status, maxCodeLen},
		{path.At("gatewayProduct", "type"), g.Type, maxCodeLen},
		{path.At("gatewayProduct", "id"), g.ID, maxIdentifierLen},
		{path.At("name"), pr.Name, maxNameLen},
		{path.At("description"), pr.Description, maxDescriptionLen},
		{path.At("imageUrl"), pr.ImageURL, maxURLLen},
		{path.At("status"), pr.Status, maxCodeLen},
	} {
		text(v, f.path, f.s, f.max)
	}
	nonNegative(v, path.At("amount"), pr.Amount)
	currencyCode(v, path.At("currency"), pr.Currency)
	countryCode(v, path.At("country"), pr.Country)
	if o := pr.Orderable; o != nil {
		switch *o {
		case "true":
		case "false":
			v.Add(path.At("orderable"), CodeInvalid, "product %s is not orderable", textOf(pr.GatewayCountryProductID))
		default:
			v.Add(path.At("orderable"), CodeInvalid, "orderable must be \"true\" or \"false\", not %s", quote(*o))
		}
	}
	if s := pr.Status; s != nil && *s != productActive {
		v.Warn(path.At("status"), WarnProductNotActive, "product %s is %s, not %s: check that it can still be delivered",
			textOf(pr.GatewayCountryProductID), *s, productActive)
	}
}

// validate checks a shipping; currency is the items' currency, which it must share.
func (s *DevicePurchaseOrderShipping) validate(v *Violations, currency string) {
	path := Path{"shipping"}
	requiredText(v, path.At("name"), textOf(s.Name))
	nonBlank(v, path.At("company"), s.Company)
	nonBlank(v, path.At("phone"), s.Phone)
	text(v, path.At("name"), s.Name, maxNameLen)
	text(v, path.At("company"), s.Company, maxNameLen)
	text(v, path.At("phone"), s.Phone, maxPhoneLen)
	email(v, path.At("email"), s.Email)
	nonNegative(v, path.At("amount"), s.Amount)
	switch {
	case s.Currency == nil && s.Amount != nil:
		v.Add(path.At("currency"), CodeRequired, "currency is required with an amount")
	case s.Currency == nil:
	case !isCurrency(*s.Currency):
		currencyCode(v, path.At("currency"), s.Currency)
	case isCurrency(currency) && *s.Currency != currency:
		v.Add(path.At("currency"), CodeInvalid, "currency %q differs from the items' %q: every item and the shipping use one currency", *s.Currency, currency)
	}
	a := s.Address
	if a == (DevicePurchaseOrderAddress{}) {
		v.Add(path.At("address"), CodeRequired, "address is required")
		return
	}
	path = path.At("address")
	requiredText(v, path.At("line1"), textOf(a.Line1))
	requiredText(v, path.At("city"), textOf(a.City))
	requiredText(v, path.At("country"), textOf(a.Country))
	countryCode(v, path.At("country"), a.Country)
	nonBlank(v, path.At("line2"), a.Line2)
	nonBlank(v, path.At("postalCode"), a.PostalCode)
	nonBlank(v, path.At("state"), a.State)
	for _, f := range []struct {
		name string
		s    *string
		max  int
	}{
		{"line1", a.Line1, maxAddressLen}, {"line2", a.Line2, maxAddressLen}, {"city", a.City, maxNameLen},
		{"postalCode", a.PostalCode, maxPostalCodeLen}, {"state", a.State, maxNameLen},
	} {
		text(v, path.At(f.name), f.s, f.max)
	}
}

// statusMoveMessage explains why an order cannot move from one status to another, naming
// the moves it can make.
func statusMoveMessage(from, to DevicePurchaseOrderStatus) string {
	moves := orderMoves[from]
	if len(moves) == 0 {
		return fmt.Sprintf("a %s order is final: its status cannot move to %s", from, to)
	}
	names := make([]string, len(moves))
	for i, m := range moves {
		names[i] = string(m)
	}
	return fmt.Sprintf("an order in %s can move only to %s, not to %s", from, strings.Join(names, " or "), to)
}

// orderEditable refuses content changes of an order that is past SUBMITTED, at every content
// field sent. The stored status decides, so that one update may both change and approve a
// SUBMITTED order.
func orderEditable(v *Violations, o *DevicePurchaseOrder, c *orderChange) {
	if o.Status.contentEditable() {
		return
	}
	for _, field := range c.contentSent() {
		v.Add(Path{field}, CodeNotEditable, "%s cannot change while the order is %s: only DRAFT and SUBMITTED orders can be edited", field, o.Status)
	}
}

// derive sets the values the server computes: each item's lineTotal (amount × quantity),
// itemsTotal (their sum), the order's currency (the items' common one) and total (itemsTotal
// plus the shipping amount). Items left out of an update keep their stored totals.
func (o *DevicePurchaseOrder) derive(p *patch) {
	if o.Items != nil {
		sum := decimal.Zero
		for _, it := range o.Items {
			it.LineTotal = it.lineTotal()
			sum = sum.Add(it.LineTotal)
		}
		setDerived(p, "itemsTotal", "items_total", &o.ItemsTotal, sum)
		if c := commonCurrency(o.Items); c != o.Currency {
			p.record("currency", "currency", o.Currency, c)
			o.Currency = c
		}
	}
	total := o.ItemsTotal
	if s := o.Shipping(); s != nil && s.Amount != nil {
		total = total.Add(*s.Amount)
	}
	setDerived(p, "total", "total", &o.Total, total)
}

// setDerived sets a derived amount at money scale, recording it when its value moves.
func setDerived(p *patch, field, column string, dst *Decimal, v Decimal) {
	v = v.Round(moneyScale)
	if !dst.Equal(v) {
		p.record(field, column, moneyText(dst), moneyText(&v))
	}
	*dst = v
}

// lineTotal is amount × quantity, 0 while either is missing.
func (it *DevicePurchaseOrderItem) lineTotal() Decimal {
	if it.Amount == nil || it.Quantity == nil {
		return decimal.Zero.Round(moneyScale)
	}
	return it.Amount.Mul(decimal.NewFromInt(int64(*it.Quantity))).Round(moneyScale)
}

// commonCurrency is the currency most items use (the first one seen on a tie); an item in
// another is the odd one out. Malformed codes do not count.
func commonCurrency(items []*DevicePurchaseOrderItem) string {
	counts := map[string]int{}
	best := ""
	for _, it := range items {
		if !isCurrency(it.Currency) {
			continue
		}
		counts[it.Currency]++
		if counts[it.Currency] > counts[best] {
			best = it.Currency
		}
	}
	return best
}

// isCurrency reports whether s is an ISO 4217 currency code.
func isCurrency(s string) bool {
	var v Violations
	currencyCode(&v, Path{"currency"}, &s)
	return !v.Failed()
}

func textOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
