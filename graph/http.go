package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/payplat/paygql/internal/middleware"
)

// HTTP status codes follow the GraphQL over HTTP specification:
//
//   - a request that is not a GraphQL request (a body that is not a JSON object, a query that
//     is not a string, no query at all) gets 400, and its body is never quoted back;
//   - with `Accept: application/graphql-response+json`, a request that fails before execution
//     (syntax, validation, variables) gets 400; one that executes gets 200;
//   - with `application/json` (the default), every well-formed request gets 200, its errors in
//     the body's `errors` with `extensions.code`;
//
// with the exceptions that DESIGN fixes: 401 for a missing, malformed or expired token, 413 for
// a body over the limit, however it arrives; and those of HTTP itself: 405 for a method other
// than GET, POST and OPTIONS, 415 for a POST body that is not JSON in UTF-8 (text/plain,
// multipart uploads and form posts included).

// wellFormed answers the requests that are not GraphQL requests before gqlgen sees them:
// gqlgen's own answer quotes the body back, or says only "transport not supported".
func wellFormed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), byGETKey{}, true)))
			return
		case http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed,
				fmt.Sprintf("method %s is not allowed: send a POST with a JSON body, or a GET for a query", r.Method))
			return
		}
		if msg := checkContentType(r.Header.Get("Content-Type")); msg != "" {
			writeError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", msg)
			return
		}
		body, err := io.ReadAll(r.Body)
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
				fmt.Sprintf("the request body exceeds %d bytes", middleware.MaxBodyBytes))
		case err != nil:
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "the request body could not be read")
		default:
			if msg := checkRequest(body); msg != "" {
				writeError(w, http.StatusBadRequest, "BAD_REQUEST", msg)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		}
	})
}

// codeMethodNotAllowed: the request's HTTP method cannot carry it (HTTP 405).
const codeMethodNotAllowed = "METHOD_NOT_ALLOWED"

// byGETKey marks a request that came by GET, which may only run a query.
type byGETKey struct{}

// errNotByGET refuses a mutation (or subscription) sent by GET: HTTP 405, as the GraphQL over
// HTTP specification says, since a GET must not change anything.
var errNotByGET = errors.New("a GET request may only run a query: send mutations by POST")

// checkContentType says what keeps a POST with Content-Type header from being a GraphQL
// request, or "" when nothing does.
func checkContentType(header string) string {
	const want = "send the request body as JSON with Content-Type: application/json"
	if header == "" {
		return "the request has no Content-Type: " + want
	}
	mediaType, params, err := mime.ParseMediaType(header)
	switch {
	case err != nil:
		return "the request's Content-Type cannot be read: " + want
	case mediaType != "application/json":
		if len(mediaType) > 64 { // a token of ASCII characters, cut for the message
			mediaType = mediaType[:64] + "…"
		}
		return fmt.Sprintf("Content-Type %s is not supported: %s (multipart uploads and form posts are not accepted)", mediaType, want)
	case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
		return "the request body must be UTF-8: " + want + " (charset utf-8, or none)"
	}
	return ""
}

// checkRequest says what keeps body from being a GraphQL request, or "" when nothing does.
// Only the shape is checked, cheaply; gqlgen reads the values.
func checkRequest(body []byte) string {
	var req struct {
		Query         json.RawMessage `json:"query"`
		OperationName json.RawMessage `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "the request body is not a JSON object: send {\"query\": \"…\", \"variables\": {…}}"
	}
	kind := func(raw json.RawMessage) byte {
		if len(raw) == 0 || string(raw) == "null" {
			return 0
		}
		return raw[0]
	}
	switch {
	case kind(req.Query) == 0 && kind(req.Extensions) == 0:
		return "the request has no query"
	case kind(req.Query) != 0 && kind(req.Query) != '"':
		return "query must be a string"
	case kind(req.OperationName) != 0 && kind(req.OperationName) != '"':
		return "operationName must be a string"
	case kind(req.Variables) != 0 && kind(req.Variables) != '{':
		return "variables must be a JSON object"
	case kind(req.Extensions) != 0 && kind(req.Extensions) != '{':
		return "extensions must be a JSON object"
	}
	return ""
}

// writeError answers with one GraphQL error.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
