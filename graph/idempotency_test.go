package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
)

// count returns the rows of table.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.NewRaw("SELECT count(*) FROM ?", bun.Ident(table)).Scan(context.Background(), &n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// sendRaw runs query with in as $in and returns the response's data, failing on GraphQL errors.
func (e *env) sendRaw(token, query string, in map[string]any) json.RawMessage {
	e.t.Helper()
	res := e.post(token, query, map[string]any{"in": in})
	if len(res.Errors) > 0 {
		e.t.Fatalf("errors: %s", res.Body)
	}
	return res.Data
}

// with returns a copy of in with the fields of more.
func with(in map[string]any, more map[string]any) map[string]any {
	out := make(map[string]any, len(in)+len(more))
	for k, v := range in {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// TestIdempotentCreate sends every create twice with one key: the retry answers with the
// first payload byte for byte, and one record, one audit row and one key exist.
func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, query, table string
		input              map[string]any
	}{
		{"connector configuration", createCC, "connector_configurations",
			map[string]any{"connectorId": garantiID, "name": "retry", "apiKey": "sk_live_0042", "extraPropertiesDict": map[string]any{"n": 1.50}}},
		{"customer payment gateway", createGW, "customer_payment_gateways", fullGateway()},
		{"sub-dealer", createSD, "sub_dealers", corporateSubDealer("RETRY")},
		{"device purchase order", createOrderQ, "device_purchase_orders", newOrder()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := with(tt.input, map[string]any{"idempotencyKey": uuid.NewString(), "clientMutationId": "cm-1"})
			records, audits := e.count(tt.table), e.count("audit_log")
			first := e.sendRaw(e.admin, tt.query, in)
			second := e.sendRaw(e.admin, tt.query, in)
			if string(first) != string(second) {
				t.Errorf("the retry answered differently:\n%s\n%s", first, second)
			}
			if contains(string(first), `"userErrors":[{`) {
				t.Fatalf("refused: %s", first)
			}
			if n := e.count(tt.table) - records; n != 1 {
				t.Errorf("%d records written, want 1", n)
			}
			if n := e.count("audit_log") - audits; n != 1 {
				t.Errorf("%d audit rows written, want 1", n)
			}
		})
	}
}

// TestIdempotentUpdate retries updates that would apply twice without a key: a gateway update
// without expectedVersion moves the version once, and a sub-dealer update that asks for a
// registration mail queues it once; the retry's payload is the first one, lists it did not
// send included.
func TestIdempotentUpdate(t *testing.T) {
	e := newEnv(t)
	g := e.createGateway(fullGateway())
	in := map[string]any{"customerId": customerA, "id": g.ID, "displayName": "Renamed once", "idempotencyKey": "update-1"}
	first := e.sendRaw(e.admin, updateGW, in)
	// Someone else changes the gateway between the two tries; the retry still answers with
	// the first result and does not undo their change.
	e.updateGateway(e.admin, map[string]any{"customerId": customerA, "id": g.ID, "testMode": false})
	second := e.sendRaw(e.admin, updateGW, in)
	if string(first) != string(second) {
		t.Errorf("the retry answered differently:\n%s\n%s", first, second)
	}
	var p struct{ UpdateCustomerPaymentGateway gwPayload }
	if err := json.Unmarshal(second, &p); err != nil {
		t.Fatal(err)
	}
	if got := p.UpdateCustomerPaymentGateway.CustomerPaymentGateway; got.Version != 2 || len(got.ConvenienceFees) != 3 || got.ConvenienceFees[0].PaymentGatewayID != g.ID {
		t.Errorf("replayed gateway %+v", got)
	}
	if stored := e.readGateway(e.admin, customerA, g.ID); stored.Version != 3 || stored.DisplayName != "Renamed once" || stored.TestMode {
		t.Errorf("stored version %d %q testMode %v, want 3 after one update and one other change", stored.Version, stored.DisplayName, stored.TestMode)
	}

	d := e.mustCreateSubDealer(corporateSubDealer("MAIL"))
	mails := e.count("mail_outbox")
	mailIn := map[string]any{"updateCode": d.Code, "idempotencyKey": "mail-1", "users": []any{map[string]any{
		"code": "MAIL-u3", "name": "Elif", "surname": "Şahin", "email": "elif@example.com", "gsm": "+905551112244", "sendRegisterMail": true}}}
	first = e.sendRaw(e.admin, updateSD, mailIn)
	second = e.sendRaw(e.admin, updateSD, mailIn)
	if string(first) != string(second) {
		t.Errorf("the retry answered differently:\n%s\n%s", first, second)
	}
	if n := e.count("mail_outbox") - mails; n != 1 {
		t.Errorf("%d mails queued, want 1", n)
	}
	if got := e.readSubDealer(e.admin, d.Code); got.Version != 2 || len(got.Users) != 3 {
		t.Errorf("version %d with %d users, want 2 and 3", got.Version, len(got.Users))
	}
}

// TestIdempotentConcurrentRetries sends one create ten times at once with one key: exactly one
// record is written, and every request gets its payload.
func TestIdempotentConcurrentRetries(t *testing.T) {
	e := newEnv(t)
	in := with(newOrder(), map[string]any{"idempotencyKey": "burst"})
	before := e.count("device_purchase_orders")
	var wg sync.WaitGroup
	answers := make([]string, 10)
	for i := range answers {
		wg.Go(func() { answers[i] = string(e.sendRaw(e.admin, createOrderQ, in)) })
	}
	wg.Wait()
	if n := e.count("device_purchase_orders") - before; n != 1 {
		t.Errorf("%d orders written, want 1", n)
	}
	for i, a := range answers {
		if a != answers[0] {
			t.Errorf("answer %d differs:\n%s\n%s", i, a, answers[0])
		}
	}
	if !contains(answers[0], `"uuid":"`) {
		t.Errorf("no order: %s", answers[0])
	}
}

// TestIdempotencyKeyReused refuses a key sent again with another input or for another
// operation with INVALID at idempotencyKey, writing nothing, while the same input written
// another way (inline, "1.5" for "1.50") is the same request.
func TestIdempotencyKeyReused(t *testing.T) {
	e := newEnv(t)
	in := map[string]any{"connectorId": garantiID, "name": "first", "priority": 1, "idempotencyKey": "k-1"}
	first := e.sendRaw(e.admin, createCC, in)
	records := e.count("connector_configurations")
	refused := func(query string, in map[string]any) {
		t.Helper()
		data := e.sendRaw(e.admin, query, in)
		var p map[string]ccPayload
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		for _, payload := range p {
			if !slices.Equal(keys(payload.UserErrors), []string{"idempotencyKey:INVALID"}) || payload.ConnectorConfiguration != nil ||
				!contains(payload.UserErrors[0].Message, "already used for another request") || !contains(payload.UserErrors[0].Message, "within the last 24 hours") {
				t.Errorf("got %s", data)
			}
		}
	}
	refused(createCC, with(in, map[string]any{"name": "second"}))
	refused(createCC, with(in, map[string]any{"bankCode": nil}))                      // null is not left out
	refused(createCC, with(in, map[string]any{"clientMutationId": "another client"})) // echoed, so part of the input
	refused(updateCC, map[string]any{"id": garantiID, "name": "first", "idempotencyKey": "k-1"})
	if n := e.count("connector_configurations"); n != records {
		t.Errorf("a refused retry wrote %d records", n-records)
	}
	// The same input: a dry run flag of false, and the input written inline.
	if again := e.sendRaw(e.admin, createCC, with(in, map[string]any{"dryRun": false})); string(again) != string(first) {
		t.Errorf("dryRun false changed the request:\n%s\n%s", again, first)
	}
	inline := fmt.Sprintf(`mutation { createConnectorConfiguration(input: {connectorId: %q, priority: 1, name: "first", idempotencyKey: "k-1"}) {
		connectorConfiguration { id } userErrors { field code } } }`, garantiID)
	if res := e.post(e.admin, inline, nil); !contains(res.Body, `"userErrors":[]`) || e.count("connector_configurations") != records {
		t.Errorf("inline retry: %s", res.Body)
	}

	// Decimals: "149.9" and "149.90" are one amount.
	g := with(fullGateway(), map[string]any{"idempotencyKey": "k-money", "maxPaymentAmount": "149.9"})
	first = e.sendRaw(e.admin, createGW, g)
	if again := e.sendRaw(e.admin, createGW, with(g, map[string]any{"maxPaymentAmount": "149.90"})); string(again) != string(first) {
		t.Errorf("149.90 is not 149.9:\n%s\n%s", again, first)
	}

	// Another caller's key of the same name is another key.
	other := e.token(auth.Claims{Subject: "bob", Roles: []string{auth.RoleAdmin}})
	e.sendRaw(other, createCC, in)
	if n := e.count("connector_configurations"); n != records+1 {
		t.Errorf("another caller's request wrote %d records, want 1", n-records)
	}
}

// TestIdempotencyKeyOnlyKeepsCommittedResults leaves a key free after a refused input and
// after a dry run, so that a corrected request may use it.
func TestIdempotencyKeyOnlyKeepsCommittedResults(t *testing.T) {
	e := newEnv(t)
	bad := map[string]any{"connectorId": garantiID, "apiEndpointUrl": "ftp://bank", "idempotencyKey": "fix-me"}
	var out struct{ CreateConnectorConfiguration ccPayload }
	e.do(createCC, map[string]any{"in": bad}, &out)
	if !slices.Equal(keys(out.CreateConnectorConfiguration.UserErrors), []string{"apiEndpointUrl:INVALID"}) {
		t.Fatalf("errors %v", keys(out.CreateConnectorConfiguration.UserErrors))
	}
	e.do(createCC, map[string]any{"in": with(bad, map[string]any{"apiEndpointUrl": "https://bank", "dryRun": true})}, nil)
	if n := e.count("idempotency_keys"); n != 0 {
		t.Errorf("%d keys kept after a refusal and a dry run", n)
	}
	fixed := with(bad, map[string]any{"apiEndpointUrl": "https://bank"})
	e.do(createCC, map[string]any{"in": fixed}, &out)
	if len(out.CreateConnectorConfiguration.UserErrors) != 0 || e.count("connector_configurations") != 1 || e.count("idempotency_keys") != 1 {
		t.Errorf("corrected request: %v", keys(out.CreateConnectorConfiguration.UserErrors))
	}
}

// TestIdempotencyKeyExpiry keeps a key for 24 hours; an expired key is ignored (the request
// runs again) and expired keys are purged as new ones are claimed.
func TestIdempotencyKeyExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := map[string]any{"connectorId": garantiID, "name": "expiring", "idempotencyKey": "old"}
	e.sendRaw(e.admin, createCC, in)
	var ttl time.Duration
	var seconds float64
	if err := e.db.NewRaw("SELECT extract(epoch FROM expires_at - created_at) FROM idempotency_keys").Scan(ctx, &seconds); err != nil {
		t.Fatal(err)
	}
	if ttl = time.Duration(seconds) * time.Second; ttl != 24*time.Hour {
		t.Errorf("kept for %v, want 24h", ttl)
	}
	if _, err := e.db.ExecContext(ctx, "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	e.sendRaw(e.admin, createCC, in)
	if n := e.count("connector_configurations"); n != 2 {
		t.Errorf("%d configurations, want 2: the expired key still answered", n)
	}
	// Expired keys of any caller go as others are claimed.
	if _, err := e.db.ExecContext(ctx, `INSERT INTO idempotency_keys (actor, idempotency_key, operation, request_hash, result, expires_at)
		SELECT 'someone', 'k' || i, 'createSubDealer', '\x00', '{}', now() - interval '1 hour' FROM generate_series(1, 50) i`); err != nil {
		t.Fatal(err)
	}
	e.sendRaw(e.admin, createCC, with(in, map[string]any{"idempotencyKey": "new"}))
	if n := e.count("idempotency_keys"); n != 2 {
		t.Errorf("%d keys, want the 2 live ones", n)
	}
	// A short TTL is configurable.
	e.store.IdempotencyTTL = time.Millisecond
	e.sendRaw(e.admin, createCC, with(in, map[string]any{"idempotencyKey": "short"}))
	time.Sleep(10 * time.Millisecond)
	e.sendRaw(e.admin, createCC, with(in, map[string]any{"idempotencyKey": "short"}))
	if n := e.count("connector_configurations"); n != 5 {
		t.Errorf("%d configurations, want 5", n)
	}
}

// TestIdempotencyKeyRules refuses an empty key and one over 255 characters.
func TestIdempotencyKeyRules(t *testing.T) {
	e := newEnv(t)
	for key, want := range map[string]string{"": "idempotencyKey:REQUIRED", " ": "idempotencyKey:REQUIRED", string(make([]byte, 256)): "idempotencyKey:INVALID"} {
		var out struct{ CreateConnectorConfiguration ccPayload }
		e.do(createCC, map[string]any{"in": map[string]any{"connectorId": garantiID, "idempotencyKey": key}}, &out)
		if got := keys(out.CreateConnectorConfiguration.UserErrors); !slices.Contains(got, want) {
			t.Errorf("key of %d bytes: %v, want %s", len(key), got, want)
		}
	}
	var out struct{ CreateConnectorConfiguration ccPayload }
	long := fmt.Sprintf("%0256d", 0)
	e.do(createCC, map[string]any{"in": map[string]any{"connectorId": garantiID, "idempotencyKey": long}}, &out)
	if got := keys(out.CreateConnectorConfiguration.UserErrors); !slices.Equal(got, []string{"idempotencyKey:OUT_OF_RANGE"}) {
		t.Errorf("256 characters: %v", got)
	}
	if n := e.count("connector_configurations"); n != 0 {
		t.Errorf("%d written", n)
	}
}
