package middleware

import (
	"net/http"

	"github.com/rs/cors"
)

// CORS lets browser apps served from allowedOrigins (as config.Config.CORSAllowedOrigins:
// exact origins, one "*" inside an origin, or "*" alone) call next with the request headers
// allowedHeaders names (as config.Config.CORSAllowedHeaders; "*" for any), and answers their
// preflight requests itself, before authentication. A preflight that asks for a header not
// allowed gets no CORS headers, so the browser refuses the call. With no origins, next is
// returned as is and browsers refuse every cross-origin call.
//
// Credentials (cookies, TLS client certificates) are never allowed: the API authenticates with
// a bearer token that the app sends in the Authorization header, so it needs none, and leaving
// them out makes "*" safe too — a page on any origin can only use a token it already holds.
func CORS(allowedOrigins, allowedHeaders []string, next http.Handler) http.Handler {
	if len(allowedOrigins) == 0 {
		return next // rs/cors reads an empty list as "every origin"
	}
	if len(allowedHeaders) == 0 {
		// rs/cors reads an empty list as its own defaults, which lack Authorization.
		allowedHeaders = []string{"Authorization", "Content-Type"}
	}
	return cors.New(cors.Options{
		AllowedOrigins:   allowedOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   allowedHeaders,
		ExposedHeaders:   []string{"X-Request-ID"},
		AllowCredentials: false,
		MaxAge:           600, // seconds a browser may reuse a preflight answer
	}).Handler(next)
}
