package models

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
)

// orderKey names an order in an update input.
type orderKey struct {
	dealerCode string
	id         uuid.UUID
}

// devicePurchaseOrders describes device purchase orders to the mutation driver.
var devicePurchaseOrders = &entity[*DevicePurchaseOrder, orderKey, *orderChange]{
	name:    EntityDevicePurchaseOrder,
	keyPath: Path{"uuid"},
	notFound: func(k orderKey) string {
		return fmt.Sprintf("dealer %s has no device purchase order %s", k.dealerCode, k.id)
	},
	checkKey: func(v *Violations, k orderKey) { text(v, Path{"dealerCode"}, &k.dealerCode, maxCodeLen) },
	lock: func(ctx context.Context, db bun.IDB, k orderKey) (*DevicePurchaseOrder, error) {
		o := new(DevicePurchaseOrder)
		var p database.Params
		err := db.NewSelect().Model(o).Where("o.id = ? AND o.dealer_code = ?", p.Arg(k.id), p.Arg(k.dealerCode)).
			Apply(queued(ctx, &p)).For("UPDATE").Conn(p.Conn(db)).Scan(ctx)
		return o, notFound(err)
	},
	scope: func(a *auth.Principal, o *DevicePurchaseOrder) Path {
		if a.ManagesDealer(o.DealerCode) {
			return nil
		}
		return Path{"dealerCode"}
	},
	editable: orderEditable,
	prepare: func(ctx context.Context, db bun.IDB, o *DevicePurchaseOrder, c *orderChange) error {
		if !c.Items.IsSet() {
			return nil
		}
		var err error
		o.Items, err = loadList[DevicePurchaseOrderItem](ctx, db, o.ID)
		return err
	},
	ahead: func(db bun.IDB, k orderKey, c *orderChange) ([]database.Statement, error) {
		if !c.Items.IsSet() {
			return nil, nil
		}
		s, err := listStatement[DevicePurchaseOrderItem](db, k.id)
		return []database.Statement{s}, err
	},
	merge:  (*orderChange).merge,
	derive: func(p *patch, o *DevicePurchaseOrder) { o.derive(p) },
	whole: func(ctx context.Context, db bun.IDB, o *DevicePurchaseOrder) error {
		if o.Items != nil {
			return nil
		}
		var err error
		o.Items, err = loadList[DevicePurchaseOrderItem](ctx, db, o.ID)
		return err
	},
	restore: (*DevicePurchaseOrder).restore,
}

// restore puts back what an order's JSON form leaves out of its items: their parent, position
// and line total.
func (o *DevicePurchaseOrder) restore() {
	restoreItems(&o.Record, o.Items)
	for _, it := range o.Items {
		it.LineTotal = it.lineTotal()
	}
}

// CreateDevicePurchaseOrder validates and stores a new order, in DRAFT, with its items.
func (s *Store) CreateDevicePurchaseOrder(ctx context.Context, actor *auth.Principal, in CreateDevicePurchaseOrderInput) (*DevicePurchaseOrderPayload, error) {
	o := &DevicePurchaseOrder{Record: newRecord(), DealerCode: in.DealerCode, Status: OrderDraft, Items: []*DevicePurchaseOrderItem{}}
	o, out, err := create(ctx, s, devicePurchaseOrders, actor, in.MutationInput,
		creation[*DevicePurchaseOrder]{o, map[string]any{"dealerCode": in.DealerCode, "status": OrderDraft}},
		&orderChange{DevicePurchaseOrderFields: &in.DevicePurchaseOrderFields})
	if err != nil {
		return nil, err
	}
	return &DevicePurchaseOrderPayload{DevicePurchaseOrder: o, Outcome: out}, nil
}

// UpdateDevicePurchaseOrder moves an order's status and changes exactly its sent fields.
func (s *Store) UpdateDevicePurchaseOrder(ctx context.Context, actor *auth.Principal, in UpdateDevicePurchaseOrderInput) (*DevicePurchaseOrderPayload, error) {
	change := &orderChange{DevicePurchaseOrderFields: &in.DevicePurchaseOrderFields, Status: in.Status}
	o, out, err := update(ctx, s, devicePurchaseOrders, actor, orderKey{in.DealerCode, in.UUID}, in.UpdateInput, change)
	if err != nil {
		return nil, err
	}
	return &DevicePurchaseOrderPayload{DevicePurchaseOrder: o, Outcome: out}, nil
}

// DevicePurchaseOrder returns one order of a dealer, or ErrNotFound when it does not exist or
// the caller does not manage the dealer.
func (s *Store) DevicePurchaseOrder(ctx context.Context, actor *auth.Principal, dealerCode string, id uuid.UUID) (*DevicePurchaseOrder, error) {
	if err := argument("dealerCode", &dealerCode); err != nil {
		return nil, err
	}
	if !actor.ManagesDealer(dealerCode) {
		return nil, ErrNotFound
	}
	o := new(DevicePurchaseOrder)
	err := s.DB.NewSelect().Model(o).Where("o.id = ? AND o.dealer_code = ?", id, dealerCode).Scan(ctx)
	if err := notFound(err); err != nil {
		return nil, fmt.Errorf("read device purchase order: %w", err)
	}
	return o, nil
}

// DevicePurchaseOrderFilter narrows DevicePurchaseOrders.
type DevicePurchaseOrderFilter struct {
	DealerCode *string
	Status     *DevicePurchaseOrderStatus
	Search     *string
	OrderBy    *DevicePurchaseOrderOrder
	First      *int
	After      *string
}

// order is the order f asks for.
func (f DevicePurchaseOrderFilter) order() listOrder[*DevicePurchaseOrder] {
	if f.OrderBy == nil {
		return listOrder[*DevicePurchaseOrder]{}
	}
	return orderBy(&f.OrderBy.Field, f.OrderBy.Direction, devicePurchaseOrderKeys)
}

// orderSearch is what a search of orders looks in: the dealer code, and the product name and
// code of any of an order's items.
var orderSearch = []string{"o.dealer_code" + contains, `EXISTS (SELECT 1 FROM device_purchase_order_items oi
	WHERE oi.order_id = o.id AND (oi.product_name` + contains + ` OR oi.product_gateway_country_product_id` + contains + `))`}

// DevicePurchaseOrders lists the orders in the caller's scope in the order f asks for (oldest
// first by default), a page at a time, with one statement: those of one dealer when DealerCode
// is given (none outside the scope), else those of every dealer the caller manages.
func (s *Store) DevicePurchaseOrders(ctx context.Context, actor *auth.Principal, f DevicePurchaseOrderFilter) (*DevicePurchaseOrderConnection, error) {
	if err := argument("dealerCode", f.DealerCode); err != nil {
		return nil, err
	}
	rows := []*DevicePurchaseOrder{}
	order := f.order()
	q, size, err := page(s.DB.NewSelect().Model(&rows), "o.id", order, f.First, f.After)
	if err != nil {
		return nil, err
	}
	if q, err = search(q, f.Search, orderSearch...); err != nil {
		return nil, err
	}
	switch {
	case f.DealerCode != nil && !actor.ManagesDealer(*f.DealerCode):
		return &DevicePurchaseOrderConnection{Nodes: rows}, nil
	case f.DealerCode != nil:
		q = q.Where("o.dealer_code = ?", *f.DealerCode)
	case !actor.IsAdmin():
		if !actor.HasRole(auth.RoleDealerAdmin) || len(actor.DealerCodes) == 0 {
			return &DevicePurchaseOrderConnection{Nodes: rows}, nil
		}
		q = q.Where("o.dealer_code IN (?)", bun.List(actor.DealerCodes))
	}
	if f.Status != nil {
		q = q.Where("o.status = ?", *f.Status)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list device purchase orders: %w", err)
	}
	p := order.paged(rows, size, f.After)
	return &DevicePurchaseOrderConnection{
		Edges: edges(p, func(cursor string, o *DevicePurchaseOrder) *DevicePurchaseOrderEdge {
			return &DevicePurchaseOrderEdge{Cursor: cursor, Node: o}
		}),
		Nodes: p.nodes, PageInfo: p.info,
	}, nil
}

// DevicePurchaseOrderItems returns each order's items.
func (s *Store) DevicePurchaseOrderItems(ctx context.Context, orders []*DevicePurchaseOrder) ([][]*DevicePurchaseOrderItem, error) {
	return byPage(orders, "items", func(orders []*DevicePurchaseOrder) ([][]*DevicePurchaseOrderItem, error) {
		return childLists(ctx, s.DB, orders, func(o *DevicePurchaseOrder) []*DevicePurchaseOrderItem { return o.Items })
	})
}
