package auth

import "errors"

// ErrUnauthenticated is wrapped by every error Verify returns, so callers can
// map any verification failure to HTTP 401 or the UNAUTHENTICATED code with
// errors.Is.
var ErrUnauthenticated = errors.New("unauthenticated")

// Error reports why a token was rejected.
//
// Its message is Reason alone, a fixed phrase chosen by this package, so it
// is safe to send to clients and to log: it never contains the token, a key
// or the secret. Err keeps the underlying cause for errors.Is and debugging.
type Error struct {
	// Reason is the client-safe description, such as "token expired".
	Reason string
	// Err is the underlying cause; it may be nil.
	Err error
}

func (e *Error) Error() string { return e.Reason }

// Unwrap returns ErrUnauthenticated and the cause, so errors.Is matches both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrUnauthenticated}
	}
	return []error{ErrUnauthenticated, e.Err}
}

// Reasons given in Error. They are phrased for API clients.
const (
	reasonMissing         = "missing token"
	reasonMalformed       = "malformed token"
	reasonAlgorithm       = "unsupported token algorithm"
	reasonNoKeyID         = "token has no key id"
	reasonUnknownKey      = "unknown signing key"
	reasonKeysUnavailable = "signing keys unavailable"
	reasonSignature       = "invalid token signature"
	reasonExpired         = "token expired"
	reasonNoExpiry        = "token has no expiry"
	reasonNotYetValid     = "token not yet valid"
	reasonIssuer          = "invalid token issuer"
	reasonAudience        = "invalid token audience"
	reasonNoSubject       = "token has no subject"
	reasonNotAccess       = "token is not an access token"
	reasonClaims          = "invalid token claims"
	reasonInvalid         = "invalid token"
	reasonBadHeader       = "malformed authorization header"
)

// Internal causes raised by the key lookup; Verify turns them into reasons.
var (
	errAlgNotAllowed   = errors.New("signing algorithm not allowed")
	errNoKeyID         = errors.New("token header has no kid")
	errUnknownKey      = errors.New("no signing key with that kid")
	errKeysUnavailable = errors.New("signing keys unavailable")
)
