package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	// jwksFetchTimeout bounds one JWKS request, including waiting requests.
	jwksFetchTimeout = 5 * time.Second
	// jwksMinRefetch limits fetches triggered by unknown kids, so tokens
	// with made-up kids cannot make us hammer the identity provider.
	jwksMinRefetch = 30 * time.Second
	// jwksMaxAge makes the cache pick up keys that were removed (revoked)
	// at the identity provider, not only new ones.
	jwksMaxAge = 15 * time.Minute
	// jwksMaxBody caps the response size; a realm has a handful of keys.
	jwksMaxBody = 1 << 20
	// RSA key sizes accepted from the JWKS.
	minRSABits = 2048
	maxRSABits = 8192
)

// jwksCache holds the RS256 keys of a JWKS endpoint, fetched lazily.
type jwksCache struct {
	url          string
	client       *http.Client
	logger       *slog.Logger
	now          func() time.Time
	fetchTimeout time.Duration

	// sem admits one fetch at a time, so a burst of tokens signed with a
	// new key costs one request. A channel rather than a mutex lets waiters
	// give up when their request is cancelled.
	sem chan struct{}

	mu        sync.RWMutex
	keys      map[string]*rsa.PublicKey
	fetched   time.Time // last successful fetch
	attempted time.Time // last fetch, successful or not
}

func newJWKSCache(url string, client *http.Client, logger *slog.Logger) *jwksCache {
	if client == nil {
		client = &http.Client{Timeout: jwksFetchTimeout}
	}
	return &jwksCache{
		url:          url,
		client:       client,
		logger:       logger,
		now:          time.Now,
		fetchTimeout: jwksFetchTimeout,
		sem:          make(chan struct{}, 1),
	}
}

// key returns the key with the given kid, fetching the key set if the kid is
// unknown or the set is old, subject to jwksMinRefetch.
func (c *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if k, fresh := c.lookup(kid); k != nil && fresh {
		return k, nil
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", errKeysUnavailable, ctx.Err())
	}
	defer func() { <-c.sem }()

	// Another request may have fetched while this one waited.
	k, fresh := c.lookup(kid)
	if k != nil && fresh {
		return k, nil
	}
	var fetchErr error
	if c.mayFetch() {
		fetchErr = c.refresh(ctx)
		k, _ = c.lookup(kid)
	}
	switch {
	case k != nil:
		// Possibly stale, which beats rejecting every token while the
		// identity provider is unreachable.
		return k, nil
	case fetchErr != nil:
		return nil, fetchErr
	case !c.hasFetched():
		return nil, fmt.Errorf("%w: no successful fetch yet", errKeysUnavailable)
	default:
		return nil, errUnknownKey
	}
}

func (c *jwksCache) lookup(kid string) (key *rsa.PublicKey, fresh bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.keys[kid], c.now().Sub(c.fetched) < jwksMaxAge
}

func (c *jwksCache) mayFetch() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.attempted.IsZero() || c.now().Sub(c.attempted) >= jwksMinRefetch
}

func (c *jwksCache) hasFetched() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return !c.fetched.IsZero()
}

// refresh replaces the key set. On failure the old keys stay in use.
func (c *jwksCache) refresh(ctx context.Context) error {
	c.mu.Lock()
	c.attempted = c.now()
	c.mu.Unlock()

	keys, err := c.fetch(ctx)
	if err != nil {
		c.logger.WarnContext(ctx, "auth: fetching jwks failed", "url", c.url, "err", err)
		return fmt.Errorf("%w: %w", errKeysUnavailable, err)
	}
	c.mu.Lock()
	c.keys = keys
	c.fetched = c.now()
	c.mu.Unlock()
	return nil
}

func (c *jwksCache) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	// The fetch serves every waiting request, so one client hanging up
	// must not abort it; the timeout still bounds it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("build jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get jwks: unexpected status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read jwks: %w", err)
	}
	if len(body) > jwksMaxBody {
		return nil, fmt.Errorf("read jwks: body exceeds %d bytes", jwksMaxBody)
	}
	return parseJWKS(body)
}

// jwk is the subset of RFC 7517 fields needed for RSA signature keys.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// parseJWKS returns the RS256 signature keys of a JWKS document by kid.
// Keys of other types or uses are skipped rather than rejected: Keycloak
// publishes encryption keys (RSA-OAEP) next to signing keys.
func parseJWKS(data []byte) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decode jwks: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey)
	var skipped []error
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		if k.Kid == "" {
			skipped = append(skipped, errors.New("rsa key without kid"))
			continue
		}
		if _, dup := keys[k.Kid]; dup {
			continue // keep the first, as a kid must be unique
		}
		pub, err := rsaPublicKey(k.N, k.E)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %q: %w", k.Kid, err))
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("jwks has no usable rs256 keys: %w", errors.Join(skipped...))
	}
	return keys, nil
}

func rsaPublicKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := decodeB64URL(n64)
	if err != nil {
		return nil, fmt.Errorf("decode modulus: %w", err)
	}
	eb, err := decodeB64URL(e64)
	if err != nil {
		return nil, fmt.Errorf("decode exponent: %w", err)
	}
	n := new(big.Int).SetBytes(nb)
	if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("modulus has %d bits, want %d to %d", bits, minRSABits, maxRSABits)
	}
	e := new(big.Int).SetBytes(eb)
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("exponent out of range")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// decodeB64URL decodes base64url with or without padding; RFC 7518 says
// unpadded, but some issuers pad.
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
