package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/outbox"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) != "" {
		main() // exits 1 on error
		os.Exit(0)
	}
	pgtest.Main(withBinaryRemoved{m})
}

func TestRoutes(t *testing.T) {
	store, _ := testenv.New(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.HS256Secret = []byte("a-routes-test-secret-of-32-bytes-at-least")
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := httptest.NewServer(routes(cfg, logger, store.DB, store, verifier, ""))
	defer srv.Close()
	token, err := auth.MintHS256(cfg.HS256Secret, auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		method, path, auth, body string
		wantStatus               int
		wantBody                 string
	}{
		{"GET", "/healthz", "", "", 200, "ok"},
		{"GET", "/readyz", "", "", 200, "ready"},
		{"GET", "/", "", "", 200, "/playground/assets/graphiql-4.1.2/graphiql.min.js"},
		{"GET", "/playground/assets/graphiql-4.1.2/graphiql.min.css", "", "", 200, ".graphiql-container"},
		{"POST", "/query", "", `{"query":"{ connectors { code } }"}`, 401, "UNAUTHENTICATED"},
		{"POST", "/query", token, `{"query":"query Banks { connectors { code } }"}`, 200, "GARANTI"},
		{"POST", "/query", token, `{"query":"{ connectors { code } }", "pad":"` + strings.Repeat("x", 1<<20) + `"}`, 413, ""},
		{"GET", "/metrics", "", "", 200, "http_request_duration_seconds"},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if tt.auth != "" {
			req.Header.Set("Authorization", "Bearer "+tt.auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
			t.Errorf("%s %s: %d %.200s; want %d containing %q", tt.method, tt.path, res.StatusCode, body, tt.wantStatus, tt.wantBody)
		}
	}
	// One JSON access-log line per request, with the operation and never the token.
	if !strings.Contains(logs.String(), `"operation":"query Banks"`) || strings.Contains(logs.String(), token) {
		t.Errorf("access log:\n%s", logs.String())
	}
}

func TestServeHTTPDrainsInFlightRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, ln, h, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			got <- err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		got <- string(b)
	}()
	<-started
	cancel() // as SIGTERM would
	if body := <-got; body != "finished" {
		t.Errorf("in-flight request got %q, want it to finish", body)
	}
	if err := <-done; err != nil {
		t.Errorf("serveHTTP = %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String()); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}

func TestStartMailWritesDevelopmentFiles(t *testing.T) {
	store, _ := testenv.New(t)
	cfg := &config.Config{DataDir: t.TempDir()}
	err := outbox.Enqueue(t.Context(), store.DB, []*outbox.Message{{Kind: "register", Recipient: "a@example.com", Subject: "Welcome", Body: "Hello"}})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := startMail(t.Context(), cfg, store.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for deadline := time.Now().Add(10 * time.Second); len(files) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		files, _ = filepath.Glob(filepath.Join(cfg.DataDir, "mail", "*.eml"))
	}
	stop()
	if len(files) != 1 {
		t.Fatalf("mail files %q, want one", files)
	}
	if b, err := os.ReadFile(files[0]); err != nil || !strings.Contains(string(b), "Subject: Welcome") {
		t.Errorf("mail file: %v\n%s", err, b)
	}
}

func TestTokenCommand(t *testing.T) {
	cfg := &config.Config{HS256Secret: []byte("a-token-test-secret-of-32-bytes-at-least")}
	var out bytes.Buffer
	if err := tokenCmd(cfg, []string{"--sub", "gw", "--roles", "gateway-admin", "--customer-ids", "6f1c0000-0000-4000-8000-00000000000a"}, &out); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(t.Context(), strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "gw" || !p.HasRole(auth.RoleGatewayAdmin) || p.HasRole(auth.RoleAdmin) || !p.ManagesCustomer("6f1c0000-0000-4000-8000-00000000000a") {
		t.Errorf("principal = %+v", p)
	}
	if err := tokenCmd(cfg, []string{"--sub", "x"}, &out); err == nil {
		t.Error("token without --roles succeeded")
	}
}
