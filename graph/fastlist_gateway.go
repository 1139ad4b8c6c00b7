package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/payplat/paygql/models"
)

// The customer payment gateway list on the fast path (fastlist.go): the fields of a gateway
// and of its four lists, each written as its generated resolver and marshaler would.

type (
	gw      = *models.CustomerPaymentGateway
	billTy  = *models.PaymentGatewayBillType
	appTy   = *models.PaymentGatewayApplication
	payTy   = *models.PaymentGatewayPaymentType
	feeTy   = *models.ConvenienceFee
	secretF = func(g gw) []byte
)

// fastGateways answers customerPaymentGateways(customerId) on the fast path.
func (r *Resolver) fastGateways() fastRoot {
	t := r.gatewayType()
	var hint sizeHint
	return func(ctx context.Context, f graphql.CollectedField) (graphql.Marshaler, bool) {
		oc := graphql.GetOperationContext(ctx)
		p, ok := t.compile(oc, f.Selections)
		if !ok {
			return nil, false
		}
		release, err := bigReads.acquire(ctx)
		if err != nil {
			return nil, false
		}
		defer release()
		customerID, err := models.UnmarshalUUID(f.ArgumentMap(oc.Variables)["customerId"])
		if err != nil {
			return nil, false
		}
		gs, err := r.Query().CustomerPaymentGateways(ctx, customerID)
		if err != nil {
			return nil, false
		}
		buf := getAnswerBuffer(&hint)
		*buf, ok, err = p.appendList(ctx, *buf, gs)
		if !ok || err != nil {
			putAnswerBuffer(buf)
			return nil, false
		}
		hint.note(*buf)
		return &fastAnswer{buf: buf, adopted: adoptionIn(ctx)}, true
	}
}

// gatewayType is CustomerPaymentGateway with its four lists.
func (r *Resolver) gatewayType() *objectType[gw] {
	mask := func(secret secretF) leaf[gw] {
		return func(buf []byte, g gw) ([]byte, bool) {
			m, err := r.Store.Secrets.Mask(secret(g))
			return appendOptString(buf, m), err == nil
		}
	}
	return &objectType[gw]{
		name: "CustomerPaymentGateway",
		leaves: map[string]leaf[gw]{
			"id":               plain(func(b []byte, g gw) []byte { return appendUUID(b, g.ID) }),
			"customerId":       plain(func(b []byte, g gw) []byte { return appendUUID(b, g.CustomerID) }),
			"merchantId":       plain(func(b []byte, g gw) []byte { return appendOptString(b, g.MerchantID) }),
			"merchantKey":      mask(func(g gw) []byte { return g.MerchantKey }),
			"merchantPin":      mask(func(g gw) []byte { return g.MerchantPin }),
			"displayName":      plain(func(b []byte, g gw) []byte { return appendString(b, g.DisplayName) }),
			"testMode":         plain(func(b []byte, g gw) []byte { return appendBool(b, g.TestMode) }),
			"allowToken":       plain(func(b []byte, g gw) []byte { return appendBool(b, g.AllowToken) }),
			"minPaymentAmount": plain(func(b []byte, g gw) []byte { return appendDecimal(b, g.MinPaymentAmount) }),
			"maxPaymentAmount": plain(func(b []byte, g gw) []byte { return appendDecimal(b, g.MaxPaymentAmount) }),
			"version":          plain(func(b []byte, g gw) []byte { return appendInt(b, g.Version) }),
			"createdAt":        plain(func(b []byte, g gw) []byte { return appendTime(b, g.CreatedAt) }),
			"updatedAt":        plain(func(b []byte, g gw) []byte { return appendTime(b, g.UpdatedAt) }),
		},
		lists: map[string]childList[gw]{
			"billTypes":       children[gw, billTy]{item: billTypeType, read: r.Store.BillTypes},
			"applications":    children[gw, appTy]{item: applicationType, read: r.Store.Applications},
			"paymentTypes":    children[gw, payTy]{item: paymentTypeType, read: r.Store.PaymentTypes},
			"convenienceFees": children[gw, feeTy]{item: convenienceFeeType, read: r.Store.ConvenienceFees},
		},
	}
}

// plain is a leaf that always succeeds.
func plain[T any](f func([]byte, T) []byte) leaf[T] {
	return func(buf []byte, v T) ([]byte, bool) { return f(buf, v), true }
}

var billTypeType = &objectType[billTy]{
	name: "PaymentGatewayBillType",
	leaves: map[string]leaf[billTy]{
		"id":                  plain(func(b []byte, it billTy) []byte { return appendUUID(b, it.ID) }),
		"paymentGatewayId":    plain(func(b []byte, it billTy) []byte { return appendUUID(b, it.PaymentGatewayID) }),
		"billTypeId":          plain(func(b []byte, it billTy) []byte { return appendInt(b, it.BillTypeID) }),
		"applyConvenienceFee": plain(func(b []byte, it billTy) []byte { return appendBool(b, it.ApplyConvenienceFee) }),
	},
}

var applicationType = &objectType[appTy]{
	name: "PaymentGatewayApplication",
	leaves: map[string]leaf[appTy]{
		"id":                  plain(func(b []byte, it appTy) []byte { return appendUUID(b, it.ID) }),
		"paymentGatewayId":    plain(func(b []byte, it appTy) []byte { return appendUUID(b, it.PaymentGatewayID) }),
		"applicationId":       plain(func(b []byte, it appTy) []byte { return appendUUID(b, it.ApplicationID) }),
		"isActive":            plain(func(b []byte, it appTy) []byte { return appendBool(b, it.IsActive) }),
		"primaryPaymentVenue": plain(func(b []byte, it appTy) []byte { return appendBool(b, it.PrimaryPaymentVenue) }),
	},
}

var paymentTypeType = &objectType[payTy]{
	name: "PaymentGatewayPaymentType",
	leaves: map[string]leaf[payTy]{
		"id":               plain(func(b []byte, it payTy) []byte { return appendUUID(b, it.ID) }),
		"paymentGatewayId": plain(func(b []byte, it payTy) []byte { return appendUUID(b, it.PaymentGatewayID) }),
		"paymentType":      plain(func(b []byte, it payTy) []byte { return appendString(b, it.PaymentType) }),
	},
}

var convenienceFeeType = &objectType[feeTy]{
	name: "ConvenienceFee",
	leaves: map[string]leaf[feeTy]{
		"id":                     plain(func(b []byte, it feeTy) []byte { return appendUUID(b, it.ID) }),
		"paymentGatewayId":       plain(func(b []byte, it feeTy) []byte { return appendUUID(b, it.PaymentGatewayID) }),
		"paymentType":            plain(func(b []byte, it feeTy) []byte { return appendString(b, it.PaymentType) }),
		"minRange":               plain(func(b []byte, it feeTy) []byte { return appendDecimal(b, it.MinRange) }),
		"maxRange":               plain(func(b []byte, it feeTy) []byte { return appendDecimal(b, it.MaxRange) }),
		"feeAmount":              plain(func(b []byte, it feeTy) []byte { return appendDecimal(b, it.FeeAmount) }),
		"applyAtPaymentOfBoot":   plain(func(b []byte, it feeTy) []byte { return appendOptBool(b, it.ApplyAtPaymentOfBoot) }),
		"applyAtPaymentOfNotice": plain(func(b []byte, it feeTy) []byte { return appendOptBool(b, it.ApplyAtPaymentOfNotice) }),
		"applyAtPaymentOfTow":    plain(func(b []byte, it feeTy) []byte { return appendOptBool(b, it.ApplyAtPaymentOfTow) }),
		"totalPaymentAmount":     plain(func(b []byte, it feeTy) []byte { return appendDecimal(b, it.TotalPaymentAmount) }),
		"applyConvenienceFee":    plain(func(b []byte, it feeTy) []byte { return appendOptBool(b, it.ApplyConvenienceFee) }),
	},
}
