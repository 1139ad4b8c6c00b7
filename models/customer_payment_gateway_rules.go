package models

import (
	"strconv"

	"github.com/shopspring/decimal"
)

// Validate checks every rule of a gateway on the merged record. A list's rules run when it is
// loaded, which it is whenever it (or, for fees and payment types, its partner) was sent; a
// list left out is unchanged and was valid when stored.
func (g *CustomerPaymentGateway) Validate(v *Violations) {
	requiredText(v, Path{"displayName"}, g.DisplayName)
	text(v, Path{"displayName"}, &g.DisplayName, maxNameLen)
	nonBlank(v, Path{"merchantId"}, g.MerchantID)
	text(v, Path{"merchantId"}, g.MerchantID, maxIdentifierLen)
	nonNegative(v, Path{"minPaymentAmount"}, g.MinPaymentAmount)
	nonNegative(v, Path{"maxPaymentAmount"}, g.MaxPaymentAmount)
	if g.MinPaymentAmount != nil && g.MaxPaymentAmount != nil && g.MinPaymentAmount.GreaterThan(*g.MaxPaymentAmount) {
		// At the amount the request sent: an update that sends only minPaymentAmount gets the
		// error there, not at the stored maximum it left alone.
		lo, hi := g.MinPaymentAmount.StringFixed(moneyScale), g.MaxPaymentAmount.StringFixed(moneyScale)
		if at := v.blame(Path{"maxPaymentAmount"}, Path{"minPaymentAmount"}); at[0] == "minPaymentAmount" {
			v.Add(at, CodeOutOfRange, "minPaymentAmount %s is above maxPaymentAmount %s", lo, hi)
		} else {
			v.Add(at, CodeOutOfRange, "maxPaymentAmount %s is below minPaymentAmount %s", hi, lo)
		}
	}
	g.Lists.validate(v)
}

func (l *GatewayLists) validate(v *Violations) {
	billTypes := map[int]bool{}
	for i, it := range l.BillTypes {
		if billTypes[it.BillTypeID] {
			v.Add(Path{"billTypes", strconv.Itoa(i), "billTypeId"}, CodeDuplicate, "bill type %d is listed twice", it.BillTypeID)
		}
		billTypes[it.BillTypeID] = true
	}
	apps := map[string]bool{}
	for i, it := range l.Applications {
		if id := it.ApplicationID.String(); apps[id] {
			v.Add(Path{"applications", strconv.Itoa(i), "applicationId"}, CodeDuplicate, "application %s is listed twice", id)
		}
		apps[it.ApplicationID.String()] = true
	}
	paymentTypes := map[string]bool{}
	for i, it := range l.PaymentTypes {
		path := Path{"paymentTypes", strconv.Itoa(i), "paymentType"}
		requiredText(v, path, it.PaymentType)
		text(v, path, &it.PaymentType, maxCodeLen)
		if paymentTypes[it.PaymentType] {
			v.Add(path, CodeDuplicate, "payment type %q is listed twice", it.PaymentType)
		}
		paymentTypes[it.PaymentType] = true
	}
	for i, fee := range l.ConvenienceFees {
		path := Path{"convenienceFees", strconv.Itoa(i)}
		requiredText(v, path.At("paymentType"), fee.PaymentType)
		text(v, path.At("paymentType"), &fee.PaymentType, maxCodeLen)
		if fee.PaymentType != "" && l.PaymentTypes != nil && !paymentTypes[fee.PaymentType] {
			v.Add(path.At("paymentType"), CodeInvalid, "payment type %q is not one of the gateway's paymentTypes", fee.PaymentType)
		}
		nonNegative(v, path.At("minRange"), fee.MinRange)
		nonNegative(v, path.At("maxRange"), fee.MaxRange)
		nonNegative(v, path.At("feeAmount"), fee.FeeAmount)
		nonNegative(v, path.At("totalPaymentAmount"), fee.TotalPaymentAmount)
		lo, hi := fee.bounds()
		if hi != nil && lo.GreaterThan(*hi) {
			v.Add(path.At("maxRange"), CodeOutOfRange, "maxRange %s is below minRange %s", hi.StringFixed(moneyScale), lo.StringFixed(moneyScale))
			continue
		}
		for j, other := range l.ConvenienceFees[:i] {
			if other.PaymentType == fee.PaymentType && rangesOverlap(other, fee) {
				v.Add(path.At("minRange"), CodeInvalid, "the range overlaps convenienceFees[%d] of payment type %q", j, fee.PaymentType)
				break
			}
		}
	}
}

// bounds returns the fee's amount range: a null minRange is 0, a null maxRange is unbounded.
func (f *ConvenienceFee) bounds() (decimal.Decimal, *decimal.Decimal) {
	lo := decimal.Zero
	if f.MinRange != nil {
		lo = *f.MinRange
	}
	return lo, f.MaxRange
}

// rangesOverlap reports whether two fees' ranges share more than a boundary point. Ranges
// that touch (0–100 and 100–200) do not overlap, so that tiers can be chained; two equal
// ranges always overlap, point ranges included.
func rangesOverlap(a, b *ConvenienceFee) bool {
	aLo, aHi := a.bounds()
	bLo, bHi := b.bounds()
	if aLo.Equal(bLo) && equalDecimal(aHi, bHi) {
		return true
	}
	// Half-open intersection: a starts before b ends and b starts before a ends.
	return (bHi == nil || aLo.LessThan(*bHi)) && (aHi == nil || bLo.LessThan(*aHi))
}
