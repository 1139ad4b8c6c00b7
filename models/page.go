package models

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Page bounds.
const (
	defaultPageSize = 20
	maxPageSize     = 100
	// maxSearchLen bounds a list's search text, in characters.
	maxSearchLen = 100
)

// ErrBadPage reports a page request that cannot be served.
var ErrBadPage = errors.New("bad page request")

// OrderDirection is which way an ordered list runs.
type OrderDirection string

// The values of OrderDirection.
const (
	OrderAsc  OrderDirection = "ASC"
	OrderDesc OrderDirection = "DESC"
)

// UnmarshalGQL reads an OrderDirection from GraphQL.
func (d *OrderDirection) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch OrderDirection(s) {
	case OrderAsc, OrderDesc:
		*d = OrderDirection(s)
		return nil
	}
	return inputErrorf("%v is not an OrderDirection", v)
}

// MarshalGQL writes d to GraphQL.
func (d OrderDirection) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(d))) }

// PageInfo tells where a page of a list stands.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// sortKey is a column a list can be ordered by: its SQL expression, the SQL type a cursor's
// text is cast back to, and a row's value as that text, exactly (a cursor carries it).
type sortKey[T any] struct {
	expr  string
	cast  string
	value func(T) string
}

// listOrder is the order a list query asks for: by a sort key, ties broken by id in the same
// direction, so that every row has one place. With no field, the default order: by the
// time-ordered id alone, oldest first.
type listOrder[T record] struct {
	field string // the orderBy field; a cursor names it, so that one of another order is refused
	key   sortKey[T]
	desc  bool
}

// orderBy returns the order by field (one of keys) in direction dir; with no field, the
// default order.
func orderBy[T record, F ~string](field *F, dir OrderDirection, keys map[F]sortKey[T]) listOrder[T] {
	if field == nil {
		return listOrder[T]{}
	}
	return listOrder[T]{field: string(*field), key: keys[*field], desc: dir == OrderDesc}
}

// orderField reads an order field enum of a list whose orders are keys.
func orderField[F ~string, T any](f *F, v any, enum string, keys map[F]sortKey[T]) error {
	s, _ := v.(string)
	if _, ok := keys[F(s)]; !ok {
		return inputErrorf("%v is not a %s", v, enum)
	}
	*f = F(s)
	return nil
}

// timeKey is a time as a cursor carries it: RFC 3339 to the microsecond PostgreSQL keeps.
func timeKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// cursor is a row's place in an order: its sort value (none in the default order) and its id.
type cursor struct {
	value string
	id    uuid.UUID
}

// encode makes the opaque cursor of a row. The default order's cursor is the id alone, as
// before orders existed, so that cursors clients hold keep working.
func (o listOrder[T]) encode(row T) string {
	id := row.record().ID
	if o.field == "" {
		return base64.RawURLEncoding.EncodeToString(id[:])
	}
	b, _ := json.Marshal([]string{o.field, o.key.value(row), id.String()}) // strings cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// decode reads a cursor made by encode in the same order; nil means from the start.
func (o listOrder[T]) decode(after *string) (*cursor, error) {
	if after == nil {
		return nil, nil
	}
	bad := fmt.Errorf("%w: after is not a cursor of this list", ErrBadPage)
	b, err := base64.RawURLEncoding.DecodeString(*after)
	if err != nil {
		return nil, bad
	}
	if o.field == "" {
		if len(b) != len(uuid.UUID{}) {
			return nil, fmt.Errorf("%w: after is not a cursor of this list in its default order (a cursor of an orderBy needs that orderBy)", ErrBadPage)
		}
		return &cursor{id: uuid.UUID(b)}, nil
	}
	var parts []string
	if json.Unmarshal(b, &parts) != nil || len(parts) != 3 {
		return nil, fmt.Errorf("%w: after is not a cursor of this list ordered by %s (ask with the orderBy its page was asked with)", ErrBadPage, o.field)
	}
	if parts[0] != o.field {
		return nil, fmt.Errorf("%w: after is a cursor of the order by %s, not by %s: ask with the orderBy its page was asked with", ErrBadPage, parts[0], o.field)
	}
	id, err := uuid.Parse(parts[2])
	if err != nil {
		return nil, bad
	}
	return &cursor{value: parts[1], id: id}, nil
}

// page orders q, a query of a list's rows whose id is idColumn, by o and bounds it to the page
// after the cursor (keyset paging on the sort value and the id, so that a cursor stays valid
// whatever is inserted before it). It fetches one row more than the page size, which paged
// trims, to learn whether another page follows.
func page[T record](q *bun.SelectQuery, idColumn string, o listOrder[T], first *int, after *string) (*bun.SelectQuery, int, error) {
	size, err := pageSize(first)
	if err != nil {
		return nil, 0, err
	}
	c, err := o.decode(after)
	if err != nil {
		return nil, 0, err
	}
	id := bun.Ident(idColumn)
	if o.field == "" {
		q = q.OrderExpr("? ASC", id)
		if c != nil {
			q = q.Where("? > ?", id, c.id)
		}
		return q.Limit(int64(size + 1)), size, nil
	}
	dir, cmp := "ASC", ">"
	if o.desc {
		dir, cmp = "DESC", "<"
	}
	key := bun.Safe(o.key.expr)
	q = q.OrderExpr("? "+dir+", ? "+dir, key, id)
	if c != nil {
		q = q.Where("(?, ?) "+cmp+" (CAST(? AS "+o.key.cast+"), ?)", key, id, c.value, c.id)
	}
	return q.Limit(int64(size + 1)), size, nil
}

// pageSize checks a requested page size.
func pageSize(first *int) (int, error) {
	if first == nil {
		return defaultPageSize, nil
	}
	if *first < 1 || *first > maxPageSize {
		return 0, fmt.Errorf("%w: first must be between 1 and %d", ErrBadPage, maxPageSize)
	}
	return *first, nil
}

// paged is a page of a list: its rows, their cursors and where it stands.
type paged[T any] struct {
	nodes   []T
	cursors []string
	info    PageInfo
}

// pageGroup is the rows of one page of a list. gqlgen batches a child field (users, items,
// history) over the rows of a list it marshals, but calls it once per row for rows reached as
// edges { node }; through the group, the first of those calls loads the field for the whole
// page and the others take their part, so that a page costs one statement per child field
// whichever way the client reads it.
type pageGroup struct {
	rows  any // the page's []R
	index map[uuid.UUID]int
	mu    sync.Mutex
	loads map[string]*pageLoad
}

// pageLoad is one child field loaded for a whole page.
type pageLoad struct {
	once sync.Once
	out  any
	err  error
}

// group makes rows one page group.
func group[R record](rows []R) {
	g := &pageGroup{rows: rows, index: make(map[uuid.UUID]int, len(rows)), loads: map[string]*pageLoad{}}
	for i, r := range rows {
		g.index[r.record().ID] = i
		r.record().page = g
	}
}

// byPage loads a child field (key names it and its arguments) of parents with load: for the
// whole page when parents are one row of a page or all of it, once per page.
func byPage[P record, R any](parents []P, key string, load func([]P) ([]R, error)) ([]R, error) {
	if len(parents) == 0 || parents[0].record().page == nil {
		return load(parents)
	}
	g := parents[0].record().page
	all, ok := g.rows.([]P)
	if !ok || !samePage(parents, all) {
		return load(parents)
	}
	g.mu.Lock()
	l := g.loads[key]
	if l == nil {
		l = &pageLoad{}
		g.loads[key] = l
	}
	g.mu.Unlock()
	l.once.Do(func() { l.out, l.err = load(all) })
	if l.err != nil {
		return nil, l.err
	}
	out := l.out.([]R)
	if len(parents) == len(all) && len(all) != 1 {
		return out, nil
	}
	return []R{out[g.index[parents[0].record().ID]]}, nil
}

// samePage reports whether parents are one row of page or all of it, in order.
func samePage[P record](parents, page []P) bool {
	if len(parents) == 1 {
		return true
	}
	if len(parents) != len(page) {
		return false
	}
	for i := range parents {
		if parents[i].record() != page[i].record() {
			return false
		}
	}
	return true
}

// paged trims the one-past-the-page row that page fetched, gives every row its cursor and
// makes the rows one page group. Paging is forward only, so rows precede the page exactly
// when it starts after a cursor, which Relay lets a server answer from the arguments alone.
func (o listOrder[T]) paged(rows []T, size int, after *string) paged[T] {
	p := paged[T]{nodes: rows, info: PageInfo{HasPreviousPage: after != nil}}
	if len(rows) > size {
		p.nodes, p.info.HasNextPage = rows[:size], true
	}
	p.cursors = make([]string, len(p.nodes))
	for i, r := range p.nodes {
		p.cursors[i] = o.encode(r)
	}
	if n := len(p.cursors); n > 0 {
		p.info.StartCursor, p.info.EndCursor = &p.cursors[0], &p.cursors[n-1]
	}
	group(p.nodes)
	return p
}

// edges pairs each row of p with its cursor, as the connection's edge type E.
func edges[T, E any](p paged[T], edge func(cursor string, node T) E) []E {
	out := make([]E, len(p.nodes))
	for i, n := range p.nodes {
		out[i] = edge(p.cursors[i], n)
	}
	return out
}

// contains, after a text column, is the condition search fills in: the column contains the
// pattern, ignoring case. ICU's root collation folds the case of every script (ö and Ö, ş and
// Ş), whatever the database's own locale (C in the tests, where ILIKE folds ASCII only).
const contains = ` COLLATE "und-x-icu" ILIKE ?`

// search narrows q to rows that meet one of conds, SQL conditions whose every ? is a pattern
// (`sd.name` + contains) that matches text anywhere, its wildcards escaped. An empty or absent
// text narrows nothing.
func search(q *bun.SelectQuery, text *string, conds ...string) (*bun.SelectQuery, error) {
	if text == nil || *text == "" {
		return q, nil
	}
	if err := searchText(*text); err != nil {
		return nil, err
	}
	pattern := "%" + likeEscaper.Replace(*text) + "%"
	var args []any
	for _, c := range conds {
		for range strings.Count(c, "?") {
			args = append(args, pattern)
		}
	}
	return q.Where("("+strings.Join(conds, " OR ")+")", args...), nil
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// searchText refuses a search text that no record could match or that is too long, as the
// client's mistake (BAD_USER_INPUT naming the argument).
func searchText(s string) error {
	var v Violations
	if text(&v, Path{"search"}, &s, maxSearchLen); v.Failed() {
		return &InputError{msg: v.Errors[0].Message}
	}
	return nil
}
