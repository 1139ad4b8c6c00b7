package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/models"
)

// Error codes in errors[].extensions.code besides gqlgen's own.
const (
	codeBadUserInput          = "BAD_USER_INPUT"
	codeInternal              = "INTERNAL_SERVER_ERROR"
	codeIntrospectionDisabled = "INTROSPECTION_DISABLED"
	// codeUnavailable: the database cannot be reached; the response is HTTP 503.
	codeUnavailable = "SERVICE_UNAVAILABLE"
	// codeLockTimeout: the record stayed locked by another change for longer than the
	// database's lock_timeout.
	codeLockTimeout = "LOCK_TIMEOUT"
	// codeTransactionConflict: PostgreSQL rolled the transaction back to resolve a deadlock
	// or serialization failure with a concurrent one.
	codeTransactionConflict = "TRANSACTION_CONFLICT"
)

// Messages of the retryable errors: what happened, that nothing was written, what to do.
const (
	msgUnavailable         = "the database is unavailable: try again shortly"
	msgLockTimeout         = "lock timeout: the record is locked by another change that took too long; nothing was written, try again"
	msgTransactionConflict = "transaction conflict: the database rolled this change back to resolve a deadlock or serialization failure with a concurrent one; nothing was written, try again"
)

// presentError is the one place where errors become GraphQL errors. Known errors keep their
// message and get a code; anything else is logged and shown as a generic internal error, so
// clients never see SQL text or stacks.
func (r *Resolver) presentError(ctx context.Context, err error) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) && gqlErr.Err == nil {
		// Parse, validation and input-coercion errors made by gqlgen itself.
		return redactSecretLiteral(ctx, gqlErr)
	}
	out := graphql.DefaultErrorPresenter(ctx, err)
	var inputErr *models.InputError
	fault := database.FaultOf(err)
	switch {
	case errors.As(err, &inputErr):
		errcode.Set(out, codeBadUserInput)
		if arg := argumentPath(ctx, out.Path); arg != "" {
			out.Message = arg + ": " + out.Message
		}
	case errors.Is(err, auth.ErrUnauthenticated):
		markStatus(ctx, http.StatusUnauthorized)
		errcode.Set(out, auth.CodeUnauthenticated)
	case errors.Is(err, ErrForbidden):
		errcode.Set(out, auth.CodeForbidden)
	case errors.Is(err, errNotByGET):
		markStatus(ctx, http.StatusMethodNotAllowed)
		errcode.Set(out, codeMethodNotAllowed)
	case errors.Is(err, models.ErrBadPage):
		errcode.Set(out, codeBadUserInput)
	case introspectionRefused(ctx):
		out.Message = "introspection is disabled on this server"
		errcode.Set(out, codeIntrospectionDisabled)
	case fault == database.Unavailable:
		r.logger().WarnContext(ctx, "database unavailable", "request_id", middleware.RequestFrom(ctx).ID,
			"error", err, "path", out.Path.String())
		markStatus(ctx, http.StatusServiceUnavailable)
		retryable(out, codeUnavailable, msgUnavailable)
	case fault == database.LockTimedOut:
		retryable(out, codeLockTimeout, msgLockTimeout)
	case fault == database.Conflict:
		retryable(out, codeTransactionConflict, msgTransactionConflict)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		out.Message = "the request took too long or was cancelled"
		errcode.Set(out, "TIMEOUT")
	default:
		r.logger().ErrorContext(ctx, "resolver failed", "request_id", middleware.RequestFrom(ctx).ID,
			"error", err, "path", out.Path.String())
		out.Message = "internal server error"
		out.Extensions = nil
		errcode.Set(out, codeInternal)
	}
	return out
}

// introspectionRefused reports whether the error is gqlgen's answer to __schema or __type
// while introspection is off (production): a plain error, recognised by where it happened.
func introspectionRefused(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) || !graphql.GetOperationContext(ctx).DisableIntrospection {
		return false
	}
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Field.Field != nil && (fc.Field.Name == "__schema" || fc.Field.Name == "__type")
}

// retryable makes out an error that the same request may not meet again: code and message
// replace whatever the cause said (SQL text, addresses), and extensions.retryable is true.
func retryable(out *gqlerror.Error, code, message string) {
	out.Message = message
	out.Extensions = map[string]any{"code": code, "retryable": true}
}

// argumentPath names the argument, inside the field being resolved, at which an input value
// could not be read: path is the field's path followed by the argument's.
func argumentPath(ctx context.Context, path ast.Path) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(path) <= len(fc.Path()) {
		return ""
	}
	return ast.Path(path[len(fc.Path()):]).String()
}

// recoverPanic turns a resolver's panic into an internal error and logs it.
func (r *Resolver) recoverPanic(ctx context.Context, v any) error {
	r.logger().ErrorContext(ctx, "resolver panicked", "request_id", middleware.RequestFrom(ctx).ID,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	return fmt.Errorf("panic: %v", v)
}

func (r *Resolver) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.Default()
	}
	return r.Logger
}

// statusKey holds the *atomic.Int32 with the HTTP status that a response gets instead of 200.
type statusKey struct{}

// markStatus makes the response's HTTP status code instead of 200; of two marks, the higher
// status wins (503, the database is down, over 401).
func markStatus(ctx context.Context, code int) {
	flag, ok := ctx.Value(statusKey{}).(*atomic.Int32)
	for ok {
		old := flag.Load()
		if old >= int32(code) || flag.CompareAndSwap(old, int32(code)) {
			return
		}
	}
}

// errorStatus is the one place that gives a GraphQL response an HTTP status other than 200
// for what the error presenter found: 401 when a resolver found no valid token, so that
// clients can react to an expired token as they would on any HTTP API, and 503 when the
// database is unavailable, so that load balancers and clients see a retryable outage.
func errorStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := new(atomic.Int32)
		ctx := context.WithValue(r.Context(), statusKey{}, status)
		sw := &statusWriter{ResponseWriter: w, status: status}
		next.ServeHTTP(sw, r.WithContext(ctx))
		sw.sendHeader()
	})
}

// statusWriter holds back the status line until the body is written: gqlgen writes the
// header of a request it refuses before validation before the error presenter has seen the
// error (and marked 401, say).
type statusWriter struct {
	http.ResponseWriter
	status  *atomic.Int32
	code    int // set by WriteHeader, not sent yet
	sentHdr bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *statusWriter) sendHeader() {
	if w.sentHdr {
		return
	}
	w.sentHdr = true
	code := w.code
	switch code {
	case 0:
		code = http.StatusOK
	case http.StatusUnprocessableEntity:
		// gqlgen's answer to a failed validation with application/json; the GraphQL over
		// HTTP specification wants 200 there (see http.go).
		code = http.StatusOK
	}
	// A mark is more specific than 200, and than the 400 of a request refused before it ran.
	if marked := int(w.status.Load()); marked != 0 && (code == http.StatusOK || code == http.StatusBadRequest) {
		code = marked
		switch code {
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", `Bearer`)
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", "POST")
		case http.StatusServiceUnavailable:
			w.Header().Set("Retry-After", "1")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.sendHeader()
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
