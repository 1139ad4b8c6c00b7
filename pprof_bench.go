//go:build benchpprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

// A server built with -tags benchpprof, as `go run ./bench -profile DIR` builds it, serves
// pprof on PAYGQL_PPROF_ADDR, apart from the API. Binaries built without the tag have no
// profiling endpoint at all.
func init() {
	if addr := os.Getenv("PAYGQL_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }() //nolint:gosec // bench builds only, on 127.0.0.1
	}
}
