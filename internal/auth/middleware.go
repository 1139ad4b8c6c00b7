package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Middleware authenticates requests by their Authorization header.
//
// Without the header the request continues anonymously, so that the
// playground can load the schema by introspection; the GraphQL layer rejects
// data fields that need a principal. A header that is not "Bearer <token>",
// or whose token fails Verify, gets a 401 GraphQL-shaped response and next is
// not called. Otherwise the principal is stored in the request context.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Authorization")
		if len(values) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		raw, ok := bearerToken(values)
		if !ok {
			WriteUnauthenticated(w, reasonBadHeader)
			return
		}
		p, err := v.Verify(r.Context(), raw)
		if err != nil {
			WriteUnauthenticated(w, clientMessage(err))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// bearerToken extracts the token from Authorization header values. The
// scheme is case-insensitive (RFC 9110); more than one header is ambiguous.
func bearerToken(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// clientMessage returns the client-safe text of a Verify error. Only *Error
// messages are known to be free of token material.
func clientMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return reasonInvalid
}

type gqlErrorBody struct {
	Errors []gqlError `json:"errors"`
}

type gqlError struct {
	Message    string        `json:"message"`
	Extensions gqlExtensions `json:"extensions"`
}

type gqlExtensions struct {
	Code string `json:"code"`
}

// WriteUnauthenticated writes a 401 response with the body
// {"errors":[{"message":msg,"extensions":{"code":"UNAUTHENTICATED"}}]}.
// msg is sent verbatim, so it must not contain the token.
func WriteUnauthenticated(w http.ResponseWriter, msg string) {
	if msg == "" {
		msg = ErrUnauthenticated.Error()
	}
	body, _ := json.Marshal(gqlErrorBody{Errors: []gqlError{{
		Message:    msg,
		Extensions: gqlExtensions{Code: CodeUnauthenticated},
	}}})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("WWW-Authenticate", "Bearer")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write(append(body, '\n'))
}
