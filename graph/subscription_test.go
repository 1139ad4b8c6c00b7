package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/events"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/internal/wstest"
)

// appOrigin is the one browser origin the subscription tests' server allows.
const appOrigin = "https://app.example.com"

// newSubEnv serves /query as server.go does: the GraphQL handler, and for WebSocket upgrades
// the stream handler with subscriptions on a Feed of the test's database (LISTENing, and
// polling every 50 ms).
func newSubEnv(t *testing.T, opt graph.ChangeOptions) *env {
	t.Helper()
	e, _ := newSubEnvChanges(t, opt)
	return e
}

// newSubEnvChanges is newSubEnv that returns the server's Changes too.
func newSubEnvChanges(t *testing.T, opt graph.ChangeOptions) (*env, *graph.Changes) {
	t.Helper()
	store, url := testenv.New(t)
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(verifier.Close)
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	feed := events.NewFeed(store.DB, url, 50*time.Millisecond, logger)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = feed.Run(ctx) })
	changes := graph.NewChanges(feed, store, logger, opt)
	r := &graph.Resolver{Store: store, Logger: logger, Changes: changes}
	api := middleware.Log(logger, "/query", verifier.Middleware(graph.NewHandler(r, graph.DefaultOptions)))
	streams := graph.NewStreamHandler(r, graph.DefaultOptions, graph.StreamOptions{Verifier: verifier, AllowedOrigins: []string{appOrigin}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if graph.IsStream(req) {
			streams.ServeHTTP(w, req)
			return
		}
		api.ServeHTTP(w, req)
	}))
	t.Cleanup(func() {
		changes.Shutdown()
		srv.Close()
		cancel()
		wg.Wait()
	})
	e := &env{t: t, db: store.DB, store: store, srv: srv, logs: logs}
	e.admin = e.token(auth.Claims{Subject: "alice", Roles: []string{auth.RoleAdmin}})
	return e, changes
}

// head is the cursor of the last event committed so far.
func (e *env) head() string {
	e.t.Helper()
	c, err := events.Head(e.t.Context(), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.String()
}

// connect opens a connection with token in connection_init and fails the test when refused.
func (e *env) connect(token string) *wstest.Conn {
	e.t.Helper()
	c, _, err := wstest.Dial(e.srv.URL+"/query", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	if err := c.Init(map[string]any{"Authorization": "Bearer " + token}); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// change is one delivered event as the tests select it.
type change struct {
	Cursor        string   `json:"cursor"`
	Action        string   `json:"action"`
	Version       int      `json:"version"`
	ChangedFields []string `json:"changedFields"`
	Actor         *string  `json:"actor"`
	Record        struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	} `json:"record"`
}

// Subscriptions the tests run, each selecting the record as `record`.
const (
	orderChanged = `subscription($dealerCode: String, $uuid: UUID, $after: String) {
		devicePurchaseOrderChanged(dealerCode: $dealerCode, uuid: $uuid, after: $after) {
			cursor action version changedFields actor record: devicePurchaseOrder { id version } } }`
	subDealerChanged = `subscription($after: String) { subDealerChanged(after: $after) {
		cursor action version changedFields actor record: subDealer { id version } } }`
	gatewayChanged = `subscription($after: String) { customerPaymentGatewayChanged(after: $after) {
		cursor action version changedFields actor record: customerPaymentGateway { id version } } }`
	configChanged = `subscription($after: String) { connectorConfigurationChanged(after: $after) {
		cursor action version changedFields actor record: connectorConfiguration { id version } } }`
)

// next waits for operation id's next event and returns it; any other message fails the test.
func next(t *testing.T, c *wstest.Conn, id, field string) change {
	t.Helper()
	m, err := c.Next(10 * time.Second)
	if err != nil {
		t.Fatalf("waiting for %s: %v", field, err)
	}
	d, err := m.Decode()
	if m.Type != "next" || m.ID != id || err != nil || len(d.Errors) > 0 {
		t.Fatalf("want next of %s, got %s %s: %s", id, m.Type, m.ID, m.Payload)
	}
	var ch change
	if err := json.Unmarshal(d.Data[field], &ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

// opError waits for operation id's answer and returns its first error's code and message: an
// error message, or a next message with errors.
func opError(t *testing.T, c *wstest.Conn, id string) (code, message string) {
	t.Helper()
	m, err := c.Next(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var errs []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	switch m.Type {
	case "error":
		err = json.Unmarshal(m.Payload, &errs)
	case "next":
		var d struct {
			Errors *json.RawMessage `json:"errors"`
		}
		if err = json.Unmarshal(m.Payload, &d); err == nil && d.Errors != nil {
			err = json.Unmarshal(*d.Errors, &errs)
		}
	}
	if err != nil || m.ID != id || len(errs) == 0 {
		t.Fatalf("want an error for %s, got %s %s: %s", id, m.Type, m.ID, m.Payload)
	}
	{ // gqlgen follows the errors with complete
		if end, err := c.Next(5 * time.Second); err != nil || end.Type != "complete" || end.ID != id {
			t.Fatalf("after the error of %s: %s %s %v", id, end.Type, end.ID, err)
		}
	}
	code, _ = errs[0].Extensions["code"].(string)
	return code, errs[0].Message
}

// quiet fails the test when c receives anything within d.
func quiet(t *testing.T, c *wstest.Conn, d time.Duration) {
	t.Helper()
	if m, err := c.Next(d); !errors.Is(err, wstest.ErrTimeout) {
		t.Fatalf("want nothing, got %s %s (%v)", m.Type, m.Payload, err)
	}
}

// TestSubscriptionDeliversEveryChangeAndResumes: a subscriber hears of a create and each
// update once, in version order, with the record as it reads then; one that reconnects with
// the last cursor it saw gets exactly the changes it missed; a dry run, a refused update and a
// replayed idempotency key make no event.
func TestSubscriptionDeliversEveryChangeAndResumes(t *testing.T) {
	e := newSubEnv(t, graph.ChangeOptions{})
	c := e.connect(e.admin)
	if err := c.Subscribe("1", orderChanged, map[string]any{"dealerCode": dealerA, "after": e.head()}); err != nil {
		t.Fatal(err)
	}
	o := e.mustCreateOrder(newOrder())
	created := next(t, c, "1", "devicePurchaseOrderChanged")
	if created.Action != "CREATE" || created.Version != 1 || created.Record.ID != o.UUID || created.Actor == nil || *created.Actor != "alice" {
		t.Fatalf("create event: %+v", created)
	}
	// Changes that commit nothing make no event.
	e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "shippingMethodGatewayId": "DRY", "dryRun": true})
	e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "status": "DELIVERED"})
	keyed := map[string]any{"dealerCode": dealerA, "uuid": o.UUID, "shippingMethodGatewayId": "KEYED", "idempotencyKey": "k-1"}
	e.updateOrder(e.admin, keyed)
	e.updateOrder(e.admin, keyed) // a replay
	for i := range 4 {
		e.mustUpdateOrder(o, map[string]any{"shippingMethodGatewayId": fmt.Sprint("SHIP-", i)})
	}
	var cursors []string
	for v := 2; v <= 6; v++ {
		ch := next(t, c, "1", "devicePurchaseOrderChanged")
		if ch.Action != "UPDATE" || ch.Version != v || ch.Record.Version < v || strings.Join(ch.ChangedFields, ",") != "shippingMethodGatewayId" {
			t.Fatalf("event %d: %+v", v, ch)
		}
		cursors = append(cursors, ch.Cursor)
	}
	quiet(t, c, 300*time.Millisecond)

	// A new connection resuming after version 3's event gets versions 4 to 6, then what follows.
	c2 := e.connect(e.admin)
	if err := c2.Subscribe("r", orderChanged, map[string]any{"uuid": o.UUID, "after": cursors[1]}); err != nil {
		t.Fatal(err)
	}
	for v := 4; v <= 6; v++ {
		if ch := next(t, c2, "r", "devicePurchaseOrderChanged"); ch.Version != v || ch.Cursor != cursors[v-2] {
			t.Fatalf("resumed: want version %d at %s, got %+v", v, cursors[v-2], ch)
		}
	}
	e.mustUpdateOrder(o, map[string]any{"shippingMethodGatewayId": "LAST"})
	if ch := next(t, c2, "r", "devicePurchaseOrderChanged"); ch.Version != 7 {
		t.Fatalf("after resuming: %+v", ch)
	}
	// A filter on another order hears nothing of this one.
	if err := c2.Subscribe("other", orderChanged, map[string]any{"uuid": absent}); err != nil {
		t.Fatal(err)
	}
	e.mustUpdateOrder(o, map[string]any{"shippingMethodGatewayId": "AFTER"})
	if ch := next(t, c2, "r", "devicePurchaseOrderChanged"); ch.Version != 8 {
		t.Fatalf("version 8: %+v", ch)
	}
	quiet(t, c2, 300*time.Millisecond)
}

// TestSubscriptionArguments: a cursor that cannot be read, a variable of the wrong type and a
// query over the depth limit are refused, each with an error that names the problem.
func TestSubscriptionArguments(t *testing.T) {
	e := newSubEnv(t, graph.ChangeOptions{})
	c := e.connect(e.admin)
	_ = c.Subscribe("cursor", orderChanged, map[string]any{"after": "yesterday"})
	if code, msg := opError(t, c, "cursor"); code != "BAD_USER_INPUT" || !strings.HasPrefix(msg, "after: ") {
		t.Errorf("bad cursor: %s %q", code, msg)
	}
	_ = c.Subscribe("var", orderChanged, map[string]any{"after": 812})
	if code, msg := opError(t, c, "var"); code != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(msg, "variables.after") {
		t.Errorf("bad variable: %s %q", code, msg)
	}
	_ = c.Subscribe("long", orderChanged, map[string]any{"dealerCode": strings.Repeat("D", 1000)})
	if code, msg := opError(t, c, "long"); code != "BAD_USER_INPUT" || !strings.Contains(msg, "dealerCode") {
		t.Errorf("long dealerCode: %s %q", code, msg)
	}
	deep := `subscription { subDealerChanged { subDealer { users { id } history { changes } } } }`
	_ = c.Subscribe("ok", deep, nil)
	quiet(t, c, 200*time.Millisecond) // a valid subscription: nothing until a change
	_ = c.Subscribe("two", `subscription { a: subDealerChanged { cursor } b: connectorConfigurationChanged { cursor } }`, nil)
	if code, _ := opError(t, c, "two"); code != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("two root fields: %s", code)
	}
	tooComplex := `subscription { subDealerChanged { subDealer { ` + aliases("history(first: 100) { changes actor at action version }", 50) + ` } } }`
	_ = c.Subscribe("complex", tooComplex, nil)
	if code, _ := opError(t, c, "complex"); code != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("too complex: %s", code)
	}
}

// aliases repeats field n times under aliases f0…fn-1.
func aliases(field string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "f%d: %s ", i, field)
	}
	return b.String()
}

// TestSubscriptionConnectionAuth: connection_init without a token, with a bad one, or with one
// in the wrong form closes the connection with 4403 and a reason; the upgrade request's
// Authorization header works too, and a bad one is refused before the upgrade with 401.
func TestSubscriptionConnectionAuth(t *testing.T) {
	e := newSubEnv(t, graph.ChangeOptions{})
	for name, payload := range map[string]map[string]any{
		"no token":  {},
		"bad token": {"Authorization": "Bearer not-a-jwt"},
		"no scheme": {"Authorization": e.admin},
		"forged":    {"token": must(auth.MintHS256([]byte("another-secret-of-at-least-32-bytes!!"), auth.Claims{Subject: "mallory", Roles: []string{auth.RoleAdmin}}))},
	} {
		c, _, err := wstest.Dial(e.srv.URL+"/query", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Init(payload); err == nil || !c.Closed(5*time.Second) || c.CloseCode != 4403 || !strings.HasPrefix(c.CloseReason, "Forbidden: ") {
			t.Errorf("%s: %v, closed %d %q", name, err, c.CloseCode, c.CloseReason)
		}
	}
	// {"token": …} and the upgrade's header both authenticate.
	c, _, err := wstest.Dial(e.srv.URL+"/query", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(map[string]any{"token": e.admin}); err != nil {
		t.Errorf(`{"token": …}: %v`, err)
	}
	c.Close()
	c, _, err = wstest.Dial(e.srv.URL+"/query", http.Header{"Authorization": {"Bearer " + e.admin}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(nil); err != nil {
		t.Errorf("header token: %v", err)
	}
	c.Close()
	_, res, err := wstest.Dial(e.srv.URL+"/query", http.Header{"Authorization": {"Bearer expired.or.not"}})
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad header token: %v %v", err, res)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSubscriptionTokenExpiry: a connection whose token expires is closed with 4403 and the
// reason, and its subscriptions end with it.
func TestSubscriptionTokenExpiry(t *testing.T) {
	e := newSubEnv(t, graph.ChangeOptions{})
	token := e.token(auth.Claims{Subject: "brief", Roles: []string{auth.RoleAdmin}, TTL: 2 * time.Second})
	c := e.connect(token)
	if err := c.Subscribe("1", configChanged, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if !c.Closed(5 * time.Second) {
		t.Fatal("the connection outlived its token")
	}
	if c.CloseCode != 4403 || c.CloseReason != "Forbidden: the token expired" || time.Since(start) > 3*time.Second {
		t.Errorf("closed after %s with %d %q", time.Since(start), c.CloseCode, c.CloseReason)
	}
}

// TestSubscriptionLimits: a token subject holds at most MaxConnections connections and
// MaxSubscriptions subscriptions; past them it is refused clearly, and a subscription that
// completes frees its place.
func TestSubscriptionLimits(t *testing.T) {
	e := newSubEnv(t, graph.ChangeOptions{MaxConnections: 2, MaxSubscriptions: 2})
	c1, c2 := e.connect(e.admin), e.connect(e.admin)
	c3, _, err := wstest.Dial(e.srv.URL+"/query", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c3.Init(map[string]any{"Authorization": "Bearer " + e.admin}); err == nil || !c3.Closed(5*time.Second) ||
		c3.CloseCode != 4429 || !strings.Contains(c3.CloseReason, "Too many connections") {
		t.Errorf("third connection: %v, %d %q", err, c3.CloseCode, c3.CloseReason)
	}
	// Another subject is counted apart.
	e.connect(e.token(auth.Claims{Subject: "bob", Roles: []string{auth.RoleAdmin}}))
	c2.Close()
	time.Sleep(100 * time.Millisecond)
	e.connect(e.admin) // the closed one's place

	head := e.head()
	for _, id := range []string{"a", "b", "c"} {
		_ = c1.Subscribe(id, configChanged, map[string]any{"after": head})
	}
	// Each starts on its own goroutine: whichever comes third is refused.
	m, err := c1.Next(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	refused := m.ID
	if d, _ := m.Decode(); len(d.Errors) != 1 || d.Errors[0].Extensions["code"] != "TOO_MANY_SUBSCRIPTIONS" ||
		!strings.Contains(d.Errors[0].Message, "already runs 2") {
		t.Fatalf("third subscription: %s %s", m.Type, m.Payload)
	}
	running := slices.DeleteFunc([]string{"a", "b", "c"}, func(id string) bool { return id == refused })
	_ = c1.Complete(running[0])
	time.Sleep(200 * time.Millisecond) // the server ends it
	_ = c1.Subscribe("d", configChanged, map[string]any{"after": head})
	e.createConfig(map[string]any{"name": "limits"})
	got := map[string]bool{}
	for len(got) < 2 {
		m, err := c1.Next(10 * time.Second)
		if err != nil {
			t.Fatalf("%v (heard %v)", err, got)
		}
		if m.Type == "next" {
			got[m.ID] = true
		}
	}
	if !got[running[1]] || !got["d"] {
		t.Errorf("after completing %s, %s and d run: %v", running[0], running[1], got)
	}
}

// TestSubscriptionOrigin: a browser page of an origin that CORS does not allow cannot open a
// connection; the allowed origin, the server's own and clients without Origin can.
func TestSubscriptionOrigin(t *testing.T) {
	e := newSubEnv(t, graph.ChangeOptions{})
	_, res, err := wstest.Dial(e.srv.URL+"/query", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v %v", err, res)
	}
	for _, origin := range []string{appOrigin, e.srv.URL, ""} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, _, err := wstest.Dial(e.srv.URL+"/query", h)
		if err != nil {
			t.Errorf("origin %q: %v", origin, err)
			continue
		}
		c.Close()
	}
}

// TestSubscriptionShutdown: Shutdown closes every connection with 1001, so that clients
// reconnect (to another instance), and refuses new ones.
func TestSubscriptionShutdown(t *testing.T) {
	e, changes := newSubEnvChanges(t, graph.ChangeOptions{})
	c := e.connect(e.admin)
	_ = c.Subscribe("1", configChanged, nil)
	time.Sleep(100 * time.Millisecond)
	changes.Shutdown()
	if !c.Closed(5*time.Second) || c.CloseCode != 1001 {
		t.Errorf("closed %d %q", c.CloseCode, c.CloseReason)
	}
	if _, res, err := wstest.Dial(e.srv.URL+"/query", nil); err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a connection after shutdown: %v %v", err, res)
	}
}
