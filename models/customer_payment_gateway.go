package models

import (
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// EntityCustomerPaymentGateway names customer payment gateways in the audit log.
const EntityCustomerPaymentGateway = "CustomerPaymentGateway"

// CustomerPaymentGateway is a customer's payment gateway with its four lists. Lists holds the
// lists that were loaded or merged with it; readers fetch the others on demand.
type CustomerPaymentGateway struct {
	bun.BaseModel `bun:"table:customer_payment_gateways,alias:g"`

	ID               uuid.UUID `bun:"id,pk,type:uuid"`
	CustomerID       uuid.UUID `bun:"customer_id,type:uuid"`
	MerchantID       *string   `bun:"merchant_id"`
	MerchantKey      []byte    `bun:"merchant_key"`
	MerchantPin      []byte    `bun:"merchant_pin"`
	DisplayName      string    `bun:"display_name"`
	TestMode         bool      `bun:"test_mode"`
	AllowToken       bool      `bun:"allow_token"`
	MinPaymentAmount *Decimal  `bun:"min_payment_amount,type:numeric(18,2)"`
	MaxPaymentAmount *Decimal  `bun:"max_payment_amount,type:numeric(18,2)"`
	Version          int       `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`

	// Lists holds the lists loaded or merged with the gateway; nil when none is.
	Lists *GatewayLists `bun:"-"`
}

// GatewayLists are the four lists of a gateway, each in its stored order; a list that was
// not loaded is nil, a loaded empty one is not.
type GatewayLists struct {
	BillTypes       []*PaymentGatewayBillType
	Applications    []*PaymentGatewayApplication
	PaymentTypes    []*PaymentGatewayPaymentType
	ConvenienceFees []*ConvenienceFee
}

// listRow holds what every list item row has besides its own fields.
type listRow struct {
	ID               uuid.UUID `bun:"id,pk,type:uuid" json:"id"`
	PaymentGatewayID uuid.UUID `bun:"payment_gateway_id,type:uuid" json:"-"`
	Position         int       `bun:"position" json:"-"`
}

func (r *listRow) itemID() uuid.UUID   { return r.ID }
func (r *listRow) parentID() uuid.UUID { return r.PaymentGatewayID }

func (r *listRow) place(parent uuid.UUID, position int) {
	if r.ID == uuid.Nil {
		r.ID = newID()
	}
	r.PaymentGatewayID, r.Position = parent, position
}

// PaymentGatewayBillType is a bill type a gateway serves.
type PaymentGatewayBillType struct {
	bun.BaseModel `bun:"table:payment_gateway_bill_types,alias:bt"`
	listRow
	BillTypeID          int  `bun:"bill_type_id" json:"billTypeId"`
	ApplyConvenienceFee bool `bun:"apply_convenience_fee" json:"applyConvenienceFee"`
}

// PaymentGatewayApplication is an application that uses a gateway.
type PaymentGatewayApplication struct {
	bun.BaseModel `bun:"table:payment_gateway_applications,alias:app"`
	listRow
	ApplicationID       uuid.UUID `bun:"application_id,type:uuid" json:"applicationId"`
	IsActive            bool      `bun:"is_active" json:"isActive"`
	PrimaryPaymentVenue bool      `bun:"primary_payment_venue" json:"primaryPaymentVenue"`
}

// PaymentGatewayPaymentType is a payment type a gateway accepts.
type PaymentGatewayPaymentType struct {
	bun.BaseModel `bun:"table:payment_gateway_payment_types,alias:pt"`
	listRow
	PaymentType string `bun:"payment_type" json:"paymentType"`
}

// ConvenienceFee is a fee for payments of one payment type within an amount range.
type ConvenienceFee struct {
	bun.BaseModel `bun:"table:convenience_fees,alias:fee"`
	listRow
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
	CustomerID       uuid.UUID
	ClientMutationID graphql.Omittable[*string]
	DryRun           graphql.Omittable[*bool]
	CustomerPaymentGatewayFields
}

// UpdateCustomerPaymentGatewayInput is the input of updateCustomerPaymentGateway.
type UpdateCustomerPaymentGatewayInput struct {
	CustomerID       uuid.UUID
	ID               uuid.UUID
	ExpectedVersion  graphql.Omittable[*int]
	ClientMutationID graphql.Omittable[*string]
	DryRun           graphql.Omittable[*bool]
	CustomerPaymentGatewayFields
}

// CustomerPaymentGatewayPayload is the result of a customer payment gateway mutation.
type CustomerPaymentGatewayPayload struct {
	CustomerPaymentGateway *CustomerPaymentGateway
	UserErrors             []UserError
	Warnings               []UserWarning
	ClientMutationID       *string
}

// sendsLists reports whether any list is sent.
func (f *CustomerPaymentGatewayFields) sendsLists() bool {
	return f.BillTypes.IsSet() || f.Applications.IsSet() || f.PaymentTypes.IsSet() || f.ConvenienceFees.IsSet()
}

// gatewayListSyncs are the merged lists of one mutation; nil for a list not sent.
type gatewayListSyncs struct {
	billTypes       *listSync[*PaymentGatewayBillType]
	applications    *listSync[*PaymentGatewayApplication]
	paymentTypes    *listSync[*PaymentGatewayPaymentType]
	convenienceFees *listSync[*ConvenienceFee]
}

// merge applies the sent fields to g through p. A sent list is merged into g.Lists, where it
// must be loaded.
func (f *CustomerPaymentGatewayFields) merge(p *patch, s *Store, g *CustomerPaymentGateway) *gatewayListSyncs {
	setNullable(p, f.MerchantID, &g.MerchantID, "merchantId", "merchant_id")
	setSecret(p, s.Secrets, f.MerchantKey, &g.MerchantKey, "merchantKey", "merchant_key")
	setSecret(p, s.Secrets, f.MerchantPin, &g.MerchantPin, "merchantPin", "merchant_pin")
	setValue(p, f.DisplayName, &g.DisplayName, "displayName", "display_name")
	setValue(p, f.TestMode, &g.TestMode, "testMode", "test_mode")
	setValue(p, f.AllowToken, &g.AllowToken, "allowToken", "allow_token")
	setMoney(p, f.MinPaymentAmount, &g.MinPaymentAmount, "minPaymentAmount", "min_payment_amount")
	setMoney(p, f.MaxPaymentAmount, &g.MaxPaymentAmount, "maxPaymentAmount", "max_payment_amount")

	var out gatewayListSyncs
	l := g.Lists
	if sent, ok := f.BillTypes.ValueOK(); ok {
		out.billTypes = mergeList(p, "billTypes", g.ID, l.BillTypes, sent,
			func() *PaymentGatewayBillType { return new(PaymentGatewayBillType) }, mergeBillType(g.ID))
		l.BillTypes = out.billTypes.next
	}
	if sent, ok := f.Applications.ValueOK(); ok {
		out.applications = mergeList(p, "applications", g.ID, l.Applications, sent,
			func() *PaymentGatewayApplication { return new(PaymentGatewayApplication) }, mergeApplication(g.ID))
		l.Applications = out.applications.next
	}
	if sent, ok := f.PaymentTypes.ValueOK(); ok {
		out.paymentTypes = mergeList(p, "paymentTypes", g.ID, l.PaymentTypes, sent,
			func() *PaymentGatewayPaymentType { return new(PaymentGatewayPaymentType) }, mergePaymentType(g.ID))
		l.PaymentTypes = out.paymentTypes.next
	}
	if sent, ok := f.ConvenienceFees.ValueOK(); ok {
		out.convenienceFees = mergeList(p, "convenienceFees", g.ID, l.ConvenienceFees, sent,
			func() *ConvenienceFee { return new(ConvenienceFee) }, mergeConvenienceFee(g.ID))
		l.ConvenienceFees = out.convenienceFees.next
	}
	return &out
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

func mergeBillType(gatewayID uuid.UUID) func(*patch, *PaymentGatewayBillTypeInput, *PaymentGatewayBillType, bool) {
	return func(p *patch, in *PaymentGatewayBillTypeInput, it *PaymentGatewayBillType, isNew bool) {
		checkItemParent(p, &in.listItemInput, gatewayID)
		requireOnNew(p, isNew, in.BillTypeID.IsSet(), "billTypeId")
		setValue(p, in.BillTypeID, &it.BillTypeID, "billTypeId", "")
		setValue(p, in.ApplyConvenienceFee, &it.ApplyConvenienceFee, "applyConvenienceFee", "")
	}
}

func mergeApplication(gatewayID uuid.UUID) func(*patch, *PaymentGatewayApplicationInput, *PaymentGatewayApplication, bool) {
	return func(p *patch, in *PaymentGatewayApplicationInput, it *PaymentGatewayApplication, isNew bool) {
		checkItemParent(p, &in.listItemInput, gatewayID)
		requireOnNew(p, isNew, in.ApplicationID.IsSet(), "applicationId")
		setValue(p, in.ApplicationID, &it.ApplicationID, "applicationId", "")
		setValue(p, in.IsActive, &it.IsActive, "isActive", "")
		setValue(p, in.PrimaryPaymentVenue, &it.PrimaryPaymentVenue, "primaryPaymentVenue", "")
	}
}

func mergePaymentType(gatewayID uuid.UUID) func(*patch, *PaymentGatewayPaymentTypeInput, *PaymentGatewayPaymentType, bool) {
	return func(p *patch, in *PaymentGatewayPaymentTypeInput, it *PaymentGatewayPaymentType, _ bool) {
		checkItemParent(p, &in.listItemInput, gatewayID)
		setValue(p, in.PaymentType, &it.PaymentType, "paymentType", "")
	}
}

func mergeConvenienceFee(gatewayID uuid.UUID) func(*patch, *ConvenienceFeeInput, *ConvenienceFee, bool) {
	return func(p *patch, in *ConvenienceFeeInput, it *ConvenienceFee, _ bool) {
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
}
