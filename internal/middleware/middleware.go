// Package middleware holds the HTTP plumbing around the API: request ids, access logs,
// metrics and request size limits.
package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// Request is what the access log learns about a request while it is served.
type Request struct {
	ID string
	// Operation is the GraphQL operation name, set by the GraphQL layer.
	Operation string
	// Field names the operation in metrics: its root field, or one of the Operation*
	// constants. Unlike Operation it is never chosen by the client.
	Field string
	// Errors counts the GraphQL errors of the response.
	Errors int
}

type requestKey struct{}

// RequestFrom returns the request's log record, or a throw-away one outside a request.
func RequestFrom(ctx context.Context) *Request {
	if r, ok := ctx.Value(requestKey{}).(*Request); ok {
		return r
	}
	return &Request{}
}

var requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "http_request_duration_seconds",
	Help:    "Time to serve HTTP requests, by route and status code.",
	Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
}, []string{"route", "code"})

// Collectors are the metrics this package records, for registration.
var Collectors = []prometheus.Collector{requestDuration, operations, operationDuration, userErrors}

// Log gives every request an id (kept from X-Request-ID when the client sends a sane one),
// limits its body, and writes one access-log line and one metric sample when it ends. It
// never logs headers, bodies or tokens.
func Log(logger *slog.Logger, route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		req := &Request{ID: requestID(r.Header.Get("X-Request-ID"))}
		w.Header().Set("X-Request-ID", req.ID)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if r.ContentLength > MaxBodyBytes {
			rec.Header().Set("Content-Type", "application/json")
			rec.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = io.WriteString(rec, `{"errors":[{"message":"the request body exceeds 1 MiB","extensions":{"code":"REQUEST_TOO_LARGE"}}]}`)
		} else {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestKey{}, req)))
		}
		d := time.Since(start)
		requestDuration.WithLabelValues(route, strconv.Itoa(rec.status)).Observe(d.Seconds())
		outcome := "ok"
		switch {
		case rec.status >= 500:
			outcome = "error"
		case rec.status >= 400 || req.Errors > 0:
			outcome = "refused"
		}
		observeOperation(req, outcome, d.Seconds())
		if h := logger.Handler(); h.Enabled(r.Context(), slog.LevelInfo) {
			// As logger.LogAttrs, less the caller's PC (no handler here adds the source): its
			// runtime.Callers was a quarter of the line's cost.
			line := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
			line.AddAttrs(slog.String("request_id", req.ID), slog.String("method", r.Method),
				slog.String("route", route), slog.String("operation", req.Operation),
				slog.Int("status", rec.status), slog.Int("errors", req.Errors),
				slog.String("outcome", outcome), slog.Float64("duration_ms", float64(d.Microseconds())/1000))
			_ = h.Handle(r.Context(), line)
		}
	})
}

func requestID(sent string) string {
	if n := len(sent); n > 0 && n <= 64 {
		ok := true
		for _, c := range sent {
			if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				ok = false
				break
			}
		}
		if ok {
			return sent
		}
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
