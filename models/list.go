package models

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// maxListItems bounds every input list.
const maxListItems = 500

// listItem is a stored child row of a list that is synced as a whole.
type listItem interface {
	itemID() uuid.UUID
	parentID() uuid.UUID
	// place sets the item's parent, its id when new, and its position in the list.
	place(parent uuid.UUID, position int)
}

// listInput is an input item of such a list; id names a stored item to update in place.
type listInput interface {
	inputID() graphql.Omittable[*uuid.UUID]
}

// listSync is a list merged in memory: what it becomes and the writes that get it there.
type listSync[T listItem] struct {
	field   string
	next    []T
	inserts []T
	updates []T
	deletes []uuid.UUID
}

// mergeList makes a stored list become exactly the sent one: an item whose id is one of
// stored is updated in place through merge (keeping its id), an item without id is created
// from newItem, a stored item not sent is deleted. An unknown id is NOT_FOUND at its index.
// Nothing is written; see write.
func mergeList[T listItem, In listInput](p *patch, field string, parent uuid.UUID, stored []T, sent []In,
	newItem func() T, merge func(ip *patch, in In, item T, isNew bool)) *listSync[T] {
	l := &listSync[T]{field: field, next: make([]T, 0, len(sent))}
	if len(sent) > maxListItems {
		p.Add(p.path(field), CodeOutOfRange, "%s may hold at most %d items", field, maxListItems)
		return l
	}
	before, _ := json.Marshal(stored)
	byID := make(map[uuid.UUID]T, len(stored))
	position := make(map[uuid.UUID]int, len(stored))
	for i, it := range stored {
		byID[it.itemID()], position[it.itemID()] = it, i
	}
	kept := make(map[uuid.UUID]bool, len(sent))
	for i, in := range sent {
		ip := p.item(p.path(field).Index(i))
		var item T
		id := in.inputID().Value()
		var match T
		var found bool
		if id != nil {
			match, found = byID[*id]
		}
		switch {
		case id == nil:
			item = newItem()
			merge(ip, in, item, true)
			l.inserts = append(l.inserts, item)
		case found && !kept[*id]:
			item, kept[*id] = match, true
			merge(ip, in, item, false)
			if ip.changed() || position[*id] != i {
				l.updates = append(l.updates, item)
			}
		default:
			if found {
				p.Add(ip.path("id"), CodeDuplicate, "item %s is listed twice", *id)
			} else {
				p.Add(ip.path("id"), CodeNotFound, "%s has no item with id %s", field, *id)
			}
			// Merged into a stand-in, so that the list rules report the other items at
			// their own indexes. The request is refused anyway.
			item = newItem()
			merge(ip, in, item, false)
		}
		p.Errors = append(p.Errors, ip.Errors...)
		item.place(parent, i)
		l.next = append(l.next, item)
	}
	for _, it := range stored {
		if !kept[it.itemID()] {
			l.deletes = append(l.deletes, it.itemID())
		}
	}
	if len(l.inserts)+len(l.updates)+len(l.deletes) > 0 {
		after, _ := json.Marshal(l.next)
		p.record(field, "", json.RawMessage(before), json.RawMessage(after))
	}
	return l
}

// write applies the merged list with at most three statements: one delete, one bulk update of
// columns, one bulk insert.
func (l *listSync[T]) write(ctx context.Context, tx bun.IDB, columns ...string) error {
	if l == nil {
		return nil
	}
	var model T
	if len(l.deletes) > 0 {
		if _, err := tx.NewDelete().Model(model).Where("id IN (?)", bun.List(l.deletes)).Exec(ctx); err != nil {
			return fmt.Errorf("delete %s: %w", l.field, err)
		}
	}
	if len(l.updates) > 0 {
		if _, err := tx.NewUpdate().Model(&l.updates).Column(columns...).Bulk().Exec(ctx); err != nil {
			return fmt.Errorf("update %s: %w", l.field, err)
		}
	}
	if len(l.inserts) > 0 {
		if _, err := tx.NewInsert().Model(&l.inserts).Returning("NULL").Exec(ctx); err != nil {
			return fmt.Errorf("insert %s: %w", l.field, err)
		}
	}
	return nil
}

// loadLists reads the items of the parents' lists, grouped by parent, in list order.
func loadLists[T listItem](ctx context.Context, db bun.IDB, parents []uuid.UUID) (map[uuid.UUID][]T, error) {
	var rows []T
	err := db.NewSelect().Model(&rows).Where("payment_gateway_id IN (?)", bun.List(parents)).
		Order("payment_gateway_id", "position").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load list: %w", err)
	}
	out := make(map[uuid.UUID][]T, len(parents))
	for _, r := range rows {
		out[r.parentID()] = append(out[r.parentID()], r)
	}
	return out, nil
}
