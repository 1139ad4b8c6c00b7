package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fastJWKS shortens the refresh intervals so that tests can wait them out.
var fastJWKS = jwksOptions{fetchTimeout: 400 * time.Millisecond, refreshEvery: time.Hour, unknownKIDEvery: 800 * time.Millisecond}

func newJWKSVerifier(t *testing.T, srv *jwksServer, secret []byte, o jwksOptions) *Verifier {
	t.Helper()
	v, err := newVerifier(Config{JWKSURL: srv.URL, HS256Secret: secret, HTTPClient: srv.Client(), Logger: quietLogger()}, o)
	if err != nil {
		t.Fatalf("newVerifier: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

func TestVerifyRS256(t *testing.T) {
	keyA, keyB := rsaKeyA(), rsaKeyB()
	srv := newJWKSServer(t, jwkJSON("kid-a", &keyA.PublicKey))
	v := newJWKSVerifier(t, srv, nil, defaultJWKSOptions)
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
	// One fetch when the verifier was made; the unknown kid came right after it, within the
	// unknown-kid interval, so it fetched nothing.
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
		v := newJWKSVerifier(t, srv, secret, defaultJWKSOptions)
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
	v := newJWKSVerifier(t, srv, testSecret, defaultJWKSOptions)
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

// TestJWKSUnknownKidRefresh follows a key rotation at the identity provider: a new kid is
// fetched once the unknown-kid interval has passed, and a dropped kid is refused.
func TestJWKSUnknownKidRefresh(t *testing.T) {
	keyA, keyB := rsaKeyA(), rsaKeyB()
	srv := newJWKSServer(t, jwkJSON("kid-a", &keyA.PublicKey))
	v := newJWKSVerifier(t, srv, nil, fastJWKS)
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
		wait       time.Duration
		token      string
		wantReason string
		wantHits   int32
	}{
		{name: "new kid within the interval", token: tokB, wantReason: reasonUnknownKey, wantHits: 1},
		{name: "old kid still cached", token: tokA, wantHits: 1},
		{name: "new kid after the interval", wait: fastJWKS.unknownKIDEvery + 100*time.Millisecond, token: tokB, wantHits: 2},
		{name: "dropped kid within the interval", token: tokA, wantReason: reasonUnknownKey, wantHits: 2},
	}
	for _, st := range steps {
		time.Sleep(st.wait)
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

// TestJWKSUnknownKidFlood sends 100 tokens with random kids at once: the identity provider
// sees at most the start-up fetch and one refresh, and no request waits for the rate limit.
func TestJWKSUnknownKidFlood(t *testing.T) {
	key := rsaKeyA()
	srv := newJWKSServer(t, jwkJSON("kid-a", &key.PublicKey))
	v := newJWKSVerifier(t, srv, nil, defaultJWKSOptions)
	const flood = 100
	tokens := make([]string, flood)
	for i := range tokens {
		tokens[i] = signRS(t, key, "bogus-"+rand.Text(), claimsValid())
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, flood)
	for i, tok := range tokens {
		wg.Go(func() { _, errs[i] = v.Verify(context.Background(), tok) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, err := range errs {
		checkRejected(t, err, tokens[i], reasonUnknownKey)
	}
	const maxHits = 2
	hits := srv.hits.Load()
	t.Logf("jwks fetches for %d random kids: %d (start-up included), in %v", flood, hits, elapsed)
	if hits > maxHits {
		t.Errorf("jwks fetches = %d for %d random kids, want at most %d", hits, flood, maxHits)
	}
	if elapsed > 2*time.Second {
		t.Errorf("the flood took %v: rate-limited requests should fail at once", elapsed)
	}
	// The real key still works, from the cache.
	if _, err := v.Verify(context.Background(), signRS(t, key, "kid-a", claimsValid())); err != nil {
		t.Errorf("Verify with the real kid after the flood: %v", err)
	}
	if got := srv.hits.Load(); got != hits {
		t.Errorf("a known kid fetched the jwks again: %d fetches, want %d", got, hits)
	}
}

// TestJWKSBackgroundRefresh shows that the background refresh keeps the keys while the
// identity provider fails, and drops a key the identity provider removed.
func TestJWKSBackgroundRefresh(t *testing.T) {
	key := rsaKeyA()
	srv := newJWKSServer(t, jwkJSON("kid-a", &key.PublicKey))
	o := fastJWKS
	o.refreshEvery = 50 * time.Millisecond
	v := newJWKSVerifier(t, srv, nil, o)
	ctx := context.Background()
	tok := signRS(t, key, "kid-a", claimsValid())
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}

	srv.set(http.StatusInternalServerError)
	waitForHits(t, srv, srv.hits.Load()+2)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Errorf("Verify with a failing jwks: %v, want the fetched key kept", err)
	}

	srv.set(http.StatusOK, jwkJSON("kid-b", &rsaKeyB().PublicKey))
	waitForHits(t, srv, srv.hits.Load()+2)
	_, err := v.Verify(ctx, tok)
	checkRejected(t, err, tok, reasonUnknownKey)
}

func waitForHits(t *testing.T, srv *jwksServer, n int32) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); srv.hits.Load() < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("jwks fetches = %d, want %d by now", srv.hits.Load(), n)
		}
	}
}

func TestJWKSUnavailable(t *testing.T) {
	srv := newJWKSServer(t)
	srv.set(http.StatusServiceUnavailable)
	v := newJWKSVerifier(t, srv, nil, fastJWKS) // starts anyway
	ctx := context.Background()
	tok := signRS(t, rsaKeyA(), "kid-a", claimsValid())

	_, err := v.Verify(ctx, tok)
	checkRejected(t, err, tok, reasonKeysUnavailable)
	_, err = v.Verify(ctx, tok)
	checkRejected(t, err, tok, reasonKeysUnavailable)
	// The start-up fetch and one refresh for the unknown kid; the second token came within
	// the interval.
	if got, want := srv.hits.Load(), int32(2); got != want {
		t.Errorf("jwks fetches after outage = %d, want %d (rate limited)", got, want)
	}

	srv.set(http.StatusOK, jwkJSON("kid-a", &rsaKeyA().PublicKey))
	time.Sleep(fastJWKS.unknownKIDEvery + 100*time.Millisecond)
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
	o := fastJWKS
	o.fetchTimeout = 50 * time.Millisecond
	start := time.Now()
	v := newJWKSVerifier(t, srv, nil, o)

	tok := signRS(t, rsaKeyA(), "kid-a", claimsValid())
	_, err := v.Verify(context.Background(), tok)
	checkRejected(t, err, tok, reasonKeysUnavailable)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("start-up and Verify took %v despite the fetch timeout", d)
	}
}

func TestJWKSConcurrentKnownKid(t *testing.T) {
	key := rsaKeyA()
	srv := newJWKSServer(t, jwkJSON("kid-a", &key.PublicKey))
	v := newJWKSVerifier(t, srv, nil, defaultJWKSOptions)
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

// TestJWKSKeySelection publishes keys that must not verify RS256 tokens next to ones that
// must, the way Keycloak publishes encryption keys next to signing keys.
func TestJWKSKeySelection(t *testing.T) {
	good := rsaKeyA()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	field := func(kid string, pub *rsa.PublicKey, k, v string) map[string]string {
		m := jwkJSON(kid, pub)
		m[k] = v
		return m
	}
	bare := jwkJSON("no-use-no-alg", &good.PublicKey)
	delete(bare, "use")
	delete(bare, "alg")
	ecJWK := map[string]string{
		"kty": "EC", "kid": "ec", "crv": "P-256", "use": "sig",
		"x": b64(ec.X.FillBytes(make([]byte, 32))), "y": b64(ec.Y.FillBytes(make([]byte, 32))),
	}
	srv := newJWKSServer(t,
		jwkJSON("good", &good.PublicKey),
		bare,
		field("enc", &good.PublicKey, "use", "enc"),
		field("oaep", &good.PublicKey, "alg", "RSA-OAEP"),
		jwkJSON("small", &small.PublicKey),
		ecJWK,
	)
	v := newJWKSVerifier(t, srv, nil, defaultJWKSOptions)

	tests := []struct {
		kid        string
		key        *rsa.PrivateKey
		wantReason string
	}{
		{"good", good, ""},
		{"no-use-no-alg", good, ""},
		{"enc", good, reasonUnknownKey},
		{"oaep", good, reasonUnknownKey},
		{"small", small, reasonUnknownKey},
		{"ec", good, reasonUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.kid, func(t *testing.T) {
			tok := signRS(t, tt.key, tt.kid, claimsValid())
			_, err := v.Verify(context.Background(), tok)
			if tt.wantReason == "" {
				if err != nil {
					t.Errorf("Verify: %v", err)
				}
				return
			}
			checkRejected(t, err, tok, tt.wantReason)
		})
	}
}

// TestVerifierClose stops the background refresh.
func TestVerifierClose(t *testing.T) {
	srv := newJWKSServer(t, jwkJSON("kid-a", &rsaKeyA().PublicKey))
	o := fastJWKS
	o.refreshEvery = 20 * time.Millisecond
	v := newJWKSVerifier(t, srv, nil, o)
	waitForHits(t, srv, 3)
	v.Close()
	time.Sleep(50 * time.Millisecond) // a refresh in flight may still land
	after := srv.hits.Load()
	time.Sleep(200 * time.Millisecond)
	if got := srv.hits.Load(); got != after {
		t.Errorf("jwks fetches went from %d to %d after Close", after, got)
	}
	if _, err := v.Verify(context.Background(), signRS(t, rsaKeyA(), "kid-a", claimsValid())); err != nil {
		t.Errorf("Verify after Close: %v", err)
	}
}
