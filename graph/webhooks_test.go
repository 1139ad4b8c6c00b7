package graph_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/events"
	"github.com/payplat/paygql/internal/netguard"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/internal/webhooks"
)

// hook is one request a receiver got.
type hook struct {
	id, timestamp, signature string
	body                     []byte
	valid                    bool // the signature checks out, by the receiver's own code
	status                   int  // what the receiver answered
	at                       time.Time
}

// receiver is a partner's HTTPS endpoint: it verifies every request's Standard Webhooks
// signature with its own code (not the server's), and answers as answer says.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	hooks  []hook
	// answer returns the status for the n-th request (from 1) and the body to send.
	answer func(n int, r *http.Request) (int, string)
}

func newReceiver(t *testing.T, answer func(n int, r *http.Request) (int, string)) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewTLSServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	h := hook{id: r.Header.Get("webhook-id"), timestamp: r.Header.Get("webhook-timestamp"),
		signature: r.Header.Get("webhook-signature"), body: body, at: time.Now()}
	h.valid = verifySignature(rc.secret, h)
	n := len(rc.hooks) + 1
	answer := rc.answer
	rc.mu.Unlock()
	status, text := 200, "ok"
	if answer != nil {
		status, text = answer(n, r)
	}
	h.status = status
	rc.mu.Lock()
	rc.hooks = append(rc.hooks, h)
	rc.mu.Unlock()
	if status >= 300 && status < 400 {
		w.Header().Set("Location", "https://example.com/elsewhere")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

// verifySignature checks a request as the Standard Webhooks specification tells receivers to:
// HMAC-SHA256 of "id.timestamp.body" keyed with the base64-decoded secret after "whsec_",
// compared in constant time with each "v1,…" signature of the header; timestamp within 5 min.
func verifySignature(secret string, h hook) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts, terr := strconv.ParseInt(h.timestamp, 10, 64)
	if err != nil || terr != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.id + "." + h.timestamp + "."))
	mac.Write(h.body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.signature) {
		if b64, ok := strings.CutPrefix(sig, "v1,"); ok {
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return true
			}
		}
	}
	return false
}

// got returns the requests so far.
func (rc *receiver) got() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.hooks)
}

// accepted returns the requests answered 2xx.
func (rc *receiver) accepted() []hook {
	var out []hook
	for _, h := range rc.got() {
		if h.status/100 == 2 {
			out = append(out, h)
		}
	}
	return out
}

// hookData is the data of a webhook's body.
type hookData struct {
	Type string `json:"type"`
	Data struct {
		EntityType    string            `json:"entityType"`
		ID            string            `json:"id"`
		Key           map[string]string `json:"key"`
		Version       int               `json:"version"`
		Action        string            `json:"action"`
		ChangedFields []string          `json:"changedFields"`
		Cursor        string            `json:"cursor"`
	} `json:"data"`
	Timestamp time.Time `json:"timestamp"`
}

func (h hook) data(t *testing.T) hookData {
	t.Helper()
	var d hookData
	if err := json.Unmarshal(h.body, &d); err != nil {
		t.Fatalf("webhook body: %v\n%s", err, h.body)
	}
	return d
}

// trust returns a TLS configuration that trusts the receivers' test CA (httptest's servers
// share one certificate).
func trust(rcs ...*receiver) *tls.Config {
	pool := x509.NewCertPool()
	for _, rc := range rcs {
		pool.AddCert(rc.Certificate())
	}
	return &tls.Config{RootCAs: pool}
}

// runWebhooks runs the webhook service on e's database until the test ends, woken by a feed
// when listenURL is set.
func runWebhooks(e *env, listenURL string, opts webhooks.Options) {
	e.t.Helper()
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var feed *events.Feed
	if listenURL != "" {
		feed = events.NewFeed(e.db, listenURL, time.Second, logger)
	}
	svc := webhooks.New(e.db, e.store.Secrets, feed, logger, opts)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if feed != nil {
		wg.Go(func() { _ = feed.Run(ctx) })
	}
	wg.Go(func() { svc.Run(ctx) })
	e.t.Cleanup(func() { cancel(); wg.Wait() })
}

// fastRetries is a retry schedule for tests: milliseconds instead of minutes.
var fastRetries = webhooks.Options{Poll: 50 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Timeout: 2 * time.Second}

const createEndpointQ = `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) {
	webhookEndpoint { id url entityTypes enabled version owner filters { dealerCode } } secret userErrors { field code message } } }`

// endpointPayload is a WebhookEndpointPayload.
type endpointPayload struct {
	WebhookEndpoint *struct {
		ID          string   `json:"id"`
		URL         string   `json:"url"`
		EntityTypes []string `json:"entityTypes"`
		Enabled     bool     `json:"enabled"`
		Version     int      `json:"version"`
		Owner       string   `json:"owner"`
		Filters     struct {
			DealerCode *string `json:"dealerCode"`
		} `json:"filters"`
	} `json:"webhookEndpoint"`
	Secret     *string     `json:"secret"`
	UserErrors []userError `json:"userErrors"`
}

func (e *env) createEndpoint(token string, in map[string]any) endpointPayload {
	e.t.Helper()
	var out struct{ CreateWebhookEndpoint endpointPayload }
	e.doAs(token, createEndpointQ, map[string]any{"in": in}, &out)
	return out.CreateWebhookEndpoint
}

// mustCreateEndpoint creates an endpoint and returns its id and secret.
func (e *env) mustCreateEndpoint(token string, in map[string]any) (id, secret string) {
	e.t.Helper()
	p := e.createEndpoint(token, in)
	if len(p.UserErrors) > 0 || p.WebhookEndpoint == nil || p.Secret == nil {
		e.t.Fatalf("create endpoint refused: %v", p.UserErrors)
	}
	return p.WebhookEndpoint.ID, *p.Secret
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestWebhooksSignedOnceInOrderWithinScope: with three instances dispatching and delivering on
// one database, an admin's endpoint for one dealer's orders and a
// dealer admin's endpoint for every order of its scope hear of creates and updates, signed
// (checked by the receiver's own code), each event accepted once although the receiver
// refuses the first tries, with the same webhook-id on every try, each record's versions in
// order; nothing outside a scope or filter arrives, and the delivery log shows the tries.
func TestWebhooksSignedOnceInOrderWithinScope(t *testing.T) {
	store, url := testenv.New(t)
	store.WebhookPolicy = netguard.Policy{AllowPrivate: true} // the receivers listen on 127.0.0.1
	e := newEnvOn(t, store, graph.DefaultOptions, auth.Config{HS256Secret: testSecret})
	fail := func(n int, _ *http.Request) (int, string) {
		if n <= 3 || n%4 == 0 {
			return http.StatusServiceUnavailable, "not now"
		}
		return http.StatusNoContent, ""
	}
	adminRc, dealerRc := newReceiver(t, fail), newReceiver(t, fail)
	adminEP, adminSecret := e.mustCreateEndpoint(e.admin, map[string]any{
		"url": adminRc.URL + "/hooks?token=partner-url-token", "entityTypes": []string{"DEVICE_PURCHASE_ORDER"},
		"filters": map[string]any{"dealerCode": dealerA}, "description": "dealer A's orders",
	})
	dealerAdmin := e.token(auth.Claims{Subject: "dealer-b-admin", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{dealerB}})
	_, dealerSecret := e.mustCreateEndpoint(dealerAdmin, map[string]any{
		"url": dealerRc.URL, "entityTypes": []string{"DEVICE_PURCHASE_ORDER", "SUB_DEALER"},
	})
	adminRc.secret, dealerRc.secret = adminSecret, dealerSecret
	// Three instances on one database, each with its feed, dispatcher and workers.
	for range 3 {
		runWebhooks(e, url, webhooks.Options{Poll: 50 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
			MaxBackoff: 40 * time.Millisecond, Timeout: 2 * time.Second, Workers: 2,
			TLS: trust(adminRc), Policy: netguard.Policy{AllowPrivate: true}})
	}

	// Two orders of dealer A moved through four versions each, one of dealer B.
	var aOrders []string
	for range 2 {
		o := e.mustCreateOrder(newOrder())
		aOrders = append(aOrders, o.UUID)
	}
	bOrder := newOrder()
	bOrder["dealerCode"] = dealerB
	b := e.mustCreateOrder(bOrder)
	for _, status := range []string{"SUBMITTED", "APPROVED", "SHIPPED"} {
		for _, id := range aOrders {
			if p := e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": id, "status": status}); len(p.UserErrors) > 0 {
				t.Fatalf("update: %v", p.UserErrors)
			}
		}
	}
	e.updateOrder(e.admin, map[string]any{"dealerCode": dealerB, "uuid": b.UUID, "status": "SUBMITTED"})
	// A dry run and a refused input are no events.
	e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": aOrders[0], "paymentType": "EFT", "dryRun": true})
	e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": aOrders[0], "status": "DRAFT"})

	check := func(rc *receiver, name string, want map[string]int, dealer string) {
		t.Helper()
		total := 0
		for _, n := range want {
			total += n
		}
		waitFor(t, name+": every event accepted", func() bool { return len(rc.accepted()) >= total })
		time.Sleep(200 * time.Millisecond) // room for a duplicate to show
		seen := map[string]int{}           // accepted per webhook-id
		versions := map[string][]int{}     // accepted versions per record, in arrival order
		idOf := map[string]string{}        // webhook-id → record and version, the same on retries
		for _, h := range rc.got() {
			if !h.valid {
				t.Errorf("%s: signature %q of %s does not verify", name, h.signature, h.id)
			}
			d := h.data(t)
			rv := d.Data.ID + "@" + strconv.Itoa(d.Data.Version)
			if prev, ok := idOf[h.id]; ok && prev != rv {
				t.Errorf("%s: webhook-id %s carried %s and %s", name, h.id, prev, rv)
			}
			idOf[h.id] = rv
			if h.status/100 != 2 {
				continue
			}
			seen[h.id]++
			versions[d.Data.ID] = append(versions[d.Data.ID], d.Data.Version)
			if d.Data.Key["dealerCode"] != dealer || d.Data.Key["uuid"] != d.Data.ID || d.Data.EntityType != "DevicePurchaseOrder" {
				t.Errorf("%s: event about %v (%s), want dealer %s's orders", name, d.Data.Key, d.Data.EntityType, dealer)
			}
			wantType := map[int]string{1: "devicePurchaseOrder.created"}[d.Data.Version]
			if wantType == "" {
				wantType = "devicePurchaseOrder.updated"
				if !slices.Contains(d.Data.ChangedFields, "status") {
					t.Errorf("%s: update %s without status among changedFields %v", name, rv, d.Data.ChangedFields)
				}
			}
			if d.Type != wantType || d.Data.Cursor == "" {
				t.Errorf("%s: type %q cursor %q, want %q", name, d.Type, d.Data.Cursor, wantType)
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s: %s accepted %d times", name, id, n)
			}
		}
		for rec, vs := range versions {
			if want[rec] != len(vs) || !slices.IsSorted(vs) || vs[0] != 1 {
				t.Errorf("%s: record %s versions arrived as %v, want 1..%d in order", name, rec, vs, want[rec])
			}
		}
		if len(versions) != len(want) {
			t.Errorf("%s: heard of records %v, want %v", name, versions, want)
		}
		if len(rc.got()) <= total {
			t.Errorf("%s: %d requests for %d events: the receiver's refusals were not retried", name, len(rc.got()), total)
		}
	}
	check(adminRc, "admin endpoint (dealer A filter)", map[string]int{aOrders[0]: 4, aOrders[1]: 4}, dealerA)
	check(dealerRc, "dealer B admin's endpoint", map[string]int{b.UUID: 2}, dealerB)

	// The delivery log tells the story; the secret shows nowhere after creation.
	waitFor(t, "the outcomes to be recorded", func() bool {
		n, err := e.db.NewSelect().Table("webhook_deliveries").Where("delivered_at IS NOT NULL").Count(t.Context())
		return err == nil && n == 10
	})
	var q struct {
		WebhookEndpoint struct {
			Enabled    bool
			Deliveries struct {
				Nodes []struct {
					WebhookID      string
					Status         string
					Attempts       int
					LastStatusCode *int
					DeliveredAt    *string
				}
			}
		}
	}
	e.do(`query($id: UUID!) { webhookEndpoint(id: $id) { enabled deliveries(first: 100) { nodes { webhookId status attempts lastStatusCode deliveredAt } } } }`,
		map[string]any{"id": adminEP}, &q)
	retried := 0
	for _, d := range q.WebhookEndpoint.Deliveries.Nodes {
		if d.Status != "DELIVERED" || d.LastStatusCode == nil || *d.LastStatusCode != 204 || d.DeliveredAt == nil {
			t.Errorf("delivery %+v, want DELIVERED with 204", d)
		}
		if d.Attempts > 1 {
			retried++
		}
	}
	if len(q.WebhookEndpoint.Deliveries.Nodes) != 8 || retried == 0 {
		t.Errorf("%d deliveries in the log, %d retried; want 8, some retried", len(q.WebhookEndpoint.Deliveries.Nodes), retried)
	}
	for _, s := range []string{adminSecret, strings.TrimPrefix(adminSecret, "whsec_"), "partner-url-token"} {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("the log holds %q", s)
		}
	}
	var stored []byte
	if err := e.db.NewRaw("SELECT secret FROM webhook_endpoints WHERE id = ?", adminEP).Scan(t.Context(), &stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), strings.TrimPrefix(adminSecret, "whsec_")) {
		t.Error("the signing secret is stored in the clear")
	}
}

// endpointState is what webhookEndpoint shows of an endpoint and its last deliveries.
type endpointState struct {
	Enabled        bool
	DisabledReason *string
	Deliveries     struct {
		Nodes []struct {
			Status         string
			Attempts       int
			LastStatusCode *int
			LastError      *string
			LastResponse   *string
			LastDurationMs *int
		}
	}
}

func (e *env) endpointState(id string) endpointState {
	e.t.Helper()
	var q struct{ WebhookEndpoint endpointState }
	e.do(`query($id: UUID!) { webhookEndpoint(id: $id) { enabled disabledReason
		deliveries(first: 10) { nodes { status attempts lastStatusCode lastError lastResponse lastDurationMs } } } }`,
		map[string]any{"id": id}, &q)
	return q.WebhookEndpoint
}

// TestWebhookRetriesPastWindowDisableEndpoint: a receiver that always fails, with a long
// answer, is retried until the retry window ends; then the endpoint is disabled and the query
// says why, the answer kept to 4 KiB. Re-enabled, with the receiver back, the event arrives.
func TestWebhookRetriesPastWindowDisableEndpoint(t *testing.T) {
	store, _ := testenv.New(t)
	store.WebhookPolicy = netguard.Policy{AllowPrivate: true}
	e := newEnvOn(t, store, graph.DefaultOptions, auth.Config{HS256Secret: testSecret})
	var mu sync.Mutex
	up := false
	rc := newReceiver(t, func(int, *http.Request) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if up {
			return http.StatusOK, "thanks"
		}
		return http.StatusInternalServerError, strings.Repeat("x", 10000)
	})
	id, secret := e.mustCreateEndpoint(e.admin, map[string]any{"url": rc.URL, "entityTypes": []string{"SUB_DEALER"}})
	rc.secret = secret
	opts := fastRetries
	opts.RetryWindow, opts.TLS, opts.Policy = 400*time.Millisecond, trust(rc), netguard.Policy{AllowPrivate: true}
	runWebhooks(e, "", opts)
	e.mustCreateSubDealer(corporateSubDealer("HOOKED"))

	waitFor(t, "the endpoint to be disabled", func() bool { return !e.endpointState(id).Enabled })
	st := e.endpointState(id)
	if st.DisabledReason == nil || !strings.Contains(*st.DisabledReason, "failing to deliver for 400ms") || !strings.Contains(*st.DisabledReason, "HTTP 500") {
		t.Errorf("disabledReason %v, want the window and the last error", st.DisabledReason)
	}
	d := st.Deliveries.Nodes[0]
	if d.Status != "PENDING" || d.Attempts < 3 || d.LastStatusCode == nil || *d.LastStatusCode != 500 ||
		d.LastResponse == nil || len(*d.LastResponse) > 4100 || !strings.HasPrefix(*d.LastResponse, "xxxx") || d.LastDurationMs == nil {
		t.Errorf("delivery %+v, want PENDING, several attempts, 500 and the answer cut to 4 KiB", d)
	}
	n := len(rc.got())
	time.Sleep(300 * time.Millisecond)
	if len(rc.got()) != n {
		t.Errorf("a disabled endpoint got %d more requests", len(rc.got())-n)
	}

	mu.Lock()
	up = true
	mu.Unlock()
	var out struct{ UpdateWebhookEndpoint endpointPayload }
	e.do(`mutation($in: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $in) {
		webhookEndpoint { id url entityTypes enabled version owner filters { dealerCode } } secret userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"id": id, "enabled": true}}, &out)
	if p := out.UpdateWebhookEndpoint; len(p.UserErrors) > 0 || !p.WebhookEndpoint.Enabled || p.Secret != nil {
		t.Fatalf("re-enable: %+v", p)
	}
	waitFor(t, "the delivery after re-enabling", func() bool { return len(rc.accepted()) == 1 })
	if h := rc.accepted()[0]; !h.valid || h.data(t).Type != "subDealer.created" {
		t.Errorf("after re-enabling: %s valid %v", h.body, h.valid)
	}
	waitFor(t, "the delivery to be recorded", func() bool { return e.endpointState(id).Deliveries.Nodes[0].Status == "DELIVERED" })
	if st := e.endpointState(id); !st.Enabled || st.DisabledReason != nil || len(rc.accepted()) != 1 {
		t.Errorf("after re-enabling: %+v", st)
	}
}

// TestWebhookURLRefusals: outside development only public https URLs are saved; each refusal
// names the field.
func TestWebhookURLRefusals(t *testing.T) {
	e := newEnv(t) // the zero policy: production's
	for _, url := range []string{
		"http://hooks.example.com/x", "ftp://hooks.example.com/x", "https://127.0.0.1/x", "https://[::1]/x",
		"https://localhost/x", "https://10.1.2.3/x", "https://192.168.1.1/x", "https://169.254.169.254/latest/meta-data",
		"https://[fe80::1]/x", "https://0.0.0.0/x", "https://224.0.0.1/x", "https://100.64.0.1/x",
		"https://user:pass@hooks.example.com/x", "hooks.example.com/x", "",
	} {
		p := e.createEndpoint(e.admin, map[string]any{"url": url, "entityTypes": []string{"SUB_DEALER"}})
		if p.WebhookEndpoint != nil || !slices.Equal(keys(p.UserErrors), []string{"url:INVALID"}) {
			t.Errorf("%q: endpoint %v, userErrors %v; want url:INVALID", url, p.WebhookEndpoint, p.UserErrors)
		}
	}
	p := e.createEndpoint(e.admin, map[string]any{"url": "https://hooks.example.com/paygql", "entityTypes": []string{"SUB_DEALER"}})
	if len(p.UserErrors) != 0 || p.Secret == nil || !strings.HasPrefix(*p.Secret, "whsec_") {
		t.Errorf("a public https URL: %+v", p)
	}
	// Rules beside the URL, every one at once.
	dealer := e.token(auth.Claims{Subject: "d", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{dealerA}})
	p = e.createEndpoint(dealer, map[string]any{"url": "https://hooks.example.com/x",
		"entityTypes": []string{"DEVICE_PURCHASE_ORDER", "CUSTOMER_PAYMENT_GATEWAY", "DEVICE_PURCHASE_ORDER"},
		"filters":     map[string]any{"dealerCode": dealerB, "mainDealerCode": "M"}})
	want := []string{"entityTypes.1:INVALID", "entityTypes.2:DUPLICATE", "filters.dealerCode:NOT_FOUND", "filters.mainDealerCode:INVALID"}
	if got := keys(p.UserErrors); !slices.Equal(got, want) {
		t.Errorf("userErrors %v, want %v", got, want)
	}
}

// TestWebhookDeliveryRefusals: what a delivery refuses is a failed attempt the log explains: a
// redirect, not followed; a receiver slower than the timeout; an address the policy forbids,
// checked on the address dialled (here a URL saved under a laxer policy; a host name that
// resolves to such an address by the time of delivery is refused the same way).
func TestWebhookDeliveryRefusals(t *testing.T) {
	store, _ := testenv.New(t)
	store.WebhookPolicy = netguard.Policy{AllowPrivate: true}
	e := newEnvOn(t, store, graph.DefaultOptions, auth.Config{HS256Secret: testSecret})
	redirect := newReceiver(t, func(int, *http.Request) (int, string) { return http.StatusFound, "moved" })
	slow := newReceiver(t, func(int, *http.Request) (int, string) { time.Sleep(700 * time.Millisecond); return 200, "late" })
	ids := map[string]string{}
	for name, rc := range map[string]*receiver{"redirect": redirect, "slow": slow} {
		ids[name], rc.secret = e.mustCreateEndpoint(e.admin, map[string]any{"url": rc.URL, "entityTypes": []string{"SUB_DEALER"}})
	}
	opts := fastRetries
	opts.Timeout, opts.TLS, opts.Policy = 300*time.Millisecond, trust(redirect), netguard.Policy{AllowPrivate: true}
	opts.MinBackoff, opts.MaxBackoff = time.Hour, time.Hour // one attempt each
	runWebhooks(e, "", opts)
	e.mustCreateSubDealer(corporateSubDealer("REFUSED"))
	for name, want := range map[string]string{"redirect": "HTTP 302: redirects are not followed", "slow": "timed out"} {
		waitFor(t, name+" attempt", func() bool {
			n := e.endpointState(ids[name]).Deliveries.Nodes
			return len(n) == 1 && n[0].LastError != nil
		})
		d := e.endpointState(ids[name]).Deliveries.Nodes[0]
		if d.Status != "PENDING" || d.Attempts != 1 || !strings.Contains(*d.LastError, want) {
			t.Errorf("%s: %s after %d attempts, lastError %q; want PENDING after 1 and %q", name, d.Status, d.Attempts, *d.LastError, want)
		}
	}
	if got := redirect.got(); len(got) != 1 {
		t.Errorf("the redirecting receiver got %d requests, want 1 (the redirect not followed)", len(got))
	}

	// The same kind of endpoint, delivered by an instance with production's policy.
	store2, _ := testenv.New(t)
	store2.WebhookPolicy = netguard.Policy{AllowPrivate: true}
	e2 := newEnvOn(t, store2, graph.DefaultOptions, auth.Config{HS256Secret: testSecret})
	loopback := newReceiver(t, nil)
	id, _ := e2.mustCreateEndpoint(e2.admin, map[string]any{"url": loopback.URL, "entityTypes": []string{"SUB_DEALER"}})
	strict := fastRetries
	strict.TLS, strict.MinBackoff, strict.MaxBackoff = trust(loopback), time.Hour, time.Hour
	runWebhooks(e2, "", strict)
	e2.mustCreateSubDealer(corporateSubDealer("REFUSED"))
	waitFor(t, "the loopback attempt", func() bool {
		n := e2.endpointState(id).Deliveries.Nodes
		return len(n) == 1 && n[0].LastError != nil
	})
	if d := e2.endpointState(id).Deliveries.Nodes[0]; !strings.Contains(*d.LastError, "127.0.0.1 is a loopback address") || d.LastStatusCode != nil {
		t.Errorf("loopback: lastError %q status %v; want the dial refused", *d.LastError, d.LastStatusCode)
	}
	if len(loopback.got()) != 0 {
		t.Errorf("the loopback receiver got %d requests", len(loopback.got()))
	}
}
