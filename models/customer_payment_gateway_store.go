package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
)

// CustomerPaymentGateway returns one gateway of a customer, or ErrNotFound when it does not
// exist or the caller does not manage the customer. withLists loads its lists too.
func (s *Store) CustomerPaymentGateway(ctx context.Context, actor *auth.Principal, customerID, id uuid.UUID, withLists bool) (*CustomerPaymentGateway, error) {
	if !actor.ManagesCustomer(customerID.String()) {
		return nil, ErrNotFound
	}
	g := new(CustomerPaymentGateway)
	err := s.DB.NewSelect().Model(g).Where("g.id = ? AND g.customer_id = ?", id, customerID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read customer payment gateway: %w", err)
	}
	if withLists {
		err = s.attachGatewayLists(ctx, s.DB, allGatewayLists, g)
	}
	return g, err
}

// CustomerPaymentGateways returns every gateway of a customer, oldest first; none when the
// caller does not manage the customer. withLists loads their lists too, in four queries.
func (s *Store) CustomerPaymentGateways(ctx context.Context, actor *auth.Principal, customerID uuid.UUID, withLists bool) ([]*CustomerPaymentGateway, error) {
	out := []*CustomerPaymentGateway{}
	if !actor.ManagesCustomer(customerID.String()) {
		return out, nil
	}
	if err := s.DB.NewSelect().Model(&out).Where("g.customer_id = ?", customerID).Order("g.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list customer payment gateways: %w", err)
	}
	if withLists {
		return out, s.attachGatewayLists(ctx, s.DB, allGatewayLists, out...)
	}
	return out, nil
}

// gatewayListSet says which lists of a gateway to load.
type gatewayListSet struct{ billTypes, applications, paymentTypes, convenienceFees bool }

var allGatewayLists = gatewayListSet{true, true, true, true}

// listsToLoad returns the lists an update needs: the sent ones, and payment types with
// convenience fees together, since every fee's payment type must be one of the gateway's.
func (f *CustomerPaymentGatewayFields) listsToLoad() gatewayListSet {
	fees := f.PaymentTypes.IsSet() || f.ConvenienceFees.IsSet()
	return gatewayListSet{f.BillTypes.IsSet(), f.Applications.IsSet(), fees, fees}
}

// attachGatewayLists loads the chosen lists of gateways with one query per list. A list that
// is not loaded stays nil; a loaded one is never nil.
func (s *Store) attachGatewayLists(ctx context.Context, db bun.IDB, which gatewayListSet, gateways ...*CustomerPaymentGateway) error {
	if len(gateways) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(gateways))
	for i, g := range gateways {
		ids[i] = g.ID
		if g.Lists == nil {
			g.Lists = &GatewayLists{}
		}
	}
	if err := attachList(ctx, db, which.billTypes, ids, gateways, func(l *GatewayLists) *[]*PaymentGatewayBillType { return &l.BillTypes }); err != nil {
		return err
	}
	if err := attachList(ctx, db, which.applications, ids, gateways, func(l *GatewayLists) *[]*PaymentGatewayApplication { return &l.Applications }); err != nil {
		return err
	}
	if err := attachList(ctx, db, which.paymentTypes, ids, gateways, func(l *GatewayLists) *[]*PaymentGatewayPaymentType { return &l.PaymentTypes }); err != nil {
		return err
	}
	return attachList(ctx, db, which.convenienceFees, ids, gateways, func(l *GatewayLists) *[]*ConvenienceFee { return &l.ConvenienceFees })
}

// attachList loads one list of every gateway, when wanted, into the field list picks.
func attachList[T listItem](ctx context.Context, db bun.IDB, wanted bool, ids []uuid.UUID, gateways []*CustomerPaymentGateway, list func(*GatewayLists) *[]T) error {
	if !wanted {
		return nil
	}
	byGateway, err := loadLists[T](ctx, db, ids)
	if err != nil {
		return err
	}
	for _, g := range gateways {
		items := byGateway[g.ID]
		if items == nil {
			items = []T{}
		}
		*list(g.Lists) = items
	}
	return nil
}

// GatewayBillTypes returns a gateway's bill types.
func (s *Store) GatewayBillTypes(ctx context.Context, g *CustomerPaymentGateway) ([]*PaymentGatewayBillType, error) {
	return gatewayList(ctx, s, g, func(l *GatewayLists) []*PaymentGatewayBillType { return l.BillTypes })
}

// GatewayApplications returns a gateway's applications.
func (s *Store) GatewayApplications(ctx context.Context, g *CustomerPaymentGateway) ([]*PaymentGatewayApplication, error) {
	return gatewayList(ctx, s, g, func(l *GatewayLists) []*PaymentGatewayApplication { return l.Applications })
}

// GatewayPaymentTypes returns a gateway's payment types.
func (s *Store) GatewayPaymentTypes(ctx context.Context, g *CustomerPaymentGateway) ([]*PaymentGatewayPaymentType, error) {
	return gatewayList(ctx, s, g, func(l *GatewayLists) []*PaymentGatewayPaymentType { return l.PaymentTypes })
}

// GatewayConvenienceFees returns a gateway's convenience fees.
func (s *Store) GatewayConvenienceFees(ctx context.Context, g *CustomerPaymentGateway) ([]*ConvenienceFee, error) {
	return gatewayList(ctx, s, g, func(l *GatewayLists) []*ConvenienceFee { return l.ConvenienceFees })
}

// gatewayList returns one list of g: from memory when it is loaded (or merged, as in a dry
// run's payload), otherwise with one query.
func gatewayList[T listItem](ctx context.Context, s *Store, g *CustomerPaymentGateway, pick func(*GatewayLists) []T) ([]T, error) {
	if g.Lists != nil {
		if items := pick(g.Lists); items != nil {
			return items, nil
		}
	}
	m, err := loadLists[T](ctx, s.DB, []uuid.UUID{g.ID})
	return m[g.ID], err
}

// write applies the merged lists.
func (l *gatewayListSyncs) write(ctx context.Context, tx bun.IDB) error {
	if err := l.billTypes.write(ctx, tx, "position", "bill_type_id", "apply_convenience_fee"); err != nil {
		return err
	}
	if err := l.applications.write(ctx, tx, "position", "application_id", "is_active", "primary_payment_venue"); err != nil {
		return err
	}
	if err := l.paymentTypes.write(ctx, tx, "position", "payment_type"); err != nil {
		return err
	}
	return l.convenienceFees.write(ctx, tx, "position", "payment_type", "min_range", "max_range", "fee_amount",
		"apply_at_payment_of_boot", "apply_at_payment_of_notice", "apply_at_payment_of_tow",
		"total_payment_amount", "apply_convenience_fee")
}

// CreateCustomerPaymentGateway validates and stores a new gateway with its lists.
func (s *Store) CreateCustomerPaymentGateway(ctx context.Context, actor *auth.Principal, in CreateCustomerPaymentGatewayInput) (*CustomerPaymentGatewayPayload, error) {
	p := newPatch()
	at := now()
	g := &CustomerPaymentGateway{
		ID: newID(), CustomerID: in.CustomerID, Version: 1, CreatedAt: at, UpdatedAt: at,
		Lists: &GatewayLists{
			BillTypes: []*PaymentGatewayBillType{}, Applications: []*PaymentGatewayApplication{},
			PaymentTypes: []*PaymentGatewayPaymentType{}, ConvenienceFees: []*ConvenienceFee{},
		},
	}
	if !actor.ManagesCustomer(in.CustomerID.String()) {
		p.Add(Path{"customerId"}, CodeNotFound, "no customer %s in your scope", in.CustomerID)
		return gatewayPayload(g, p, in.DryRun, in.ClientMutationID), nil
	}
	p.record("customerId", "", nil, g.CustomerID)
	lists := in.merge(p, s, g)
	g.Validate(&p.Violations)
	err := s.inTx(ctx, p, isDryRun(in.DryRun), func(ctx context.Context, tx bun.Tx) error {
		if p.Failed() {
			return nil
		}
		if _, err := tx.NewInsert().Model(g).Returning("NULL").Exec(ctx); err != nil {
			return fmt.Errorf("insert customer payment gateway: %w", err)
		}
		if err := lists.write(ctx, tx); err != nil {
			return err
		}
		return writeAudit(ctx, tx, EntityCustomerPaymentGateway, g.ID.String(), actor.Subject, actionCreate, g.Version, at, p)
	})
	if err != nil {
		return nil, err
	}
	return gatewayPayload(g, p, in.DryRun, in.ClientMutationID), nil
}

// UpdateCustomerPaymentGateway changes exactly the sent fields and lists of one gateway.
func (s *Store) UpdateCustomerPaymentGateway(ctx context.Context, actor *auth.Principal, in UpdateCustomerPaymentGatewayInput) (*CustomerPaymentGatewayPayload, error) {
	p := newPatch()
	g := new(CustomerPaymentGateway)
	err := s.inTx(ctx, p, isDryRun(in.DryRun), func(ctx context.Context, tx bun.Tx) error {
		var err error
		if actor.ManagesCustomer(in.CustomerID.String()) {
			err = tx.NewSelect().Model(g).Where("g.id = ? AND g.customer_id = ?", in.ID, in.CustomerID).For("UPDATE").Scan(ctx)
		} else {
			err = sql.ErrNoRows // another customer's gateway answers like a missing one
		}
		if errors.Is(err, sql.ErrNoRows) {
			p.Add(Path{"id"}, CodeNotFound, "customer %s has no payment gateway %s", in.CustomerID, in.ID)
			return nil
		}
		if err != nil {
			return fmt.Errorf("load customer payment gateway: %w", err)
		}
		if !checkVersion(p, in.ExpectedVersion, g.Version) {
			return nil
		}
		if in.sendsLists() {
			if err := s.attachGatewayLists(ctx, tx, in.listsToLoad(), g); err != nil {
				return err
			}
		}
		lists := in.merge(p, s, g)
		g.Validate(&p.Violations)
		if p.Failed() || !p.changed() {
			return nil
		}
		if err := lists.write(ctx, tx); err != nil {
			return err
		}
		g.Version++
		g.UpdatedAt = now()
		return writeUpdate(ctx, tx, g, p, EntityCustomerPaymentGateway, g.ID.String(), actor.Subject, g.Version, g.UpdatedAt)
	})
	if err != nil {
		return nil, err
	}
	return gatewayPayload(g, p, in.DryRun, in.ClientMutationID), nil
}

func gatewayPayload(g *CustomerPaymentGateway, p *patch, dryRun graphql.Omittable[*bool], clientMutationID graphql.Omittable[*string]) *CustomerPaymentGatewayPayload {
	out := &CustomerPaymentGatewayPayload{UserErrors: p.Errors, Warnings: p.Warnings, ClientMutationID: clientMutationID.Value()}
	if showRecord(p, dryRun, g.Version > 0) {
		out.CustomerPaymentGateway = g
	}
	return out
}
