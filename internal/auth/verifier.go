package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const (
	// MinSecretLen is the shortest HS256 secret accepted. RFC 7518 requires
	// HMAC keys at least as long as the hash output; shorter secrets can be
	// brute-forced from a single token.
	MinSecretLen = 32

	// leeway absorbs clock skew between the token issuer and this service.
	leeway = 30 * time.Second

	// maxTokenLen bounds the work spent on junk input. Keycloak tokens with
	// many roles stay well below it.
	maxTokenLen = 16 << 10
)

// Config configures a Verifier. At least one of HS256Secret and JWKSURL must
// be set; with both, a token's alg header picks the key.
type Config struct {
	// HS256Secret verifies HS256 tokens (development and tests). It must be
	// at least MinSecretLen bytes long.
	HS256Secret []byte
	// JWKSURL is where RS256 verification keys are fetched from, such as
	// https://kc.example/realms/pay/protocol/openid-connect/certs.
	JWKSURL string
	// Issuer, if set, must equal the token's iss claim.
	Issuer string
	// Audience, if set, must be one of the token's aud values.
	Audience string
	// HTTPClient fetches the JWKS. Nil means a client with a short timeout.
	HTTPClient *http.Client
	// Logger receives JWKS fetch failures, which otherwise would only show up
	// as rejected tokens. Nil means slog.Default(). Tokens are never logged.
	Logger *slog.Logger
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	secret   []byte
	jwks     *jwks // nil without a JWKS URL
	algs     []string
	issuer   string
	audience string
	now      func() time.Time
	// cache keeps the principals of verified tokens (cache.go).
	cache *tokenCache
}

// NewVerifier returns a Verifier for cfg. With a JWKS URL it fetches the key
// set once, waiting at most a few seconds; a failure is logged, not returned,
// so that the service can start while the identity provider is still down.
// Keys are then refreshed in the background until Close.
func NewVerifier(cfg Config) (*Verifier, error) {
	return newVerifier(cfg, defaultJWKSOptions)
}

func newVerifier(cfg Config, jo jwksOptions) (*Verifier, error) {
	if len(cfg.HS256Secret) == 0 && cfg.JWKSURL == "" {
		return nil, errors.New("auth: no verification key configured: set an HS256 secret or a JWKS URL")
	}
	v := &Verifier{issuer: cfg.Issuer, audience: cfg.Audience, now: time.Now, cache: newTokenCache(tokenCacheSize)}
	if len(cfg.HS256Secret) > 0 {
		if len(cfg.HS256Secret) < MinSecretLen {
			return nil, fmt.Errorf("auth: hs256 secret is shorter than %d bytes", MinSecretLen)
		}
		// Copy so that later changes to the caller's slice cannot alter the key.
		v.secret = bytes.Clone(cfg.HS256Secret)
		v.algs = append(v.algs, jwt.SigningMethodHS256.Alg())
	}
	if cfg.JWKSURL != "" {
		u, err := url.Parse(cfg.JWKSURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("auth: jwks url must be an absolute http or https url")
		}
		logger := cfg.Logger
		if logger == nil {
			logger = slog.Default()
		}
		keys, err := newJWKS(cfg.JWKSURL, cfg.HTTPClient, logger, jo)
		if err != nil {
			return nil, err
		}
		v.jwks = keys
		v.algs = append(v.algs, jwt.SigningMethodRS256.Alg())
	}
	return v, nil
}

// Close stops the background refresh of the JWKS. Verify still works with
// the keys fetched so far.
func (v *Verifier) Close() {
	if v.jwks != nil {
		v.jwks.close()
	}
}

// Verify checks raw, a compact JWT without the "Bearer " prefix, and returns
// the principal it names. ctx bounds a JWKS fetch, if one is needed.
//
// Every error is an *Error wrapping ErrUnauthenticated whose message is safe
// to show to clients.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Principal, error) {
	if raw == "" {
		return nil, &Error{Reason: reasonMissing}
	}
	if len(raw) > maxTokenLen {
		return nil, &Error{Reason: reasonMalformed}
	}
	sum := sha256.Sum256([]byte(raw))
	if p, ok := v.cache.get(ctx, sum, v.now(), v.jwks); ok {
		return p, nil
	}
	var c tokenClaims
	var used verified
	tok, err := jwt.NewParser(v.parserOptions()...).ParseWithClaims(raw, &c, v.keyFunc(ctx, &used))
	if err != nil {
		return nil, v.classify(tok, &c, err)
	}
	p, err := c.principal()
	if err != nil {
		return nil, err
	}
	used.principal, used.exp = p, c.ExpiresAt.Time // exp is required: the parser checked it
	v.cache.add(sum, used)
	cp := *p
	return &cp, nil
}

func (v *Verifier) parserOptions() []jwt.ParserOption {
	opts := []jwt.ParserOption{
		// The key function checks the algorithm too; this is a second guard
		// against alg "none" and key confusion.
		jwt.WithValidMethods(v.algs),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(v.now),
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	return opts
}

// keyFunc picks the verification key by the token's alg, and notes an RS256
// key and its kid in used. Each algorithm maps to exactly one key type, so an
// HS256 token can never be checked against bytes of an RSA public key.
func (v *Verifier) keyFunc(ctx context.Context, used *verified) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		switch t.Method.Alg() {
		case jwt.SigningMethodHS256.Alg():
			if v.secret == nil {
				return nil, errAlgNotAllowed
			}
			return v.secret, nil
		case jwt.SigningMethodRS256.Alg():
			if v.jwks == nil {
				return nil, errAlgNotAllowed
			}
			kid, _ := t.Header["kid"].(string)
			if kid == "" {
				return nil, errNoKeyID
			}
			key, err := v.jwks.key(ctx, t)
			used.kid, used.key = kid, key
			return key, err
		default:
			return nil, errAlgNotAllowed
		}
	}
}

// classify turns a parse error into an *Error with a client-safe reason.
// The order matters: jwt joins all failed claim checks into one error, and
// the first matching case names the most useful problem.
func (v *Verifier) classify(tok *jwt.Token, c *tokenClaims, err error) error {
	var reason string
	switch {
	case errors.Is(err, errNoKeyID):
		reason = reasonNoKeyID
	case errors.Is(err, errUnknownKey):
		reason = reasonUnknownKey
	case errors.Is(err, errKeysUnavailable):
		reason = reasonKeysUnavailable
	case errors.Is(err, errAlgNotAllowed),
		tok != nil && tok.Method != nil && !slices.Contains(v.algs, tok.Method.Alg()),
		errors.Is(err, jwt.ErrTokenUnverifiable): // alg missing or unknown to jwt
		reason = reasonAlgorithm
	case errors.Is(err, jwt.ErrTokenMalformed):
		reason = reasonMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		reason = reasonSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		reason = reasonExpired
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && c.ExpiresAt == nil:
		reason = reasonNoExpiry
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		reason = reasonNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer),
		errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && v.issuer != "" && c.Issuer == "":
		reason = reasonIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience),
		errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && v.audience != "":
		reason = reasonAudience
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		reason = reasonClaims
	default:
		reason = reasonInvalid
	}
	return &Error{Reason: reason, Err: err}
}

// tokenClaims is the payload layout shared by Verify and MintHS256.
type tokenClaims struct {
	jwt.RegisteredClaims
	// Type is Keycloak's token type: "Bearer" for access tokens, "ID" for
	// ID tokens. Other issuers leave it out.
	Type        string       `json:"typ,omitempty"`
	RealmAccess *realmAccess `json:"realm_access,omitempty"`
	Roles       stringList   `json:"roles,omitempty"`
	CustomerIDs stringList   `json:"customer_ids,omitempty"`
	DealerCodes stringList   `json:"dealer_codes,omitempty"`
}

type realmAccess struct {
	Roles stringList `json:"roles,omitempty"`
}

// principal checks the claims the jwt package does not know about and builds
// the Principal.
func (c *tokenClaims) principal() (*Principal, error) {
	if c.Subject == "" {
		// Without a subject, changes could not be attributed in the audit log.
		return nil, &Error{Reason: reasonNoSubject}
	}
	// Keycloak ID tokens are signed with the same keys as access tokens;
	// they must not be usable as bearer tokens.
	if c.Type != "" && !strings.EqualFold(c.Type, "Bearer") {
		return nil, &Error{Reason: reasonNotAccess}
	}
	customers, err := canonicalUUIDs(c.CustomerIDs)
	if err != nil {
		return nil, &Error{Reason: reasonClaims, Err: err}
	}
	var roles []string
	if c.RealmAccess != nil {
		roles = append(roles, c.RealmAccess.Roles...)
	}
	roles = append(roles, c.Roles...)
	p := &Principal{
		Subject:     c.Subject,
		Roles:       uniqueNonEmpty(roles),
		CustomerIDs: customers,
		DealerCodes: uniqueNonEmpty(c.DealerCodes),
	}
	if c.ExpiresAt != nil {
		p.Expires = c.ExpiresAt.Time
	}
	return p, nil
}

// canonicalUUIDs parses ids as UUIDs and returns them in canonical lowercase
// form, so that comparisons with database IDs do not depend on how the
// identity provider spelled them.
func canonicalUUIDs(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for i, s := range ids {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("customer_ids[%d] is not a uuid: %w", i, err)
		}
		out = append(out, id.String())
	}
	return uniqueNonEmpty(out), nil
}

// uniqueNonEmpty drops empty strings, which would otherwise match records
// with an empty code, and duplicates, keeping the first occurrence.
func uniqueNonEmpty(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// stringList is a JSON array of strings that also accepts a single string,
// which is what a Keycloak attribute mapper emits unless it is marked
// multivalued.
type stringList []string

func (l *stringList) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*l = nil
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*l = stringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(data, &ss); err != nil {
		return errors.New("expected a string or an array of strings")
	}
	*l = ss
	return nil
}
