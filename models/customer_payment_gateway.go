package models

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/secrets"
)

// EntityCustomerPaymentGateway names customer payment gateways in the audit log.
const EntityCustomerPaymentGateway = "CustomerPaymentGateway"

// CustomerPaymentGateway is a customer's payment gateway with its four lists. Lists holds the
// lists that were loaded or merged with it; readers fetch the others on demand.
type CustomerPaymentGateway struct {
	bun.BaseModel `bun:"table:customer_payment_gateways,alias:g"`
	Record

	CustomerID       uuid.UUID `bun:"customer_id,type:uuid"`
	MerchantID       *string   `bun:"merchant_id"`
	MerchantKey      Sealed    `bun:"merchant_key"`
	MerchantPin      Sealed    `bun:"merchant_pin"`
	DisplayName      string    `bun:"display_name"`
	TestMode         bool      `bun:"test_mode"`
	AllowToken       bool      `bun:"allow_token"`
	MinPaymentAmount *Decimal  `bun:"min_payment_amount,type:numeric(18,2)"`
	MaxPaymentAmount *Decimal  `bun:"max_payment_amount,type:numeric(18,2)"`

	// Lists holds the lists loaded or merged with the gateway.
	Lists GatewayLists `bun:"-"`
}

// GatewayLists are the four lists of a gateway, each in its stored order; a list that was
// not loaded is nil, a loaded empty one is not.
type GatewayLists struct {
	BillTypes       []*PaymentGatewayBillType
	Applications    []*PaymentGatewayApplication
	PaymentTypes    []*PaymentGatewayPaymentType
	ConvenienceFees []*ConvenienceFee
}

// gatewayItem is what every gateway list row has besides its own fields.
type gatewayItem struct {
	Item
	PaymentGatewayID uuid.UUID `bun:"payment_gateway_id,type:uuid" json:"-"`
}

func (r *gatewayItem) parent() *uuid.UUID { return &r.PaymentGatewayID }
func (*gatewayItem) parentColumn() string { return "payment_gateway_id" }

// PaymentGatewayBillType is a bill type a gateway serves.
type PaymentGatewayBillType struct {
	bun.BaseModel `bun:"table:payment_gateway_bill_types,alias:bt"`
	gatewayItem
	BillTypeID          int  `bun:"bill_type_id" json:"billTypeId"`
	ApplyConvenienceFee bool `bun:"apply_convenience_fee" json:"applyConvenienceFee"`
}

// PaymentGatewayApplication is an application that uses a gateway.
type PaymentGatewayApplication struct {
	bun.BaseModel `bun:"table:payment_gateway_applications,alias:app"`
	gatewayItem
	ApplicationID       uuid.UUID `bun:"application_id,type:uuid" json:"applicationId"`
	IsActive            bool      `bun:"is_active" json:"isActive"`
	PrimaryPaymentVenue bool      `bun:"primary_payment_venue" json:"primaryPaymentVenue"`
}

// PaymentGatewayPaymentType is a payment type a gateway accepts.
type PaymentGatewayPaymentType struct {
	bun.BaseModel `bun:"table:payment_gateway_payment_types,alias:pt"`
	gatewayItem
	PaymentType string `bun:"payment_type" json:"paymentType"`
}

// ConvenienceFee is a fee for payments of one payment type within an amount range.
type ConvenienceFee struct {
	bun.BaseModel `bun:"table:convenience_fees,alias:fee"`
	gatewayItem
	PaymentType            string   `bun:"payment_type" json:"paymentType"`
	MinRange               *Decimal `bun:"min_range,type:numeric(18,2)" json:"minRange"`
	MaxRange               *Decimal `bun:"max_range,type:numeric(18,2)" json:"maxRange"`
	FeeAmount              *Decimal `bun:"fee_amount,type:numeric(18,2)" json:"feeAmount"`
	ApplyAtPaymentOfBoot   *bool    `bun:"apply_at_payment_of_boot" json:"applyAtPaymentOfBoot"`
	ApplyAtPaymentOfNotice *bool    `bun:"apply_at_payment_of_notice" json:"applyAtPaymentOfNotice"`
	ApplyAtPaymentOfTow    *bool    `bun:"apply_at_payment_of_tow" json:"applyAtPaymentOfTow"`
	TotalPaymentAmount     *Decimal `bun:"total_payment_amount,type:numeric(18,2)" json:"totalPaymentAmount"`
	ApplyConvenienceFee    *bool    `bun:"apply_convenience_fee" json:"applyConvenienceFee"`
}

// listItemInput holds what every list item input has.
type listItemInput struct {
	ID               graphql.Omittable[*uuid.UUID]
	PaymentGatewayID graphql.Omittable[*uuid.UUID]
}

func (in *listItemInput) inputID() graphql.Omittable[*uuid.UUID] { return in.ID }

// PaymentGatewayBillTypeInput is a bill type in a sent list.
type PaymentGatewayBillTypeInput struct {
	listItemInput
	BillTypeID          graphql.Omittable[*int]
	ApplyConvenienceFee graphql.Omittable[*bool]
}

// PaymentGatewayApplicationInput is an application in a sent list.
type PaymentGatewayApplicationInput struct {
	listItemInput
	ApplicationID       graphql.Omittable[*uuid.UUID]
	IsActive            graphql.Omittable[*bool]
	PrimaryPaymentVenue graphql.Omittable[*bool]
}

// PaymentGatewayPaymentTypeInput is a payment type in a sent list.
type PaymentGatewayPaymentTypeInput struct {
	listItemInput
	PaymentType graphql.Omittable[*string]
}

// ConvenienceFeeInput is a convenience fee in a sent list.
type ConvenienceFeeInput struct {
	listItemInput
	PaymentType            graphql.Omittable[*string]
	MinRange               graphql.Omittable[*Decimal]
	MaxRange               graphql.Omittable[*Decimal]
	FeeAmount              graphql.Omittable[*Decimal]
	ApplyAtPaymentOfBoot   graphql.Omittable[*bool]
	ApplyAtPaymentOfNotice graphql.Omittable[*bool]
	ApplyAtPaymentOfTow    graphql.Omittable[*bool]
	TotalPaymentAmount     graphql.Omittable[*Decimal]
	ApplyConvenienceFee    graphql.Omittable[*bool]
}

// CustomerPaymentGatewayFields are the settable fields, shared by the create and update inputs.
type CustomerPaymentGatewayFields struct {
	MerchantID       graphql.Omittable[*string]
	MerchantKey      graphql.Omittable[*string]
	MerchantPin      graphql.Omittable[*string]
	DisplayName      graphql.Omittable[*string]
	TestMode         graphql.Omittable[*bool]
	AllowToken       graphql.Omittable[*bool]
	MinPaymentAmount graphql.Omittable[*Decimal]
	MaxPaymentAmount graphql.Omittable[*Decimal]
	BillTypes        graphql.Omittable[[]*PaymentGatewayBillTypeInput]
	Applications     graphql.Omittable[[]*PaymentGatewayApplicationInput]
	PaymentTypes     graphql.Omittable[[]*PaymentGatewayPaymentTypeInput]
	ConvenienceFees  graphql.Omittable[[]*ConvenienceFeeInput]
}

// CreateCustomerPaymentGatewayInput is the input of createCustomerPaymentGateway.
type CreateCustomerPaymentGatewayInput struct {
	CustomerID uuid.UUID
	MutationInput
	CustomerPaymentGatewayFields
}

// UpdateCustomerPaymentGatewayInput is the input of updateCustomerPaymentGateway.
type UpdateCustomerPaymentGatewayInput struct {
	CustomerID uuid.UUID
	ID         uuid.UUID
	UpdateInput
	CustomerPaymentGatewayFields
}

// CustomerPaymentGatewayPayload is the result of a customer payment gateway mutation.
type CustomerPaymentGatewayPayload struct {
	CustomerPaymentGateway *CustomerPaymentGateway
	Outcome
}

// The gateway's lists, each replaced as a whole when sent.
var (
	billTypeList = list[PaymentGatewayBillType, *PaymentGatewayBillType, *PaymentGatewayBillTypeInput]{
		field: "billTypes", merge: mergeBillType}
	applicationList = list[PaymentGatewayApplication, *PaymentGatewayApplication, *PaymentGatewayApplicationInput]{
		field: "applications", merge: mergeApplication}
	paymentTypeList = list[PaymentGatewayPaymentType, *PaymentGatewayPaymentType, *PaymentGatewayPaymentTypeInput]{
		field: "paymentTypes", merge: mergePaymentType}
	convenienceFeeList = list[ConvenienceFee, *ConvenienceFee, *ConvenienceFeeInput]{
		field: "convenienceFees", merge: mergeConvenienceFee}
)

// merge applies the sent fields to g through p. A sent list is merged into g.Lists, where it
// must be loaded.
func (f *CustomerPaymentGatewayFields) merge(p *patch, box *secrets.Box, g *CustomerPaymentGateway) []writer {
	setNullable(p, f.MerchantID, &g.MerchantID, "merchantId", "merchant_id")
	setSecret(p, box, f.MerchantKey, &g.MerchantKey, "merchantKey", "merchant_key")
	setSecret(p, box, f.MerchantPin, &g.MerchantPin, "merchantPin", "merchant_pin")
	setValue(p, f.DisplayName, &g.DisplayName, "displayName", "display_name")
	setValue(p, f.TestMode, &g.TestMode, "testMode", "test_mode")
	setValue(p, f.AllowToken, &g.AllowToken, "allowToken", "allow_token")
	setMoney(p, f.MinPaymentAmount, &g.MinPaymentAmount, "minPaymentAmount", "min_payment_amount")
	setMoney(p, f.MaxPaymentAmount, &g.MaxPaymentAmount, "maxPaymentAmount", "max_payment_amount")
	l := &g.Lists
	return []writer{
		billTypeList.replace(p, g.ID, f.BillTypes, &l.BillTypes),
		applicationList.replace(p, g.ID, f.Applications, &l.Applications),
		paymentTypeList.replace(p, g.ID, f.PaymentTypes, &l.PaymentTypes),
		convenienceFeeList.replace(p, g.ID, f.ConvenienceFees, &l.ConvenienceFees),
	}
}

// checkItemParent refuses an item that names another gateway.
func checkItemParent(p *patch, in *listItemInput, gatewayID uuid.UUID) {
	if v := in.PaymentGatewayID.Value(); v != nil && *v != gatewayID {
		p.Add(p.path("paymentGatewayId"), CodeInvalid, "paymentGatewayId must be this gateway's id %s", gatewayID)
	}
}

// requireOnNew refuses a new item that leaves out a required field whose zero value would
// pass for a real one (text fields are checked by Validate).
func requireOnNew(p *patch, isNew, sent bool, field string) {
	if isNew && !sent {
		p.Add(p.path(field), CodeRequired, "%s is required for a new item", field)
	}
}

func mergeBillType(p *patch, gatewayID uuid.UUID, in *PaymentGatewayBillTypeInput, it *PaymentGatewayBillType, isNew bool) {
	checkItemParent(p, &in.listItemInput, gatewayID)
	requireOnNew(p, isNew, in.BillTypeID.IsSet(), "billTypeId")
	setValue(p, in.BillTypeID, &it.BillTypeID, "billTypeId", "")
	setValue(p, in.ApplyConvenienceFee, &it.ApplyConvenienceFee, "applyConvenienceFee", "")
}

func mergeApplication(p *patch, gatewayID uuid.UUID, in *PaymentGatewayApplicationInput, it *PaymentGatewayApplication, isNew bool) {
	checkItemParent(p, &in.listItemInput, gatewayID)
	requireOnNew(p, isNew, in.ApplicationID.IsSet(), "applicationId")
	setValue(p, in.ApplicationID, &it.ApplicationID, "applicationId", "")
	setValue(p, in.IsActive, &it.IsActive, "isActive", "")
	setValue(p, in.PrimaryPaymentVenue, &it.PrimaryPaymentVenue, "primaryPaymentVenue", "")
}

func mergePaymentType(p *patch, gatewayID uuid.UUID, in *PaymentGatewayPaymentTypeInput, it *PaymentGatewayPaymentType, _ bool) {
	checkItemParent(p, &in.listItemInput, gatewayID)
	setValue(p, in.PaymentType, &it.PaymentType, "paymentType", "")
}

func mergeConvenienceFee(p *patch, gatewayID uuid.UUID, in *ConvenienceFeeInput, it *ConvenienceFee, _ bool) {
	checkItemParent(p, &in.listItemInput, gatewayID)
	setValue(p, in.PaymentType, &it.PaymentType, "paymentType", "")
	setMoney(p, in.MinRange, &it.MinRange, "minRange", "")
	setMoney(p, in.MaxRange, &it.MaxRange, "maxRange", "")
	setMoney(p, in.FeeAmount, &it.FeeAmount, "feeAmount", "")
	setNullable(p, in.ApplyAtPaymentOfBoot, &it.ApplyAtPaymentOfBoot, "applyAtPaymentOfBoot", "")
	setNullable(p, in.ApplyAtPaymentOfNotice, &it.ApplyAtPaymentOfNotice, "applyAtPaymentOfNotice", "")
	setNullable(p, in.ApplyAtPaymentOfTow, &it.ApplyAtPaymentOfTow, "applyAtPaymentOfTow", "")
	setMoney(p, in.TotalPaymentAmount, &it.TotalPaymentAmount, "totalPaymentAmount", "")
	setNullable(p, in.ApplyConvenienceFee, &it.ApplyConvenienceFee, "applyConvenienceFee", "")
}
