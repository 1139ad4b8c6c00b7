package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// The pool sends Bun's queries with their values written into the SQL text (the simple
// protocol, see Open): every such text is new to PostgreSQL, which parses and plans it each
// time. The statements on the hot paths bind their values instead, and run in the pool's hot
// mode (conn.go): on a direct connection as prepared statements from pgx's per-connection
// statement cache, parsed and planned once per connection, then only bound and run, still one
// round trip each; when DATABASE_URL names a default_query_exec_mode (`exec` behind a
// transaction pooler), in that mode, like every other statement.
//
// Every query is written the same way, with Bun's ? placeholders; a hot one passes its values
// through Params.Arg, which writes a $n placeholder in their place and keeps the value for
// pgx to bind, and runs on Params.Conn:
//
//	var p database.Params
//	err := tx.NewSelect().Model(c).Where("cc.id = ?", p.Arg(id)).For("UPDATE").Conn(p.Conn(tx)).Scan(ctx)
//
// A value passed to a hot statement without Arg is written into its text like in any other
// query, and then the text varies with it: Conn refuses to run a statement in which no value
// went through Arg, the one mistake it can see.

// Params are the bound values of one hot statement. The zero value is ready to use; use one
// per statement.
type Params struct {
	values []any
}

// Arg stands for v in a query: it is written as $n, and v is bound as the n-th parameter.
func (p *Params) Arg(v any) schema.QueryAppender {
	return &param{params: p, value: v}
}

// Args stands for each of vs, in order (see Arg).
func (p *Params) Args(vs ...any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = p.Arg(v)
	}
	return out
}

// param is one bound value. It takes its number the first time Bun writes it, in the order
// the values appear in the statement, and keeps it should the statement be written again.
type param struct {
	params *Params
	value  any
	n      int
}

func (a *param) AppendQuery(_ schema.QueryGen, b []byte) ([]byte, error) {
	if a.n == 0 {
		a.params.values = append(a.params.values, a.value)
		a.n = len(a.params.values)
	}
	return strconv.AppendInt(append(b, '$'), int64(a.n), 10), nil
}

// Conn returns the connection of db (from Open) on which a statement written with p runs as
// a hot statement, its values bound.
func (p *Params) Conn(db bun.IDB) bun.IConn {
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
		panic(fmt.Sprintf("database: cannot run hot statements on %T", db))
	}
	return hot{conn: conn, params: p}
}

// TextConn is Conn for a statement whose columns are all text (cast to ::text where they are
// not), read into sql.RawBytes: the rows hand over the bytes PostgreSQL sent, without the
// string that database/sql makes of each value on the way. It runs on pgx itself, outside a
// pipelined transaction's batches; a column that comes in binary is an error.
func (p *Params) TextConn(db bun.IDB) bun.IConn {
	h := p.Conn(db).(hot)
	h.text = true
	return h
}

// Statement returns the text of q, written with p, and its bound values: the statement that
// q sends when it runs on p.Conn, for Ahead.
func (p *Params) Statement(q *bun.SelectQuery) (Statement, error) {
	b, err := q.AppendQuery(q.DB().QueryGen(), nil)
	if err != nil {
		return Statement{}, err
	}
	if len(p.values) == 0 {
		return Statement{}, errNoArgs
	}
	return Statement{SQL: string(b), Args: slices.Clone(p.values)}, nil
}

// Exec runs a raw query written with p through db as a hot statement.
func (p *Params) Exec(ctx context.Context, db bun.IDB, query string, args ...any) (sql.Result, error) {
	return db.NewRaw(query, args...).Conn(p.Conn(db)).Exec(ctx)
}

// hot is a connection that runs Bun's statement text as a hot statement with the values
// bound by its Params.
type hot struct {
	conn   bun.IConn
	params *Params
	// text: the statement's columns are all text (TextConn).
	text bool
}

// args are the arguments of the statement: the marker that asks for the pool's hot mode,
// then the bound values. A statement that binds no value is refused: its values went into its
// text.
func (h hot) args() ([]any, error) {
	if len(h.params.values) == 0 {
		return nil, errNoArgs
	}
	return append([]any{hotStatement{text: h.text}}, h.params.values...), nil
}

var errNoArgs = errors.New("database: a hot statement binds no value: pass its values through Params.Arg")

func (h hot) ExecContext(ctx context.Context, query string, _ ...any) (sql.Result, error) {
	args, err := h.args()
	if err != nil {
		return nil, err
	}
	return h.conn.ExecContext(ctx, query, args...)
}

func (h hot) QueryContext(ctx context.Context, query string, _ ...any) (*sql.Rows, error) {
	args, err := h.args()
	if err != nil {
		return nil, err
	}
	return h.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot refuse (a *sql.Row carries no error of its own making): Bun reads
// models through QueryContext.
func (h hot) QueryRowContext(ctx context.Context, query string, _ ...any) *sql.Row {
	args, _ := h.args()
	return h.conn.QueryRowContext(ctx, query, args...)
}
