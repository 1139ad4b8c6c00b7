package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/testenv"
)

// prodEnv is a complete production configuration.
var prodEnv = map[string]string{
	"APP_ENV": "production", "DATABASE_URL": "postgres://unused", "AUTH_HS256_SECRET": "a-routes-test-secret-of-32-bytes-at-least",
	"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	// routes() sends no mail: the address need not answer.
	"SMTP_URL": "smtp://unused?from=noreply@pay.example",
}

// newRoutes builds routes() on a new database, configured from env as the server would be
// (development mode for an empty env), and returns it with an admin token and the
// configuration. With devToken, the playground gets the token, as in development mode.
func newRoutes(t *testing.T, env map[string]string, devToken bool) (h http.Handler, token string, cfg *config.Config) {
	t.Helper()
	store, _ := testenv.New(t)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HS256Secret == nil {
		cfg.HS256Secret = []byte("a-routes-test-secret-of-32-bytes-at-least")
	}
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	token, err = devAdminToken(cfg)
	if err != nil {
		t.Fatal(err)
	}
	page := ""
	if devToken {
		page = token
	}
	return routes(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), store.DB, store, verifier, page), token, cfg
}

// serveRoutes serves newRoutes and returns its URL and an admin token.
func serveRoutes(t *testing.T, env map[string]string) (url, token string) {
	t.Helper()
	h, token, _ := newRoutes(t, env, false)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, token
}

func with(env map[string]string, k, v string) map[string]string {
	m := map[string]string{k: v}
	for k, v := range env {
		m[k] = v
	}
	return m
}

func TestCORS(t *testing.T) {
	devURL, _ := serveRoutes(t, nil)
	prodURL, _ := serveRoutes(t, prodEnv)
	appURL, token := serveRoutes(t, with(prodEnv, "CORS_ALLOWED_ORIGINS", "https://app.example.com"))
	anyURL, _ := serveRoutes(t, with(prodEnv, "CORS_ALLOWED_ORIGINS", "*"))

	tests := []struct {
		name, url, method, origin string
		wantOrigin                string // Access-Control-Allow-Origin; "" for none
	}{
		{"development allows a local dev server", devURL, "OPTIONS", "http://localhost:5173", "http://localhost:5173"},
		{"development allows 127.0.0.1", devURL, "OPTIONS", "http://127.0.0.1:3000", "http://127.0.0.1:3000"},
		{"development refuses other origins", devURL, "OPTIONS", "https://evil.example", ""},
		{"development refuses a look-alike", devURL, "OPTIONS", "http://localhost.evil.example:3000", ""},
		{"production allows none by default", prodURL, "OPTIONS", "http://localhost:5173", ""},
		{"a configured origin", appURL, "OPTIONS", "https://app.example.com", "https://app.example.com"},
		{"a configured origin's request", appURL, "POST", "https://app.example.com", "https://app.example.com"},
		{"not the configured origin", appURL, "OPTIONS", "https://other.example.com", ""},
		{"not the configured origin's request", appURL, "POST", "https://other.example.com", ""},
		{"*", anyURL, "OPTIONS", "https://anything.example", "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, tt.url+"/query",
				strings.NewReader(`{"query":"{ connectors { code } }"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", tt.origin)
			if tt.method == "OPTIONS" { // a browser's preflight for a POST with a token
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			} else {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			h := res.Header
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantOrigin)
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q, want none", got)
			}
			switch {
			case tt.method == "OPTIONS" && tt.wantOrigin != "":
				if res.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Headers") != "authorization,content-type" ||
					!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
					t.Errorf("preflight: %d, allow headers %q, methods %q", res.StatusCode,
						h.Get("Access-Control-Allow-Headers"), h.Get("Access-Control-Allow-Methods"))
				}
			case tt.method == "OPTIONS":
				if got := h.Get("Access-Control-Allow-Headers") + h.Get("Access-Control-Allow-Methods"); got != "" {
					t.Errorf("refused preflight allows %q", got)
				}
			case tt.wantOrigin != "":
				if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "GARANTI") ||
					h.Get("Access-Control-Expose-Headers") != "X-Request-Id" {
					t.Errorf("request: %d %.200s, expose %q", res.StatusCode, body, h.Get("Access-Control-Expose-Headers"))
				}
			}
		})
	}
}

// TestCORSRequestHeaders sends browsers' preflights for the request headers front-end apps
// add (OpenTelemetry's trace context, Apollo Client's client awareness) through the real
// routes, with the default list and with CORS_ALLOWED_HEADERS, then the request itself.
func TestCORSRequestHeaders(t *testing.T) {
	app := with(prodEnv, "CORS_ALLOWED_ORIGINS", "https://app.example.com")
	defaultURL, token := serveRoutes(t, app)
	customURL, _ := serveRoutes(t, with(app, "CORS_ALLOWED_HEADERS", "X-Client-Version"))
	anyURL, _ := serveRoutes(t, with(app, "CORS_ALLOWED_HEADERS", "*"))
	// As browsers send them: lower case, sorted, joined by commas.
	const frontEnd = "apollographql-client-name,apollographql-client-version,authorization,content-type,traceparent,tracestate"

	tests := []struct {
		name, url, headers string
		allowed            bool
	}{
		{"default: trace context and Apollo's headers", defaultURL, frontEnd, true},
		{"default: baggage, accept, request id, Apollo's CSRF header", defaultURL, "accept,apollo-require-preflight,baggage,content-type,x-apollo-operation-name,x-request-id", true},
		{"default: another header", defaultURL, "authorization,x-client-version", false},
		{"configured: its header, and the token's", customURL, "authorization,content-type,x-client-version", true},
		{"configured: the defaults are replaced", customURL, "authorization,traceparent", false},
		{"*: any header", anyURL, "authorization,x-anything-at-all", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "OPTIONS", tt.url+"/query", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", "https://app.example.com")
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", tt.headers)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			h := res.Header
			if tt.allowed {
				if res.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
					h.Get("Access-Control-Allow-Headers") != tt.headers {
					t.Errorf("preflight for %s: %d, allow origin %q, headers %q; want them allowed", tt.headers, res.StatusCode,
						h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Headers"))
				}
			} else if got := h.Get("Access-Control-Allow-Origin") + h.Get("Access-Control-Allow-Headers"); got != "" {
				t.Errorf("preflight for %s allows %q; want it refused", tt.headers, got)
			}
		})
	}

	// The request the preflight cleared gets its data and the origin back.
	req, err := http.NewRequestWithContext(t.Context(), "POST", defaultURL+"/query", strings.NewReader(`{"query":"{ connectors { code } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"Origin": "https://app.example.com", "Content-Type": "application/json", "Authorization": "Bearer " + token,
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "vendor=1",
		"apollographql-client-name": "dealer-portal", "apollographql-client-version": "1.4.0",
	} {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "GARANTI") || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("request: %d %.200s, allow origin %q", res.StatusCode, body, res.Header.Get("Access-Control-Allow-Origin"))
	}
}
