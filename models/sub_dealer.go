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

// EntitySubDealer names sub-dealers in the audit log.
const EntitySubDealer = "SubDealer"

// SubDealer is a sub-dealer ("alt bayi") of a main dealer, with its users. Code names it in the
// API and may be renamed; Record.ID is its stable identity.
type SubDealer struct {
	bun.BaseModel `bun:"table:sub_dealers,alias:sd"`
	Record

	MainDealerCode                string      `bun:"main_dealer_code"`
	Code                          string      `bun:"code"`
	ErpCode                       string      `bun:"erp_code"`
	Name                          string      `bun:"name"`
	IsIndividual                  bool        `bun:"is_individual"`
	IsForeignNational             bool        `bun:"is_foreign_national"`
	Address                       *string     `bun:"address"`
	CityCode                      *string     `bun:"city_code"`
	DistrictCode                  *string     `bun:"district_code"`
	CountryCode                   string      `bun:"country_code"`
	CurrencyCode                  *string     `bun:"currency_code"`
	Phone                         *string     `bun:"phone"`
	TaxNumber                     *string     `bun:"tax_number"`
	TaxOffice                     *string     `bun:"tax_office"`
	ParentTenantID                *uuid.UUID  `bun:"parent_tenant_id,type:uuid"`
	PaymentExCurrencyType         *string     `bun:"payment_ex_currency_type"`
	PaymentSetDefinitionID        *uuid.UUID  `bun:"payment_set_definition_id,type:uuid"`
	UsablePaymentSetDefinitionIDs []uuid.UUID `bun:"usable_payment_set_definition_ids,type:uuid[],array"`
	CustomerRepresentativeIDs     []uuid.UUID `bun:"customer_representative_ids,type:uuid[],array"`

	// Users holds the users loaded or merged with the sub-dealer; nil when not loaded.
	Users []*SubDealerUser `bun:"-"`
}

// subDealerItem is what every row of a sub-dealer's list has besides its own fields.
type subDealerItem struct {
	Item
	SubDealerID uuid.UUID `bun:"sub_dealer_id,type:uuid" json:"-"`
}

func (r *subDealerItem) parent() *uuid.UUID { return &r.SubDealerID }
func (*subDealerItem) parentColumn() string { return "sub_dealer_id" }

// SubDealerUser is a user of a sub-dealer's portal. Code is unique across all sub-dealers.
type SubDealerUser struct {
	bun.BaseModel `bun:"table:sub_dealer_users,alias:sdu"`
	subDealerItem

	Code                  string      `bun:"code" json:"code"`
	Name                  string      `bun:"name" json:"name"`
	Surname               string      `bun:"surname" json:"surname"`
	Email                 string      `bun:"email" json:"email"`
	Gsm                   string      `bun:"gsm" json:"gsm"`
	Title                 *string     `bun:"title" json:"title"`
	Description           *string     `bun:"description" json:"description"`
	ErpCode               *string     `bun:"erp_code" json:"erpCode"`
	IsActive              bool        `bun:"is_active" json:"isActive"`
	IsIndividual          *bool       `bun:"is_individual" json:"isIndividual"`
	IsForeignNational     *bool       `bun:"is_foreign_national" json:"isForeignNational"`
	PaymentExCurrencyType *string     `bun:"payment_ex_currency_type" json:"paymentExCurrencyType"`
	Roles                 []uuid.UUID `bun:"roles,type:uuid[],array" json:"roles"`
	RuleNames             []string    `bun:"rule_names,type:text[],array" json:"ruleNames"`
	TaxNumber             *string     `bun:"tax_number" json:"taxNumber"`
	TaxOffice             *string     `bun:"tax_office" json:"taxOffice"`
	CanUseMobile          bool        `bun:"can_use_mobile" json:"canUseMobile"`
	UserType              *int        `bun:"user_type" json:"userType"`
}

// SubDealerUserInput is a user in an updateSubDealer or createSubDealer input.
type SubDealerUserInput struct {
	ID                    graphql.Omittable[*uuid.UUID]
	Code                  graphql.Omittable[*string]
	Name                  graphql.Omittable[*string]
	Surname               graphql.Omittable[*string]
	Email                 graphql.Omittable[*string]
	Gsm                   graphql.Omittable[*string]
	Title                 graphql.Omittable[*string]
	Description           graphql.Omittable[*string]
	ErpCode               graphql.Omittable[*string]
	IsActive              graphql.Omittable[*bool]
	IsIndividual          graphql.Omittable[*bool]
	IsForeignNational     graphql.Omittable[*bool]
	PaymentExCurrencyType graphql.Omittable[*string]
	Roles                 graphql.Omittable[[]uuid.UUID]
	RuleNames             graphql.Omittable[[]string]
	TaxNumber             graphql.Omittable[*string]
	TaxOffice             graphql.Omittable[*string]
	CanUseMobile          graphql.Omittable[*bool]
	UserType              graphql.Omittable[*int]
	SendRegisterMail      graphql.Omittable[*bool]
}

func (in *SubDealerUserInput) inputID() graphql.Omittable[*uuid.UUID] { return in.ID }

// SubDealerFields are the settable fields, shared by the create and update inputs.
type SubDealerFields struct {
	MainDealerCode                graphql.Omittable[*string]
	Code                          graphql.Omittable[*string]
	ErpCode                       graphql.Omittable[*string]
	Name                          graphql.Omittable[*string]
	IsIndividual                  graphql.Omittable[*bool]
	IsForeignNational             graphql.Omittable[*bool]
	Address                       graphql.Omittable[*string]
	CityCode                      graphql.Omittable[*string]
	DistrictCode                  graphql.Omittable[*string]
	CountryCode                   graphql.Omittable[*string]
	CurrencyCode                  graphql.Omittable[*string]
	Phone                         graphql.Omittable[*string]
	TaxNumber                     graphql.Omittable[*string]
	TaxOffice                     graphql.Omittable[*string]
	ParentTenantID                graphql.Omittable[*uuid.UUID]
	PaymentExCurrencyType         graphql.Omittable[*string]
	PaymentSetDefinitionID        graphql.Omittable[*uuid.UUID]
	UsablePaymentSetDefinitionIDs graphql.Omittable[[]uuid.UUID]
	CustomerRepresentativeIDs     graphql.Omittable[[]uuid.UUID]
	Users                         graphql.Omittable[[]*SubDealerUserInput]
	// RemoveUserIDs is only in the update input.
	RemoveUserIDs graphql.Omittable[[]uuid.UUID]
}

// subDealerChange is what one create or update asks of a sub-dealer, and what the driver's
// hooks learn of it on the way (as orderChange is for orders): prepare (loadUsers) finds the
// sent user codes that other sub-dealers hold, merge notes the users the request sent and
// those that asked for mail, check (checkSubDealerCodes) and the mail writer read them.
type subDealerChange struct {
	*SubDealerFields
	// creating is set for a create, whose isIndividual must be sent.
	creating bool
	// takenCodes holds the sent user codes that users of other sub-dealers hold, when
	// loadUsers loaded the users (an update that sends users); nil otherwise.
	takenCodes map[string]bool
	// sent maps each user this request sent to where it sits in the input.
	sent map[*SubDealerUser]Path
	// mail holds the users that asked for the registration mail.
	mail map[*SubDealerUser]bool
}

// CreateSubDealerInput is the input of createSubDealer.
type CreateSubDealerInput struct {
	MutationInput
	SubDealerFields
}

// UpdateSubDealerInput is the input of updateSubDealer.
type UpdateSubDealerInput struct {
	UpdateCode string
	UpdateInput
	SubDealerFields
}

// SubDealerPayload is the result of a sub-dealer mutation.
type SubDealerPayload struct {
	SubDealer *SubDealer
	Outcome
}

// SubDealerConnection is a page of sub-dealers.
type SubDealerConnection struct {
	Edges    []*SubDealerEdge
	Nodes    []*SubDealer
	PageInfo PageInfo
}

// SubDealerEdge is a sub-dealer on a page with its cursor.
type SubDealerEdge struct {
	Cursor string
	Node   *SubDealer
}

// SubDealerOrderField is what sub-dealers can be ordered by.
type SubDealerOrderField string

// SubDealerOrder is an order of sub-dealers.
type SubDealerOrder struct {
	Field     SubDealerOrderField
	Direction OrderDirection
}

// subDealerKeys are the orders of SubDealers.
var subDealerKeys = map[SubDealerOrderField]sortKey[*SubDealer]{
	"CREATED_AT": {"sd.created_at", "timestamptz", func(d *SubDealer) string { return timeKey(d.CreatedAt) }},
	"UPDATED_AT": {"sd.updated_at", "timestamptz", func(d *SubDealer) string { return timeKey(d.UpdatedAt) }},
	"NAME":       {"sd.name", "text", func(d *SubDealer) string { return d.Name }},
	"CODE":       {"sd.code", "text", func(d *SubDealer) string { return d.Code }},
}

// UnmarshalGQL reads a SubDealerOrderField from GraphQL.
func (f *SubDealerOrderField) UnmarshalGQL(v any) error {
	return orderField(f, v, "SubDealerOrderField", subDealerKeys)
}

// MarshalGQL writes f to GraphQL.
func (f SubDealerOrderField) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(f)))
}

// userList is a sub-dealer's users as c merges them: upserted by id, else by code; others
// stay unless removed.
func (c *subDealerChange) userList() list[SubDealerUser, *SubDealerUser, *SubDealerUserInput] {
	return list[SubDealerUser, *SubDealerUser, *SubDealerUserInput]{
		field: "users", merge: c.mergeUser,
		naturalKey: func(in *SubDealerUserInput) (string, bool) {
			if v := in.Code.Value(); v != nil {
				return *v, true
			}
			return "", false
		},
		itemKey: func(u *SubDealerUser) string { return u.Code },
	}
}

// merge applies the sent fields to d through p.
func (c *subDealerChange) merge(p *patch, _ *secrets.Box, d *SubDealer) []writer {
	f := c.SubDealerFields
	if c.creating && !f.IsIndividual.IsSet() {
		p.Add(Path{"isIndividual"}, CodeRequired, "isIndividual is required: true for an individual, false for a company")
	}
	setValue(p, f.MainDealerCode, &d.MainDealerCode, "mainDealerCode", "main_dealer_code")
	setValue(p, f.Code, &d.Code, "code", "code")
	setValue(p, f.ErpCode, &d.ErpCode, "erpCode", "erp_code")
	setValue(p, f.Name, &d.Name, "name", "name")
	setValue(p, f.IsIndividual, &d.IsIndividual, "isIndividual", "is_individual")
	setValue(p, f.IsForeignNational, &d.IsForeignNational, "isForeignNational", "is_foreign_national")
	setNullable(p, f.Address, &d.Address, "address", "address")
	setNullable(p, f.CityCode, &d.CityCode, "cityCode", "city_code")
	setNullable(p, f.DistrictCode, &d.DistrictCode, "districtCode", "district_code")
	setValue(p, f.CountryCode, &d.CountryCode, "countryCode", "country_code")
	setNullable(p, f.CurrencyCode, &d.CurrencyCode, "currencyCode", "currency_code")
	setNullable(p, f.Phone, &d.Phone, "phone", "phone")
	setNullable(p, f.TaxNumber, &d.TaxNumber, "taxNumber", "tax_number")
	setNullable(p, f.TaxOffice, &d.TaxOffice, "taxOffice", "tax_office")
	setNullable(p, f.ParentTenantID, &d.ParentTenantID, "parentTenantId", "parent_tenant_id")
	setNullable(p, f.PaymentExCurrencyType, &d.PaymentExCurrencyType, "paymentExCurrencyType", "payment_ex_currency_type")
	setNullable(p, f.PaymentSetDefinitionID, &d.PaymentSetDefinitionID, "paymentSetDefinitionId", "payment_set_definition_id")
	setSlice(p, f.UsablePaymentSetDefinitionIDs, &d.UsablePaymentSetDefinitionIDs, "usablePaymentSetDefinitionIds", "usable_payment_set_definition_ids")
	setSlice(p, f.CustomerRepresentativeIDs, &d.CustomerRepresentativeIDs, "customerRepresentativeIds", "customer_representative_ids")
	c.sent, c.mail = map[*SubDealerUser]Path{}, map[*SubDealerUser]bool{}
	users := c.userList().upsert(p, d.ID, f.Users, "removeUserIds", f.RemoveUserIDs.Value(), &d.Users)
	c.duplicateUserCodes(p, d.Users)
	var mailTo []string
	var mailed []*SubDealerUser
	for _, u := range d.Users {
		if c.mail[u] {
			mailTo, mailed = append(mailTo, u.Code), append(mailed, u)
		}
	}
	if mailTo != nil {
		// Asking for the mail is a change of its own: it is audited, and it is sent even
		// when nothing else changed.
		p.record("sendRegisterMail", "", nil, mailTo)
	}
	return []writer{users, registrationMails{d, mailed}}
}

// mergeUser applies a sent user to a stored or new one and checks it: users that are not sent
// are unchanged and were valid when stored.
func (c *subDealerChange) mergeUser(p *patch, _ uuid.UUID, in *SubDealerUserInput, u *SubDealerUser, isNew bool) {
	if isNew {
		u.IsActive, u.Roles, u.RuleNames = true, []uuid.UUID{}, []string{}
	}
	setValue(p, in.Code, &u.Code, "code", "")
	setValue(p, in.Name, &u.Name, "name", "")
	setValue(p, in.Surname, &u.Surname, "surname", "")
	setValue(p, in.Email, &u.Email, "email", "")
	setValue(p, gsmInput(in.Gsm), &u.Gsm, "gsm", "")
	setNullable(p, in.Title, &u.Title, "title", "")
	setNullable(p, in.Description, &u.Description, "description", "")
	setNullable(p, in.ErpCode, &u.ErpCode, "erpCode", "")
	setValue(p, in.IsActive, &u.IsActive, "isActive", "")
	setNullable(p, in.IsIndividual, &u.IsIndividual, "isIndividual", "")
	setNullable(p, in.IsForeignNational, &u.IsForeignNational, "isForeignNational", "")
	setNullable(p, in.PaymentExCurrencyType, &u.PaymentExCurrencyType, "paymentExCurrencyType", "")
	setSlice(p, in.Roles, &u.Roles, "roles", "")
	setSlice(p, in.RuleNames, &u.RuleNames, "ruleNames", "")
	setNullable(p, in.TaxNumber, &u.TaxNumber, "taxNumber", "")
	setNullable(p, in.TaxOffice, &u.TaxOffice, "taxOffice", "")
	setValue(p, in.CanUseMobile, &u.CanUseMobile, "canUseMobile", "")
	setNullable(p, in.UserType, &u.UserType, "userType", "")
	if v := in.SendRegisterMail.Value(); v != nil && *v {
		c.mail[u] = true
	}
	c.sent[u] = p.prefix
	if !p.Failed() {
		u.validate(&p.Violations, p.prefix)
	}
}

// gsmInput is a sent mobile number in the form it is stored in (see internationalGsm): a
// number sent in national form that equals the stored one changes nothing, and one stored in
// national form moves to the international form when it is sent again.
func gsmInput(in graphql.Omittable[*string]) graphql.Omittable[*string] {
	if v := in.Value(); v != nil {
		s := internationalGsm(*v)
		return graphql.OmittableOf(&s)
	}
	return in
}

// duplicateUserCodes refuses a sent user whose code another user of the merged list has.
func (c *subDealerChange) duplicateUserCodes(p *patch, users []*SubDealerUser) {
	count := make(map[string]int, len(users))
	for _, u := range users {
		count[u.Code]++
	}
	for _, u := range users {
		if at, sent := c.sent[u]; sent && count[u.Code] > 1 {
			p.Add(at.At("code"), CodeDuplicate, "user code %q is used by another user of this sub-dealer", u.Code)
		}
	}
}

// setSlice merges a list-valued field; null clears it to an empty list. A list of more than
// maxListItems is refused.
func setSlice[T comparable](p *patch, in graphql.Omittable[[]T], dst *[]T, field, column string) {
	v, sent := in.ValueOK()
	if sent {
		p.markSent(field)
	}
	if v == nil {
		v = []T{}
	}
	if !sent || slices.Equal(*dst, v) {
		return
	}
	if len(v) > maxListItems {
		p.Add(p.path(field), CodeOutOfRange, "%s may hold at most %d items", field, maxListItems)
		return
	}
	p.record(field, column, *dst, v)
	*dst = v
}
