package models

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/database"
)

// maxListItems bounds every input list.
const maxListItems = 500

// Item holds what every child list row has: its own id and its place in the list.
type Item struct {
	ID       uuid.UUID `bun:"id,pk,type:uuid" json:"id"`
	Position int       `bun:"position" json:"-"`
}

func (it *Item) item() *Item { return it }

// listItem is a stored child row. Item types embed Item and name their parent: a base struct
// per parent (gatewayItem, …) holds the parent's id column.
type listItem interface {
	item() *Item
	// parent points at the row's parent id.
	parent() *uuid.UUID
	// parentColumn is the column that holds the parent id.
	parentColumn() string
}

// newItem returns a new, empty item of type *E.
func newItem[E any, T interface {
	*E
	listItem
}]() T {
	return T(new(E))
}

// listInput is an input item of a child list; id names a stored item.
type listInput interface {
	inputID() graphql.Omittable[*uuid.UUID]
}

// list describes one child list of a parent record: the input field that carries it and how
// a sent item is merged into a stored or new one. It syncs the list by one of two strategies:
// replace (the list becomes exactly what is sent) or upsert (sent items are matched by id,
// else by natural key; the others stay unless removed).
type list[E any, T interface {
	*E
	listItem
}, In listInput] struct {
	field string
	// merge applies a sent item to a stored (isNew false) or new item through p.
	merge func(p *patch, parent uuid.UUID, in In, item T, isNew bool)
	// naturalKey, for upserted lists, matches a sent item without id to a stored item.
	naturalKey func(in In) (string, bool)
	// itemKey is a stored item's natural key.
	itemKey func(item T) string
}

// listSync is a list merged in memory: what it becomes and the writes that get it there.
type listSync[T listItem] struct {
	field   string
	next    []T
	inserts []T
	updates []T
	deletes []uuid.UUID
}

// replace makes the stored list become exactly the sent one, when one is sent: an item whose
// id is one of stored is updated in place (keeping its id), an item without id is created, a
// stored item not sent is deleted. An unknown id is NOT_FOUND at its index. dst receives the
// merged list. Nothing is written; the returned writer does that.
func (l list[E, T, In]) replace(p *patch, parent uuid.UUID, sent graphql.Omittable[[]In], dst *[]T) writer {
	items, ok := sent.ValueOK()
	if !ok {
		return nil
	}
	stored := *dst
	s := &listSync[T]{field: l.field, next: make([]T, 0, len(items))}
	if !l.bounded(p, items) {
		return s
	}
	before, _ := json.Marshal(stored)
	byID := indexByID(stored)
	kept := make(map[uuid.UUID]bool, len(items))
	for i, in := range items {
		ip := p.item(p.path(l.field).Index(i))
		id := in.inputID().Value()
		var item T
		match, found := lookup(byID, id)
		switch {
		case id == nil:
			item = newItem[E, T]()
			l.merge(ip, parent, in, item, true)
			s.inserts = append(s.inserts, item)
		case found && !kept[*id]:
			item, kept[*id] = match, true
			l.merge(ip, parent, in, item, false)
			if ip.changed() || item.item().Position != i {
				s.updates = append(s.updates, item)
			}
		default:
			if found {
				p.Add(ip.path("id"), CodeDuplicate, "item %s is listed twice", *id)
			} else {
				p.Add(ip.path("id"), CodeNotFound, "%s has no item with id %s", l.field, *id)
			}
			// Merged into a stand-in, so that the list rules report the other items at
			// their own indexes. The request is refused anyway.
			item = newItem[E, T]()
			l.merge(ip, parent, in, item, false)
		}
		p.Errors = append(p.Errors, ip.Errors...)
		place(item, parent, i)
		s.next = append(s.next, item)
	}
	for _, it := range stored {
		if !kept[it.item().ID] {
			s.deletes = append(s.deletes, it.item().ID)
		}
	}
	s.record(p, before)
	*dst = s.next
	return s
}

// upsert merges the sent items into the stored list: an item is matched by id, else by its
// natural key, and updated in place; an unmatched item is created at the end; stored items
// not sent stay as they are, unless their id is in remove (sent at removeField). An id that
// is not one of the parent's items is NOT_FOUND at its index. dst receives the merged list.
func (l list[E, T, In]) upsert(p *patch, parent uuid.UUID, sent graphql.Omittable[[]In], removeField string, remove []uuid.UUID, dst *[]T) writer {
	items, _ := sent.ValueOK()
	if len(items) == 0 && len(remove) == 0 {
		return nil
	}
	stored := *dst
	s := &listSync[T]{field: l.field}
	if len(remove) > maxListItems {
		p.Add(p.path(removeField), CodeOutOfRange, "%s may hold at most %d items", removeField, maxListItems)
		return s
	}
	if !l.bounded(p, items) {
		return s
	}
	before := make(map[uuid.UUID]json.RawMessage, len(stored))
	for _, it := range stored {
		before[it.item().ID], _ = json.Marshal(it)
	}
	byID := indexByID(stored)
	byKey := make(map[string]T, len(stored))
	for _, it := range stored {
		byKey[l.itemKey(it)] = it
	}
	removed := make(map[uuid.UUID]bool, len(remove))
	for i, id := range remove {
		if _, ok := byID[id]; !ok {
			p.Add(Path{removeField, fmt.Sprint(i)}, CodeNotFound, "%s has no item with id %s", l.field, id)
		}
		removed[id] = true
	}
	seen := make(map[uuid.UUID]bool, len(items))
	next := 0 // new items go after every stored one
	for _, it := range stored {
		next = max(next, it.item().Position+1)
	}
	for i, in := range items {
		ip := p.item(p.path(l.field).Index(i))
		id := in.inputID().Value()
		item, found := lookup(byID, id)
		if id == nil {
			if k, ok := l.naturalKey(in); ok {
				item, found = byKey[k]
			}
		}
		switch {
		case id != nil && !found:
			p.Add(ip.path("id"), CodeNotFound, "%s has no item with id %s", l.field, *id)
		case found && (seen[item.item().ID] || removed[item.item().ID]):
			p.Add(ip.path("id"), CodeInvalid, "item %s is sent twice, or sent and removed", item.item().ID)
		case found:
			seen[item.item().ID] = true
			if l.merge(ip, parent, in, item, false); ip.changed() {
				s.updates = append(s.updates, item)
			}
		default:
			item = newItem[E, T]()
			l.merge(ip, parent, in, item, true)
			place(item, parent, next)
			next++
			s.inserts = append(s.inserts, item)
		}
		p.Errors = append(p.Errors, ip.Errors...)
	}
	for _, it := range stored {
		if removed[it.item().ID] {
			s.deletes = append(s.deletes, it.item().ID)
		} else {
			s.next = append(s.next, it)
		}
	}
	s.next = append(s.next, s.inserts...)
	s.recordTouched(p, before)
	*dst = s.next
	return s
}

// bounded refuses a list longer than maxListItems.
func (l list[E, T, In]) bounded(p *patch, items []In) bool {
	if len(items) > maxListItems {
		p.Add(p.path(l.field), CodeOutOfRange, "%s may hold at most %d items", l.field, maxListItems)
		return false
	}
	return true
}

func indexByID[T listItem](items []T) map[uuid.UUID]T {
	out := make(map[uuid.UUID]T, len(items))
	for _, it := range items {
		out[it.item().ID] = it
	}
	return out
}

func lookup[T listItem](byID map[uuid.UUID]T, id *uuid.UUID) (T, bool) {
	if id == nil {
		var none T
		return none, false
	}
	it, ok := byID[*id]
	return it, ok
}

// place sets an item's parent, its id when new, and its position.
func place(item listItem, parent uuid.UUID, position int) {
	it := item.item()
	if it.ID == uuid.Nil {
		it.ID = newID()
	}
	it.Position = position
	*item.parent() = parent
}

// record notes the list's move in the audit trail when anything is written.
func (s *listSync[T]) record(p *patch, before []byte) {
	if len(s.inserts)+len(s.updates)+len(s.deletes) > 0 {
		after, _ := json.Marshal(s.next)
		p.record(s.field, "", json.RawMessage(before), json.RawMessage(after))
	}
}

// recordTouched notes in the audit trail only the items an upsert touched: the others did not
// move. from holds the updated and deleted items as they were, to the updated and new ones.
func (s *listSync[T]) recordTouched(p *patch, before map[uuid.UUID]json.RawMessage) {
	if len(s.inserts)+len(s.updates)+len(s.deletes) == 0 {
		return
	}
	from, to := []json.RawMessage{}, []T{}
	for _, it := range s.updates {
		from = append(from, before[it.item().ID])
	}
	for _, id := range s.deletes {
		from = append(from, before[id])
	}
	to = append(append(to, s.updates...), s.inserts...)
	p.record(s.field, "", from, to)
}

// write applies the merged list with at most three statements: one delete, one bulk update of
// every column the item's struct declares, one bulk insert.
func (s *listSync[T]) write(ctx context.Context, db bun.IDB) error {
	var model T
	if len(s.deletes) > 0 {
		var p database.Params
		if _, err := db.NewDelete().Model(model).Where("id = ANY(?::uuid[])", p.Arg(s.deletes)).Conn(p.Conn(db)).Exec(ctx); err != nil {
			return fmt.Errorf("delete %s: %w", s.field, err)
		}
	}
	if len(s.updates) > 0 {
		if err := bulkUpdate(ctx, db, s.updates); err != nil {
			return fmt.Errorf("update %s: %w", s.field, err)
		}
	}
	if len(s.inserts) > 0 {
		if err := bulkInsert(ctx, db, s.inserts); err != nil {
			return fmt.Errorf("insert %s: %w", s.field, err)
		}
	}
	return nil
}

// loadLists reads the items of the parents' lists of type *E with one query, grouped by
// parent in list order; every parent gets a list, empty when it has none.
func loadLists[E any, T interface {
	*E
	listItem
}](ctx context.Context, db bun.IDB, parents []uuid.UUID) (map[uuid.UUID][]T, error) {
	var rows []T
	var p database.Params
	err := listQuery[E, T](db, parents, &rows, &p).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load list: %w", err)
	}
	out := make(map[uuid.UUID][]T, len(parents))
	for _, id := range parents {
		out[id] = []T{}
	}
	for _, r := range rows {
		out[*r.parent()] = append(out[*r.parent()], r)
	}
	return out, nil
}

// listQuery is the query that reads the lists of type *E of parents into rows, its values
// bound by p.
func listQuery[E any, T interface {
	*E
	listItem
}](db bun.IDB, parents []uuid.UUID, rows *[]T, p *database.Params) *bun.SelectQuery {
	column := newItem[E, T]().parentColumn()
	return db.NewSelect().Model(rows).Where("? = ANY(?::uuid[])", bun.Ident(column), p.Arg(parents)).
		OrderExpr("?, position", bun.Ident(column)).Conn(p.Conn(db))
}

// listStatement is the statement loadList sends to read parent's list of type *E, for
// database.Ahead.
func listStatement[E any, T interface {
	*E
	listItem
}](db bun.IDB, parent uuid.UUID) (database.Statement, error) {
	var rows []T
	var p database.Params
	return p.Statement(listQuery[E, T](db, []uuid.UUID{parent}, &rows, &p))
}

// loadList reads one parent's list of type *E.
func loadList[E any, T interface {
	*E
	listItem
}](ctx context.Context, db bun.IDB, parent uuid.UUID) ([]T, error) {
	m, err := loadLists[E, T](ctx, db, []uuid.UUID{parent})
	return m[parent], err
}

// childLists returns one list of each parent: the one the parent holds in memory (a mutation
// merged or loaded it), else the stored one; every stored one is read with one query.
func childLists[P record, E any, T interface {
	*E
	listItem
}](ctx context.Context, db bun.IDB, parents []P, held func(P) []T) ([][]T, error) {
	return childListsWith(ctx, db, parents, held, loadLists[E, T])
}

// childListsWith is childLists reading the stored lists with load.
func childListsWith[P record, T listItem](ctx context.Context, db bun.IDB, parents []P, held func(P) []T,
	load func(context.Context, bun.IDB, []uuid.UUID) (map[uuid.UUID][]T, error)) ([][]T, error) {
	out := make([][]T, len(parents))
	var missing []uuid.UUID
	for i, p := range parents {
		if out[i] = held(p); out[i] == nil {
			missing = append(missing, p.record().ID)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	stored, err := load(ctx, db, missing)
	if err != nil {
		return nil, err
	}
	for i, p := range parents {
		if out[i] == nil {
			out[i] = stored[p.record().ID]
		}
	}
	return out, nil
}
