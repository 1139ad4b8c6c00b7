package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium returns the path of a Chromium or Chrome on PATH, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is a headless Chromium with a fresh profile that records what a person would see
// as a problem: console errors, uncaught exceptions, failed requests.
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	problems []string
	fetched  []string // URLs answered, in order, but data: URLs
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium()
	if path == "" {
		t.Skip("no chromium on PATH: install Debian's chromium package (.ci/run does) to run the playground in a browser")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()), // a cold start: no cache, no localStorage
		chromedp.WindowSize(1400, 900),
		chromedp.NoSandbox, // Chromium's sandbox refuses to run as root, as CI does
	)
	ctx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	b := &browser{}
	ctx, cancel = chromedp.NewContext(ctx, chromedp.WithListener(b.record))
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 45*time.Second)
	t.Cleanup(cancel)
	b.ctx = ctx
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.problems = append(b.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		msg := ev.ExceptionDetails.Text
		if e := ev.ExceptionDetails.Exception; e != nil {
			msg += " " + e.Description
		}
		b.problems = append(b.problems, "exception: "+msg)
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
			b.problems = append(b.problems, fmt.Sprintf("log %s: %s %s", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventResponseReceived:
		if !strings.HasPrefix(ev.Response.URL, "data:") { // GraphiQL's fonts
			b.fetched = append(b.fetched, ev.Response.URL)
		}
		if ev.Response.Status >= 400 {
			b.problems = append(b.problems, fmt.Sprintf("HTTP %d %s", ev.Response.Status, ev.Response.URL))
		}
	case *network.EventLoadingFailed:
		b.problems = append(b.problems, fmt.Sprintf("request failed: %s %s", ev.ErrorText, ev.BlockedReason))
	}
}

// check fails t with the problems seen since the last check.
func (b *browser) check(t *testing.T, when string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("%s: %s", when, p)
	}
	b.problems = nil
}

// do runs actions, failing t with what was being done.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval returns the value of a JavaScript expression.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// The page's editors are CodeMirror 5 instances, reachable from their wrapper elements.
const (
	queryEditor    = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`
	responseEditor = `document.querySelector('.graphiql-response .CodeMirror').CodeMirror`
	headersEditor  = `document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[1].CodeMirror`
)

// waitForSchema waits until GraphiQL has loaded the schema, which its documentation explorer
// then shows; it opens the explorer when it is closed (GraphiQL remembers it across loads).
func (b *browser) waitForSchema(t *testing.T) {
	t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.PollFunction[bool](`() => {
		if (document.querySelector('.graphiql-doc-explorer-root-type')) return true;
		document.querySelector('button[aria-label="Show Documentation Explorer"]')?.click();
		return false;
	}`, chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil {
		t.Fatalf("waiting for the schema: %v", err)
	}
}

// settle waits until GraphiQL has stored the open tabs, which it does half a second after
// a change: a reload before that reopens the tabs as they were before the change.
func (b *browser) settle(t *testing.T) {
	t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.PollFunction[bool](`() => {
		const state = JSON.parse(localStorage.getItem('graphiql:tabState'));
		return state?.tabs[state.activeTabIndex]?.query === `+queryEditor+`.getValue();
	}`, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		t.Fatalf("waiting for GraphiQL to store its tabs: %v", err)
	}
}

// headers returns the text of the Headers tab.
func (b *browser) headers(t *testing.T) string {
	t.Helper()
	return eval[string](t, b, headersEditor+`.getValue()`)
}

// execute puts query, an operation called name, into the editor, waits until GraphiQL has
// parsed it as typing would, presses Run and returns the response once it shows.
func (b *browser) execute(t *testing.T, name, query string) string {
	t.Helper()
	b.do(t, "run "+name,
		chromedp.Evaluate[chromedp.Void](queryEditor+`.setValue(`+jsString(query)+`)`),
		chromedp.Evaluate[chromedp.Void](responseEditor+`.setValue('')`),
		chromedp.Poll[chromedp.Void](queryEditor+`.operationName === `+jsString(name)),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
	)
	response, err := chromedp.Run(b.ctx, chromedp.Poll[string](responseEditor+`.getValue()`, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		t.Fatalf("run %s: %v", query, err)
	}
	return response
}

func jsString(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`", "$", "\\$").Replace(s) + "`"
}

// screenshot saves the page to dir as name.png and returns the file's path.
func (b *browser) screenshot(t *testing.T, dir, name string) string {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPlaygroundInBrowser opens the development playground in headless Chromium with a
// fresh profile and, without pasting anything, runs a query and a mutation; reloads and runs
// again; then "restarts" the server with another signing secret, so that any token the
// browser had kept would now get 401, reloads and runs again, in the tab it left and in
// another one, and picks an entry of the history. No console error and no failed request is
// allowed on the way. Screenshots go to $PLAYGROUND_SCREENSHOTS, or a temporary directory.
func TestPlaygroundInBrowser(t *testing.T) {
	b := newBrowser(t)
	shots := os.Getenv("PLAYGROUND_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	first, token, _ := newRoutes(t, nil, true)
	restarted, token2, _ := newRoutes(t, map[string]string{"AUTH_HS256_SECRET": "another-secret-after-a-restart-32-bytes"}, true)
	var current atomic.Pointer[http.Handler]
	current.Store(&first)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*current.Load()).ServeHTTP(w, r)
	}))
	defer srv.Close()
	wantHeaders := func(tok string) string { return "{\n  \"Authorization\": \"Bearer " + tok + "\"\n}" }

	// A cold start: the Headers tab holds the development token, and Run gets data.
	b.do(t, "load the playground", chromedp.Navigate(srv.URL+"/"))
	b.waitForSchema(t)
	if got := b.headers(t); got != wantHeaders(token) {
		t.Errorf("Headers tab on a cold start = %q, want the development token", got)
	}
	var connectors struct {
		Data struct{ Connectors []struct{ ID, Code string } }
	}
	decode(t, b.execute(t, "Banks", `query Banks { connectors { id code } }`), &connectors)
	if len(connectors.Data.Connectors) == 0 {
		t.Fatal("no connectors")
	}
	mutation := `mutation Create {
  createConnectorConfiguration(input: {connectorId: "` + connectors.Data.Connectors[0].ID + `",
      name: "Made in the playground", apiKey: "sk_test_playground_0042"}) {
    connectorConfiguration { name apiKey version }
    userErrors { field code message }
  }
}`
	wantCreated(t, b.execute(t, "Create", mutation), "cold start")
	b.screenshot(t, shots, "1-cold-start")
	b.check(t, "cold start")
	b.mu.Lock()
	if !slices.Contains(b.fetched, srv.URL+"/playground/assets/paygql-1/favicon.svg") {
		t.Errorf("the page's icon was not fetched; fetched %q", b.fetched)
	}
	b.mu.Unlock()

	// A reload reopens the same tab, with the token again, and Run still works. Open a second
	// tab for the restart below.
	b.settle(t)
	b.do(t, "reload", chromedp.Reload())
	b.waitForSchema(t)
	if got := b.headers(t); got != wantHeaders(token) {
		t.Errorf("Headers tab after a reload = %q, want the development token", got)
	}
	if got := eval[string](t, b, queryEditor+`.getValue()`); got != mutation {
		t.Errorf("query after a reload = %q, want the tab that was left", got)
	}
	wantCreated(t, b.execute(t, "Create", mutation), "reload")
	b.screenshot(t, shots, "2-reload")
	b.do(t, "open a tab", chromedp.Click(chromedp.CSS(`.graphiql-tab-add`)))
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](
		`document.querySelectorAll('.graphiql-tab').length == 2 && `+queryEditor+`.getValue().startsWith('# The payment-configuration API.')`)); err != nil {
		t.Fatalf("waiting for the new tab: %v", err)
	}
	b.execute(t, "Codes", `query Codes { connectors { code } }`)
	b.settle(t)
	b.check(t, "reload")

	// A restart mints a new token, which every tab gets on the next load; the old one would
	// be refused now.
	current.Store(&restarted)
	b.do(t, "reload after a restart", chromedp.Reload())
	b.waitForSchema(t)
	if got := b.headers(t); got != wantHeaders(token2) {
		t.Errorf("Headers tab after a restart = %q, want the new development token", got)
	}
	if got := eval[int](t, b, `document.querySelectorAll('.graphiql-tab').length`); got != 2 {
		t.Errorf("%d tabs after the restart, want the 2 there were", got)
	}
	b.do(t, "switch to the first tab", chromedp.Click(chromedp.CSS(`.graphiql-tab:first-child .graphiql-tab-button`)))
	if got := b.headers(t); got != wantHeaders(token2) {
		t.Errorf("Headers tab of the other tab after a restart = %q, want the new development token", got)
	}
	wantCreated(t, b.execute(t, "Create", mutation), "restart")
	b.screenshot(t, shots, "3-restart")
	// The history's entries from before the restart bring the new token too.
	b.do(t, "pick the oldest history entry",
		chromedp.Click(chromedp.CSS(`button[aria-label="Show History"]`)),
		chromedp.Click(chromedp.CSS(`.graphiql-history-items li:last-child .graphiql-history-item-label`)))
	if got := b.headers(t); got != wantHeaders(token2) {
		t.Errorf("Headers tab from a history entry = %q, want the new development token", got)
	}
	b.check(t, "restart")
	t.Logf("screenshots in %s", shots)
}

// TestPlaygroundInBrowserInProduction checks that a playground outside development mode has
// an empty Headers tab and no token anywhere in the page.
func TestPlaygroundInBrowserInProduction(t *testing.T) {
	b := newBrowser(t)
	h, _, _ := newRoutes(t, with(with(prodEnv, "PLAYGROUND", "true"), "INTROSPECTION", "true"), false)
	srv := httptest.NewServer(h)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(page), "Bearer") || strings.Contains(string(page), "eyJ") {
		t.Errorf("the production playground carries a token:\n%s", page)
	}
	b.do(t, "load the playground", chromedp.Navigate(srv.URL+"/"))
	b.waitForSchema(t)
	if got := b.headers(t); got != "" {
		t.Errorf("Headers tab in production = %q, want it empty", got)
	}
	b.check(t, "production")
}

// wantCreated checks the response of the test's createConnectorConfiguration.
func wantCreated(t *testing.T, response, when string) {
	t.Helper()
	var res struct {
		Data struct {
			CreateConnectorConfiguration struct {
				ConnectorConfiguration *struct {
					Name, APIKey string
					Version      int
				}
				UserErrors []any
			}
		}
		Errors []any
	}
	decode(t, response, &res)
	c := res.Data.CreateConnectorConfiguration
	if len(res.Errors) > 0 || len(c.UserErrors) > 0 || c.ConnectorConfiguration == nil ||
		c.ConnectorConfiguration.Name != "Made in the playground" || c.ConnectorConfiguration.APIKey != "••••0042" {
		t.Errorf("%s: the mutation answered %s", when, response)
	}
}

func decode(t *testing.T, response string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(response), v); err != nil {
		t.Fatalf("response %q: %v", response, err)
	}
}
