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
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/models"
)

// Error codes in errors[].extensions.code besides gqlgen's own.
const (
	codeBadUserInput = "BAD_USER_INPUT"
	codeInternal     = "INTERNAL_SERVER_ERROR"
)

// presentError is the one place where errors become GraphQL errors. Known errors keep their
// message and get a code; anything else is logged and shown as a generic internal error, so
// clients never see SQL text or stacks.
func (r *Resolver) presentError(ctx context.Context, err error) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) && gqlErr.Err == nil {
		// Parse, validation and input-coercion errors made by gqlgen itself.
		return gqlErr
	}
	out := graphql.DefaultErrorPresenter(ctx, err)
	var inputErr *models.InputError
	switch {
	case errors.As(err, &inputErr):
		errcode.Set(out, codeBadUserInput)
		if arg := argumentPath(ctx, out.Path); arg != "" {
			out.Message = arg + ": " + out.Message
		}
	case errors.Is(err, auth.ErrUnauthenticated):
		markUnauthenticated(ctx)
		errcode.Set(out, auth.CodeUnauthenticated)
	case errors.Is(err, ErrForbidden):
		errcode.Set(out, auth.CodeForbidden)
	case errors.Is(err, models.ErrBadPage):
		errcode.Set(out, codeBadUserInput)
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

// statusKey holds the *atomic.Bool that marks a response as unauthenticated.
type statusKey struct{}

// markUnauthenticated makes the response's HTTP status 401.
func markUnauthenticated(ctx context.Context) {
	if flag, ok := ctx.Value(statusKey{}).(*atomic.Bool); ok {
		flag.Store(true)
	}
}

// unauthorizedStatus answers 401 instead of 200 when a resolver found no valid token, so that
// clients can react to an expired token as they would on any HTTP API.
func unauthorizedStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flag := new(atomic.Bool)
		ctx := context.WithValue(r.Context(), statusKey{}, flag)
		next.ServeHTTP(&statusWriter{ResponseWriter: w, unauth: flag}, r.WithContext(ctx))
	})
}

type statusWriter struct {
	http.ResponseWriter
	unauth      *atomic.Bool
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if code == http.StatusUnprocessableEntity {
		// gqlgen's answer to a failed validation with application/json; the GraphQL over
		// HTTP specification wants 200 there (see http.go).
		code = http.StatusOK
	}
	if code == http.StatusOK && w.unauth.Load() {
		w.Header().Set("WWW-Authenticate", `Bearer`)
		code = http.StatusUnauthorized
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
