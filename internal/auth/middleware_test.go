package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// recordNext is a handler that remembers whether and how it was called.
type recordNext struct {
	called    bool
	principal *Principal
}

func (h *recordNext) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.called = true
	h.principal, _ = PrincipalFrom(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

func TestMiddlewarePassesThrough(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	valid := mustMint(t, Claims{Subject: "alice", Roles: []string{RoleDealerAdmin}, DealerCodes: []string{"D-1"}})

	tests := []struct {
		name    string
		header  []string
		wantSub string // empty: anonymous
	}{
		{name: "no header"},
		{name: "bearer", header: []string{"Bearer " + valid}, wantSub: "alice"},
		{name: "lowercase scheme", header: []string{"bearer " + valid}, wantSub: "alice"},
		{name: "extra spaces", header: []string{"  Bearer   " + valid + " "}, wantSub: "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recordNext{}
			req := httptest.NewRequest(http.MethodPost, "/query", nil)
			for _, h := range tt.header {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			v.Middleware(next).ServeHTTP(rec, req)

			if !next.called {
				t.Fatalf("next not called; status %d body %s", rec.Code, rec.Body)
			}
			var gotSub string
			if next.principal != nil {
				gotSub = next.principal.Subject
			}
			if gotSub != tt.wantSub {
				t.Errorf("principal subject = %q, want %q", gotSub, tt.wantSub)
			}
		})
	}
}

func TestMiddlewareRejects(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	expired := mustMint(t, Claims{Subject: "alice", TTL: -time.Hour})
	forged := signHS(t, []byte("not-the-secret-0123456789abcdef-xyz"), claimsValid())
	valid := mustMint(t, Claims{Subject: "alice"})
	none := signNone(t, claimsValid())

	tests := []struct {
		name    string
		header  []string
		token   string // must not appear in the response
		wantMsg string
	}{
		{name: "empty", header: []string{""}, wantMsg: reasonBadHeader},
		{name: "basic", header: []string{"Basic dXNlcjpwYXNzd29yZA=="}, token: "dXNlcjpwYXNzd29yZA==", wantMsg: reasonBadHeader},
		{name: "scheme only", header: []string{"Bearer"}, wantMsg: reasonBadHeader},
		{name: "scheme and space", header: []string{"Bearer  "}, wantMsg: reasonBadHeader},
		{name: "bare token", header: []string{valid}, token: valid, wantMsg: reasonBadHeader},
		{name: "two tokens", header: []string{"Bearer " + valid + " " + valid}, token: valid, wantMsg: reasonBadHeader},
		{name: "two headers", header: []string{"Bearer " + valid, "Bearer " + valid}, token: valid, wantMsg: reasonBadHeader},
		{name: "garbage", header: []string{"Bearer garbage-token-value"}, token: "garbage-token-value", wantMsg: reasonMalformed},
		{name: "expired", header: []string{"Bearer " + expired}, token: expired, wantMsg: reasonExpired},
		{name: "wrong secret", header: []string{"Bearer " + forged}, token: forged, wantMsg: reasonSignature},
		{name: "alg none", header: []string{"Bearer " + none}, token: none, wantMsg: reasonAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recordNext{}
			req := httptest.NewRequest(http.MethodPost, "/query", nil)
			for _, h := range tt.header {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			v.Middleware(next).ServeHTTP(rec, req)

			if next.called {
				t.Error("next called for a rejected request")
			}
			checkUnauthenticatedResponse(t, rec, tt.wantMsg)
			leakCheck(t, rec.Body.String(), tt.token)
		})
	}
}

func TestWriteUnauthenticated(t *testing.T) {
	tests := []struct {
		msg, wantBody string
	}{
		{"authentication required", `{"errors":[{"message":"authentication required","extensions":{"code":"UNAUTHENTICATED"}}]}` + "\n"},
		{"", `{"errors":[{"message":"unauthenticated","extensions":{"code":"UNAUTHENTICATED"}}]}` + "\n"},
		{`quote " and <tag>`, `{"errors":[{"message":"quote \" and \u003ctag\u003e","extensions":{"code":"UNAUTHENTICATED"}}]}` + "\n"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		WriteUnauthenticated(rec, tt.msg)
		if got := rec.Body.String(); got != tt.wantBody {
			t.Errorf("WriteUnauthenticated(%q) body = %s, want %s", tt.msg, got, tt.wantBody)
		}
		checkUnauthenticatedResponse(t, rec, "")
	}
}

// checkUnauthenticatedResponse asserts the 401 GraphQL error shape; an empty
// wantMsg accepts any non-empty message.
func checkUnauthenticatedResponse(t *testing.T, rec *httptest.ResponseRecorder, wantMsg string) {
	t.Helper()
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("status = %d, want %d", rec.Code, http.StatusUnauthorized)
	}
	if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("WWW-Authenticate = %q, want Bearer", got)
	}
	var body struct {
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body, err)
	}
	if len(body.Errors) != 1 {
		t.Fatalf("errors = %d, want 1: %s", len(body.Errors), rec.Body)
	}
	e := body.Errors[0]
	if e.Extensions.Code != CodeUnauthenticated {
		t.Errorf("code = %q, want %q", e.Extensions.Code, CodeUnauthenticated)
	}
	if e.Message == "" || (wantMsg != "" && e.Message != wantMsg) {
		t.Errorf("message = %q, want %q", e.Message, wantMsg)
	}
}
