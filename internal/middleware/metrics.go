package middleware

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Operation labels that are not a root field's name. The operation label is always a field of
// the schema or one of these, so that a client cannot mint new series.
const (
	// OperationNone is a request that never reached GraphQL execution: refused by the auth
	// or body checks, or not a GraphQL request.
	OperationNone = "none"
	// OperationInvalid is a GraphQL request that failed to parse or validate.
	OperationInvalid = "invalid"
	// OperationMultiple is an operation with more than one root field, or root fragments.
	OperationMultiple = "multiple"
	// OperationIntrospection is an operation that only reads __schema or __type.
	OperationIntrospection = "introspection"
)

var (
	operations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "graphql_requests_total",
		Help: "GraphQL requests by operation (the root field) and outcome (ok, refused: GraphQL errors or a 4xx, error: a 5xx).",
	}, []string{"operation", "outcome"})
	operationDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "graphql_request_duration_seconds",
		Help:    "Time to serve GraphQL requests, by operation (the root field).",
		Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"operation"})
	userErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "graphql_user_errors_total",
		Help: "userErrors returned by mutations, by operation and code.",
	}, []string{"operation", "code"})
)

// CountUserError counts one userError of code returned by operation.
func CountUserError(operation, code string) {
	userErrors.WithLabelValues(operation, code).Inc()
}

// observeOperation records a GraphQL request in the per-operation metrics.
func observeOperation(req *Request, outcome string, seconds float64) {
	op := req.Field
	if op == "" {
		op = OperationNone
	}
	operations.WithLabelValues(op, outcome).Inc()
	operationDuration.WithLabelValues(op).Observe(seconds)
}
