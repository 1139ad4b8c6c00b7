package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
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
	}
	for _, tt := range tests {
		got := r.presentError(ctx, tt.err)
		code, _ := got.Extensions["code"].(string)
		if got.Message != tt.wantMessage || code != tt.wantCode {
			t.Errorf("presentError(%v) = %q %q, want %q %q", tt.err, got.Message, code, tt.wantMessage, tt.wantCode)
		}
	}
	if !strings.Contains(logs.String(), "secret_table") || !strings.Contains(logs.String(), "index out of range") {
		t.Errorf("unexpected errors are not logged: %s", logs.String())
	}
}
