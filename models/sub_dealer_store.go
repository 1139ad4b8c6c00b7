package models

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/outbox"
)

// subDealers describes sub-dealers to the mutation driver.
var subDealers = &entity[*SubDealer, string, *subDealerChange]{
	name:     EntitySubDealer,
	keyPath:  Path{"updateCode"},
	notFound: func(code string) string { return fmt.Sprintf("no sub-dealer has code %q", code) },
	checkKey: func(v *Violations, code string) { text(v, Path{"updateCode"}, &code, maxCodeLen) },
	lock: func(ctx context.Context, db bun.IDB, code string) (*SubDealer, error) {
		d := new(SubDealer)
		var p database.Params
		err := db.NewSelect().Model(d).Where("sd.code = ?", p.Arg(code)).Apply(queued(ctx, &p)).For("UPDATE").Conn(p.Conn(db)).Scan(ctx)
		return d, notFound(err)
	},
	scope: func(a *auth.Principal, d *SubDealer) Path {
		if a.ManagesDealer(d.MainDealerCode) {
			return nil
		}
		return Path{"mainDealerCode"}
	},
	prepare: loadUsers,
	ahead: func(db bun.IDB, code string, c *subDealerChange) ([]database.Statement, error) {
		if !c.needsUsers() {
			return nil, nil
		}
		var rows []*SubDealerUser
		var p database.Params
		s, err := p.Statement(usersQuery(db, code, c, &rows, &p))
		return []database.Statement{s}, err
	},
	merge: (*subDealerChange).merge,
	check: checkSubDealerCodes,
	whole: func(ctx context.Context, db bun.IDB, d *SubDealer) error {
		if d.Users != nil {
			return nil
		}
		var err error
		d.Users, err = loadList[SubDealerUser](ctx, db, d.ID)
		return err
	},
	restore: (*SubDealer).restore,
	unique: map[string]Path{
		"sub_dealers_code_key":      {"code"},
		"sub_dealers_erp_code_key":  {"erpCode"},
		"sub_dealer_users_code_key": {"users"},
	},
}

// loadUsers loads what an update of the users needs, with one statement: the sub-dealer's
// users, and the users of other sub-dealers that hold a code the input sends (c.takenCodes,
// which checkSubDealerCodes reports as DUPLICATE). The statement names the sub-dealer by its
// code, which the update's key holds, so that it goes in the round trip of the lock-and-read
// (ahead); the sub-dealer is locked by then, so its code names the same row.
func loadUsers(ctx context.Context, db bun.IDB, d *SubDealer, c *subDealerChange) error {
	if !c.needsUsers() {
		return nil
	}
	var rows []*SubDealerUser
	var p database.Params
	if err := usersQuery(db, d.Code, c, &rows, &p).Scan(ctx); err != nil {
		return fmt.Errorf("load users: %w", err)
	}
	d.Users, c.takenCodes = []*SubDealerUser{}, map[string]bool{}
	for _, u := range rows {
		if u.SubDealerID == d.ID {
			d.Users = append(d.Users, u)
		} else {
			c.takenCodes[u.Code] = true
		}
	}
	return nil
}

// needsUsers tells whether the update changes the users, and so loads them (loadUsers).
func (c *subDealerChange) needsUsers() bool { return c.Users.IsSet() || c.RemoveUserIDs.IsSet() }

// usersQuery is loadUsers' statement for the sub-dealer with code, its values bound in p.
func usersQuery(db bun.IDB, code string, c *subDealerChange, rows *[]*SubDealerUser, p *database.Params) *bun.SelectQuery {
	codes := []string{}
	for _, u := range c.Users.Value() {
		if c := u.Code.Value(); c != nil && *c != "" {
			codes = append(codes, *c)
		}
	}
	return db.NewSelect().Model(rows).
		Where("sdu.sub_dealer_id = (SELECT id FROM sub_dealers WHERE code = ?) OR sdu.code = ANY(?::text[])", p.Arg(code), p.Arg(codes)).
		OrderExpr("sdu.position").Conn(p.Conn(db))
}

// checkSubDealerCodes reports a code, erpCode or user code that another record holds, together
// with the other rule violations. The unique constraints still decide a race between two
// requests.
func checkSubDealerCodes(ctx context.Context, db bun.IDB, p *patch, d *SubDealer, c *subDealerChange) error {
	for _, c := range []struct{ field, column, value string }{{"code", "code", d.Code}, {"erpCode", "erp_code", d.ErpCode}} {
		if _, changed := p.changes[c.field]; !changed || c.value == "" {
			continue
		}
		taken, err := db.NewSelect().Model((*SubDealer)(nil)).
			Where("? = ? AND id <> ?", bun.Ident(c.column), c.value, d.ID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("check sub-dealer %s: %w", c.field, err)
		}
		if taken {
			p.Add(Path{c.field}, CodeDuplicate, "another sub-dealer has %s %q", c.field, c.value)
		}
	}
	sent := map[string]Path{}
	for _, u := range d.Users {
		if at, ok := c.sent[u]; ok && u.Code != "" {
			sent[u.Code] = at
		}
	}
	if len(sent) == 0 {
		return nil
	}
	codes := make([]string, 0, len(sent))
	for c := range sent {
		codes = append(codes, c)
	}
	var taken []string
	if c.takenCodes != nil {
		// Loaded with the users (loadUsers). A code not sent is the user's own stored one,
		// which the unique constraint keeps from anyone else.
		for _, code := range codes {
			if c.takenCodes[code] {
				taken = append(taken, code)
			}
		}
	} else {
		// A create, or an update that loaded no users: one statement here instead.
		var p database.Params
		err := db.NewSelect().Model((*SubDealerUser)(nil)).Column("code").
			Where("code = ANY(?::text[]) AND sub_dealer_id <> ?", p.Arg(codes), p.Arg(d.ID)).Conn(p.Conn(db)).Scan(ctx, &taken)
		if err != nil {
			return fmt.Errorf("check user codes: %w", err)
		}
	}
	slices.Sort(taken) // reported in a stable order
	for _, code := range taken {
		p.Add(sent[code].At("code"), CodeDuplicate, "user code %q belongs to a user of another sub-dealer", code)
	}
	return nil
}

// restore puts back what a sub-dealer's JSON form leaves out of its users.
func (d *SubDealer) restore() { restoreItems(&d.Record, d.Users) }

// registrationMails queues the registration mail of every user that asked for it, in the
// mutation's transaction: a refused or dry-run request sends nothing.
type registrationMails struct {
	dealer *SubDealer
	users  []*SubDealerUser
}

func (m registrationMails) write(ctx context.Context, db bun.IDB) error {
	var msgs []*outbox.Message
	for _, u := range m.users {
		msgs = append(msgs, registrationMail(m.dealer, u))
	}
	return outbox.Enqueue(ctx, db, msgs)
}

// CreateSubDealer validates and stores a new sub-dealer with its users.
func (s *Store) CreateSubDealer(ctx context.Context, actor *auth.Principal, in CreateSubDealerInput) (*SubDealerPayload, error) {
	d := &SubDealer{Record: newRecord(), Users: []*SubDealerUser{},
		UsablePaymentSetDefinitionIDs: []uuid.UUID{}, CustomerRepresentativeIDs: []uuid.UUID{}}
	d, out, err := create(ctx, s, subDealers, actor, in.MutationInput, creation[*SubDealer]{record: d},
		&subDealerChange{SubDealerFields: &in.SubDealerFields, creating: true})
	if err != nil {
		return nil, err
	}
	return &SubDealerPayload{SubDealer: d, Outcome: out}, nil
}

// UpdateSubDealer changes exactly the sent fields of the sub-dealer whose code is
// in.UpdateCode, upserts the sent users and removes in.RemoveUserIDs.
func (s *Store) UpdateSubDealer(ctx context.Context, actor *auth.Principal, in UpdateSubDealerInput) (*SubDealerPayload, error) {
	d, out, err := update(ctx, s, subDealers, actor, in.UpdateCode, in.UpdateInput, &subDealerChange{SubDealerFields: &in.SubDealerFields})
	if err != nil {
		return nil, err
	}
	return &SubDealerPayload{SubDealer: d, Outcome: out}, nil
}

// SubDealer returns the sub-dealer with code, or ErrNotFound when none has it or it lies
// outside the caller's dealers.
func (s *Store) SubDealer(ctx context.Context, actor *auth.Principal, code string) (*SubDealer, error) {
	if err := argument("code", &code); err != nil {
		return nil, err
	}
	d := new(SubDealer)
	err := s.DB.NewSelect().Model(d).Where("sd.code = ?", code).Scan(ctx)
	if err = notFound(err); err == nil && !actor.ManagesDealer(d.MainDealerCode) {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read sub-dealer: %w", err)
	}
	return d, nil
}

// SubDealerFilter narrows SubDealers.
type SubDealerFilter struct {
	MainDealerCode *string
	Search         *string
	OrderBy        *SubDealerOrder
	First          *int
	After          *string
}

// order is the order f asks for.
func (f SubDealerFilter) order() listOrder[*SubDealer] {
	if f.OrderBy == nil {
		return listOrder[*SubDealer]{}
	}
	return orderBy(&f.OrderBy.Field, f.OrderBy.Direction, subDealerKeys)
}

// SubDealers lists the sub-dealers the caller manages in the order f asks for (oldest first by
// default), a page at a time, with one statement.
func (s *Store) SubDealers(ctx context.Context, actor *auth.Principal, f SubDealerFilter) (*SubDealerConnection, error) {
	if err := argument("mainDealerCode", f.MainDealerCode); err != nil {
		return nil, err
	}
	var rows []*SubDealer
	order := f.order()
	q, size, err := page(s.DB.NewSelect().Model(&rows), "sd.id", order, f.First, f.After)
	if err != nil {
		return nil, err
	}
	if q, err = search(q, f.Search, "sd.name"+contains, "sd.code"+contains, "sd.erp_code"+contains); err != nil {
		return nil, err
	}
	if f.MainDealerCode != nil {
		q = q.Where("sd.main_dealer_code = ?", *f.MainDealerCode)
	}
	if !actor.IsAdmin() {
		codes := append([]string{""}, actor.DealerCodes...) // "" matches nothing: never an empty IN ()
		q = q.Where("sd.main_dealer_code IN (?)", bun.List(codes))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list sub-dealers: %w", err)
	}
	p := order.paged(rows, size, f.After)
	return &SubDealerConnection{
		Edges: edges(p, func(cursor string, d *SubDealer) *SubDealerEdge { return &SubDealerEdge{Cursor: cursor, Node: d} }),
		Nodes: p.nodes, PageInfo: p.info,
	}, nil
}

// SubDealerUsers returns each sub-dealer's users.
func (s *Store) SubDealerUsers(ctx context.Context, ds []*SubDealer) ([][]*SubDealerUser, error) {
	return byPage(ds, "users", func(ds []*SubDealer) ([][]*SubDealerUser, error) {
		return childLists(ctx, s.DB, ds, func(d *SubDealer) []*SubDealerUser { return d.Users })
	})
}
