package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("test-secret-0123456789abcdef-0123456789")

// Generating RSA keys is slow, so the tests share two.
var (
	rsaKeyA = sync.OnceValue(func() *rsa.PrivateKey { return mustRSAKey() })
	rsaKeyB = sync.OnceValue(func() *rsa.PrivateKey { return mustRSAKey() })
)

func mustRSAKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// claimsValid returns claims that pass Verify with a default Config.
func claimsValid() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": "user-1",
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// with returns a copy of m with kv applied; a nil value deletes the key.
func with(m jwt.MapClaims, kv map[string]any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range kv {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func signHS(t *testing.T, secret []byte, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatalf("sign hs256: %v", err)
	}
	return s
}

func signRS(t *testing.T, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign rs256: %v", err)
	}
	return s
}

func signNone(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatalf("sign none: %v", err)
	}
	return s
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkJSON renders pub as a JWK the way Keycloak does.
func jwkJSON(kid string, pub *rsa.PublicKey) map[string]string {
	return map[string]string{
		"kty": "RSA",
		"kid": kid,
		"use": "sig",
		"alg": "RS256",
		"n":   b64(pub.N.Bytes()),
		"e":   b64(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// jwksServer serves a JWKS whose content can be swapped, and counts requests.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int32
	mu   sync.Mutex
	keys []map[string]string
	code int
}

func newJWKSServer(t *testing.T, keys ...map[string]string) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys, code: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.code != http.StatusOK {
			w.WriteHeader(s.code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(code int, keys ...map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.keys = code, keys
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newTestVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// checkRejected asserts that err is a client-safe rejection with the given
// reason that does not leak tok.
func checkRejected(t *testing.T, err error, tok, wantReason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify succeeded, want %q", wantReason)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify error %T %v is not *Error", err, err)
	}
	if got := err.Error(); got != wantReason {
		t.Errorf("Verify error = %q, want %q (cause: %v)", got, wantReason, e.Err)
	}
	if !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Verify error %v does not wrap ErrUnauthenticated", err)
	}
	leakCheck(t, err.Error(), tok)
	if e.Err != nil {
		leakCheck(t, e.Err.Error(), tok)
	}
}

// leakCheck fails if s contains tok or any of its dot-separated parts.
func leakCheck(t *testing.T, s, tok string) {
	t.Helper()
	if tok == "" {
		return
	}
	for _, part := range append(strings.Split(tok, "."), tok) {
		if len(part) >= 8 && strings.Contains(s, part) {
			t.Errorf("text %q contains token material %q", s, part)
		}
	}
}
