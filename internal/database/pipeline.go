package database

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// A pipelined transaction reaches PostgreSQL in as few round trips as its reads allow:
//
//   - its BEGIN (with the `set_config` of its timeouts) is not sent on its own but ahead of
//     its first statement, in one pgx batch: one round trip for BEGIN and the first read (the
//     lock-and-read of a mutation);
//   - its Execs are held, not sent: they go ahead of the next statement that returns rows, or
//     ahead of COMMIT, in one batch: one round trip for the writes, the audit row and COMMIT;
//   - the reads a query's context names with Ahead go in the query's batch, after it, and
//     answer the transaction's next queries when these are the same statements: a mutation
//     reads the record's child lists in the round trip of its lock-and-read.
//
// A held Exec's error therefore comes back from the statement or the COMMIT it went with,
// and its RowsAffected is unknown. A failure anywhere in a batch stops it there, PostgreSQL
// skipping the rest (COMMIT too): the transaction is aborted and rolled back, nothing half
// written. Transactions begun without Pipeline in their context are sent statement by
// statement, as before.
//
// The batches run in the pool's mode: `exec`, `simple_protocol` or `cache_statement` when the
// URL names it; when it names none, pgx's statement cache, the hot statements' mode, and then
// only hot statements (and BEGIN, the timeouts and COMMIT, three texts cached once per
// connection) go in a batch: another statement, with its values in its text, would be
// prepared and cached for one use. It is sent on its own, in the simple protocol, after what
// waits. With a URL that names `cache_describe` or `describe_exec` (a describe round trip
// before every batch) transactions are not pipelined.

type pipelineKey struct{}

// Pipeline returns ctx in which a transaction (begun with it, on a pool from Open) is
// pipelined. Its Execs must not need their RowsAffected.
func Pipeline(ctx context.Context) context.Context {
	return context.WithValue(ctx, pipelineKey{}, true)
}

func pipelined(ctx context.Context) bool {
	on, _ := ctx.Value(pipelineKey{}).(bool)
	return on
}

// Statement is a hot statement's text and bound values (Params.Statement).
type Statement struct {
	SQL  string
	Args []any
}

type aheadKey struct{}

// Ahead returns ctx in which the query of a pipelined transaction sends stmts after it in its
// batch, for the transaction's next queries to read (when they are the same statements, in
// the same order; else their results are dropped and the queries sent as usual). They run
// after the query, so they see what it locked.
func Ahead(ctx context.Context, stmts ...Statement) context.Context {
	return context.WithValue(ctx, aheadKey{}, stmts)
}

func aheadOf(ctx context.Context) []Statement {
	s, _ := ctx.Value(aheadKey{}).([]Statement)
	return s
}

// canPipeline tells whether batches in mode send their statements in one round trip (once a
// connection has prepared them, for cache_statement).
func canPipeline(mode pgx.QueryExecMode) bool {
	return mode == pgx.QueryExecModeSimpleProtocol || mode == pgx.QueryExecModeExec ||
		mode == pgx.QueryExecModeCacheStatement
}

// batchable tells whether a statement with args may go in a batch: all of them when every
// statement runs in the pool's mode, else the hot ones.
func (c *conn) batchable(args []driver.NamedValue) bool {
	return c.c.plain == 0 || isHot(args)
}

// flush sends what waits, when a statement that cannot go in a batch is to run.
func (t *txn) flush(ctx context.Context) error {
	if err := t.finish(); err != nil {
		return err
	}
	if len(t.pipe.begin) == 0 && len(t.pipe.held) == 0 {
		return nil
	}
	b := t.batch()
	br, err := t.send(ctx, b, b.Len())
	if err != nil {
		return err
	}
	return br.Close()
}

// held is an Exec waiting for the next batch.
type held struct {
	query string
	args  []any
}

// heldResult is the result of a held Exec.
type heldResult struct{}

var errHeld = errors.New("database: rows affected are unknown in a pipelined transaction")

func (heldResult) LastInsertId() (int64, error) { return 0, errHeld }
func (heldResult) RowsAffected() (int64, error) { return 0, errHeld }

// pipe is the state of a pipelined transaction.
type pipe struct {
	// begin holds the statements that begin the transaction until they are sent.
	begin []string
	// held are the Execs not sent yet.
	held []held
	// open are the results of the last batch while statements sent Ahead are unread, and
	// ahead those statements.
	open  pgx.BatchResults
	ahead []Statement
}

// hold keeps an Exec for the next batch.
func (t *txn) hold(query string, args []driver.NamedValue) driver.Result {
	t.pipe.held = append(t.pipe.held, held{query, t.conn.batchArgs(args)})
	return heldResult{}
}

// batch returns the statements waiting to be sent, and forgets them: once sent, the
// transaction has begun whatever comes back.
func (t *txn) batch() *pgx.Batch {
	b := &pgx.Batch{}
	for _, s := range t.pipe.begin {
		b.Queue(s)
	}
	for _, h := range t.pipe.held {
		b.Queue(h.query, h.args...)
	}
	t.pipe.begin, t.pipe.held = nil, nil
	return b
}

// pending tells whether anything waits to be sent or read.
func (t *txn) pending() bool {
	return len(t.pipe.begin) > 0 || len(t.pipe.held) > 0 || t.pipe.open != nil
}

// finish reads what is left of the open batch: the statements sent ahead that no query read.
func (t *txn) finish() error {
	br := t.pipe.open
	if br == nil {
		return nil
	}
	t.pipe.open, t.pipe.ahead = nil, nil
	return br.Close()
}

// send sends b and reads the results of its first n statements. On an error it closes the
// results and returns it.
func (t *txn) send(ctx context.Context, b *pgx.Batch, n int) (pgx.BatchResults, error) {
	t.sent = true
	br := t.conn.Conn.Conn().SendBatch(ctx, b)
	for range n {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return nil, err
		}
	}
	return br, nil
}

// query returns the rows of a query: the next result of the open batch when the query was
// sent ahead, else those of a batch of what waits, the query and the statements ctx names
// Ahead.
func (t *txn) query(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	bargs := t.conn.batchArgs(args)
	if t.pipe.open != nil {
		// A statement sent ahead ran before the Execs held since: it answers only when there
		// are none.
		if next := t.pipe.ahead[0]; len(t.pipe.held) == 0 && next.SQL == query && reflect.DeepEqual(next.Args, bargs) {
			t.pipe.ahead = t.pipe.ahead[1:]
			return t.rows(t.pipe.open)
		}
		if err := t.finish(); err != nil {
			return nil, err
		}
	}
	b := t.batch()
	n := b.Len()
	b.Queue(query, bargs...)
	ahead := slices.Clone(aheadOf(ctx))
	for i, s := range ahead {
		ahead[i].Args = t.conn.batchValues(s.Args)
		b.Queue(s.SQL, ahead[i].Args...)
	}
	br, err := t.send(ctx, b, n)
	if err != nil {
		return nil, err
	}
	if len(ahead) > 0 {
		t.pipe.open, t.pipe.ahead = br, ahead
	}
	return t.rows(br)
}

// rows reads the next result of br as the rows of a query.
func (t *txn) rows(br pgx.BatchResults) (driver.Rows, error) {
	rows, err := br.Query()
	if err == nil {
		// Like stdlib: the first row is read now, so that an error of the statement (a lock
		// timeout, say) is the query's.
		more := rows.Next()
		if err = rows.Err(); err == nil {
			return &batchRows{aheadRows: aheadRows{rows: rows, skip: true, more: more}, br: br, t: t}, nil
		}
		rows.Close()
	}
	t.pipe.open, t.pipe.ahead = nil, nil
	_ = br.Close()
	return nil, err
}

// commit sends what waits and COMMIT in one batch. A transaction that sent nothing has
// nothing to commit. On a failure the transaction is rolled back.
func (t *txn) commitPipe() error {
	if err := t.finish(); err != nil {
		t.rollbackSent()
		return err
	}
	if !t.sent && len(t.pipe.held) == 0 {
		return nil // nothing began
	}
	b := t.batch()
	n := b.Len()
	b.Queue("commit")
	br, err := t.send(t.ctx, b, n)
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err == nil && tag.String() == "ROLLBACK" {
			return pgx.ErrTxCommitRollback
		}
	}
	if err != nil {
		// A statement of the batch failed: PostgreSQL skipped the rest, COMMIT included, and
		// holds the transaction aborted until ROLLBACK.
		t.rollbackSent()
		return err
	}
	return nil
}

// rollbackPipe rolls back what was sent and drops what waits.
func (t *txn) rollbackPipe() error {
	_ = t.finish() // the transaction ends anyway
	t.pipe.begin, t.pipe.held = nil, nil
	if !t.sent {
		return nil
	}
	return t.rollbackSent()
}

func (t *txn) rollbackSent() error {
	pc := t.conn.Conn.Conn()
	if pc.IsClosed() {
		return nil // the server ended the transaction with the connection
	}
	_, err := pc.Exec(t.ctx, "rollback")
	return err
}

// batchArgs are args as a batch takes them: the pool's mode runs every statement of a batch,
// so the hot marker goes, and the values are those the mode takes (sendable).
func (c *conn) batchArgs(args []driver.NamedValue) []any {
	if len(args) > 0 {
		if _, ok := args[0].Value.(hotStatement); ok {
			args = args[1:]
		}
	}
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = c.c.sendable(a.Value)
	}
	return out
}

// batchValues are the values of a statement sent ahead as a batch takes them (batchArgs).
func (c *conn) batchValues(vs []any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = c.c.sendable(v)
	}
	return out
}

// batchRows are the rows of the last statement of a batch, read as stdlib reads rows.
type batchRows struct {
	aheadRows
	br    pgx.BatchResults
	t     *txn
	funcs []func([]byte) (driver.Value, error)
}

// Close closes the rows, and their batch unless statements sent ahead are to be read.
func (r *batchRows) Close() error {
	r.rows.Close()
	err := r.rows.Err()
	if r.t.pipe.open == r.br && len(r.t.pipe.ahead) > 0 {
		return err
	}
	r.t.pipe.open, r.t.pipe.ahead = nil, nil
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r *batchRows) Next(dest []driver.Value) error {
	if r.funcs == nil {
		fields := r.rows.FieldDescriptions()
		r.funcs = make([]func([]byte) (driver.Value, error), len(fields))
		for i, f := range fields {
			r.funcs[i] = r.t.conn.valueFunc(f.DataTypeOID, f.Format)
		}
	}
	values, err := r.next()
	if err != nil {
		return err
	}
	for i, raw := range values {
		if raw == nil {
			dest[i] = nil
			continue
		}
		v, err := r.funcs[i](raw)
		if err != nil {
			return fmt.Errorf("convert field %d failed: %w", i, err)
		}
		dest[i] = v
	}
	return nil
}

// valueKey is a column's type and format.
type valueKey struct {
	oid    uint32
	format int16
}

// valueFunc returns newValueFunc's conversion for a column of the connection's, made once
// with its type map. A conversion is used by one statement's rows at a time, as the
// connection is.
func (c *conn) valueFunc(oid uint32, format int16) func([]byte) (driver.Value, error) {
	k := valueKey{oid, format}
	f, ok := c.values[k]
	if !ok {
		if c.values == nil {
			c.values = map[valueKey]func([]byte) (driver.Value, error){}
		}
		f = newValueFunc(c.Conn.Conn().TypeMap(), oid, format)
		c.values[k] = f
	}
	return f
}

// newValueFunc converts a column of type oid to the driver.Value stdlib gives it, so that Bun
// reads a pipelined statement's rows as any other's.
func newValueFunc(m *pgtype.Map, oid uint32, format int16) func([]byte) (driver.Value, error) {
	switch oid {
	case pgtype.BoolOID:
		return scanAs[bool](m, oid, format, func(d bool) (driver.Value, error) { return d, nil })
	case pgtype.ByteaOID, pgtype.JSONOID, pgtype.JSONBOID, pgtype.XMLOID:
		return scanAs[[]byte](m, oid, format, func(d []byte) (driver.Value, error) { return d, nil })
	case pgtype.Float4OID:
		return scanAs[float32](m, oid, format, func(d float32) (driver.Value, error) { return float64(d), nil })
	case pgtype.Float8OID:
		return scanAs[float64](m, oid, format, func(d float64) (driver.Value, error) { return d, nil })
	case pgtype.Int2OID:
		return scanAs[int16](m, oid, format, func(d int16) (driver.Value, error) { return int64(d), nil })
	case pgtype.Int4OID:
		return scanAs[int32](m, oid, format, func(d int32) (driver.Value, error) { return int64(d), nil })
	case pgtype.Int8OID:
		return scanAs[int64](m, oid, format, func(d int64) (driver.Value, error) { return d, nil })
	case pgtype.CIDOID, pgtype.OIDOID, pgtype.XIDOID:
		return scanAs[pgtype.Uint32](m, oid, format, pgtype.Uint32.Value)
	case pgtype.DateOID:
		return scanAs[pgtype.Date](m, oid, format, pgtype.Date.Value)
	case pgtype.TimestampOID:
		return scanAs[pgtype.Timestamp](m, oid, format, pgtype.Timestamp.Value)
	case pgtype.TimestamptzOID:
		return scanAs[pgtype.Timestamptz](m, oid, format, pgtype.Timestamptz.Value)
	default:
		if format == pgtype.BinaryFormatCode {
			switch oid {
			case pgtype.UUIDOID:
				return uuidText
			case pgtype.NumericOID:
				return numericText
			}
			return asText(m, oid)
		}
		return scanAs[string](m, oid, format, func(d string) (driver.Value, error) { return d, nil })
	}
}

// uuidText converts a binary UUID to its text, as asText would, without its decoding into a
// value and encoding again (the ids of every row of a list a mutation reads).
func uuidText(src []byte) (driver.Value, error) {
	id, err := uuid.FromBytes(src)
	if err != nil {
		return nil, err
	}
	return id.String(), nil
}

// numericText converts a numeric in PostgreSQL's binary form to the text PostgreSQL writes
// (numeric_out), as asText would, without math/big: a sign, digits in base 10,000 from a
// weight, and the display scale. TestBinaryAsText compares it with PostgreSQL's own text.
func numericText(src []byte) (driver.Value, error) {
	if len(src) < 8 {
		return nil, errBadNumeric
	}
	n := int(int16(binary.BigEndian.Uint16(src)))
	weight := int(int16(binary.BigEndian.Uint16(src[2:])))
	sign := binary.BigEndian.Uint16(src[4:])
	scale := int(int16(binary.BigEndian.Uint16(src[6:])))
	if n < 0 || scale < 0 || len(src) != 8+2*n {
		return nil, errBadNumeric
	}
	switch sign {
	case 0x0000, 0x4000:
	case 0xC000:
		return "NaN", nil
	case 0xD000:
		return "Infinity", nil
	case 0xF000:
		return "-Infinity", nil
	default:
		return nil, errBadNumeric
	}
	digit := func(i int) int { // the i-th base-10,000 digit, of weight weight-i
		if i < 0 || i >= n {
			return 0
		}
		return int(binary.BigEndian.Uint16(src[8+2*i:]))
	}
	b := make([]byte, 0, 4*max(weight+1, 1)+scale+3)
	if sign == 0x4000 {
		b = append(b, '-')
	}
	if weight < 0 {
		b = append(b, '0')
	}
	for i := 0; i <= weight; i++ {
		d := digit(i)
		if i == 0 {
			b = strconv.AppendInt(b, int64(d), 10)
		} else {
			b = append(b, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
		}
	}
	if scale > 0 {
		b = append(b, '.')
		for i, written := weight+1, 0; written < scale; i++ {
			d := digit(i)
			for p := 1000; p > 0 && written < scale; p /= 10 {
				b = append(b, byte('0'+d/p%10))
				written++
			}
		}
	}
	return string(b), nil
}

var errBadNumeric = errors.New("database: malformed binary numeric")

// asText converts a value pgx's statement cache asked for in binary (an array, say; UUIDs
// and numerics have uuidText and numericText) to its text, as stdlib gives it: stdlib asks
// for the others in text.
func asText(m *pgtype.Map, oid uint32) func([]byte) (driver.Value, error) {
	typ, ok := m.TypeForOID(oid)
	if !ok {
		return func([]byte) (driver.Value, error) { return nil, fmt.Errorf("binary value of unknown type %d", oid) }
	}
	return func(src []byte) (driver.Value, error) {
		v, err := typ.Codec.DecodeValue(m, oid, pgtype.BinaryFormatCode, src)
		if err != nil {
			return nil, err
		}
		text, err := m.Encode(oid, pgtype.TextFormatCode, v, nil)
		return string(text), err
	}
}

func scanAs[T any](m *pgtype.Map, oid uint32, format int16, value func(T) (driver.Value, error)) func([]byte) (driver.Value, error) {
	var d T
	plan := m.PlanScan(oid, format, &d)
	return func(src []byte) (driver.Value, error) {
		if err := plan.Scan(src, &d); err != nil {
			return nil, err
		}
		return value(d)
	}
}
