package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// minRSABits is the smallest RSA key accepted from the JWKS.
const minRSABits = 2048

// jwksOptions tunes how the key set is kept; tests shorten the intervals.
type jwksOptions struct {
	// fetchTimeout bounds one JWKS request.
	fetchTimeout time.Duration
	// refreshEvery is the background refresh, which also drops keys the identity provider
	// removed (revoked), not only adds new ones.
	refreshEvery time.Duration
	// unknownKIDEvery allows one extra refresh per interval for a token whose kid is not in
	// the set (the identity provider rotated its key). Tokens with made-up kids beyond that
	// are refused at once, so a flood of them costs the identity provider nothing. It must
	// exceed fetchTimeout, the longest a request waits for the rate limiter.
	unknownKIDEvery time.Duration
}

var defaultJWKSOptions = jwksOptions{
	fetchTimeout:    5 * time.Second,
	refreshEvery:    15 * time.Minute,
	unknownKIDEvery: 30 * time.Second,
}

// jwks holds the RS256 keys of a JWKS endpoint through keyfunc and jwkset: fetched when it is
// made, refreshed in the background, and refreshed on an unknown kid at a limited rate.
type jwks struct {
	keyfunc keyfunc.Keyfunc
	storage jwkset.Storage
	stop    context.CancelFunc
}

// newJWKS fetches the key set once (a failure is logged, not returned, so that the service can
// start while the identity provider is down) and starts the background refresh, which runs
// until close.
func newJWKS(url string, client *http.Client, logger *slog.Logger, o jwksOptions) (*jwks, error) {
	if o.fetchTimeout >= o.unknownKIDEvery {
		// Otherwise requests with unknown kids would queue for the limiter.
		return nil, errors.New("auth: jwks: the fetch timeout must be shorter than the unknown-kid interval")
	}
	if client == nil {
		client = &http.Client{Timeout: o.fetchTimeout}
	}
	ctx, stop := context.WithCancel(context.Background())
	remote, err := jwkset.NewStorageFromHTTP(url, jwkset.HTTPClientStorageOptions{
		Client:                    client,
		Ctx:                       ctx,
		HTTPTimeout:               o.fetchTimeout,
		NoErrorReturnFirstHTTPReq: true,
		RefreshErrorHandler: func(ctx context.Context, err error) {
			logger.WarnContext(ctx, "auth: fetching jwks failed", "url", url, "err", err)
		},
		RefreshInterval: o.refreshEvery,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("auth: jwks: %w", err)
	}
	unknownKID := rate.NewLimiter(rate.Every(o.unknownKIDEvery), 1)
	storage, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: map[string]jwkset.Storage{url: remote},
		// Bounds both the wait for the limiter and the refresh it allows. A wait longer than
		// this is refused without waiting, so a rate-limited request fails fast.
		RateLimitWaitMax:  o.fetchTimeout,
		RefreshUnknownKID: unknownKID,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("auth: jwks: %w", err)
	}
	kf, err := keyfunc.New(keyfunc.Options{
		Ctx:     ctx,
		Storage: storage,
		// Keycloak publishes encryption keys (use "enc") next to signing keys; some issuers
		// leave "use" out.
		UseWhitelist: []jwkset.USE{jwkset.UseSig, ""},
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("auth: jwks: %w", err)
	}
	j := &jwks{keyfunc: kf, storage: storage, stop: stop}
	if !j.empty(ctx) {
		// The fetch just made counts as this interval's refresh.
		unknownKID.Allow()
	}
	return j, nil
}

// key returns the RSA public key that t's kid names. Every failure wraps errUnknownKey, or
// errKeysUnavailable while no key at all could be fetched.
func (j *jwks) key(ctx context.Context, t *jwt.Token) (*rsa.PublicKey, error) {
	k, err := j.keyfunc.KeyfuncCtx(ctx)(t)
	if err != nil {
		if j.empty(ctx) {
			return nil, fmt.Errorf("%w: %w", errKeysUnavailable, err)
		}
		return nil, fmt.Errorf("%w: %w", errUnknownKey, err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: key is %T, not rsa", errUnknownKey, k)
	}
	if bits := pub.N.BitLen(); bits < minRSABits {
		return nil, fmt.Errorf("%w: rsa key has %d bits, want at least %d", errUnknownKey, bits, minRSABits)
	}
	return pub, nil
}

func (j *jwks) empty(ctx context.Context) bool {
	keys, err := j.storage.KeyReadAll(ctx)
	return err != nil || len(keys) == 0
}

func (j *jwks) close() { j.stop() }
