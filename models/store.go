package models

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/netguard"
	"github.com/payplat/paygql/internal/secrets"
)

// Store reads and writes the records.
type Store struct {
	DB      *bun.DB
	Secrets *secrets.Box
	// IdempotencyTTL is how long an idempotency key is kept; DefaultIdempotencyTTL when 0.
	IdempotencyTTL time.Duration
	// WebhookPolicy says which webhook URLs may be saved; the zero policy (production's)
	// allows public https URLs only.
	WebhookPolicy netguard.Policy
}

// errRollback ends a transaction that must not commit: a refused input or a dry run.
var errRollback = errors.New("rollback")

// inTx runs fn in one transaction and commits only when fn succeeds, p holds no violation
// and this is no dry run.
//
// The transaction is pipelined (database.Pipeline): its BEGIN goes with its first read, its
// writes with its next read or its COMMIT, so that an update reaches PostgreSQL in two round
// trips: BEGIN with the lock-and-read, then the writes, the audit row and COMMIT. A write's
// error comes back from that read or COMMIT, as the transaction's. A dry run is not
// pipelined: its writes, which it rolls back, must still run for their errors to show (a
// unique value taken, say).
func (s *Store) inTx(ctx context.Context, p *patch, dryRun bool, fn func(ctx context.Context, tx bun.IDB) error) error {
	if !dryRun {
		ctx = database.Pipeline(ctx)
	}
	// The transaction ends on its own, committed or rolled back, not when the client hangs up:
	// its statements are bounded by the transaction's statement_timeout and lock_timeout. It
	// runs on the driver's transaction (database.RunInTx), without database/sql's Tx and the
	// goroutines it starts to watch the context.
	ctx = context.WithoutCancel(ctx)
	err := database.RunInTx(ctx, s.DB, nil, func(ctx context.Context, tx bun.Conn) error {
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
