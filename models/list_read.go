package models

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/database"
)

// Reading a child list row by row costs more in Go than in PostgreSQL: every value crosses
// database/sql as a driver.Value (a new string for each uuid, text and numeric), then Bun's
// reflection, for some 25,000 values when 100 gateways with their lists are read. The reads
// of the gateway lists therefore ask PostgreSQL for one row per parent, each column
// aggregated into an array in list order and sent as its text form, and parse those: the same
// statement count, a twentieth of the values, and the items of one parent in one allocation.
// The arrays reach the parser as the bytes pgx read (database.Params.TextConn), not as
// strings copied twice on their way through database/sql.
// The order within each array is that of the sorted subquery that feeds array_agg, which
// PostgreSQL keeps (its documentation: "supplying the input values from a sorted subquery
// will usually work"); TestAggregatedListsMatchRows compares it with an ORDER BY read.

// aggColumn is a column of an item type read in aggregated form: its name, and set, which
// stores one element of its text array in item (nil for NULL), taking what it allocates
// from a.
type aggColumn[T any] struct {
	name string
	set  func(item T, v []byte, a *arena) error
}

// aggregated returns the loader of the lists of type *E that reads cols in aggregated form.
func aggregated[E any, T interface {
	*E
	listItem
}](cols []aggColumn[T]) func(context.Context, bun.IDB, []uuid.UUID) (map[uuid.UUID][]T, error) {
	return func(ctx context.Context, db bun.IDB, parents []uuid.UUID) (map[uuid.UUID][]T, error) {
		return loadAggregated[E](ctx, db, parents, cols)
	}
}

// loadAggregated reads the items of the parents' lists of type *E with one statement, like
// loadLists, reading cols besides the id and position.
func loadAggregated[E any, T interface {
	*E
	listItem
}](ctx context.Context, db bun.IDB, parents []uuid.UUID, cols []aggColumn[T]) (map[uuid.UUID][]T, error) {
	model := newItem[E, T]()
	parentColumn := model.parentColumn()
	var p database.Params
	// As pgx's own type: a uuid.UUID is encoded through its driver.Valuer, after pgx has
	// tried and failed its other plans, which for a hundred parents cost more than the rest
	// of the statement.
	ids := make([]pgtype.UUID, len(parents))
	for i, id := range parents {
		ids[i] = pgtype.UUID{Bytes: id, Valid: true}
	}
	// The rows are sorted once, below, and aggregated in that order: an aggregate's own ORDER
	// BY would sort each column of each parent apart, a few hundred small sorts per statement.
	sorted := db.NewSelect().Model(model).Column(parentColumn, "id", "position").
		Where("? = ANY(?::uuid[])", bun.Ident(parentColumn), p.Arg(ids)).OrderExpr("?, position", bun.Ident(parentColumn))
	q := db.NewSelect().TableExpr("(?) AS items", sorted).ColumnExpr("?::text", bun.Ident(parentColumn)).
		ColumnExpr("array_agg(id)::text").ColumnExpr("array_agg(position)::text")
	for _, c := range cols {
		sorted = sorted.Column(c.name)
		q = q.ColumnExpr("array_agg(?)::text", bun.Ident(c.name))
	}
	rows, err := q.GroupExpr("?", bun.Ident(parentColumn)).Conn(p.TextConn(db)).Rows(ctx)
	if err != nil {
		return nil, fmt.Errorf("load list: %w", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID][]T, len(parents))
	for _, id := range parents {
		out[id] = []T{}
	}
	arrays := make([]sql.RawBytes, 3+len(cols))
	dest := make([]any, len(arrays))
	for i := range arrays {
		dest[i] = &arrays[i]
	}
	var elems [][]byte
	var a arena
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("load list: %w", err)
		}
		parent, err := uuid.ParseBytes(arrays[0])
		if err != nil {
			return nil, fmt.Errorf("load list: parent: %w", err)
		}
		if elems, err = textArray(elems[:0], arrays[1]); err != nil {
			return nil, fmt.Errorf("load list: %w", err)
		}
		items := make([]E, len(elems))
		list := make([]T, len(elems))
		for i, v := range elems {
			list[i] = T(&items[i])
			it := list[i].item()
			if it.ID, err = uuid.ParseBytes(v); err != nil {
				return nil, fmt.Errorf("load list: id: %w", err)
			}
			*list[i].parent() = parent
		}
		if err := setColumn(list, arrays[2], &elems, &a, func(item T, v []byte, _ *arena) (err error) {
			item.item().Position, err = atoi(v)
			return err
		}); err != nil {
			return nil, fmt.Errorf("load list: position: %w", err)
		}
		for k, c := range cols {
			if err := setColumn(list, arrays[3+k], &elems, &a, c.set); err != nil {
				return nil, fmt.Errorf("load list: %s: %w", c.name, err)
			}
		}
		out[parent] = list
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load list: %w", err)
	}
	return out, nil
}

// setColumn parses one aggregated column and sets it on each item of list, in order.
func setColumn[T any](list []T, array []byte, elems *[][]byte, a *arena, set func(T, []byte, *arena) error) error {
	var err error
	if *elems, err = textArray((*elems)[:0], array); err != nil {
		return err
	}
	if len(*elems) != len(list) {
		return fmt.Errorf("%d elements for %d items", len(*elems), len(list))
	}
	for i, v := range *elems {
		if err := set(list[i], v, a); err != nil {
			return err
		}
	}
	return nil
}

var errBadArray = errors.New("not a one-dimensional array literal")

// textArray appends to dst the elements of a one-dimensional PostgreSQL array in its text
// form ({a,"b c",NULL}); a NULL element is nil. A quoted element is unescaped in place.
func textArray(dst [][]byte, s []byte) ([][]byte, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return dst, errBadArray
	}
	s = s[1 : len(s)-1]
	if len(s) == 0 {
		return dst, nil
	}
	for {
		var elem []byte
		if len(s) > 0 && s[0] == '"' {
			w, r := 0, 1
			buf := s[1:]
			for ; r < len(s) && s[r] != '"'; r++ {
				if s[r] == '\\' && r+1 < len(s) {
					r++
				}
				buf[w] = s[r]
				w++
			}
			if r == len(s) {
				return dst, errBadArray
			}
			elem, s = buf[:w:w], s[r+1:]
		} else {
			end := bytes.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			elem, s = s[:end:end], s[end:]
			if string(elem) == "NULL" {
				elem = nil
			}
		}
		dst = append(dst, elem)
		if len(s) == 0 {
			return dst, nil
		}
		if s[0] != ',' {
			return dst, errBadArray
		}
		s = s[1:]
	}
}

// atoi reads a decimal integer.
func atoi(b []byte) (int, error) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, fmt.Errorf("%q is not an integer", b)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not an integer", b)
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// Setters of aggregated columns by Go type; NULL leaves a pointer nil.

func setUUID(dst *uuid.UUID, v []byte) (err error) {
	*dst, err = uuid.ParseBytes(v)
	return err
}

func setInt(dst *int, v []byte) (err error) {
	*dst, err = atoi(v)
	return err
}

func setBool(dst *bool, v []byte) error {
	switch string(v) {
	case "t":
		*dst = true
	case "f":
		*dst = false
	default:
		return fmt.Errorf("%q is not a boolean", v)
	}
	return nil
}

// arena holds the strings, optional booleans and decimals of one read's items, allocated a
// block at a time rather than one by one (a few thousand of each for 100 gateways' lists).
// Each value it hands out belongs to one item alone; a block lives as long as an item points
// into it.
type arena struct {
	text     strings.Builder
	bools    []bool
	decimals []Decimal
}

// arenaBlock is the number of values of a block.
const arenaBlock = 256

func (a *arena) optBool(dst **bool, v []byte) error {
	if v == nil {
		*dst = nil
		return nil
	}
	if len(a.bools) == cap(a.bools) {
		a.bools = make([]bool, 0, arenaBlock)
	}
	a.bools = a.bools[:len(a.bools)+1]
	b := &a.bools[len(a.bools)-1]
	*dst = b
	return setBool(b, v)
}

// string stores v as a string: a strings.Builder only appends, so the strings it returned
// stay as they were.
func (a *arena) string(dst *string, v []byte) error {
	if v == nil {
		return errors.New("null in a non-null column")
	}
	if a.text.Cap()-a.text.Len() < len(v) {
		a.text = strings.Builder{}
		a.text.Grow(max(16*arenaBlock, len(v)))
	}
	start := a.text.Len()
	a.text.Write(v)
	*dst = a.text.String()[start:]
	return nil
}

func (a *arena) optDecimal(dst **Decimal, v []byte) error {
	if v == nil {
		*dst = nil
		return nil
	}
	d, err := parseDecimal(v)
	if err != nil {
		return err
	}
	if len(a.decimals) == cap(a.decimals) {
		a.decimals = make([]Decimal, 0, arenaBlock)
	}
	a.decimals = append(a.decimals, d)
	*dst = &a.decimals[len(a.decimals)-1]
	return nil
}

// parseDecimal reads a numeric's text as decimal.NewFromString does, without its string
// when the digits fit an int64.
func parseDecimal(v []byte) (Decimal, error) {
	var c int64
	digits, exp, point := 0, int32(0), false
	for i, ch := range v {
		switch {
		case ch >= '0' && ch <= '9' && digits < 18:
			c = c*10 + int64(ch-'0')
			digits++
			if point {
				exp--
			}
		case ch == '.' && !point:
			point = true
		case ch == '-' && i == 0:
		default:
			return decimal.NewFromString(string(v))
		}
	}
	if digits == 0 {
		return decimal.NewFromString(string(v))
	}
	if v[0] == '-' {
		c = -c
	}
	return decimal.New(c, exp), nil
}
