package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// RunInTx runs fn in a transaction on one connection of db (a pool from Open), committed when
// fn returns nil and rolled back otherwise, as bun's RunInTx does, but without database/sql's
// Tx: that starts a goroutine for every transaction, and another for every query in it, to
// roll back when the context is cancelled, and so wakes an idle CPU at least twice per
// transaction. Here the transaction is the driver's own (conn.BeginTx: its timeouts, its
// pipelining), run on a sql.Conn; ctx must not be cancellable (context.WithoutCancel), since
// nothing would watch it. fn's statements go through bun's query hooks; BEGIN and COMMIT,
// which the driver folds into them, do not (a pgx tracer, QueryTracer, sees them).
func RunInTx(ctx context.Context, db *bun.DB, opts *sql.TxOptions, fn func(ctx context.Context, conn bun.Conn) error) (err error) {
	if ctx.Done() != nil {
		return errors.New("database: RunInTx needs a context that cannot be cancelled")
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	var tx driver.Tx
	err = c.Raw(func(dc any) error {
		d, ok := dc.(*conn)
		if !ok {
			return fmt.Errorf("database: RunInTx on a connection of %T, not of Open's pool", dc)
		}
		var o driver.TxOptions
		if opts != nil {
			o = driver.TxOptions{Isolation: driver.IsolationLevel(opts.Isolation), ReadOnly: opts.ReadOnly}
		}
		tx, err = d.BeginTx(ctx, o)
		return err
	})
	if err != nil {
		_ = c.Close()
		return err
	}
	// end commits or rolls back on the connection; a connection whose transaction could not
	// be ended is discarded rather than given back to the pool in the middle of it.
	end := func(finish func() error) error {
		var ferr error
		_ = c.Raw(func(dc any) error {
			ferr = finish()
			if pc := dc.(*conn).Conn.Conn(); pc.IsClosed() || pc.PgConn().TxStatus() != 'I' {
				return driver.ErrBadConn
			}
			return nil
		})
		return ferr
	}
	done := false
	defer func() {
		if !done { // fn panicked
			_ = end(tx.Rollback)
		}
		_ = c.Close()
	}()
	if err = fn(ctx, c); err != nil {
		done = true
		if rerr := end(tx.Rollback); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, rerr)
		}
		return err
	}
	done = true
	return end(tx.Commit)
}
