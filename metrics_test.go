package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/testenv"
)

// TestMetrics scrapes /metrics around two mutations, one refused with a userError, and finds
// the per-operation, userError, pool and statement series.
func TestMetrics(t *testing.T) {
	store, _ := testenv.New(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.HS256Secret = []byte("a-metrics-test-secret-of-32-bytes-at-least")
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(routes(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), store.DB, store, verifier, ""))
	defer srv.Close()
	token, err := auth.MintHS256(cfg.HS256Secret, auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	post := func(body string) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/query", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	scrape := func() string {
		t.Helper()
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}

	before := scrape()
	created := post(`{"query":"mutation { createConnectorConfiguration(input: {connectorId: \"0b1e0000-0000-4000-8000-000000000001\", name: \"m\"}) { connectorConfiguration { id } userErrors { code } } }"}`)
	if !strings.Contains(created, `"userErrors":[]`) {
		t.Fatalf("create: %s", created)
	}
	missing := post(`{"query":"mutation Rename { updateConnectorConfiguration(input: {id: \"00000000-0000-4000-8000-000000000000\", name: \"x\"}) { userErrors { code } } }"}`)
	if !strings.Contains(missing, "NOT_FOUND") {
		t.Fatalf("update: %s", missing)
	}
	post(`{"query":"{ nope }"}`)
	after := scrape()

	for _, tt := range []struct {
		series string
		delta  float64
	}{
		{`graphql_requests_total{operation="createConnectorConfiguration",outcome="ok"}`, 1},
		{`graphql_requests_total{operation="updateConnectorConfiguration",outcome="ok"}`, 1},
		{`graphql_requests_total{operation="invalid",outcome="refused"}`, 1},
		{`graphql_request_duration_seconds_count{operation="updateConnectorConfiguration"}`, 1},
		{`graphql_user_errors_total{code="NOT_FOUND",operation="updateConnectorConfiguration"}`, 1},
	} {
		if got := metric(after, tt.series) - metric(before, tt.series); got != tt.delta {
			t.Errorf("%s grew by %v, want %v", tt.series, got, tt.delta)
		}
	}
	// BEGIN, INSERT, audit INSERT, COMMIT at least, and as many round trips.
	for _, series := range []string{"paygql_db_statements_total", "paygql_db_round_trips_total"} {
		if got := metric(after, series) - metric(before, series); got < 4 {
			t.Errorf("%s grew by %v, want at least 4", series, got)
		}
	}
	if !strings.Contains(after, `go_sql_max_open_connections{db_name="paygql"}`) {
		t.Error("no pool statistics (go_sql_*) in /metrics")
	}
	if strings.Contains(after, "Rename") {
		t.Error("a client's operation name became a label")
	}
}

// metric returns the value of series in a Prometheus text exposition, 0 when absent.
func metric(exposition, series string) float64 {
	for line := range strings.Lines(exposition) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}
