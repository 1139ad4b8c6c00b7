package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
)

// hostileDocument is a document within the size limits (1 MiB, 20,000 tokens) whose
// validation, unbounded, is quadratic or worse in its size.
type hostileDocument struct{ name, query string }

func repeat(s string, n int) string { return strings.Repeat(s, n) }

// numbered repeats format n times, each # in it replaced by the copy's number.
func numbered(format string, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.ReplaceAll(format, "#", strconv.Itoa(i)))
	}
	return b.String()
}

// hostileDocuments are the shapes of the issue: each took seconds to a minute of CPU before
// validation was bounded.
var hostileDocuments = []hostileDocument{
	{"one field repeated 19,990 times", "{ connectors { " + repeat("id ", 19990) + "} }"},
	{"3,000 aliases of one field", "{ " + repeat("a: connectors { id } ", 3000) + "}"},
	{"2,200 same-named fields with different selections", "{ " + numbered("a: connectors { x#: id } ", 2200) + "}"},
	{"3,000 inline fragments", "{ connectors { " + repeat("... on Connector { id } ", 3000) + "} }"},
	{"one fragment spread 9,000 times", "{ connectors { " + repeat("...F ", 9000) + "} } fragment F on Connector { id name code }"},
	{"1,500 fragments spread in one place", "{ connectors { " + numbered("...F# ", 1500) + "} } " + numbered("fragment F# on Connector { x#: id } ", 1500)},
	{"one nested selection 900 times", "{ " + repeat("a: connectorConfigurations { nodes { history { actor actor actor } } } ", 900) + "}"},
}

// TestHostileDocumentsAreBounded sends each hostile shape with and without a token, with
// introspection on (development) and off (production): each is answered within a second, with
// a token refused as too complex before validation, without one with 401.
func TestHostileDocumentsAreBounded(t *testing.T) {
	for _, mode := range []struct {
		name          string
		introspection bool
	}{{"development", true}, {"production", false}} {
		opts := graph.DefaultOptions
		opts.Introspection = mode.introspection
		e := newEnvWith(t, opts)
		for _, doc := range hostileDocuments {
			for _, token := range []string{e.admin, ""} {
				name := mode.name + "/" + doc.name + map[bool]string{true: "/admin", false: "/no token"}[token != ""]
				t.Run(name, func(t *testing.T) {
					start := time.Now()
					res := e.post(token, doc.query, nil)
					if took := time.Since(start); took > time.Second {
						t.Errorf("answered in %v, want under 1 s", took)
					}
					wantStatus, wantCode := http.StatusOK, "DOCUMENT_TOO_COMPLEX"
					if token == "" {
						wantStatus, wantCode = http.StatusUnauthorized, "UNAUTHENTICATED"
					}
					if res.Status != wantStatus || res.codeOf() != wantCode || len(res.Errors) != 1 {
						t.Errorf("got %d %.300s, want %d and one error %s", res.Status, res.Body, wantStatus, wantCode)
					}
				})
			}
		}
	}
}

// TestReasonableDocumentsPass keeps what real clients send within the bounds: GraphiQL's
// introspection, a query that selects one field through several fragments, and the front-end's
// list read with every field.
func TestReasonableDocumentsPass(t *testing.T) {
	e := newEnv(t)
	fragments := "{ connectors { ...A ...B ...C id } } fragment A on Connector { id code } fragment B on Connector { id name } fragment C on Connector { id ...A }"
	for name, query := range map[string]string{
		"introspection":               introspectionQuery(t, "introspection-full.graphql"),
		"one field through fragments": fragments,
		"the list read":               `{ customerPaymentGateways(customerId: "00000000-0000-0000-0000-000000000001") { id displayName billTypes { id } applications { id } paymentTypes { id } convenienceFees { id } history { at } } }`,
	} {
		t.Run(name, func(t *testing.T) {
			if res := e.post(e.admin, query, nil); res.Status != http.StatusOK || len(res.Errors) != 0 {
				t.Errorf("got %d %.300s", res.Status, res.Body)
			}
		})
	}
}

// TestRequestsWithoutTokenDoNoWork answers a request without a token 401 before its
// document is validated: in production always, in development unless it asks only for the
// schema (the playground's introspection), which then runs.
func TestRequestsWithoutTokenDoNoWork(t *testing.T) {
	prod := graph.DefaultOptions
	prod.Introspection = false
	dev, production := newEnv(t), newEnvWith(t, prod)
	tests := []struct {
		name   string
		e      *env
		query  string
		status int
	}{
		{"production, data", production, "{ connectors { id } }", http.StatusUnauthorized},
		{"production, invalid", production, "{ connectorz { id } }", http.StatusUnauthorized},
		{"production, introspection", production, "{ __schema { queryType { name } } }", http.StatusUnauthorized},
		{"production, syntax error", production, "{ connectors {", http.StatusUnauthorized},
		{"development, data", dev, "{ connectors { id } }", http.StatusUnauthorized},
		{"development, data beside introspection", dev, "{ __typename connectors { id } }", http.StatusUnauthorized},
		{"development, data in a fragment", dev, "{ ...Q } fragment Q on Query { __typename connectors { id } }", http.StatusUnauthorized},
		{"development, invalid", dev, "{ connectorz { id } }", http.StatusUnauthorized},
		{"development, introspection", dev, "{ __schema { queryType { name } } }", http.StatusOK},
		{"development, mutation", dev, `mutation { createSubDealer(input: {}) { clientMutationId } }`, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.e.post("", tt.query, nil)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %.300s", res.Status, tt.status, res.Body)
			}
			if tt.status == http.StatusUnauthorized && (res.codeOf() != "UNAUTHENTICATED" || len(res.Errors) != 1 || strings.Contains(res.Body, "connectorz")) {
				t.Errorf("want one UNAUTHENTICATED error that says nothing of the document: %.300s", res.Body)
			}
		})
	}
}

// TestRootFieldsCostTheirStatements refuses aliases of a root field by the complexity limit
// before any statement is sent, since each costs what its statement does.
func TestRootFieldsCostTheirStatements(t *testing.T) {
	e := newEnv(t)
	counter := &queryCounter{}
	e.db.AddQueryHook(counter)
	for name, field := range map[string]string{
		"connectors":              "connectors { id }",
		"customerPaymentGateways": `customerPaymentGateways(customerId: "00000000-0000-0000-0000-000000000001") { id }`,
		"subDealer with users":    `subDealer(code: "x") { users { id } }`,
	} {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range 1000 {
				fmt.Fprintf(&b, "a%d: %s ", i, field)
			}
			b.WriteString("}")
			before := counter.n.Load()
			res := e.post(e.admin, b.String(), nil)
			if res.codeOf() != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Errorf("got %.300s", res.Body)
			}
			if n := counter.n.Load() - before; n != 0 {
				t.Errorf("sent %d statements", n)
			}
		})
	}
	// 150 aliases cost 150 statements and 300 fields: within the limit.
	if res := e.post(e.admin, "{ "+numbered("a#: connectors { x#: id } ", 150)+"}", nil); len(res.Errors) != 0 {
		t.Errorf("150 aliases: %.300s", res.Body)
	}
}

// TestRepeatedErrorsCollapse gives one error for one mistake made many times: 1,000 copies of
// a directive, 3,000 unknown arguments.
func TestRepeatedErrorsCollapse(t *testing.T) {
	e := newEnv(t)
	for name, query := range map[string]string{
		"1,000 copies of a directive": "{ connectors" + repeat(" @skip(if: false)", 1000) + " { id } }",
		"3,000 unknown arguments":     "{ connectors(" + repeat(" a: 1", 3000) + ") { id } }",
	} {
		t.Run(name, func(t *testing.T) {
			res := e.post(e.admin, query, nil)
			if len(res.Errors) == 0 || len(res.Errors) > 2 || len(res.Body) > 4096 {
				t.Errorf("%d errors, %d bytes: %.400s", len(res.Errors), len(res.Body), res.Body)
			}
		})
	}
	// Different mistakes are each reported, up to 100 and a last error that counts the rest.
	var b strings.Builder
	b.WriteString("{ ")
	for i := range 300 {
		fmt.Fprintf(&b, "f%d ", i)
	}
	b.WriteString("}")
	res := e.post(e.admin, b.String(), nil)
	if len(res.Errors) != 101 || res.Errors[100].Extensions["code"] != "TOO_MANY_ERRORS" || !strings.Contains(res.Errors[100].Message, "200 more") {
		t.Errorf("%d errors, the last %+v", len(res.Errors), res.Errors[len(res.Errors)-1])
	}
}

// TestNoSuggestionsWithoutIntrospection: with introspection off no error names a field,
// argument, input field, type or enum value that the client did not send.
func TestNoSuggestionsWithoutIntrospection(t *testing.T) {
	prod := graph.DefaultOptions
	prod.Introspection = false
	documents := map[string]string{
		"field":       "{ connectorz { id } }",
		"argument":    "{ connectorConfiguration(idd: 1) { id } }",
		"input field": `mutation { createConnectorConfiguration(input: { connectorIdd: "x" }) { clientMutationId } }`,
		"enum value":  `mutation { createConnectorConfiguration(input: { connectorId: "00000000-0000-0000-0000-000000000001", mode: TESTT }) { clientMutationId } }`,
		"type":        `{ connectors { ...F } } fragment F on Connectr { id }`,
	}
	for name, e := range map[string]*env{"production": newEnvWith(t, prod), "development": newEnv(t)} {
		for what, query := range documents {
			t.Run(name+"/"+what, func(t *testing.T) {
				res := e.post(e.admin, query, nil)
				if len(res.Errors) == 0 {
					t.Fatalf("no error: %s", res.Body)
				}
				if suggests := strings.Contains(res.Body, "Did you mean"); suggests != (name == "development") {
					t.Errorf("suggests a name: %v, want %v: %s", suggests, name == "development", res.Body)
				}
			})
		}
	}
}

// TestLookupArgumentsAreChecked refuses a NUL or invalid UTF-8 in a code that looks a record up
// as the client's mistake, naming the argument, never as an internal error.
func TestLookupArgumentsAreChecked(t *testing.T) {
	e := newEnv(t)
	const order = `"00000000-0000-0000-0000-000000000001"`
	queries := map[string]struct{ query, arg string }{
		"subDealer":            {`{ subDealer(code: "%s") { id } }`, "code"},
		"subDealers":           {`{ subDealers(mainDealerCode: "%s") { nodes { id } } }`, "mainDealerCode"},
		"devicePurchaseOrder":  {`{ devicePurchaseOrder(dealerCode: "%s", uuid: ` + order + `) { id: uuid } }`, "dealerCode"},
		"devicePurchaseOrders": {`{ devicePurchaseOrders(dealerCode: "%s") { nodes { uuid } } }`, "dealerCode"},
	}
	for name, q := range queries {
		for what, value := range map[string]string{"NUL": `a\u0000b`, "invalid UTF-8": "a\xffb"} {
			t.Run(name+"/"+what, func(t *testing.T) {
				// By GET: a JSON body cannot carry invalid UTF-8 (it becomes U+FFFD).
				res := e.get(fmt.Sprintf(q.query, value))
				if res.codeOf() != "BAD_USER_INPUT" || !strings.HasPrefix(res.Errors[0].Message, q.arg+" ") {
					t.Errorf("got %.300s, want BAD_USER_INPUT naming %s", res.Body, q.arg)
				}
			})
		}
	}
	for name, m := range map[string]struct{ query, field string }{
		"updateSubDealer": {`mutation($in: UpdateSubDealerInput!) { updateSubDealer(input: $in) { userErrors { field code } } }`, "updateCode"},
		"updateDevicePurchaseOrder": {`mutation($in: UpdateDevicePurchaseOrderInput!) { updateDevicePurchaseOrder(input: $in) { userErrors { field code } } }`,
			"dealerCode"},
	} {
		t.Run(name, func(t *testing.T) {
			in := map[string]any{m.field: "a\x00b", "uuid": strings.Trim(order, `"`)}
			if name == "updateSubDealer" {
				delete(in, "uuid")
			}
			res := e.post(e.admin, m.query, map[string]any{"in": in})
			if len(res.Errors) != 0 || !strings.Contains(res.Body, `{"field":["`+m.field+`"],"code":"INVALID"}`) {
				t.Errorf("got %.300s, want INVALID at %s", res.Body, m.field)
			}
		})
	}
}

// get sends a query by GET with the admin token.
func (e *env) get(query string) response {
	e.t.Helper()
	res, body := e.getRaw(query)
	out := response{Status: res.StatusCode, Body: body}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		e.t.Fatalf("%v: %s", err, body)
	}
	return out
}

func (e *env) getRaw(query string) (*http.Response, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"?query="+url.QueryEscape(query), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// TestMutationByGET answers a mutation sent by GET 405 with a code, before validating it.
func TestMutationByGET(t *testing.T) {
	e := newEnv(t)
	res, body := e.getRaw(`mutation { createSubDealer(input: {}) { clientMutationId } }`)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" || !strings.Contains(body, `"code":"METHOD_NOT_ALLOWED"`) {
		t.Errorf("got %d Allow %q %s", res.StatusCode, res.Header.Get("Allow"), body)
	}
	if res := e.get("{ connectors { id } }"); res.Status != http.StatusOK || len(res.Errors) != 0 {
		t.Errorf("a query by GET: %d %s", res.Status, res.Body)
	}
}

// BenchmarkHostileDocuments measures the CPU one hostile request costs the server, through the
// real handler with an admin principal (no database: each is refused before it runs):
//
//	go test -run '^$' -bench HostileDocuments ./graph/
func BenchmarkHostileDocuments(b *testing.B) {
	h := graph.NewHandler(&graph.Resolver{}, graph.DefaultOptions)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "bench", Roles: []string{auth.RoleAdmin}})
	for _, doc := range hostileDocuments {
		raw, err := json.Marshal(map[string]any{"query": doc.query})
		if err != nil {
			b.Fatal(err)
		}
		body := string(raw)
		b.Run(doc.name, func(b *testing.B) {
			before := cpuTime()
			defer func() { b.ReportMetric(float64((cpuTime()-before).Microseconds())/1000/float64(b.N), "cpu-ms/op") }()
			for b.Loop() {
				req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/query", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if !strings.Contains(rec.Body.String(), "DOCUMENT_TOO_COMPLEX") {
					b.Fatalf("%.300s", rec.Body.String())
				}
			}
		})
	}
}

// cpuTime is the CPU time this process has used, user and system, on every thread: unlike
// the benchmark's ns/op, it does not grow when other processes share the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
