package auth

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeClock is a settable time source for the JWKS cache.
type fakeClock struct{ t atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.t.Store(time.Now().UnixNano())
	return c
}

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.t.Add(int64(d)) }

func newJWKSVerifier(t *testing.T, srv *jwksServer, secret []byte) (*Verifier, *fakeClock) {
	t.Helper()
	v := newTestVerifier(t, Config{JWKSURL: srv.URL, HS256Secret: secret, HTTPClient: srv.Client()})
	clock := newFakeClock()
	v.jwks.now = clock.now
	return v, clock
}

func TestVerifyRS256(t *testing.T) {
	keyA, keyB := rsaKeyA(), rsaKeyB()
	srv := newJWKSServer(t, jwkJSON("kid-a", &keyA.PublicKey))
	v, _ := newJWKSVerifier(t, srv, nil)
	claims := with(claimsValid(), map[string]any{
		"typ":          "Bearer",
		"realm_access": map[string]any{"roles": []string{RoleAdmin}},
	})

	tests := []struct {
		name       string
		token      string
		wantReason string
	}{
		{name: "valid", token: signRS(t, keyA, "kid-a", claims)},
		{name: "valid again from cache", token: signRS(t, keyA, "kid-a", claims)},
		{name: "unknown kid", token: signRS(t, keyA, "kid-x", claims), wantReason: reasonUnknownKey},
		{name: "no kid", token: signRS(t, keyA, "", claims), wantReason: reasonNoKeyID},
		{name: "known kid, other key", token: signRS(t, keyB, "kid-a", claims), wantReason: reasonSignature},
		{name: "expired", token: signRS(t, keyA, "kid-a", with(claims, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})), wantReason: reasonExpired},
		{name: "hs256 without secret", token: signHS(t, testSecret, claims), wantReason: reasonAlgorithm},
		{name: "alg none", token: signNone(t, claims), wantReason: reasonAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.token)
			if tt.wantReason != "" {
				checkRejected(t, err, tt.token, tt.wantReason)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !p.IsAdmin() || p.Subject != "user-1" {
				t.Errorf("principal = %+v, want admin user-1", p)
			}
		})
	}
	// One fetch on first use; the unknown kid came within jwksMinRefetch.
	if got, want := srv.hits.Load(), int32(1); got != want {
		t.Errorf("jwks fetches = %d, want %d", got, want)
	}
}

func TestRS256RejectedWithOnlyHS256(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	tok := signRS(t, rsaKeyA(), "kid-a", claimsValid())
	_, err := v.Verify(context.Background(), tok)
	checkRejected(t, err, tok, reasonAlgorithm)
}

// TestAlgConfusion signs HS256 tokens with the RSA public key as the HMAC
// secret, the classic attack on verifiers that pick the key by kid alone.
func TestAlgConfusion(t *testing.T) {
	pub := &rsaKeyA().PublicKey
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	srv := newJWKSServer(t, jwkJSON("kid-a", pub))

	for _, secret := range [][]byte{nil, testSecret} {
		v, _ := newJWKSVerifier(t, srv, secret)
		for name, hmacKey := range map[string][]byte{"pem": pemBytes, "der": der, "modulus": pub.N.Bytes()} {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claimsValid())
			tok.Header["kid"] = "kid-a"
			s, err := tok.SignedString(hmacKey)
			if err != nil {
				t.Fatal(err)
			}
			want := reasonAlgorithm
			if secret != nil {
				// HS256 is allowed, but only with the shared secret.
				want = reasonSignature
			}
			t.Run(name, func(t *testing.T) {
				_, err := v.Verify(context.Background(), s)
				checkRejected(t, err, s, want)
			})
		}
	}
}

func TestVerifyBothConfigured(t *testing.T) {
	srv := newJWKSServer(t, jwkJSON("kid-a", &rsaKeyA().PublicKey))
	v, _ := newJWKSVerifier(t, srv, testSecret)
	for name, tok := range map[string]string{
		"hs256": signHS(t, testSecret, claimsValid()),
		"rs256": signRS(t, rsaKeyA(), "kid-a", claimsValid()),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestJWKSRefetch(t *testing.T) {
	keyA, keyB := rsaKeyA(), rsaKeyB()
	srv := newJWKSServer(t, jwkJSON("kid-a", &keyA.PublicKey))
	v, clock := newJWKSVerifier(t, srv, nil)
	ctx := context.Background()
	tokA := signRS(t, keyA, "kid-a", claimsValid())
	tokB := signRS(t, keyB, "kid-b", claimsValid())

	if _, err := v.Verify(ctx, tokA); err != nil {
		t.Fatalf("Verify kid-a: %v", err)
	}
	// The identity provider rotates to kid-b and drops kid-a.
	srv.set(http.StatusOK, jwkJSON("kid-b", &keyB.PublicKey))

	steps := []struct {
		name       string
		advance    time.Duration
		token      string
		wantReason string
		wantHits   int32
	}{
		{name: "new kid within min refetch", advance: 10 * time.Second, token: tokB, wantReason: reasonUnknownKey, wantHits: 1},
		{name: "old kid still cached", token: tokA, wantHits: 1},
		{name: "new kid after min refetch", advance: jwksMinRefetch, token: tokB, wantHits: 2},
		{name: "dropped kid within min refetch", token: tokA, wantReason: reasonUnknownKey, wantHits: 2},
	}
	for _, st := range steps {
		clock.advance(st.advance)
		_, err := v.Verify(ctx, st.token)
		if st.wantReason == "" && err != nil {
			t.Errorf("%s: Verify: %v", st.name, err)
		}
		if st.wantReason != "" {
			checkRejected(t, err, st.token, st.wantReason)
		}
		if got := srv.hits.Load(); got != st.wantHits {
			t.Errorf("%s: jwks fetches = %d, want %d", st.name, got, st.wantHits)
		}
	}
}

func TestJWKSMaxAge(t *testing.T) {
	key := rsaKeyA()
	srv := newJWKSServer(t, jwkJSON("kid-a", &key.PublicKey))
	v, clock := newJWKSVerifier(t, srv, nil)
	ctx := context.Background()
	tok := signRS(t, key, "kid-a", claimsValid())
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}

	// A stale cache is refreshed even for a known kid; if the refresh
	// fails the stale key is still used.
	srv.set(http.StatusInternalServerError)
	clock.advance(jwksMaxAge)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Errorf("Verify with stale key and failing jwks: %v", err)
	}
	if got, want := srv.hits.Load(), int32(2); got != want {
		t.Errorf("jwks fetches = %d, want %d", got, want)
	}

	// Once the identity provider drops the key, it is no longer accepted.
	srv.set(http.StatusOK, jwkJSON("kid-b", &rsaKeyB().PublicKey))
	clock.advance(jwksMinRefetch)
	_, err := v.Verify(ctx, tok)
	checkRejected(t, err, tok, reasonUnknownKey)
}

func TestJWKSUnavailable(t *testing.T) {
	srv := newJWKSServer(t)
	srv.set(http.StatusServiceUnavailable)
	v, clock := newJWKSVerifier(t, srv, nil)
	ctx := context.Background()
	tok := signRS(t, rsaKeyA(), "kid-a", claimsValid())

	_, err := v.Verify(ctx, tok)
	checkRejected(t, err, tok, reasonKeysUnavailable)
	_, err = v.Verify(ctx, tok)
	checkRejected(t, err, tok, reasonKeysUnavailable)
	if got, want := srv.hits.Load(), int32(1); got != want {
		t.Errorf("jwks fetches after outage = %d, want %d (rate limited)", got, want)
	}

	srv.set(http.StatusOK, jwkJSON("kid-a", &rsaKeyA().PublicKey))
	clock.advance(jwksMinRefetch)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Errorf("Verify after recovery: %v", err)
	}
}

func TestJWKSFetchTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newJWKSServer(t)
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		inner.ServeHTTP(w, r)
	})
	defer close(release)
	v, _ := newJWKSVerifier(t, srv, nil)
	v.jwks.fetchTimeout = 50 * time.Millisecond

	tok := signRS(t, rsaKeyA(), "kid-a", claimsValid())
	start := time.Now()
	_, err := v.Verify(context.Background(), tok)
	checkRejected(t, err, tok, reasonKeysUnavailable)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Verify took %v despite the fetch timeout", d)
	}
}

func TestJWKSConcurrentUnknownKid(t *testing.T) {
	key := rsaKeyA()
	srv := newJWKSServer(t, jwkJSON("kid-a", &key.PublicKey))
	v, _ := newJWKSVerifier(t, srv, nil)
	tok := signRS(t, key, "kid-a", claimsValid())

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), tok)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	if got, want := srv.hits.Load(), int32(1); got != want {
		t.Errorf("jwks fetches = %d, want %d", got, want)
	}
}

func TestParseJWKS(t *testing.T) {
	pub := &rsaKeyA().PublicKey
	good := jwkJSON("good", pub)
	withField := func(k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m["kid"] = "other"
		m[k] = v
		return m
	}
	small := mustSmallKey(t)

	tests := []struct {
		name     string
		keys     []map[string]string
		wantKids []string
		wantErr  bool
	}{
		{name: "one key", keys: []map[string]string{good}, wantKids: []string{"good"}},
		{name: "padded base64", keys: []map[string]string{withField("n", b64(pub.N.Bytes())+"==")}, wantKids: []string{"other"}},
		{name: "no use or alg", keys: []map[string]string{withField("use", ""), good}, wantKids: []string{"good", "other"}},
		{name: "skips encryption key", keys: []map[string]string{withField("use", "enc"), good}, wantKids: []string{"good"}},
		{name: "skips RSA-OAEP", keys: []map[string]string{withField("alg", "RSA-OAEP"), good}, wantKids: []string{"good"}},
		{name: "skips EC", keys: []map[string]string{withField("kty", "EC"), good}, wantKids: []string{"good"}},
		{name: "skips small key", keys: []map[string]string{small, good}, wantKids: []string{"good"}},
		{name: "skips bad modulus", keys: []map[string]string{withField("n", "***"), good}, wantKids: []string{"good"}},
		{name: "skips even exponent", keys: []map[string]string{withField("e", b64([]byte{2})), good}, wantKids: []string{"good"}},
		{name: "skips missing kid", keys: []map[string]string{withField("kid", ""), good}, wantKids: []string{"good"}},
		{name: "only unusable keys", keys: []map[string]string{withField("use", "enc")}, wantErr: true},
		{name: "empty", keys: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(map[string]any{"keys": tt.keys})
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseJWKS(data)
			if tt.wantErr {
				if err == nil {
					t.Errorf("parseJWKS = %d keys, want error", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("parseJWKS: %v", err)
			}
			if len(got) != len(tt.wantKids) {
				t.Errorf("parseJWKS = %d keys, want %v", len(got), tt.wantKids)
			}
			for _, kid := range tt.wantKids {
				if k := got[kid]; k == nil || k.N.Cmp(pub.N) != 0 || k.E != pub.E {
					t.Errorf("key %q = %v, want the test key", kid, k)
				}
			}
		})
	}
	if _, err := parseJWKS([]byte("not json")); err == nil {
		t.Error("parseJWKS(not json) succeeded")
	}
}

func mustSmallKey(t *testing.T) map[string]string {
	t.Helper()
	k := jwkJSON("small", &rsaKeyA().PublicKey)
	n := make([]byte, 128) // 1024 bits
	for i := range n {
		n[i] = 0xff
	}
	k["n"] = b64(n)
	return k
}
