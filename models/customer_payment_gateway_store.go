package models

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
)

// gatewayKey names a gateway in an update input.
type gatewayKey struct{ customerID, id uuid.UUID }

// customerPaymentGateways describes customer payment gateways to the mutation driver.
var customerPaymentGateways = &entity[*CustomerPaymentGateway, gatewayKey, *CustomerPaymentGatewayFields]{
	name:    EntityCustomerPaymentGateway,
	keyPath: Path{"id"},
	notFound: func(k gatewayKey) string {
		return fmt.Sprintf("customer %s has no payment gateway %s", k.customerID, k.id)
	},
	lock: func(ctx context.Context, db bun.IDB, k gatewayKey) (*CustomerPaymentGateway, error) {
		g := new(CustomerPaymentGateway)
		var p database.Params
		err := db.NewSelect().Model(g).Where("g.id = ? AND g.customer_id = ?", p.Arg(k.id), p.Arg(k.customerID)).
			Apply(queued(ctx, &p)).For("UPDATE").Conn(p.Conn(db)).Scan(ctx)
		return g, notFound(err)
	},
	scope: func(a *auth.Principal, g *CustomerPaymentGateway) Path {
		if a.ManagesCustomer(g.CustomerID.String()) {
			return nil
		}
		return Path{"customerId"}
	},
	prepare: loadGatewayLists,
	ahead:   gatewayListsAhead,
	merge:   (*CustomerPaymentGatewayFields).merge,
	whole:   loadAllGatewayLists,
	restore: (*CustomerPaymentGateway).restore,
	unique: map[string]Path{
		"payment_gateway_bill_types_unique":    {"billTypes"},
		"payment_gateway_applications_unique":  {"applications"},
		"payment_gateway_payment_types_unique": {"paymentTypes"},
	},
}

// loadGatewayLists loads the lists an update needs: the sent ones, and payment types with
// convenience fees together, since every fee's payment type must be one of the gateway's.
// gatewayListsAhead names the same statements, in the same order.
func loadGatewayLists(ctx context.Context, db bun.IDB, g *CustomerPaymentGateway, f *CustomerPaymentGatewayFields) error {
	var err error
	l := &g.Lists
	if f.BillTypes.IsSet() {
		if l.BillTypes, err = loadList[PaymentGatewayBillType](ctx, db, g.ID); err != nil {
			return err
		}
	}
	if f.Applications.IsSet() {
		if l.Applications, err = loadList[PaymentGatewayApplication](ctx, db, g.ID); err != nil {
			return err
		}
	}
	if f.PaymentTypes.IsSet() || f.ConvenienceFees.IsSet() {
		if l.PaymentTypes, err = loadList[PaymentGatewayPaymentType](ctx, db, g.ID); err != nil {
			return err
		}
		l.ConvenienceFees, err = loadList[ConvenienceFee](ctx, db, g.ID)
	}
	return err
}

// gatewayListsAhead returns the statements loadGatewayLists sends for the gateway k names.
func gatewayListsAhead(db bun.IDB, k gatewayKey, f *CustomerPaymentGatewayFields) ([]database.Statement, error) {
	var out []database.Statement
	add := func(s database.Statement, err error) error {
		out = append(out, s)
		return err
	}
	if f.BillTypes.IsSet() {
		if err := add(listStatement[PaymentGatewayBillType](db, k.id)); err != nil {
			return nil, err
		}
	}
	if f.Applications.IsSet() {
		if err := add(listStatement[PaymentGatewayApplication](db, k.id)); err != nil {
			return nil, err
		}
	}
	if f.PaymentTypes.IsSet() || f.ConvenienceFees.IsSet() {
		if err := add(listStatement[PaymentGatewayPaymentType](db, k.id)); err != nil {
			return nil, err
		}
		if err := add(listStatement[ConvenienceFee](db, k.id)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadAllGatewayLists loads the lists g does not hold yet.
func loadAllGatewayLists(ctx context.Context, db bun.IDB, g *CustomerPaymentGateway) error {
	var err error
	l := &g.Lists
	if l.BillTypes == nil {
		if l.BillTypes, err = loadList[PaymentGatewayBillType](ctx, db, g.ID); err != nil {
			return err
		}
	}
	if l.Applications == nil {
		if l.Applications, err = loadList[PaymentGatewayApplication](ctx, db, g.ID); err != nil {
			return err
		}
	}
	if l.PaymentTypes == nil {
		if l.PaymentTypes, err = loadList[PaymentGatewayPaymentType](ctx, db, g.ID); err != nil {
			return err
		}
	}
	if l.ConvenienceFees == nil {
		l.ConvenienceFees, err = loadList[ConvenienceFee](ctx, db, g.ID)
	}
	return err
}

// restore puts back what a gateway's JSON form leaves out of its lists' items.
func (g *CustomerPaymentGateway) restore() {
	restoreItems(&g.Record, g.Lists.BillTypes)
	restoreItems(&g.Record, g.Lists.Applications)
	restoreItems(&g.Record, g.Lists.PaymentTypes)
	restoreItems(&g.Record, g.Lists.ConvenienceFees)
}

// CreateCustomerPaymentGateway validates and stores a new gateway with its lists.
func (s *Store) CreateCustomerPaymentGateway(ctx context.Context, actor *auth.Principal, in CreateCustomerPaymentGatewayInput) (*CustomerPaymentGatewayPayload, error) {
	g := &CustomerPaymentGateway{Record: newRecord(), CustomerID: in.CustomerID, Lists: GatewayLists{
		BillTypes: []*PaymentGatewayBillType{}, Applications: []*PaymentGatewayApplication{},
		PaymentTypes: []*PaymentGatewayPaymentType{}, ConvenienceFees: []*ConvenienceFee{},
	}}
	g, out, err := create(ctx, s, customerPaymentGateways, actor, in.MutationInput,
		creation[*CustomerPaymentGateway]{g, map[string]any{"customerId": in.CustomerID}}, &in.CustomerPaymentGatewayFields)
	if err != nil {
		return nil, err
	}
	return &CustomerPaymentGatewayPayload{CustomerPaymentGateway: g, Outcome: out}, nil
}

// UpdateCustomerPaymentGateway changes exactly the sent fields and lists of one gateway.
func (s *Store) UpdateCustomerPaymentGateway(ctx context.Context, actor *auth.Principal, in UpdateCustomerPaymentGatewayInput) (*CustomerPaymentGatewayPayload, error) {
	g, out, err := update(ctx, s, customerPaymentGateways, actor, gatewayKey{in.CustomerID, in.ID}, in.UpdateInput, &in.CustomerPaymentGatewayFields)
	if err != nil {
		return nil, err
	}
	return &CustomerPaymentGatewayPayload{CustomerPaymentGateway: g, Outcome: out}, nil
}

// CustomerPaymentGateway returns one gateway of a customer, or ErrNotFound when it does not
// exist or the caller does not manage the customer.
func (s *Store) CustomerPaymentGateway(ctx context.Context, actor *auth.Principal, customerID, id uuid.UUID) (*CustomerPaymentGateway, error) {
	if !actor.ManagesCustomer(customerID.String()) {
		return nil, ErrNotFound
	}
	g := new(CustomerPaymentGateway)
	err := s.DB.NewSelect().Model(g).Where("g.id = ? AND g.customer_id = ?", id, customerID).Scan(ctx)
	if err := notFound(err); err != nil {
		return nil, fmt.Errorf("read customer payment gateway: %w", err)
	}
	return g, nil
}

// CustomerPaymentGateways returns every gateway of a customer, oldest first; none when the
// caller does not manage the customer.
func (s *Store) CustomerPaymentGateways(ctx context.Context, actor *auth.Principal, customerID uuid.UUID) ([]*CustomerPaymentGateway, error) {
	out := []*CustomerPaymentGateway{}
	if !actor.ManagesCustomer(customerID.String()) {
		return out, nil
	}
	var p database.Params
	if err := s.DB.NewSelect().Model(&out).Where("g.customer_id = ?", p.Arg(customerID)).Order("g.id").Conn(p.Conn(s.DB)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list customer payment gateways: %w", err)
	}
	return out, nil
}

// BillTypes returns each gateway's bill types.
func (s *Store) BillTypes(ctx context.Context, gs []*CustomerPaymentGateway) ([][]*PaymentGatewayBillType, error) {
	return childListsWith(ctx, s.DB, gs, func(g *CustomerPaymentGateway) []*PaymentGatewayBillType { return g.Lists.BillTypes },
		aggregated[PaymentGatewayBillType](billTypeColumns))
}

// Applications returns each gateway's applications.
func (s *Store) Applications(ctx context.Context, gs []*CustomerPaymentGateway) ([][]*PaymentGatewayApplication, error) {
	return childListsWith(ctx, s.DB, gs, func(g *CustomerPaymentGateway) []*PaymentGatewayApplication { return g.Lists.Applications },
		aggregated[PaymentGatewayApplication](applicationColumns))
}

// PaymentTypes returns each gateway's payment types.
func (s *Store) PaymentTypes(ctx context.Context, gs []*CustomerPaymentGateway) ([][]*PaymentGatewayPaymentType, error) {
	return childListsWith(ctx, s.DB, gs, func(g *CustomerPaymentGateway) []*PaymentGatewayPaymentType { return g.Lists.PaymentTypes },
		aggregated[PaymentGatewayPaymentType](paymentTypeColumns))
}

// ConvenienceFees returns each gateway's convenience fees.
func (s *Store) ConvenienceFees(ctx context.Context, gs []*CustomerPaymentGateway) ([][]*ConvenienceFee, error) {
	return childListsWith(ctx, s.DB, gs, func(g *CustomerPaymentGateway) []*ConvenienceFee { return g.Lists.ConvenienceFees },
		aggregated[ConvenienceFee](convenienceFeeColumns))
}

// The columns of the gateway lists besides id, position and the gateway's id, read in
// aggregated form (list_read.go). TestAggregatedListsMatchRows checks that they read what
// Bun's row-by-row read does, every column of the structs.
var (
	billTypeColumns = []aggColumn[*PaymentGatewayBillType]{
		{"bill_type_id", func(it *PaymentGatewayBillType, v []byte, _ *arena) error { return setInt(&it.BillTypeID, v) }},
		{"apply_convenience_fee", func(it *PaymentGatewayBillType, v []byte, _ *arena) error { return setBool(&it.ApplyConvenienceFee, v) }},
	}
	applicationColumns = []aggColumn[*PaymentGatewayApplication]{
		{"application_id", func(it *PaymentGatewayApplication, v []byte, _ *arena) error { return setUUID(&it.ApplicationID, v) }},
		{"is_active", func(it *PaymentGatewayApplication, v []byte, _ *arena) error { return setBool(&it.IsActive, v) }},
		{"primary_payment_venue", func(it *PaymentGatewayApplication, v []byte, _ *arena) error {
			return setBool(&it.PrimaryPaymentVenue, v)
		}},
	}
	paymentTypeColumns = []aggColumn[*PaymentGatewayPaymentType]{
		{"payment_type", func(it *PaymentGatewayPaymentType, v []byte, a *arena) error { return a.string(&it.PaymentType, v) }},
	}
	convenienceFeeColumns = []aggColumn[*ConvenienceFee]{
		{"payment_type", func(it *ConvenienceFee, v []byte, a *arena) error { return a.string(&it.PaymentType, v) }},
		{"min_range", func(it *ConvenienceFee, v []byte, a *arena) error { return a.optDecimal(&it.MinRange, v) }},
		{"max_range", func(it *ConvenienceFee, v []byte, a *arena) error { return a.optDecimal(&it.MaxRange, v) }},
		{"fee_amount", func(it *ConvenienceFee, v []byte, a *arena) error { return a.optDecimal(&it.FeeAmount, v) }},
		{"apply_at_payment_of_boot", func(it *ConvenienceFee, v []byte, a *arena) error { return a.optBool(&it.ApplyAtPaymentOfBoot, v) }},
		{"apply_at_payment_of_notice", func(it *ConvenienceFee, v []byte, a *arena) error { return a.optBool(&it.ApplyAtPaymentOfNotice, v) }},
		{"apply_at_payment_of_tow", func(it *ConvenienceFee, v []byte, a *arena) error { return a.optBool(&it.ApplyAtPaymentOfTow, v) }},
		{"total_payment_amount", func(it *ConvenienceFee, v []byte, a *arena) error { return a.optDecimal(&it.TotalPaymentAmount, v) }},
		{"apply_convenience_fee", func(it *ConvenienceFee, v []byte, a *arena) error { return a.optBool(&it.ApplyConvenienceFee, v) }},
	}
)
