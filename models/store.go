package models

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/secrets"
)

// Store reads and writes the records.
type Store struct {
	DB      *bun.DB
	Secrets *secrets.Box
	// IdempotencyTTL is how long an idempotency key is kept; DefaultIdempotencyTTL when 0.
	IdempotencyTTL time.Duration
}

// errRollback ends a transaction that must not commit: a refused input or a dry run.
var errRollback = errors.New("rollback")

// inTx runs fn in one transaction and commits only when fn succeeds, p holds no violation
// and this is no dry run.
func (s *Store) inTx(ctx context.Context, p *patch, dryRun bool, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		if p.Failed() || dryRun {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// notFound turns "no rows" into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// newID returns a time-ordered id, so that paging by id lists records oldest first.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// now returns the current time as PostgreSQL stores it (UTC, microseconds), so that a record
// held in memory equals the one read back.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Page bounds.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// ErrBadPage reports a page request that cannot be served.
var ErrBadPage = errors.New("bad page request")

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

// encodeCursor makes an opaque cursor of the last id on a page.
func encodeCursor(id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

// decodeCursor reads a cursor made by encodeCursor; nil means from the start.
func decodeCursor(after *string) (*uuid.UUID, error) {
	if after == nil {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*after)
	if err != nil || len(b) != len(uuid.UUID{}) {
		return nil, fmt.Errorf("%w: after is not a cursor of this list", ErrBadPage)
	}
	id := uuid.UUID(b)
	return &id, nil
}

// page bounds q, a query of rows ordered by their time-ordered idColumn, to the page after the
// cursor; it fetches one row more, which pageInfo trims, to learn whether another page follows.
func page(q *bun.SelectQuery, idColumn string, first *int, after *string) (*bun.SelectQuery, int, error) {
	size, err := pageSize(first)
	if err != nil {
		return nil, 0, err
	}
	cursor, err := decodeCursor(after)
	if err != nil {
		return nil, 0, err
	}
	q = q.OrderExpr("?", bun.Ident(idColumn)).Limit(int64(size + 1))
	if cursor != nil {
		q = q.Where("? > ?", bun.Ident(idColumn), *cursor)
	}
	return q, size, nil
}

// PageInfo tells where a page of a list stands.
type PageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

// pageInfo trims the one-past-the-page row fetched to learn whether another page follows.
func pageInfo[T any](rows []T, size int, id func(T) uuid.UUID) ([]T, PageInfo) {
	var info PageInfo
	if len(rows) > size {
		rows, info.HasNextPage = rows[:size], true
	}
	if len(rows) > 0 {
		c := encodeCursor(id(rows[len(rows)-1]))
		info.EndCursor = &c
	}
	return rows, info
}
