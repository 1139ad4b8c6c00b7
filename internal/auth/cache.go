package auth

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// A client sends the same token with every request until it expires, and verifying it
// (parsing, an RS256 signature check, the claims) costs more than the rest of a small
// request's authentication. The verifier keeps the principals of the tokens it verified:
//
//   - keyed by the token's SHA-256, so that the cache holds no token;
//   - only after a verification that succeeded: a token with a wrong signature, or any other
//     refused token, is never cached and is checked in full every time;
//   - an entry is never used at or past the token's exp (the leeway a full verification grants
//     for clock skew is not extended by the cache);
//   - an RS256 entry is used only while the JWKS still holds, under the token's kid, the key
//     that verified it: once the identity provider rotates or revokes it (the background
//     refresh drops it), the token is verified again, and refused;
//   - bounded to tokenCacheSize entries, least recently used out first.

// tokenCacheSize bounds the verified-token cache: about a few hundred bytes an entry.
const tokenCacheSize = 10_000

// verified is a cached verification.
type verified struct {
	principal *Principal
	exp       time.Time
	// kid and key are the JWKS key that verified an RS256 token; nil key for HS256.
	kid string
	key *rsa.PublicKey
}

// tokenCache holds the principals of verified tokens.
type tokenCache struct {
	lru *lru.Cache[[sha256.Size]byte, verified]
}

func newTokenCache(size int) *tokenCache {
	c, err := lru.New[[sha256.Size]byte, verified](size)
	if err != nil {
		panic(err) // only for a size < 1
	}
	return &tokenCache{lru: c}
}

// get returns the principal of the token whose hash is sum, when it was verified, has not
// expired at now, and its RS256 key is still the JWKS's (keys nil: HS256 only).
func (c *tokenCache) get(ctx context.Context, sum [sha256.Size]byte, now time.Time, keys *jwks) (*Principal, bool) {
	e, ok := c.lru.Get(sum)
	if !ok {
		return nil, false
	}
	if !now.Before(e.exp) || (e.key != nil && !keys.holds(ctx, e.kid, e.key)) {
		c.lru.Remove(sum)
		return nil, false
	}
	p := *e.principal // each request its own copy
	return &p, true
}

// add keeps a verification.
func (c *tokenCache) add(sum [sha256.Size]byte, e verified) { c.lru.Add(sum, e) }

// holds tells whether the key set still holds key under kid.
func (j *jwks) holds(ctx context.Context, kid string, key *rsa.PublicKey) bool {
	if j == nil {
		return false
	}
	k, err := j.storage.KeyRead(ctx, kid)
	if err != nil {
		return false
	}
	pub, ok := k.Key().(*rsa.PublicKey)
	return ok && pub.Equal(key)
}
