package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
)

// The pool's connections are pgx's database/sql connections (stdlib) with two changes, so
// that the server works behind a transaction pooler such as PgBouncer, where a client's
// statements may run on any server connection and a session setting or a named prepared
// statement outlives the transaction that made it:
//
//   - every transaction begins with its timeouts: `begin; set local statement_timeout = …;
//     set local lock_timeout = …`, one message and one round trip, so the timeouts hold on
//     whatever server connection the pooler lends, end with the transaction, and need no
//     startup parameter (which PgBouncer refuses);
//   - a statement outside a transaction (the reads of queries) gets statement_timeout as a
//     deadline of its context: pgx cancels it in the server when it passes, so that it is
//     bounded too, behind a pooler as directly;
//   - the statements prepared.go marks as hot run in the pool's hot mode: pgx's statement
//     cache on a direct connection, the mode DATABASE_URL names otherwise;
//   - a transaction begun with Pipeline in its context sends its BEGIN with its first
//     statement and its writes with the next read or COMMIT (pipeline.go).

// timeoutParams are the session settings every transaction sets locally, with their defaults.
var timeoutParams = []struct {
	name string
	def  string
}{
	{"statement_timeout", fmt.Sprintf("%dms", StatementTimeout.Milliseconds())},
	{"lock_timeout", fmt.Sprintf("%dms", LockTimeout.Milliseconds())},
}

// pgDuration is a PostgreSQL time setting: a number, in milliseconds unless a unit follows.
var pgDuration = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(us|ms|s|min|h|d)?$`)

// beginTimeouts takes the timeout parameters out of params, the startup parameters parsed
// from DATABASE_URL, and returns the `set local` statements that apply them (the URL's
// values, else the defaults) to a transaction, the same as one statement of `set_config`
// calls (which, unlike SET, a batch in the extended protocol can carry), and the statement
// timeout.
func beginTimeouts(params map[string]string) (string, string, time.Duration, error) {
	var b strings.Builder
	var cfg strings.Builder
	var statement time.Duration
	for _, p := range timeoutParams {
		v, ok := params[p.name]
		delete(params, p.name)
		if !ok {
			v = p.def
		}
		v = strings.TrimSpace(v)
		m := pgDuration.FindStringSubmatch(v)
		if m == nil {
			return "", "", 0, fmt.Errorf("%s=%q in the database url: want a duration such as 10s, 250ms or 1min", p.name, v)
		}
		fmt.Fprintf(&b, "; set local %s = '%s'", p.name, v)
		if cfg.Len() == 0 {
			cfg.WriteString("select ")
		} else {
			cfg.WriteString(", ")
		}
		fmt.Fprintf(&cfg, "set_config('%s', '%s', true)", p.name, v)
		if p.name == "statement_timeout" {
			n, _ := strconv.ParseFloat(m[1], 64)
			statement = time.Duration(n * float64(pgUnits[m[2]]))
		}
	}
	return b.String(), cfg.String(), statement, nil
}

// pgUnits are the units of a PostgreSQL time setting; none means milliseconds.
var pgUnits = map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
	"s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}

// hotStatement, the first argument of a statement, asks for the pool's hot mode (see Prepare).
// On a pool Open did not make, pgx takes it for a pgx.QueryRewriter that changes nothing, and
// the statement runs in that pool's mode. text marks a statement whose columns are all text
// (Params.TextConn).
type hotStatement struct{ text bool }

// RewriteQuery returns the query as it is.
func (hotStatement) RewriteQuery(_ context.Context, _ *pgx.Conn, sql string, args []any) (string, []any, error) {
	return sql, args, nil
}

// connector makes the pool's connections.
type connector struct {
	driver.Connector // stdlib's
	// timeouts follows "begin" in every transaction's first message.
	timeouts string
	// setTimeouts sets the timeouts in a pipelined transaction, after its BEGIN.
	setTimeouts string
	// notify: some instance follows the change feed, so transactions ask for a notification
	// of their audit rows (NotifyCommits).
	notify atomic.Bool
	// sent counts what the pool sends (Sent).
	sent *Counters
	// pipeline: the pool's mode lets transactions be pipelined (canPipeline).
	pipeline bool
	// hot is the mode of the statements marked hotStatement, the pool's.
	hot pgx.QueryExecMode
	// plain, unless 0, is the mode of the other statements (the simple protocol, when the
	// URL names no mode).
	plain pgx.QueryExecMode
	// statementTimeout bounds a statement outside a transaction (0: unbounded).
	statementTimeout time.Duration
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: dc.(*stdlib.Conn), c: c}, nil
}

// conn is a stdlib connection whose transactions begin with their timeouts and whose hot
// statements run in the pool's hot mode. Every other method is stdlib's.
type conn struct {
	*stdlib.Conn
	c *connector
	// tx is the open transaction, if any: its `set local` bounds its statements.
	tx *txn
	// values are the conversions of a pipelined statement's columns (valueFunc), by type and
	// format, made once for the connection rather than for every statement.
	values map[valueKey]func([]byte) (driver.Value, error)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	pc := c.Conn.Conn()
	if pc.IsClosed() {
		return nil, driver.ErrBadConn
	}
	begin := "begin"
	switch sql.IsolationLevel(opts.Isolation) {
	case sql.LevelDefault:
	case sql.LevelReadUncommitted:
		begin += " isolation level read uncommitted"
	case sql.LevelReadCommitted:
		begin += " isolation level read committed"
	case sql.LevelRepeatableRead, sql.LevelSnapshot:
		begin += " isolation level repeatable read"
	case sql.LevelSerializable:
		begin += " isolation level serializable"
	default:
		return nil, fmt.Errorf("unsupported isolation: %v", opts.Isolation)
	}
	if opts.ReadOnly {
		begin += " read only"
	}
	set, timeouts := c.c.setTimeouts, c.c.timeouts
	if c.c.notify.Load() {
		set, timeouts = set+notifySetting, timeouts+notifyLocal
	}
	if c.c.pipeline && pipelined(ctx) {
		c.tx = &txn{ctx: ctx, conn: c, pipe: &pipe{begin: []string{begin, set}}}
		return c.tx, nil
	}
	// pgx sends a statement without arguments with the simple protocol, which runs the
	// statements of one message in order, whatever the pool's mode.
	tx, err := pc.BeginTx(ctx, pgx.TxOptions{BeginQuery: begin + timeouts})
	if err != nil {
		return nil, err
	}
	c.tx = &txn{ctx: ctx, tx: tx, conn: c}
	return c.tx, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if t := c.tx; t != nil && t.pipe != nil {
		if c.batchable(args) {
			return t.hold(query, args), nil
		}
		if err := t.flush(ctx); err != nil {
			return nil, err
		}
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.Conn.ExecContext(ctx, query, c.hotMode(args))
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if t := c.tx; t != nil && t.pipe != nil {
		if c.batchable(args) && (t.pending() || len(aheadOf(ctx)) > 0) {
			return t.query(ctx, query, args)
		}
		if err := t.flush(ctx); err != nil {
			return nil, err
		}
	}
	if isText(args) {
		return c.queryText(ctx, query, c.hotMode(args))
	}
	ctx, cancel := c.bound(ctx)
	rows, err := c.Conn.QueryContext(ctx, query, c.hotMode(args))
	if err != nil {
		cancel()
		return nil, err
	}
	return &boundRows{Rows: rows.(*stdlib.Rows), cancel: cancel}, nil
}

// bound gives a statement outside a transaction its statement timeout as a deadline.
func (c *conn) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.tx != nil || c.c.statementTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.c.statementTimeout)
}

// boundRows are the rows of a bounded statement: the deadline holds until they are closed.
type boundRows struct {
	*stdlib.Rows
	cancel context.CancelFunc
}

func (r *boundRows) Close() error {
	defer r.cancel()
	return r.Rows.Close()
}

// hotMode replaces a first argument hotStatement with the pool's hot mode, and puts the plain
// mode first in the arguments of another statement.
func (c *conn) hotMode(args []driver.NamedValue) []driver.NamedValue {
	if !isHot(args) {
		if c.c.plain != 0 {
			return append([]driver.NamedValue{{Value: c.c.plain}}, args...)
		}
		return args
	}
	args[0].Value = c.c.hot
	for i := range args[1:] {
		args[i+1].Value = c.c.sendable(args[i+1].Value)
	}
	return args
}

// sendable returns a value of a statement in the hot mode as pgx encodes it without a detour.
// A UUID's driver.Valuer formats it as text, which pgx cannot put into a described uuid
// parameter: it builds an error (with the value formatted by %#v), parses the text back and
// tries again, for every UUID sent. So where the mode describes statements, a UUID, or a list
// of them, goes as its bytes. Where it does not (exec, simple_protocol), pgx sends a parameter
// of unknown type as text and has no text form of a list of driver.Valuers: a list of UUIDs
// goes as a text[] the query casts to uuid[]. A decimal's driver.Valuer is its text too, which
// a described numeric parameter fails the same way: there it goes as a pgtype.Numeric.
func (c *connector) sendable(v any) any {
	described := c.hot == pgx.QueryExecModeCacheStatement || c.hot == pgx.QueryExecModeCacheDescribe ||
		c.hot == pgx.QueryExecModeDescribeExec
	switch v := v.(type) {
	case uuid.UUID:
		if described {
			return [16]byte(v)
		}
	case []uuid.UUID:
		if described {
			b := make([][16]byte, len(v))
			for i, id := range v {
				b[i] = id
			}
			return b
		}
		s := make([]string, len(v))
		for i, id := range v {
			s[i] = id.String()
		}
		return s
	case decimal.Decimal:
		if described {
			return pgtype.Numeric{Int: v.Coefficient(), Exp: v.Exponent(), Valid: true}
		}
	case *decimal.Decimal:
		if v != nil {
			return c.sendable(*v)
		}
	}
	return v
}

// queryText runs a statement whose columns are all text (Params.TextConn) on pgx itself:
// stdlib would make a string of each value for database/sql to copy into the caller's
// sql.RawBytes; these rows hand over the bytes pgx read, valid until the next row, as
// RawBytes are.
func (c *conn) queryText(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	pc := c.Conn.Conn()
	if pc.IsClosed() {
		return nil, driver.ErrBadConn
	}
	values := make([]any, len(args))
	for i, a := range args {
		values[i] = a.Value
	}
	ctx, cancel := c.bound(ctx)
	rows, err := pc.Query(ctx, query, values...)
	if err != nil {
		cancel()
		return nil, err
	}
	r := &textRows{aheadRows: aheadRows{rows: rows, skip: true, more: rows.Next()}, cancel: cancel}
	if err := r.rows.Err(); err != nil {
		r.Close()
		return nil, err
	}
	for _, f := range r.rows.FieldDescriptions() {
		if f.Format != pgx.TextFormatCode {
			r.Close()
			return nil, fmt.Errorf("database: column %s of a text statement is not text", f.Name)
		}
	}
	return r, nil
}

// aheadRows are pgx's rows read for database/sql, as stdlib reads them: the first row is
// read before database/sql asks for the columns, so that an error of the statement is the
// query's.
type aheadRows struct {
	rows pgx.Rows
	cols []string
	// skip: the first row was read ahead, more tells whether there was one.
	skip, more bool
}

func (r *aheadRows) Columns() []string {
	if r.cols == nil {
		fields := r.rows.FieldDescriptions()
		r.cols = make([]string, len(fields))
		for i, f := range fields {
			r.cols[i] = f.Name
		}
	}
	return r.cols
}

// next moves to the next row and returns its values as PostgreSQL sent them (nil for NULL),
// valid until the next call; io.EOF, or the rows' error, after the last.
func (r *aheadRows) next() ([][]byte, error) {
	more := r.more
	if r.skip {
		r.skip = false
	} else {
		more = r.rows.Next()
	}
	if !more {
		if err := r.rows.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	return r.rows.RawValues(), nil
}

// textRows are the rows of a text statement (queryText).
type textRows struct {
	aheadRows
	cancel context.CancelFunc
}

func (r *textRows) Close() error {
	defer r.cancel()
	r.rows.Close()
	return r.rows.Err()
}

func (r *textRows) Next(dest []driver.Value) error {
	values, err := r.next()
	if err != nil {
		return err
	}
	for i, v := range values {
		if v == nil {
			dest[i] = nil // NULL, not an empty []byte
		} else {
			dest[i] = v
		}
	}
	return nil
}

// isText tells whether args are those of a text statement (Params.TextConn).
func isText(args []driver.NamedValue) bool {
	if len(args) == 0 {
		return false
	}
	h, ok := args[0].Value.(hotStatement)
	return ok && h.text
}

// isHot tells whether args are those of a hot statement.
func isHot(args []driver.NamedValue) bool {
	if len(args) == 0 {
		return false
	}
	_, ok := args[0].Value.(hotStatement)
	return ok
}

// txn is a transaction begun by conn.BeginTx: pgx's, or a pipelined one.
type txn struct {
	ctx  context.Context
	tx   pgx.Tx
	conn *conn
	// pipe is set in a pipelined transaction; sent tells that a batch of it went out.
	pipe *pipe
	sent bool
}

func (t *txn) Commit() error {
	t.conn.tx = nil
	if t.pipe != nil {
		return t.commitPipe()
	}
	return t.tx.Commit(t.ctx)
}

func (t *txn) Rollback() error {
	t.conn.tx = nil
	if t.pipe != nil {
		return t.rollbackPipe()
	}
	return t.tx.Rollback(t.ctx)
}
