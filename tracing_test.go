package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/internal/tracing"
)

// TestTracingExportsSpans sets the standard OTEL_* variables to a collector of our own and
// finds spans of HTTP, of the resolver and of SQL for one mutation.
func TestTracingExportsSpans(t *testing.T) {
	var mu sync.Mutex
	var names []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("collector: %v", err)
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names = append(names, ss.Scope.GetName()+": "+s.Name)
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(nil)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	cfg, err := config.Load(func(k string) string {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			return collector.URL
		}
		return ""
	})
	if err != nil || !cfg.Tracing {
		t.Fatalf("tracing not on: %v", err)
	}
	tr, err := tracing.Start(t.Context(), cfg.Tracing, "paygql-test")
	if err != nil {
		t.Fatal(err)
	}
	database.QueryTracer = tr.SQL()
	t.Cleanup(func() { database.QueryTracer = nil })
	store, _ := testenv.New(t)
	cfg.HS256Secret = []byte("a-tracing-test-secret-of-32-bytes-at-least")
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tracedRoutes(tr, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), store.DB, store, verifier, "", nil))
	defer srv.Close()
	token, _ := auth.MintHS256(cfg.HS256Secret, auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/query", strings.NewReader(
		`{"query":"mutation { createConnectorConfiguration(input: {connectorId: \"0b1e0000-0000-4000-8000-000000000001\"}) { connectorConfiguration { id } userErrors { code } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"otelhttp", "otelgqlgen", "otelpgx"} {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, want) }) {
			t.Errorf("no %s span among %q", want, names)
		}
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "createConnectorConfiguration") }) {
		t.Errorf("no span names the resolver: %q", names)
	}
}
