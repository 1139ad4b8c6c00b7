package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/proc"
	"github.com/payplat/paygql/internal/testenv"
)

// goroutinesCreated is how many goroutines this process has started: each one a request
// starts costs it a wake-up of another thread on a machine with an idle CPU.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkConnectorUpdate runs bench/'s updateConnectorConfiguration workload in one process,
// one request at a time: the record a form shows (three masked secrets among its fields) after
// a change of its name and priority. Allocations per update are steady where a shared
// machine's timings are not, so A/B comparisons of the server's per-request work read them
// first; cpu-µs/op is this process's CPU (server and client) per update, pg-cpu-µs/op
// PostgreSQL's (every process of its server).
//
//	go test -run '^$' -bench ConnectorUpdate -benchmem ./graph/
func BenchmarkConnectorUpdate(b *testing.B) {
	store, _ := testenv.New(b)
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(verifier.Close)
	srv := httptest.NewServer(verifier.Middleware(graph.NewHandler(&graph.Resolver{Store: store, Logger: slog.New(slog.DiscardHandler)}, graph.DefaultOptions)))
	b.Cleanup(srv.Close)
	admin, err := auth.MintHS256(testSecret, auth.Claims{Subject: "bench", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		b.Fatal(err)
	}
	post := func(body string) string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || strings.Contains(string(out), `"errors"`) || strings.Contains(string(out), `"code"`) {
			b.Fatalf("%s: %.300s", res.Status, out)
		}
		return string(out)
	}
	create, _ := json.Marshal(map[string]any{"query": createCC, "variables": map[string]any{"in": map[string]any{
		"connectorId": garantiID, "name": "bench", "apiKey": "api-key-0001", "secretKey": "secret-key-0002", "password": "password-0003"}}})
	var created struct {
		Data struct{ CreateConnectorConfiguration ccPayload }
	}
	if err := json.Unmarshal([]byte(post(string(create))), &created); err != nil {
		b.Fatal(err)
	}
	id := created.Data.CreateConnectorConfiguration.ConnectorConfiguration.ID
	doc := fmt.Sprintf("%q", `mutation UpdateConfig($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) {
  connectorConfiguration { id connectorId connectorName name mode apiKey secretKey username password terminalId storeId
    apiEndpointUrl threeDSecureEndpointUrl bankCode priority isActive extraPropertiesDict version updatedAt }
  userErrors { field code message } } }`)
	n := 0
	update := func() string {
		n++
		return post(fmt.Sprintf(`{"query":%s,"variables":{"in":{"id":"%s","name":"Config r%d","priority":%d}}}`, doc, id, n, n%10))
	}
	if out := update(); !strings.Contains(out, `"apiKey":"••••0001"`) || !strings.Contains(out, `"password":"••••0003"`) {
		b.Fatalf("not masked: %s", out)
	}
	var backend int
	if err := store.DB.NewRaw("SELECT pg_backend_pid()").Scan(b.Context(), &backend); err != nil {
		b.Fatal(err)
	}
	postmaster := proc.Parent(backend)
	b.ReportAllocs()
	b.ResetTimer()
	before, started, pgBefore := cpuTime(), goroutinesCreated(), proc.TreeCPUTime(postmaster)
	for b.Loop() {
		update()
	}
	b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(goroutinesCreated()-started)/float64(b.N), "goroutines/op")
	b.ReportMetric(float64((proc.TreeCPUTime(postmaster)-pgBefore).Microseconds())/float64(b.N), "pg-cpu-µs/op")
}
