package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/models"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testSecret signs the tests' HS256 tokens.
var testSecret = []byte("test-signing-secret-of-32-bytes-or-more")

// env is one test's server: the real GraphQL handler behind the real auth middleware, on its
// own migrated database.
type env struct {
	t     *testing.T
	db    *bun.DB
	store *models.Store
	srv   *httptest.Server
	admin string // a token with role admin
	logs  *logBuffer
}

// logBuffer holds the server's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the JSON log lines written so far.
func (b *logBuffer) lines() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func newEnv(t *testing.T) *env {
	return newEnvWith(t, graph.DefaultOptions)
}

func newEnvWith(t *testing.T, opts graph.Options) *env {
	t.Helper()
	return newEnvAuth(t, opts, auth.Config{HS256Secret: testSecret})
}

// newEnvAuth is newEnvWith with the given token verification.
func newEnvAuth(t *testing.T, opts graph.Options, cfg auth.Config) *env {
	t.Helper()
	store, _ := testenv.New(t)
	return newEnvOn(t, store, opts, cfg)
}

// newEnvOn serves the handler on store, verifying tokens as cfg says.
func newEnvOn(t *testing.T, store *models.Store, opts graph.Options, cfg auth.Config) *env {
	t.Helper()
	verifier, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(verifier.Close)
	logs := &logBuffer{}
	// Debug, the most the server ever logs, so that leak checks see everything.
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := graph.NewHandler(&graph.Resolver{Store: store, Logger: logger}, opts)
	srv := httptest.NewServer(middleware.Log(logger, "/query", verifier.Middleware(h)))
	t.Cleanup(srv.Close)
	e := &env{t: t, db: store.DB, store: store, srv: srv, logs: logs}
	e.admin = e.token(auth.Claims{Subject: "alice", Roles: []string{auth.RoleAdmin}})
	return e
}

// token mints a token signed with the test secret.
func (e *env) token(c auth.Claims) string {
	e.t.Helper()
	tok, err := auth.MintHS256(testSecret, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// response is a GraphQL response with its HTTP status.
type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Body   string
}

// post sends a GraphQL request with token (none when empty).
func (e *env) post(token, query string, vars map[string]any) response {
	e.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.postRaw(token, "application/json", string(body))
}

func (e *env) postRaw(token, contentType, body string) response {
	e.t.Helper()
	return e.postWith(token, map[string]string{"Content-Type": contentType}, body)
}

// postWith sends body with headers and token (none when empty).
func (e *env) postWith(token string, headers map[string]string, body string) response {
	e.t.Helper()
	out, err := e.send(token, headers, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// send is postWith for goroutines other than the test's own: it returns what went wrong
// instead of ending the test.
func (e *env) send(token string, headers map[string]string, body string) (response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	out := response{Status: res.StatusCode, Body: string(raw)}
	if err := json.Unmarshal(raw, &out); err != nil {
		return response{}, fmt.Errorf("response is not JSON: %w\n%s", err, raw)
	}
	return out, nil
}

// do runs query as admin, fails the test on any GraphQL error and decodes data into out.
func (e *env) do(query string, vars map[string]any, out any) {
	e.t.Helper()
	e.doAs(e.admin, query, vars, out)
}

func (e *env) doAs(token, query string, vars map[string]any, out any) {
	e.t.Helper()
	res := e.post(token, query, vars)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		e.t.Fatalf("status %d, errors: %s", res.Status, res.Body)
	}
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(res.Data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(out); err != nil {
			e.t.Fatalf("decode data: %v\n%s", err, res.Data)
		}
	}
}

// userError is a UserError as clients see it.
type userError struct {
	Field   []string `json:"field"`
	Code    string   `json:"code"`
	Message string   `json:"message"`
}

func (u userError) key() string { return strings.Join(u.Field, ".") + ":" + u.Code }

// keys returns "path:CODE" of every user error, in order.
func keys(errs []userError) []string {
	out := []string{}
	for _, u := range errs {
		out = append(out, u.key())
	}
	return out
}

// codeOf returns the extensions.code of the first error.
func (r response) codeOf() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func graphDefaultOptions() graph.Options { return graph.DefaultOptions }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func replaceAll(s, old, new string) string { return strings.ReplaceAll(s, old, new) }

// queryCounter counts the statements a database handle sends.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (c *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) { c.n.Add(1) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
