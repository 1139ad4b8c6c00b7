package tracing

import (
	"net/http"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

type handler struct{ name string }

func (handler) ServeHTTP(http.ResponseWriter, *http.Request) {}

// TestOffStartsNothing checks that tracing off costs nothing: no provider, no exporter, the
// handler itself, no gqlgen extension, no pgx tracer.
func TestOffStartsNothing(t *testing.T) {
	tr, err := Start(t.Context(), false, "test")
	if err != nil || tr != nil {
		t.Fatalf("Start(off) = %v, %v; want nil, nil", tr, err)
	}
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); ok {
		t.Error("an SDK tracer provider was installed")
	}
	h := handler{"api"}
	if got := tr.HTTP("/query", h); got != (http.Handler)(h) {
		t.Errorf("HTTP wrapped the handler: %T", got)
	}
	if tr.GraphQL() != nil || tr.SQL() != nil {
		t.Error("GraphQL or SQL instrumentation exists with tracing off")
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Error(err)
	}
}
