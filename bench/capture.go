package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/models"
)

// statement is one SQL statement as the server sent it: with its values in its text (Args
// nil: the simple protocol) or as a prepared statement with its arguments.
type statement struct {
	SQL  string
	Args []any
	// Trip numbers the round trip that carried the statement in the server's transaction:
	// the replay sends the statements of one trip as one pgx batch, as the server does.
	Trip int
}

// transaction is the statements of one request, in order.
type transaction []statement

// captureHook is a Bun query hook that records every statement the server's database handle
// sends.
type captureHook struct {
	mu    sync.Mutex
	stmts []statement
	// sent counts the round trips of the capturing pool; flushed is its value after the
	// last trip, trip numbers it, held counts the statements waiting for the next.
	sent    *database.Counters
	flushed int64
	trip    int
	held    int
}

func (h *captureHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return database.RecordArgs(ctx)
}

func (h *captureHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := statement{SQL: e.Query, Args: database.StatementArgs(ctx)}
	// A pipelined transaction (internal/database/pipeline.go) holds BEGIN and writes until
	// the next read or COMMIT, which sends them with it; a read answered from a batch already
	// sent (sent ahead) costs no trip and joins that batch.
	word := strings.ToUpper(strings.SplitN(strings.TrimSpace(e.Query), " ", 2)[0])
	trips := h.sent.RoundTrips.Load()
	switch {
	case word != "SELECT" && word != "COMMIT" && word != "ROLLBACK":
		st.Trip = h.trip + 1 // held for the next trip
		h.held++
	case trips == h.flushed && h.held == 0 && len(h.stmts) > 0:
		st.Trip = h.trip // read ahead
	default:
		h.trip++
		st.Trip = h.trip
		h.held, h.flushed = 0, trips
	}
	h.stmts = append(h.stmts, st)
}

func (h *captureHook) take() transaction {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.stmts
	h.stmts, h.trip, h.held = nil, 0, 0
	return t
}

// capture serves requests with the server's own handler, in this process, on a database
// handle carrying a capture hook, and returns the statements of each request: floor (a)
// replays them. Each workload gets up to perWorkload transactions, for as many targets, so
// that the replay spreads over rows as the server's load does.
func capture(ctx context.Context, url string, box *secrets.Box, secret []byte, d dataset, perWorkload int) (map[string][]transaction, error) {
	db, err := database.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	hook := &captureHook{sent: database.Sent(db.DB)}
	db.AddQueryHook(hook)
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
			out[w.Name] = append(out[w.Name], hook.take())
		}
	}
	return out, nil
}

// describe summarises a transaction for the report: each statement's first words, round
// trips apart by "|".
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
		if s.Args != nil {
			word += "(prepared)"
		}
		parts = append(parts, word)
	}
	return strings.Join(parts, " ")
}

// replay runs a transaction on conn as the server ran it: the same statements in the same
// protocol (conn sends statements without arguments with the simple protocol, as the
// server's pool does) and the same round trips (the statements of one trip in one batch),
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
		// A batch runs in the connection's mode, pgx's statement cache, as the server's
		// pipelined batches do.
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

// replayOne sends one statement in its own round trip: without arguments with the simple
// protocol, with arguments prepared, as the server's pool does.
func replayOne(ctx context.Context, conn *pgx.Conn, s statement) error {
	mode := pgx.QueryExecModeSimpleProtocol
	if s.Args != nil {
		mode = pgx.QueryExecModeCacheStatement
	}
	rows, err := conn.Query(ctx, s.SQL, append([]any{mode}, s.Args...)...)
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

// answerSizes adds up the bytes of a cell's answers: as sent and as read.
type answerSizes struct{ wire, body atomic.Int64 }

// httpDoer returns a worker that sends the workload's requests to the server over its own
// keep-alive connection. With gzip it asks for a compressed answer, requires one and
// decompresses it, as a browser would; its CPU time is the load generator's.
func httpDoer(client *http.Client, url, token string, w *workload, d dataset, gzipped bool, sizes *answerSizes) doer {
	targets := w.targets(d)
	var buf []byte
	var wire, resp bytes.Buffer
	var zr gzip.Reader
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
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		wire.Reset()
		_, err = wire.ReadFrom(res.Body)
		res.Body.Close()
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
	}
}
