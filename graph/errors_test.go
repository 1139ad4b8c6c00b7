package graph

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/payplat/paygql/models"
)

func TestPresentError(t *testing.T) {
	var logs bytes.Buffer
	r := &Resolver{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil)
	sqlErr := fmt.Errorf("update connector configuration: %w", errors.New(`ERROR: relation "secret_table" does not exist (SQLSTATE 42P01)`))
	tests := []struct {
		err         error
		wantMessage string
		wantCode    string
	}{
		{sqlErr, "internal server error", "INTERNAL_SERVER_ERROR"},
		{r.recoverPanic(ctx, "index out of range"), "internal server error", "INTERNAL_SERVER_ERROR"},
		{ErrForbidden, ErrForbidden.Error(), "FORBIDDEN"},
		{errNoToken, errNoToken.Error(), "UNAUTHENTICATED"},
		{fmt.Errorf("list: %w", models.ErrBadPage), "list: bad page request", "BAD_USER_INPUT"},
		{context.DeadlineExceeded, "the request took too long or was cancelled", "TIMEOUT"},
		{gqlerror.Errorf("Cannot query field"), "Cannot query field", ""},
		{pgError("55P03", "canceling statement due to lock timeout"), msgLockTimeout, "LOCK_TIMEOUT"},
		{pgError("40P01", "deadlock detected"), msgTransactionConflict, "TRANSACTION_CONFLICT"},
		{pgError("40001", "could not serialize access"), msgTransactionConflict, "TRANSACTION_CONFLICT"},
		{pgError("57P01", "terminating connection due to administrator command"), msgUnavailable, "SERVICE_UNAVAILABLE"},
		{fmt.Errorf("begin: %w", driver.ErrBadConn), msgUnavailable, "SERVICE_UNAVAILABLE"},
	}
	for _, tt := range tests {
		got := r.presentError(ctx, tt.err)
		code, _ := got.Extensions["code"].(string)
		if got.Message != tt.wantMessage || code != tt.wantCode {
			t.Errorf("presentError(%v) = %q %q, want %q %q", tt.err, got.Message, code, tt.wantMessage, tt.wantCode)
		}
		wantRetry := code == "LOCK_TIMEOUT" || code == "TRANSACTION_CONFLICT" || code == "SERVICE_UNAVAILABLE"
		if retry, _ := got.Extensions["retryable"].(bool); retry != wantRetry {
			t.Errorf("presentError(%v): retryable = %v, want %v", tt.err, retry, wantRetry)
		}
	}
	if !strings.Contains(logs.String(), "administrator command") {
		t.Errorf("an unavailable database is not logged: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "secret_table") || !strings.Contains(logs.String(), "index out of range") {
		t.Errorf("unexpected errors are not logged: %s", logs.String())
	}
}

func pgError(code, message string) error {
	return fmt.Errorf("load record: %w", &pgconn.PgError{Severity: "ERROR", Code: code, Message: message})
}

// TestErrorStatus checks the one place that turns what the presenter found into an HTTP
// status: 401 for a missing token, 503 for an unavailable database, which wins over 401.
func TestErrorStatus(t *testing.T) {
	tests := []struct {
		marks      []int
		wantStatus int
		wantHeader string
	}{
		{nil, http.StatusOK, ""},
		{[]int{http.StatusUnauthorized}, http.StatusUnauthorized, "WWW-Authenticate"},
		{[]int{http.StatusServiceUnavailable}, http.StatusServiceUnavailable, "Retry-After"},
		{[]int{http.StatusServiceUnavailable, http.StatusUnauthorized}, http.StatusServiceUnavailable, "Retry-After"},
		{[]int{http.StatusUnauthorized, http.StatusServiceUnavailable}, http.StatusServiceUnavailable, "Retry-After"},
	}
	for _, tt := range tests {
		h := errorStatus(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, code := range tt.marks {
				markStatus(r.Context(), code)
			}
			_, _ = w.Write([]byte(`{"data":null}`))
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/query", nil))
		if rec.Code != tt.wantStatus || (tt.wantHeader != "" && rec.Header().Get(tt.wantHeader) == "") {
			t.Errorf("marks %v: status %d, headers %v; want %d with %s", tt.marks, rec.Code, rec.Header(), tt.wantStatus, tt.wantHeader)
		}
	}
}
