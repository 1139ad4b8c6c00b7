package middleware

import (
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// CompressionLevel is the gzip level of compressed answers. Level 1 (BestSpeed) costs a
// quarter of the CPU of gzip's default level 6 on the 100-gateway list and makes it only a
// few per cent larger (see README, "Compression").
const CompressionLevel = 1

// compressedTypes are the answers worth compressing: GraphQL's JSON. Anything else, notably
// a stream (text/event-stream, multipart/mixed), passes as it is.
var compressedTypes = []string{"application/json", "application/graphql-response+json"}

// Compress gzip-compresses next's answers of at least minBytes for clients that send
// Accept-Encoding: gzip, and adds Vary: Accept-Encoding to every answer so that caches keep
// the two forms apart. Smaller answers, HEAD requests, answers that are not JSON and
// requests to upgrade the connection (WebSocket) pass untouched. minBytes 0 turns
// compression off: next is returned as it is.
//
// The status line waits until the size is known, so a status decided after the body began
// (graph's 401 and 503) is kept; what next sets in headers before its first Write (the
// status, Content-Type) is what the client gets.
func Compress(minBytes int, next http.Handler) http.Handler {
	h, err := compressAt(CompressionLevel, minBytes, next)
	if err != nil {
		// gzhttp refuses only a level out of range or a negative size: neither can reach here.
		panic("middleware.Compress: " + err.Error())
	}
	return h
}

// compressAt is Compress at a gzip level, for measuring the levels.
func compressAt(level, minBytes int, next http.Handler) (http.Handler, error) {
	if minBytes <= 0 {
		return next, nil
	}
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(minBytes),
		gzhttp.CompressionLevel(level),
		gzhttp.ContentTypes(compressedTypes),
		// gzip only: every HTTP client decodes it, and one encoding keeps the cost measured
		// and the setting's meaning plain.
		gzhttp.EnableZstd(false),
	)
	if err != nil {
		return nil, err
	}
	compressed := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		compressed.ServeHTTP(w, r)
	}), nil
}

// isUpgrade reports whether r asks to switch protocols (a WebSocket handshake): its answer
// is the connection itself, never a body to compress.
func isUpgrade(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" {
		return true
	}
	for _, v := range r.Header.Values("Connection") {
		for _, token := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), "upgrade") {
				return true
			}
		}
	}
	return false
}
