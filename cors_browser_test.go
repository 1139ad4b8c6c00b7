package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestCORSInBrowser calls /query from a page of another origin in headless Chromium, the way
// a front-end app does: with the token, OpenTelemetry's trace context and Apollo Client's
// client awareness headers the call gets its data; with a header that is not allowed the
// browser refuses it.
func TestCORSInBrowser(t *testing.T) {
	b := newBrowser(t)
	api, token := serveRoutes(t, nil) // development mode allows http://127.0.0.1:* origins
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!DOCTYPE html><title>app</title>`))
	}))
	defer app.Close()
	if api[:strings.LastIndex(api, ":")] != app.URL[:strings.LastIndex(app.URL, ":")] {
		t.Fatalf("want two ports of one host, got %s and %s", api, app.URL)
	}
	b.do(t, "open the app", chromedp.Navigate(app.URL+"/"))

	call := func(extra string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch(`+jsString(api+"/query")+`, {
			method: 'POST',
			headers: {
				'Content-Type': 'application/json',
				'Authorization': `+jsString("Bearer "+token)+`,
				'traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
				'tracestate': 'vendor=1',
				'apollographql-client-name': 'dealer-portal',
				'apollographql-client-version': '1.4.0',
				`+extra+`
			},
			body: JSON.stringify({query: '{ connectors { code } }'}),
		}).then((r) => r.text(), (e) => 'refused: ' + e)`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := call(""); !strings.Contains(got, `"code":"GARANTI"`) {
		t.Errorf("the app's call answered %q, want the connectors", got)
	}
	b.check(t, "the allowed call")
	if got := call(`'x-not-allowed': '1',`); !strings.HasPrefix(got, "refused: TypeError") {
		t.Errorf("a call with a header not allowed answered %q, want the browser to refuse it", got)
	}
}
