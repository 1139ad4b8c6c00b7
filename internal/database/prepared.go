package database

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// The pool sends Bun's queries with their values written into the SQL text (the simple
// protocol, see Open): every such text is new to PostgreSQL, which parses and plans it each
// time. The statements on the hot paths are sent instead with $1… placeholders and their
// arguments apart, as prepared statements from pgx's per-connection statement cache: parsed
// and planned once per connection, then only bound and run, still one round trip each. pgx
// takes the mode per query from a pgx.QueryExecMode passed as the first argument, also
// through database/sql (pgx v5 stdlib hands the arguments to pgx.Conn as they are).
//
// They still go through Bun, as a RawQuery on a connection that adds the arguments, so that
// Bun's query hooks see them like any other query; StatementArgs gives a hook the arguments.

type argsKey struct{}

// StatementArgs returns the arguments of the prepared statement a Bun query hook sees, nil
// for a query sent with its values in its text.
func StatementArgs(ctx context.Context) []any {
	args, _ := ctx.Value(argsKey{}).([]any)
	return args
}

// Exec runs query, with $n placeholders for args, through db as a prepared statement.
func Exec(ctx context.Context, db bun.IDB, query string, args ...any) (sql.Result, error) {
	q, ctx, err := prepared(ctx, db, query, args)
	if err != nil {
		return nil, err
	}
	return q.Exec(ctx)
}

// Scan runs query, with $n placeholders for args, through db as a prepared statement and
// scans its rows into dest as bun's Scan does (a model, a slice of models, or columns).
func Scan(ctx context.Context, db bun.IDB, query string, args []any, dest ...any) error {
	q, ctx, err := prepared(ctx, db, query, args)
	if err != nil {
		return err
	}
	return q.Scan(ctx, dest...)
}

func prepared(ctx context.Context, db bun.IDB, query string, args []any) (*bun.RawQuery, context.Context, error) {
	var conn bun.IConn
	switch db := db.(type) {
	case bun.Tx:
		conn = db.Tx
	case *bun.Tx:
		conn = db.Tx
	case *bun.DB:
		conn = db.DB
	case bun.Conn:
		conn = db.Conn
	case *bun.Conn:
		conn = db.Conn
	default:
		return nil, ctx, fmt.Errorf("database: cannot prepare statements on %T", db)
	}
	// Bun copies a query text without '?' as it is, so the placeholders reach pgx.
	return db.NewRaw(query).Conn(cached{conn}), context.WithValue(ctx, argsKey{}, args), nil
}

// cached is a connection that runs Bun's query text as a cached prepared statement with the
// arguments held in the context.
type cached struct{ conn bun.IConn }

func withMode(ctx context.Context) []any {
	args := StatementArgs(ctx)
	out := make([]any, 0, len(args)+1)
	return append(append(out, pgx.QueryExecModeCacheStatement), args...)
}

func (c cached) ExecContext(ctx context.Context, query string, _ ...any) (sql.Result, error) {
	return c.conn.ExecContext(ctx, query, withMode(ctx)...)
}

func (c cached) QueryContext(ctx context.Context, query string, _ ...any) (*sql.Rows, error) {
	return c.conn.QueryContext(ctx, query, withMode(ctx)...)
}

func (c cached) QueryRowContext(ctx context.Context, query string, _ ...any) *sql.Row {
	return c.conn.QueryRowContext(ctx, query, withMode(ctx)...)
}
