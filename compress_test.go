package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/models"
)

// rawClient sees responses as sent: Go's default transport would ask for gzip itself and
// hide the encoding.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// listQuery reads a customer's gateways with every scalar field of them and their lists.
const listQuery = `query($c: UUID!) { customerPaymentGateways(customerId: $c) {
	id customerId merchantId merchantKey merchantPin displayName testMode allowToken minPaymentAmount maxPaymentAmount
	version createdAt updatedAt
	billTypes { id paymentGatewayId billTypeId applyConvenienceFee }
	applications { id paymentGatewayId applicationId isActive primaryPaymentVenue }
	paymentTypes { id paymentGatewayId paymentType }
	convenienceFees { id paymentGatewayId paymentType minRange maxRange feeAmount applyAtPaymentOfBoot
		applyAtPaymentOfNotice applyAtPaymentOfTow totalPaymentAmount applyConvenienceFee } } }`

const listCustomer = "6f1c0000-0000-4000-8000-0000000000c1"

// served is one answer as it came over the wire, and its body decoded.
type served struct {
	status int
	header http.Header
	wire   []byte // as sent
	body   []byte // decompressed when gzip-encoded
}

// compressServer serves routes() on store, configured from env as the server would be.
func compressServer(t *testing.T, store *models.Store, env map[string]string) (base, token string) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.HS256Secret = []byte("a-compress-test-secret-of-32-bytes-at-least")
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(verifier.Close)
	srv := httptest.NewServer(routes(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), store.DB, store, verifier, ""))
	t.Cleanup(srv.Close)
	token, err = auth.MintHS256(cfg.HS256Secret, auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, token
}

// fetch sends req with headers and returns the answer as sent and decoded.
func fetch(t *testing.T, method, url, body string, headers map[string]string) served {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	wire, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := served{status: res.StatusCode, header: res.Header, wire: wire, body: wire}
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			t.Fatalf("%s %s: Content-Encoding gzip, but: %v", method, url, err)
		}
		if out.body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s %s: Content-Encoding gzip, but: %v", method, url, err)
		}
	}
	return out
}

func graphQLBody(t *testing.T, query string, vars map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seedGateways creates n gateways of listCustomer with 10 items in each list, through the API.
func seedGateways(t *testing.T, base, token string, n int) {
	t.Helper()
	for i := range n {
		var bills, apps, types, fees []any
		for k := range 10 {
			bills = append(bills, map[string]any{"billTypeId": 100 + k, "applyConvenienceFee": k%2 == 0})
			apps = append(apps, map[string]any{"applicationId": fmt.Sprintf("a9900000-0000-4000-8000-%012d", k), "isActive": true})
			types = append(types, map[string]any{"paymentType": fmt.Sprintf("PT%d", k)})
			fees = append(fees, map[string]any{"paymentType": fmt.Sprintf("PT%d", k), "minRange": "0", "maxRange": "1000", "feeAmount": "1.50"})
		}
		in := map[string]any{"customerId": listCustomer, "displayName": fmt.Sprintf("Gateway %d", i), "merchantId": fmt.Sprintf("M%d", i),
			"billTypes": bills, "applications": apps, "paymentTypes": types, "convenienceFees": fees}
		res := fetch(t, http.MethodPost, base+"/query", graphQLBody(t, `mutation($in: CreateCustomerPaymentGatewayInput!) {
			createCustomerPaymentGateway(input: $in) { customerPaymentGateway { id } userErrors { field code message } } }`,
			map[string]any{"in": in}), map[string]string{"Authorization": "Bearer " + token})
		if res.status != http.StatusOK || !bytes.Contains(res.body, []byte(`"userErrors":[]`)) {
			t.Fatalf("create gateway %d: %d %s", i, res.status, res.body)
		}
	}
}

func varyHasAcceptEncoding(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Accept-Encoding") {
				return true
			}
		}
	}
	return false
}

// TestCompressedAnswers serves the real routes with the default RESPONSE_GZIP_MIN_BYTES: the
// gateway list, several KiB, is gzip-compressed for a client that accepts it and decodes to
// the very bytes a client without Accept-Encoding gets; a small answer is sent plain; every
// answer of /query says Vary: Accept-Encoding.
func TestCompressedAnswers(t *testing.T) {
	store, _ := testenv.New(t)
	base, token := compressServer(t, store, nil)
	seedGateways(t, base, token, 4)
	auth := map[string]string{"Authorization": "Bearer " + token}
	gzipped := map[string]string{"Authorization": "Bearer " + token, "Accept-Encoding": "gzip"}
	list := graphQLBody(t, listQuery, map[string]any{"c": listCustomer})

	plain := fetch(t, http.MethodPost, base+"/query", list, auth)
	if plain.status != http.StatusOK || !bytes.HasPrefix(plain.body, []byte(`{"data":{"customerPaymentGateways":[{`)) {
		t.Fatalf("list: %d %.300s", plain.status, plain.body)
	}
	if len(plain.body) < 4*config.DefaultResponseGzipMinBytes {
		t.Fatalf("the list is %d bytes: too small to show compression", len(plain.body))
	}
	if ce := plain.header.Get("Content-Encoding"); ce != "" || !varyHasAcceptEncoding(plain.header) {
		t.Errorf("without Accept-Encoding: Content-Encoding %q, Vary %q; want none and Accept-Encoding", ce, plain.header.Values("Vary"))
	}

	zipped := fetch(t, http.MethodPost, base+"/query", list, gzipped)
	switch {
	case zipped.status != http.StatusOK:
		t.Fatalf("gzip list: status %d", zipped.status)
	case zipped.header.Get("Content-Encoding") != "gzip":
		t.Fatalf("gzip list of %d bytes: Content-Encoding %q, want gzip", len(plain.body), zipped.header.Get("Content-Encoding"))
	case !varyHasAcceptEncoding(zipped.header):
		t.Errorf("gzip list: Vary %q lacks Accept-Encoding", zipped.header.Values("Vary"))
	case zipped.header.Get("Content-Type") != plain.header.Get("Content-Type"):
		t.Errorf("gzip list: Content-Type %q, plain %q", zipped.header.Get("Content-Type"), plain.header.Get("Content-Type"))
	case zipped.header.Get("X-Request-ID") == "":
		t.Errorf("gzip list lost the X-Request-ID header")
	}
	if !bytes.Equal(zipped.body, plain.body) {
		t.Errorf("the gzip answer decodes to %d bytes that differ from the plain answer's %d", len(zipped.body), len(plain.body))
	}
	if len(zipped.wire)*3 > len(plain.wire) {
		t.Errorf("gzip sent %d bytes for a %d-byte answer: want a third or less", len(zipped.wire), len(plain.wire))
	}
	t.Logf("list: %d bytes plain, %d gzip", len(plain.wire), len(zipped.wire))

	small := fetch(t, http.MethodPost, base+"/query", graphQLBody(t, `{ connectors { id code } }`, nil), gzipped)
	switch {
	case small.status != http.StatusOK || !bytes.HasPrefix(small.body, []byte(`{"data":{"connectors":[`)):
		t.Errorf("connectors: %d %.200s", small.status, small.body)
	case len(small.body) >= config.DefaultResponseGzipMinBytes:
		t.Errorf("connectors answer is %d bytes, not a small one", len(small.body))
	case small.header.Get("Content-Encoding") != "":
		t.Errorf("a %d-byte answer was compressed (%q)", len(small.body), small.header.Get("Content-Encoding"))
	case !varyHasAcceptEncoding(small.header):
		t.Errorf("small answer: Vary %q lacks Accept-Encoding", small.header.Values("Vary"))
	}

	// A client that refuses gzip (q=0), or asks only for another coding, gets it plain.
	for _, ae := range []string{"gzip;q=0", "br", "identity"} {
		got := fetch(t, http.MethodPost, base+"/query", list, map[string]string{"Authorization": "Bearer " + token, "Accept-Encoding": ae})
		if ce := got.header.Get("Content-Encoding"); ce != "" || !bytes.Equal(got.body, plain.body) {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, %d bytes; want the plain answer", ae, ce, len(got.body))
		}
	}

	// The same read by GET (a cacheable query) is compressed too.
	q := url.Values{"query": {listQuery}, "variables": {`{"c":"` + listCustomer + `"}`}}
	get := fetch(t, http.MethodGet, base+"/query?"+q.Encode(), "", gzipped)
	if get.status != http.StatusOK || get.header.Get("Content-Encoding") != "gzip" || !bytes.Equal(get.body, plain.body) {
		t.Errorf("GET list: %d, Content-Encoding %q, same body %t", get.status, get.header.Get("Content-Encoding"), bytes.Equal(get.body, plain.body))
	}
}

// TestCompressionOff: RESPONSE_GZIP_MIN_BYTES=0 sends even the large list plain.
func TestCompressionOff(t *testing.T) {
	store, _ := testenv.New(t)
	base, token := compressServer(t, store, map[string]string{"RESPONSE_GZIP_MIN_BYTES": "0"})
	seedGateways(t, base, token, 4)
	res := fetch(t, http.MethodPost, base+"/query", graphQLBody(t, listQuery, map[string]any{"c": listCustomer}),
		map[string]string{"Authorization": "Bearer " + token, "Accept-Encoding": "gzip"})
	if res.status != http.StatusOK || !bytes.HasPrefix(res.body, []byte(`{"data":{"customerPaymentGateways":[{`)) {
		t.Fatalf("list: %d %.300s", res.status, res.body)
	}
	if ce := res.header.Get("Content-Encoding"); ce != "" || len(res.wire) < 4*config.DefaultResponseGzipMinBytes {
		t.Errorf("compression off: Content-Encoding %q, %d bytes sent; want the plain answer", ce, len(res.wire))
	}
}

// TestCompressionKeepsStatus compresses every answer (RESPONSE_GZIP_MIN_BYTES=1), so that
// even error answers go through gzip: the status decided after the body began (401 for a
// missing token, 405 for a mutation by GET), the one decided before (400, 405 for a PUT, 415)
// and their headers arrive unchanged. A WebSocket handshake is never compressed, and the
// routes beside /query are left as they were.
func TestCompressionKeepsStatus(t *testing.T) {
	store, _ := testenv.New(t)
	base, token := compressServer(t, store, map[string]string{"RESPONSE_GZIP_MIN_BYTES": "1"})
	gz := map[string]string{"Accept-Encoding": "gzip"}
	withToken := map[string]string{"Accept-Encoding": "gzip", "Authorization": "Bearer " + token}
	tests := []struct {
		name, method, path, body string
		headers                  map[string]string
		status                   int
		code, header, value      string
	}{
		{"no token", http.MethodPost, "/query", `{"query":"{ connectors { id } }"}`, gz, 401, "UNAUTHENTICATED", "WWW-Authenticate", "Bearer"},
		{"mutation by GET", http.MethodGet, "/query?query=" + url.QueryEscape(`mutation { updateSubDealer(input: {updateCode: "x"}) { clientMutationId } }`),
			"", withToken, 405, "METHOD_NOT_ALLOWED", "Allow", "POST"},
		{"PUT", http.MethodPut, "/query", `{"query":"{ connectors { id } }"}`, withToken, 405, "METHOD_NOT_ALLOWED", "Allow", "GET, POST, OPTIONS"},
		{"not JSON", http.MethodPost, "/query", `[1]`, withToken, 400, "BAD_REQUEST", "", ""},
		{"a query", http.MethodPost, "/query", `{"query":"{ connectors { id } }"}`, withToken, 200, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := fetch(t, tt.method, base+tt.path, tt.body, tt.headers)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if res.header.Get("Content-Encoding") != "gzip" {
				t.Errorf("Content-Encoding %q: with a 1-byte threshold every answer is compressed", res.header.Get("Content-Encoding"))
			}
			if tt.header != "" && res.header.Get(tt.header) != tt.value {
				t.Errorf("%s: %q, want %q", tt.header, res.header.Get(tt.header), tt.value)
			}
			var body struct {
				Errors []struct {
					Extensions struct{ Code string } `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(res.body, &body); err != nil {
				t.Fatalf("body is not JSON after decoding: %v: %q", err, res.body)
			}
			if tt.code != "" && (len(body.Errors) == 0 || body.Errors[0].Extensions.Code != tt.code) {
				t.Errorf("body %s, want code %s", res.body, tt.code)
			}
		})
	}

	t.Run("websocket handshake", func(t *testing.T) {
		res := fetch(t, http.MethodGet, base+"/query", "", map[string]string{"Accept-Encoding": "gzip", "Authorization": "Bearer " + token,
			"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
			"Sec-WebSocket-Protocol": "graphql-transport-ws"})
		if ce := res.header.Get("Content-Encoding"); ce != "" || varyHasAcceptEncoding(res.header) {
			t.Errorf("handshake answer (%d): Content-Encoding %q, Vary %q; an upgrade is never compressed", res.status, ce, res.header.Values("Vary"))
		}
	})

	t.Run("other routes", func(t *testing.T) {
		// /metrics compresses by itself (promhttp): once, never twice.
		m := fetch(t, http.MethodGet, base+"/metrics", "", gz)
		if m.status != http.StatusOK || !bytes.Contains(m.body, []byte("# HELP paygql_db_statements_total")) {
			t.Errorf("/metrics: %d, Content-Encoding %q: %.200s", m.status, m.header.Get("Content-Encoding"), m.body)
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			r := fetch(t, http.MethodGet, base+path, "", gz)
			if r.status != http.StatusOK || r.header.Get("Content-Encoding") != "" {
				t.Errorf("%s: %d, Content-Encoding %q", path, r.status, r.header.Get("Content-Encoding"))
			}
		}
		p := fetch(t, http.MethodGet, base+"/", "", gz)
		if p.status != http.StatusOK || !bytes.Contains(p.body, []byte("<html")) {
			t.Errorf("playground: %d, Content-Encoding %q: %.200s", p.status, p.header.Get("Content-Encoding"), p.body)
		}
	})
}
