package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTTL is the lifetime of minted tokens when Claims.TTL is zero.
const DefaultTTL = time.Hour

// Claims describes a token to mint.
type Claims struct {
	// Subject becomes sub; it is required.
	Subject string
	// Roles go to the top-level roles claim.
	Roles []string
	// CustomerIDs go to customer_ids; each must be a UUID.
	CustomerIDs []string
	// DealerCodes go to dealer_codes.
	DealerCodes []string
	// TTL is the lifetime from now. Zero means DefaultTTL; a negative TTL
	// yields an already expired token, which tests use.
	TTL time.Duration
	// Issuer and Audience, if set, become iss and aud.
	Issuer   string
	Audience string
}

// MintHS256 returns a token for c signed with secret, in the layout Verify
// reads. It serves dev mode's printed admin token, the token command and
// tests.
func MintHS256(secret []byte, c Claims) (string, error) {
	if len(secret) < MinSecretLen {
		return "", fmt.Errorf("auth: hs256 secret is shorter than %d bytes", MinSecretLen)
	}
	if c.Subject == "" {
		return "", errors.New("auth: token subject is required")
	}
	// Verify would reject the token anyway; failing here names the cause.
	if _, err := canonicalUUIDs(c.CustomerIDs); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := time.Now()
	tc := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   c.Subject,
			Issuer:    c.Issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Roles:       c.Roles,
		CustomerIDs: c.CustomerIDs,
		DealerCodes: c.DealerCodes,
	}
	if c.Audience != "" {
		tc.Audience = jwt.ClaimStrings{c.Audience}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, tc).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return s, nil
}
