package database

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"
)

// The pool sends Bun's queries with their values written into the SQL text (the simple
// protocol, see Open): every such text is new to PostgreSQL, which parses and plans it each
// time. The statements on the hot paths are sent instead with $1… placeholders and their
// arguments apart, in the pool's hot mode (conn.go): on a direct connection as prepared
// statements from pgx's per-connection statement cache, parsed and planned once per
// connection, then only bound and run, still one round trip each; when DATABASE_URL names a
// default_query_exec_mode (`exec` behind a transaction pooler), in that mode, like every
// other statement. pgx takes the mode per query from a pgx.QueryExecMode passed as the first
// argument, also through database/sql (pgx v5 stdlib hands the arguments to pgx.Conn as they
// are); the pool's connection puts its hot mode in place of the hotStatement marker.
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

// Prepare returns ctx carrying args and a connection of db on which a Bun query, written
// with $n placeholders for args, runs as a hot statement (a prepared one on a direct
// connection). db must come from Open:
//
//	ctx, conn := database.Prepare(ctx, tx, id)
//	err := tx.NewSelect().Model(c).Where("cc.id = $1").For("UPDATE").Conn(conn).Scan(ctx)
//
// Bun copies a query text without '?' as it is, so the placeholders reach pgx; a query that
// also has '?' arguments gets them written in, and then its text varies with them.
func Prepare(ctx context.Context, db bun.IDB, args ...any) (context.Context, bun.IConn) {
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
		panic(fmt.Sprintf("database: cannot prepare statements on %T", db))
	}
	if args == nil {
		args = []any{}
	}
	return context.WithValue(ctx, argsKey{}, args), cached{conn}
}

// Exec runs query, with $n placeholders for args, through db (from Open) as a hot statement.
func Exec(ctx context.Context, db bun.IDB, query string, args ...any) (sql.Result, error) {
	ctx, conn := Prepare(ctx, db, args...)
	return db.NewRaw(query).Conn(conn).Exec(ctx)
}

// cached is a connection that runs Bun's query text as a hot statement (in the pool's hot
// mode) with the arguments held in the context.
type cached struct{ conn bun.IConn }

func withMode(ctx context.Context) []any {
	return append([]any{hotStatement{}}, StatementArgs(ctx)...)
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
