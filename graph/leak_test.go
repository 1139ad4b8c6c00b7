package graph_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/models"
)

// leakWatch records every answer of a test and every secret and token it sent, to check
// afterwards that none of them shows up where it must not.
type leakWatch struct {
	e       *env
	secrets []string // plaintexts sent
	tokens  []string
	answers []string // response bodies
}

// secretSet returns distinctive values, tagged with round, of the secrets named by keys.
func (w *leakWatch) secretSet(round string, keys []string) map[string]any {
	all := map[string]any{
		"apiKey":           "LEAK-api-key-" + round + "-7f3a91c2",
		"secretKey":        "LEAK-secret-key-" + round + "-0b8e44d1",
		"password":         "LEAK-password-" + round + "-c91d2e07",
		"extraCredentials": `{"user":"LEAK-extra-` + round + `-5a6b7c8d"}`,
		"merchantKey":      "LEAK-merchant-key-" + round + "-e1f2a3b4",
		"merchantPin":      "LEAK-pin-" + round + "-93847561",
	}
	set := map[string]any{}
	for _, k := range keys {
		set[k] = all[k]
		w.secrets = append(w.secrets, all[k].(string))
	}
	return set
}

func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var connectorSecrets = []string{"apiKey", "secretKey", "password", "extraCredentials"}
var gatewaySecrets = []string{"merchantKey", "merchantPin"}

// post sends a request and keeps its answer.
func (w *leakWatch) post(token, query string, vars map[string]any, headers ...string) response {
	w.e.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		w.e.t.Fatal(err)
	}
	h := map[string]string{"Content-Type": "application/json"}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	res := w.e.postWith(token, h, string(body))
	w.answers = append(w.answers, res.Body)
	return res
}

// TestNoLeaks writes every kind of secret through successful, refused, dry-run, conflicting,
// out-of-scope, malformed, unauthenticated and failing requests, with valid, expired and
// malformed tokens, and checks that no secret and no token appears in the log, in an answer
// (only masks), in the audit log or in plain text in the database.
func TestNoLeaks(t *testing.T) {
	e := newEnv(t)
	w := &leakWatch{e: e}
	admin := e.admin
	expired := e.token(auth.Claims{Subject: "alice", Roles: []string{auth.RoleAdmin}, TTL: -time.Hour})
	tampered := admin[:len(admin)-6] + "AAAAAA"
	garbage := "eyJhbGciOiJIUzI1NiJ9.LEAK-garbage-token-payload.c2lnbmF0dXJl"
	outsider := e.token(auth.Claims{Subject: "gw-b", Roles: []string{auth.RoleGatewayAdmin}, CustomerIDs: []string{customerB}})
	w.tokens = []string{admin, expired, tampered, garbage, outsider}

	// Connector configurations: create, update, refused, dry run, version conflict.
	s1 := w.secretSet("cc1", connectorSecrets)
	res := w.post(admin, createCC, map[string]any{"in": merge(s1, map[string]any{"connectorId": garantiID, "name": "leak"})})
	var created struct{ CreateConnectorConfiguration ccPayload }
	if err := json.Unmarshal(res.Data, &created); err != nil || created.CreateConnectorConfiguration.ConnectorConfiguration == nil {
		t.Fatalf("create: %s", res.Body)
	}
	cc := created.CreateConnectorConfiguration.ConnectorConfiguration
	if *cc.APIKey != secrets.MaskString(s1["apiKey"].(string)) {
		t.Errorf("apiKey reads %q, want the mask", *cc.APIKey)
	}
	update := func(round string, extra map[string]any) response {
		return w.post(admin, updateCC, map[string]any{"in": merge(w.secretSet(round, connectorSecrets), map[string]any{"id": cc.ID}, extra)})
	}
	update("cc2", map[string]any{"expectedVersion": 1})
	refused := update("cc3", map[string]any{"apiEndpointUrl": "ftp://bank.example/api", "mode": "PRODUCTION"})
	if !strings.Contains(refused.Body, `"code":"INVALID"`) {
		t.Errorf("refused update: %s", refused.Body)
	}
	update("cc4", map[string]any{"dryRun": true})
	if conflict := update("cc5", map[string]any{"expectedVersion": 1}); !strings.Contains(conflict.Body, "VERSION_CONFLICT") {
		t.Errorf("conflict: %s", conflict.Body)
	}

	// Gateways: create, update, refused, out of scope.
	g := w.secretSet("gw1", gatewaySecrets)
	res = w.post(admin, createGW, map[string]any{"in": merge(g, map[string]any{"customerId": customerA, "displayName": "leak"})})
	var gw struct{ CreateCustomerPaymentGateway gwPayload }
	if err := json.Unmarshal(res.Data, &gw); err != nil || gw.CreateCustomerPaymentGateway.CustomerPaymentGateway == nil {
		t.Fatalf("create gateway: %s", res.Body)
	}
	gwID := gw.CreateCustomerPaymentGateway.CustomerPaymentGateway.ID
	updateGateway := func(token, round string, extra map[string]any) response {
		return w.post(token, updateGW, map[string]any{"in": merge(w.secretSet(round, gatewaySecrets), map[string]any{"customerId": customerA, "id": gwID}, extra)})
	}
	updateGateway(admin, "gw2", nil)
	updateGateway(admin, "gw3", map[string]any{"minPaymentAmount": "10.00", "maxPaymentAmount": "1.00"})
	updateGateway(outsider, "gw4", nil)

	// Requests refused before any resolver runs: tokens that fail, and malformed requests.
	for i, tok := range []string{expired, tampered, garbage} {
		if res := updateGateway(tok, fmt.Sprint("tok", i), nil); res.Status != 401 {
			t.Errorf("status %d for a bad token: %s", res.Status, res.Body)
		}
	}
	w.secrets = append(w.secrets, "98765432", "LEAK-inline-parse-1", "LEAK-in-object-1")
	inline := w.post(admin, `mutation { updateCustomerPaymentGateway(input: {customerId: "`+customerA+`", id: "`+gwID+`", merchantPin: 98765432}) { userErrors { code } } }`, nil)
	if inline.codeOf() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(inline.Errors[0].Message, "merchantPin must be a string") {
		t.Errorf("a number as merchantPin: %s", inline.Body)
	}
	w.post(admin, `mutation { createConnectorConfiguration(input: {connectorId: "`+garantiID+`", apiKey: "LEAK-inline-parse-1" $ }) { userErrors { code } } }`, nil)
	w.post(admin, updateCC, map[string]any{"in": map[string]any{"id": cc.ID, "apiKey": map[string]any{"k": "LEAK-in-object-1"}}})

	// Reads: masks and history.
	w.post(admin, readCC, map[string]any{"id": cc.ID})
	w.post(admin, readGW, map[string]any{"customerId": customerA, "id": gwID})

	// An internal error while secrets are sent: the client gets a generic message, the log
	// the cause under the request id.
	if _, err := e.db.ExecContext(t.Context(), "ALTER TABLE connector_configurations RENAME TO connector_configurations_gone"); err != nil {
		t.Fatal(err)
	}
	failed := w.post(admin, updateCC, map[string]any{"in": merge(w.secretSet("cc6", connectorSecrets), map[string]any{"id": cc.ID})}, "X-Request-ID", "leak-internal-1")
	if _, err := e.db.ExecContext(t.Context(), "ALTER TABLE connector_configurations_gone RENAME TO connector_configurations"); err != nil {
		t.Fatal(err)
	}
	checkGeneric(t, failed, "INTERNAL_SERVER_ERROR")
	if !e.logged("resolver failed", "leak-internal-1") {
		t.Errorf("no 'resolver failed' log line with the request id:\n%s", e.logs.String())
	}

	w.check()
}

// check asserts that no secret or token sent appears anywhere it must not.
func (w *leakWatch) check() {
	t, e := w.e.t, w.e
	t.Helper()
	logs := e.logs.String()
	answers := strings.Join(w.answers, "\n")
	var changes []string
	if err := e.db.NewRaw("SELECT changes::text FROM audit_log").Scan(t.Context(), &changes); err != nil {
		t.Fatal(err)
	}
	audit := strings.Join(changes, "\n")
	var stored []string
	if err := e.db.NewRaw(`SELECT concat_ws(' ', encode(api_key, 'escape'), encode(secret_key, 'escape'), encode(password, 'escape'),
		encode(extra_credentials, 'escape')) FROM connector_configurations UNION ALL
		SELECT concat_ws(' ', encode(merchant_key, 'escape'), encode(merchant_pin, 'escape')) FROM customer_payment_gateways`).Scan(t.Context(), &stored); err != nil {
		t.Fatal(err)
	}
	where := map[string]string{"the log": logs, "an answer": answers, "the audit log": audit, "the database": strings.Join(stored, "\n")}
	for _, s := range w.secrets {
		for name, text := range where {
			if strings.Contains(text, s) {
				t.Errorf("secret %q appears in %s", s, name)
			}
		}
	}
	for _, tok := range w.tokens {
		for _, part := range append(strings.Split(tok, "."), tok) {
			if len(part) < 8 {
				continue
			}
			for name, text := range map[string]string{"the log": logs, "an answer": answers} {
				if strings.Contains(text, part) {
					t.Errorf("token material %q appears in %s", part, name)
				}
			}
		}
	}
	for _, bad := range leakMarkers {
		if strings.Contains(answers, bad) {
			t.Errorf("an answer contains %q", bad)
		}
	}
	// The audit log knows that secrets changed, and nothing more.
	for _, field := range append(connectorSecrets, gatewaySecrets...) {
		if !strings.Contains(audit, `"`+field+`": {"to": "[redacted]"`) {
			t.Errorf("the audit log lacks a redacted change of %s:\n%s", field, audit)
		}
	}
	if !strings.Contains(answers, `"apiKey":"••••91c2"`) || !strings.Contains(answers, `"merchantPin":"••••7561"`) {
		t.Errorf("answers lack the masks")
	}
	t.Logf("leak check: %d secret values and %d tokens over %d requests; %d log lines, %d audit rows", len(w.secrets), len(w.tokens), len(w.answers), len(e.logs.lines()), len(changes))
}

// leakMarkers are signs of internals that an answer must never carry: SQL, driver errors,
// connection strings, stack traces.
var leakMarkers = []string{"SELECT ", "INSERT ", "UPDATE ", "SQLSTATE", "relation \"", "postgres://", "postgresql://",
	"pgx", "bun:", "goroutine ", ".go:", "panic", "dial tcp", "127.0.0.1"}

// checkGeneric asserts that res failed with code and a message that gives nothing away.
func checkGeneric(t *testing.T, res response, codes ...string) {
	t.Helper()
	if len(res.Errors) == 0 {
		t.Fatalf("no error: %s", res.Body)
	}
	code := res.codeOf()
	if !strings.Contains(strings.Join(codes, " "), code) || code == "" {
		t.Errorf("code %q, want one of %v: %s", code, codes, res.Body)
	}
	for _, bad := range leakMarkers {
		if strings.Contains(res.Body, bad) {
			t.Errorf("the answer contains %q: %s", bad, res.Body)
		}
	}
	for k, v := range res.Errors[0].Extensions {
		// Besides the code, a retryable error says so, and nothing else.
		if k != "code" && (k != "retryable" || v != true) {
			t.Errorf("extensions beyond the code: %v", res.Errors[0].Extensions)
		}
	}
}

// logged reports whether a log line with msg carries the request id.
func (e *env) logged(msg, requestID string) bool {
	for _, l := range e.logs.lines() {
		if l["msg"] == msg && l["request_id"] == requestID {
			return true
		}
	}
	return false
}

// TestUnreachableDatabaseAnswersGenerically serves the API on a database that cannot be
// reached, through a URL with a password: the client learns nothing of it, the log has the
// request id and never the password.
func TestUnreachableDatabaseAnswersGenerically(t *testing.T) {
	const password = "LEAK-db-password-31337"
	cfg, err := pgx.ParseConfig("postgres://leakuser:" + password + "@127.0.0.1:1/nodb?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(stdlib.OpenDB(*cfg), pgdialect.New())
	t.Cleanup(func() { _ = db.Close() })
	key, err := secrets.ParseKey(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := graph.NewHandler(&graph.Resolver{Store: &models.Store{DB: db, Secrets: box}, Logger: logger}, graph.DefaultOptions)
	srv := httptest.NewServer(middleware.Log(logger, "/query", verifier.Middleware(h)))
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, logs: logs}
	admin := e.token(auth.Claims{Subject: "alice", Roles: []string{auth.RoleAdmin}})

	for i, q := range []struct {
		query string
		vars  map[string]any
	}{
		{`{ connectorConfigurations { nodes { id apiKey } } }`, nil},
		{updateCC, map[string]any{"in": map[string]any{"id": "0b1e0000-0000-4000-8000-0000000000aa", "apiKey": "LEAK-api-key-unreachable"}}},
	} {
		id := "leak-db-" + string(rune('a'+i))
		body, _ := json.Marshal(map[string]any{"query": q.query, "variables": q.vars})
		res := e.postWith(admin, map[string]string{"Content-Type": "application/json", "X-Request-ID": id}, string(body))
		checkGeneric(t, res, "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE")
		for _, bad := range []string{password, "leakuser", "nodb", "LEAK-api-key-unreachable"} {
			if strings.Contains(res.Body, bad) {
				t.Errorf("the answer contains %q: %s", bad, res.Body)
			}
		}
		found := false
		for _, l := range logs.lines() {
			if l["request_id"] == id && l["msg"] != "request" {
				found = true
			}
		}
		if !found {
			t.Errorf("the cause is not logged under request id %s:\n%s", id, logs.String())
		}
	}
	for _, bad := range []string{password, "LEAK-api-key-unreachable", admin} {
		if strings.Contains(logs.String(), bad) {
			t.Errorf("the log contains %q", bad)
		}
	}
}

// TestUnreadableSecretIsAFieldError stores a secret that the server's keys cannot open: reading
// it is an error of that field alone (null, a generic message, its path), logged under the
// request id, while the record's other fields, masked secrets included, are served.
func TestUnreadableSecretIsAFieldError(t *testing.T) {
	e := newEnv(t)
	res := e.post(e.admin, createCC, map[string]any{"in": map[string]any{
		"connectorId": garantiID, "name": "foreign", "apiKey": "api-key-0001", "secretKey": "secret-key-0002"}})
	var created struct{ CreateConnectorConfiguration ccPayload }
	if err := json.Unmarshal(res.Data, &created); err != nil || created.CreateConnectorConfiguration.ConnectorConfiguration == nil {
		t.Fatalf("create: %s", res.Body)
	}
	id := created.CreateConnectorConfiguration.ConnectorConfiguration.ID
	if _, err := e.db.ExecContext(t.Context(), `UPDATE connector_configurations SET api_key = '\x02666f726569676e'::bytea WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"query": `query($id: UUID!) { connectorConfiguration(id: $id) { name apiKey secretKey } }`, "variables": map[string]any{"id": id}})
	res = e.postWith(e.admin, map[string]string{"Content-Type": "application/json", "X-Request-ID": "foreign-secret-1"}, string(body))
	checkGeneric(t, res, "INTERNAL_SERVER_ERROR")
	if got := fmt.Sprint(res.Errors[0].Path); got != "[connectorConfiguration apiKey]" || len(res.Errors) != 1 {
		t.Errorf("errors %v, want one at [connectorConfiguration apiKey]: %s", res.Errors, res.Body)
	}
	if want := `{"connectorConfiguration":{"name":"foreign","apiKey":null,"secretKey":"••••0002"}}`; string(res.Data) != want {
		t.Errorf("data %s, want %s", res.Data, want)
	}
	if !e.logged("resolver failed", "foreign-secret-1") {
		t.Errorf("no 'resolver failed' log line with the request id:\n%s", e.logs.String())
	}
}
