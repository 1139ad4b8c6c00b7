// Package tracing traces requests with OpenTelemetry: HTTP (otelhttp), GraphQL resolvers
// (otelgqlgen) and SQL (otelpgx), exported as the standard OTEL_* variables say (autoexport:
// OTLP over HTTP by default). It is off unless those variables ask for it, and off means
// absent: no tracer provider, no exporter, no wrapper around a handler, no pgx tracer.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/ravilushqa/otelgqlgen"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// Tracing is the tracing of one server: nil when off.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// Start sets up tracing when on is true (config.Config.Tracing, from the OTEL_* variables),
// and returns nil, starting nothing, when it is false.
func Start(ctx context.Context, on bool, serviceName string) (*Tracing, error) {
	if !on {
		return nil, nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTEL_*: %w", err)
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over the default name.
	res, err := resource.Merge(resource.NewSchemaless(semconv.ServiceName(serviceName)), resource.Environment())
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	// The sampler and the batch processor read OTEL_TRACES_SAMPLER and OTEL_BSP_*.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return &Tracing{provider: tp}, nil
}

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return errors.Join(t.provider.ForceFlush(ctx), t.provider.Shutdown(ctx))
}

// HTTP returns h traced as route, or h itself when tracing is off.
func (t *Tracing) HTTP(route string, h http.Handler) http.Handler {
	if t == nil {
		return h
	}
	return otelhttp.NewHandler(h, route, otelhttp.WithTracerProvider(t.provider))
}

// GraphQL returns the gqlgen extension that traces operations and resolvers, nil when off.
// Variables stay out of spans: inputs carry secrets.
func (t *Tracing) GraphQL() graphql.HandlerExtension {
	if t == nil {
		return nil
	}
	return otelgqlgen.Middleware(otelgqlgen.WithTracerProvider(t.provider), otelgqlgen.WithoutVariables())
}

// SQL returns the pgx tracer that traces every statement, nil when off. Statement
// parameters stay out of spans.
func (t *Tracing) SQL() pgx.QueryTracer {
	if t == nil {
		return nil
	}
	return otelpgx.NewTracer(otelpgx.WithTracerProvider(t.provider), otelpgx.WithTrimSQLInSpanName())
}
