package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/models"
)

// statement is one SQL statement as the server sent it, with the arguments pgx got: its bound
// values, after the query-mode option the server's pool puts first in those of a statement sent
// on its own (none for a statement in a batch, which runs in the connection's mode).
type statement struct {
	SQL  string
	Args []any
	// Trip numbers the round trip that carried the statement in the server's transaction:
	// the replay sends the statements of one trip as one pgx batch, as the server does.
	Trip int
}

// transaction is the statements of one request, in order.
type transaction []statement

// captureTracer is a pgx tracer on the capturing pool that records every statement it sends,
// BEGIN, the transaction's timeouts and COMMIT included, with its round trip: a query sent on
// its own is one, a batch (a pipelined transaction's, internal/database/pipeline.go) is one.
type captureTracer struct {
	mu    sync.Mutex
	stmts []statement
	trip  int
}

func (h *captureTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trip++
	h.stmts = append(h.stmts, statement{SQL: data.SQL, Args: data.Args, Trip: h.trip})
	return ctx
}

func (*captureTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (h *captureTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trip++
	for _, q := range data.Batch.QueuedQueries {
		h.stmts = append(h.stmts, statement{SQL: q.SQL, Args: q.Arguments, Trip: h.trip})
	}
	return ctx
}

func (*captureTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (*captureTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (h *captureTracer) take() transaction {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.stmts
	h.stmts, h.trip = nil, 0
	return t
}

// capture serves requests with the server's own handler, in this process, on a database
// pool carrying a capture tracer, and returns the statements of each request: floor (a)
// replays them. Each workload gets up to perWorkload transactions, for as many targets, so
// that the replay spreads over rows as the server's load does.
func capture(ctx context.Context, url string, box *secrets.Box, secret []byte, d dataset, perWorkload int) (map[string][]transaction, error) {
	hook := &captureTracer{}
	database.QueryTracer = hook // the pool Open opens takes it; no other pool is opened here
	db, err := database.Open(ctx, url)
	database.QueryTracer = nil
	if err != nil {
		return nil, err
	}
	defer db.Close()
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: secret})
	if err != nil {
		return nil, err
	}
	token, err := auth.MintHS256(secret, auth.Claims{Subject: "bench", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := middleware.Log(logger, "/query", verifier.Middleware(
		graph.NewHandler(&graph.Resolver{Store: &models.Store{DB: db, Secrets: box}, Logger: logger}, graph.DefaultOptions)))
	hook.take() // what Open sent
	out := map[string][]transaction{}
	for _, w := range workloads {
		n := min(perWorkload, w.targets(d))
		for t := range n {
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/query", bytes.NewReader(w.body(nil, d, t, uint64(t))))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if err := w.ok(rec.Body.Bytes()); rec.Code != http.StatusOK || err != nil {
				return nil, fmt.Errorf("capture %s: status %d: %v", w.Name, rec.Code, err)
			}
			tx := hook.take()
			if strings.HasPrefix(w.Name, "update") && !tx.whole() {
				return nil, fmt.Errorf("capture %s: the update's BEGIN or COMMIT was not seen: %s", w.Name, tx.describe())
			}
			out[w.Name] = append(out[w.Name], tx)
		}
	}
	return out, nil
}

// describe summarises a transaction for the report: each statement's first word, with
// "(prepared)" when it has bound values, round trips apart by "|".
func (t transaction) describe() string {
	var parts []string
	for i, s := range t {
		if i > 0 && s.Trip != t[i-1].Trip {
			parts = append(parts, "|")
		}
		f := strings.Fields(s.SQL)
		word := ""
		if len(f) > 0 {
			word = strings.ToUpper(f[0])
		}
		if len(values(s.Args)) > 0 {
			word += "(prepared)"
		}
		parts = append(parts, word)
	}
	return strings.Join(parts, " ")
}

// whole tells whether t begins with BEGIN and ends with COMMIT, as an update's transaction
// does, so that the replay's locks last as long as the server's.
func (t transaction) whole() bool {
	word := func(s statement) string { return strings.ToUpper(strings.SplitN(s.SQL, " ", 2)[0]) }
	return len(t) > 1 && word(t[0]) == "BEGIN" && word(t[len(t)-1]) == "COMMIT"
}

// values are a statement's bound values: its arguments after a query-mode option.
func values(args []any) []any {
	if len(args) > 0 {
		if _, ok := args[0].(pgx.QueryExecMode); ok {
			return args[1:]
		}
	}
	return args
}

// replay runs a transaction on conn as the server ran it: the same statements, BEGIN and
// COMMIT included, in the same protocol (a statement sent on its own in the mode the server's
// pool gave it, a batch in the connection's mode, pgx's statement cache, as the server's
// pipelined batches) and the same round trips (the statements of one trip in one batch),
// reading every row.
func replay(ctx context.Context, conn *pgx.Conn, t transaction) error {
	for len(t) > 0 {
		n := 1
		for n < len(t) && t[n].Trip == t[0].Trip {
			n++
		}
		trip := t[:n]
		t = t[n:]
		if n == 1 {
			if err := replayOne(ctx, conn, trip[0]); err != nil {
				return err
			}
			continue
		}
		b := &pgx.Batch{}
		var sent []string // each queued statement, for errors
		for _, s := range trip {
			if strings.Contains(s.SQL, "pg_try_advisory_xact_lock(") && len(s.Args) > 0 {
				// The server's lock-and-read takes the record's queue lock without waiting,
				// and waits for it when another update holds it (models/driver.go lockFirst):
				// the replay waits for it at once, in the same trip.
				b.Queue("SELECT pg_advisory_xact_lock($1)", s.Args[len(s.Args)-1])
				sent = append(sent, "SELECT pg_advisory_xact_lock")
			}
			b.Queue(s.SQL, s.Args...)
			sent = append(sent, s.SQL)
		}
		br := conn.SendBatch(ctx, b)
		for _, sql := range sent {
			rows, err := br.Query()
			if err == nil {
				for rows.Next() {
					_ = rows.RawValues()
				}
				rows.Close()
				err = rows.Err()
			}
			if err != nil {
				br.Close()
				return fmt.Errorf("%.80s: %w", sql, err)
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
	}
	return nil
}

// replayOne sends one statement in its own round trip, in the mode the server's pool sent it
// (its arguments' first); one without arguments with the simple protocol, as pgx sends it.
func replayOne(ctx context.Context, conn *pgx.Conn, s statement) error {
	args := s.Args
	if len(args) == 0 {
		args = []any{pgx.QueryExecModeSimpleProtocol}
	}
	rows, err := conn.Query(ctx, s.SQL, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		_ = rows.RawValues()
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%.80s: %w", s.SQL, err)
	}
	return nil
}

// replayDoer returns a worker that replays random captured transactions on its own
// connection.
func replayDoer(conn *pgx.Conn, txs []transaction) doer {
	return func(ctx context.Context, rng *rand.Rand, _ uint64) error {
		err := replay(ctx, conn, txs[rng.IntN(len(txs))])
		if err != nil && !conn.PgConn().IsClosed() {
			// A failed transaction is rolled back, so that the connection serves the next.
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return err
	}
}

// bestDoer returns a worker that runs the workload's best statement (floor b) on its own
// connection, prepared.
func bestDoer(conn *pgx.Conn, w *workload, d dataset) doer {
	targets := w.targets(d)
	return func(ctx context.Context, rng *rand.Rand, n uint64) error {
		rows, err := conn.Query(ctx, w.bestSQL, w.bestArgs(d, rng.IntN(targets), n)...)
		if err != nil {
			return err
		}
		got := 0
		for rows.Next() {
			_ = rows.RawValues()
			got++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if got == 0 {
			return fmt.Errorf("%s: no row", w.Name)
		}
		return nil
	}
}

// requestTimeout bounds one request of the load.
const requestTimeout = 30 * time.Second

// answerSizes adds up the bytes of a cell's answers: as sent and as read.
type answerSizes struct{ wire, body atomic.Int64 }

// keepAlive is one worker's HTTP/1.1 connection to the server, used from the worker's own
// goroutine: it writes a request and reads its response there, as a browser tab's one
// connection carries one request at a time. net/http's Transport would hand each request to
// a connection's writer and reader goroutines and back, which costs the load generator about
// as much CPU again, taken from the same two cores the server and PostgreSQL share; the
// floors' pgx connections have no such hand-offs. The request and response are still
// net/http's own (Request.Write, ReadResponse).
type keepAlive struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

// do sends req and reads its response, the body into body. A failed exchange, or an answer
// that closes the connection, closes it; the next request dials again.
func (k *keepAlive) do(ctx context.Context, req *http.Request, body *bytes.Buffer) (*http.Response, error) {
	if k.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", req.URL.Host)
		if err != nil {
			return nil, err
		}
		k.conn, k.r, k.w = conn, bufio.NewReader(conn), bufio.NewWriter(conn)
	}
	res, err := k.exchange(ctx, req, body)
	if err != nil || res.Close {
		k.close()
	}
	return res, err
}

func (k *keepAlive) exchange(ctx context.Context, req *http.Request, body *bytes.Buffer) (*http.Response, error) {
	// A hung server cannot hang the run: a request gets 30 s, as the Transport's client had.
	dl := time.Now().Add(requestTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	if err := k.conn.SetDeadline(dl); err != nil {
		return nil, err
	}
	if err := req.Write(k.w); err != nil {
		return nil, err
	}
	if err := k.w.Flush(); err != nil {
		return nil, err
	}
	res, err := http.ReadResponse(k.r, req)
	if err != nil {
		return nil, err
	}
	body.Reset()
	_, err = body.ReadFrom(res.Body)
	res.Body.Close()
	return res, err
}

func (k *keepAlive) close() {
	if k.conn != nil {
		_ = k.conn.Close()
		k.conn = nil
	}
}

// httpDoer returns a worker that sends the workload's requests to the server over its own
// keep-alive connection, and a function that closes it. With gzip it asks for a compressed
// answer, requires one and decompresses it, as a browser would; its CPU time is the load
// generator's.
func httpDoer(url, token string, w *workload, d dataset, gzipped bool, sizes *answerSizes) (doer, func()) {
	targets := w.targets(d)
	var buf []byte
	var wire, resp bytes.Buffer
	var zr gzip.Reader
	conn := &keepAlive{}
	return func(ctx context.Context, rng *rand.Rand, n uint64) error {
		buf = w.body(buf[:0], d, rng.IntN(targets), n)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(buf))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		if gzipped {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		res, err := conn.do(ctx, req, &wire)
		if err != nil {
			return err
		}
		body, sent := wire.Bytes(), wire.Len()
		if enc := res.Header.Get("Content-Encoding"); gzipped && enc != "gzip" {
			return fmt.Errorf("asked for gzip, got Content-Encoding %q (%d bytes)", enc, wire.Len())
		} else if enc == "gzip" {
			if err := zr.Reset(bytes.NewReader(body)); err != nil {
				return fmt.Errorf("gzip: %w", err)
			}
			resp.Reset()
			if _, err := resp.ReadFrom(&zr); err != nil {
				return fmt.Errorf("gzip: %w", err)
			}
			body = resp.Bytes()
		}
		sizes.wire.Add(int64(sent))
		sizes.body.Add(int64(len(body)))
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %.200s", res.StatusCode, body)
		}
		return w.ok(body)
	}, conn.close
}
