package main

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/demo"
	"github.com/payplat/paygql/internal/testenv"
)

// demoRoutes serves routes() as development mode does: on a database with the demo records,
// with the development token in the playground.
func demoRoutes(t *testing.T) (url, token string) {
	t.Helper()
	store, _ := testenv.New(t)
	if _, err := demo.Load(t.Context(), store); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.HS256Secret = []byte("a-routes-test-secret-of-32-bytes-at-least")
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	if token, err = devAdminToken(cfg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(routes(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), store.DB, store, verifier, token))
	t.Cleanup(srv.Close)
	return srv.URL, token
}

// variablesEditor is the Variables tab's editor.
const variablesEditor = `document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[0].CodeMirror`

// run presses Run in the open tab and picks the operation called name from the menu that
// Run shows for a tab of several operations; it returns the response once it shows.
func (b *browser) run(t *testing.T, name string) string {
	t.Helper()
	b.do(t, "run "+name,
		chromedp.Evaluate[chromedp.Void](responseEditor+`.setValue('')`),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Poll[chromedp.Void](`((item) => item ? (item.click(), true) : false)([...document.querySelectorAll('.graphiql-dropdown-item')].find((e) => e.textContent === `+jsString(name)+`))`,
			chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	response, err := chromedp.Run(b.ctx, chromedp.Poll[string](responseEditor+`.getValue()`, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return response
}

// TestPlaygroundTabs opens the development playground on the demo records in headless
// Chromium with a fresh profile: it shows a tab per kind of record, each with the development
// token, a query that reads a demo record and a mutation that updates it, both of which work
// as they are; the Docs panel opens with the schema's description; a new tab holds this API's
// welcome, not GraphiQL's. Screenshots go to $PLAYGROUND_SCREENSHOTS, or a temporary directory.
func TestPlaygroundTabs(t *testing.T) {
	b := newBrowser(t)
	shots := os.Getenv("PLAYGROUND_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	url, token := demoRoutes(t)
	b.do(t, "load the playground", chromedp.Navigate(url+"/"))
	b.waitForSchema(t)

	// The Docs panel's root is the schema's description, not GraphiQL's generic text.
	docs := eval[string](t, b, `document.querySelector('.graphiql-doc-explorer-content').textContent`)
	if !strings.Contains(docs, "The payment-configuration API: read and update the payment platform's records.") ||
		strings.Contains(docs, "A GraphQL schema provides a root type") {
		t.Errorf("the Docs panel opens with %.300q, want the schema's description", docs)
	}

	tabs := []struct{ query, mutation, payload string }{
		{"ConnectorConfiguration", "UpdateConnectorConfiguration", "connectorConfiguration"},
		{"CustomerPaymentGateway", "UpdateCustomerPaymentGateway", "customerPaymentGateway"},
		{"SubDealer", "UpdateSubDealer", "subDealer"},
		{"DevicePurchaseOrder", "UpdateDevicePurchaseOrder", "devicePurchaseOrder"},
	}
	titles := eval[[]string](t, b, `[...document.querySelectorAll('.graphiql-tab .graphiql-tab-button')].map((e) => e.textContent)`)
	if len(titles) != len(tabs) {
		t.Fatalf("tabs %q, want one per kind of record", titles)
	}
	for i, tab := range tabs {
		if titles[i] != tab.query {
			t.Errorf("tab %d is %q, want %q", i, titles[i], tab.query)
		}
		b.do(t, "open tab "+tab.query, chromedp.Click(chromedp.CSS(`.graphiql-tab:nth-child(`+strconv.Itoa(i+1)+`) .graphiql-tab-button`)))
		if got := b.headers(t); got != "{\n  \"Authorization\": \"Bearer "+token+"\"\n}" {
			t.Errorf("%s: Headers tab = %q, want the development token", tab.query, got)
		}
		var vars struct{ Input map[string]any }
		decode(t, eval[string](t, b, variablesEditor+`.getValue()`), &vars)
		if len(vars.Input) < 2 {
			t.Errorf("%s: variables %+v, want the record's key and a change", tab.query, vars)
		}
		if i == 0 {
			b.screenshot(t, shots, "tabs-0-first-visit")
		}
		// The query reads a record that exists.

		var read struct {
			Data   map[string]map[string]any
			Errors []any
		}
		decode(t, b.run(t, tab.query), &read)
		record := read.Data[tab.payload]
		if len(read.Errors) > 0 || record == nil || record["version"] == nil {
			t.Errorf("%s answered %+v", tab.query, read)
		}
		if i == 0 {
			if record["name"] != "Garanti sandbox" {
				t.Errorf("the first tab reads %v, want the demo's Garanti sandbox", record)
			}
			b.screenshot(t, shots, "tabs-1-first-query")
		}
		// The mutation updates it, without a user error.
		var update struct {
			Data   map[string]map[string]any
			Errors []any
		}
		decode(t, b.run(t, tab.mutation), &update)
		payload := update.Data[strings.ToLower(tab.mutation[:1])+tab.mutation[1:]]
		if len(update.Errors) > 0 || payload == nil || payload[tab.payload] == nil || len(payload["userErrors"].([]any)) != 0 {
			t.Errorf("%s answered %+v", tab.mutation, update)
		}
	}
	b.screenshot(t, shots, "tabs-2-last-mutation")

	// A new tab introduces this API.
	b.do(t, "open a tab", chromedp.Click(chromedp.CSS(`.graphiql-tab-add`)))
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](
		`document.querySelectorAll('.graphiql-tab').length == 5 && `+queryEditor+`.getValue().startsWith('# The payment-configuration API.')`)); err != nil {
		t.Fatalf("waiting for the new tab: %v", err)
	}
	decode(t, b.execute(t, "Connectors", eval[string](t, b, queryEditor+`.getValue()`)), new(struct{}))
	b.screenshot(t, shots, "tabs-3-new-tab")
	b.check(t, "tabs")
	t.Logf("screenshots in %s", shots)
}
