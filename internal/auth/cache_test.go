package auth

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// In these tests the verifier's key changes after a token was verified: a token that still
// verifies can only have come from the cache, one that fails was verified in full.

// TestTokenCacheExpiry: a verified token is served from the cache until its exp, never at or
// after it.
func TestTokenCacheExpiry(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	v := newTestVerifier(t, Config{HS256Secret: secret})
	t0 := time.Now().Truncate(time.Second)
	v.now = func() time.Time { return t0 }
	tok := signHS(t, secret, with(claimsValid(), map[string]any{"exp": t0.Add(time.Minute).Unix()}))
	ctx := context.Background()
	p, err := v.Verify(ctx, tok)
	if err != nil || p.Subject != "user-1" {
		t.Fatalf("Verify: %v, %v", p, err)
	}
	v.secret = []byte("another-secret-of-32-bytes-or-more!!")
	v.now = func() time.Time { return t0.Add(59 * time.Second) }
	if p, err := v.Verify(ctx, tok); err != nil || p.Subject != "user-1" {
		t.Errorf("before exp: %v, %v; want the cached principal", p, err)
	}
	v.now = func() time.Time { return t0.Add(time.Minute) }
	_, err = v.Verify(ctx, tok)
	checkRejected(t, err, tok, reasonSignature)
	// A full verification still grants the leeway: with the right key, 10 s past exp passes.
	v.secret = secret
	v.now = func() time.Time { return t0.Add(70 * time.Second) }
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Errorf("within the leeway: %v", err)
	}
}

// TestTokenCacheRefusedNotCached: a token with a wrong signature, or refused for another
// reason, is never cached.
func TestTokenCacheRefusedNotCached(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	v := newTestVerifier(t, Config{HS256Secret: secret})
	ctx := context.Background()
	forged := signHS(t, []byte("not-the-secret-not-the-secret-not!"), claimsValid())
	noSubject := signHS(t, secret, with(claimsValid(), map[string]any{"sub": nil}))
	for range 2 {
		_, err := v.Verify(ctx, forged)
		checkRejected(t, err, forged, reasonSignature)
		_, err = v.Verify(ctx, noSubject)
		checkRejected(t, err, noSubject, reasonNoSubject)
	}
	if n := v.cache.lru.Len(); n != 0 {
		t.Errorf("%d refused tokens cached, want none", n)
	}
}

// TestTokenCacheBounded: the cache holds at most its size, the least recently used out.
func TestTokenCacheBounded(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	v := newTestVerifier(t, Config{HS256Secret: secret})
	v.cache = newTokenCache(3)
	ctx := context.Background()
	var toks []string
	for i := range 5 {
		tok := signHS(t, secret, with(claimsValid(), map[string]any{"sub": fmt.Sprint("user-", i)}))
		toks = append(toks, tok)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.cache.lru.Len(); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
	v.secret = []byte("another-secret-of-32-bytes-or-more!!")
	if _, err := v.Verify(ctx, toks[0]); err == nil {
		t.Error("the oldest token was still cached")
	}
	if p, err := v.Verify(ctx, toks[4]); err != nil || p.Subject != "user-4" {
		t.Errorf("the newest token: %v, %v; want it cached", p, err)
	}
}

// TestTokenCacheKeyRotation: an RS256 token is served from the cache only while the JWKS
// holds the key that verified it under its kid; once the identity provider replaces that
// key (same kid, another key) the token is verified again, and refused.
func TestTokenCacheKeyRotation(t *testing.T) {
	keyA, keyB := rsaKeyA(), rsaKeyB()
	srv := newJWKSServer(t, jwkJSON("kid-a", &keyA.PublicKey))
	o := fastJWKS
	o.refreshEvery = 50 * time.Millisecond
	v := newJWKSVerifier(t, srv, nil, o)
	ctx := context.Background()
	tok := signRS(t, keyA, "kid-a", claimsValid())
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if n := v.cache.lru.Len(); n != 1 {
		t.Fatalf("%d entries after a verified token, want 1", n)
	}
	srv.set(http.StatusOK, jwkJSON("kid-a", &keyB.PublicKey))
	waitForHits(t, srv, srv.hits.Load()+2)
	_, err := v.Verify(ctx, tok)
	checkRejected(t, err, tok, reasonSignature)
	if n := v.cache.lru.Len(); n != 0 {
		t.Errorf("%d entries after the key rotated, want 0", n)
	}
}
