package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/testenv"
)

// TestFrontEnd runs frontend/ against the real server on a free port, in three steps that each
// fail on error: graphql-codegen (strictScalars, every scalar mapped) over the schema and the
// operations of frontend/operations/, `tsc --noEmit --strict` over the generated types and the
// code that reads them, and `node --test`, which drives a real Apollo Client 4 with the cache
// setup of frontend/apollo.js (dry runs, replayed idempotency keys, relayStylePagination). Its
// npm packages come from `npm ci` in frontend/ (.ci/run does it): without them the test skips,
// and fails in CI (CI=true).
func TestFrontEnd(t *testing.T) {
	dir, err := filepath.Abs("frontend")
	if err != nil {
		t.Fatal(err)
	}
	missing := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: CI must run the front-end checks (.ci/run runs npm ci in frontend/)", why)
		}
		t.Skipf("%s: run `npm ci` in frontend/ to run the front-end checks", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("no node on PATH")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@apollo", "client")); err != nil {
		missing("frontend/node_modules is not installed")
	}

	store, _ := testenv.New(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.HS256Secret = []byte("a-frontend-test-secret-of-32-bytes-at-least")
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	// Subscriptions on, as serve wires them: a change feed on the test's database.
	cfg.EventsListenURL, cfg.EventsPollInterval = "none", 50*time.Millisecond
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	feed, stopFeed := startFeed(cfg, store.DB, "", logger)
	defer stopFeed()
	changes := graph.NewChanges(feed, store, logger, graph.ChangeOptions{
		MaxConnections: cfg.SubscriptionMaxConnections, MaxSubscriptions: cfg.SubscriptionMaxPerSubject,
	})
	srv := httptest.NewServer(tracedRoutes(nil, cfg, logger, store.DB, store, verifier, "", changes))
	defer srv.Close()
	defer changes.Shutdown()
	token, err := auth.MintHS256(cfg.HS256Secret, auth.Claims{Subject: "front-end", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}

	bin := func(name string) string { return filepath.Join(dir, "node_modules", ".bin", name) }
	for _, step := range []struct {
		name string
		args []string
	}{
		{"codegen", []string{node, bin("graphql-codegen"), "--config", "codegen.yml"}},
		{"tsc", []string{node, bin("tsc"), "--noEmit", "--strict", "-p", "."}},
		{"apollo", []string{node, "--test", "--test-reporter=spec", "test/apollo.test.js"}},
		{"subscriptions", []string{node, "--test", "--test-reporter=spec", "test/subscriptions.test.js"}},
	} {
		ok := t.Run(step.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, step.args[0], step.args[1:]...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PAYGQL_URL="+srv.URL, "PAYGQL_TOKEN="+token, "NO_COLOR=1", "FORCE_COLOR=0")
			out, err := cmd.CombinedOutput()
			t.Logf("%s:\n%s", filepath.Base(step.args[1]), out)
			if err != nil {
				t.Fatalf("%v: %v", step.args[1:], err)
			}
		})
		if !ok {
			return // the later steps need this one
		}
	}
}

// TestReadmeSnippets checks that every code block of README.md marked
// `<!-- snippet: path -->` is a part of that file, line for line (indentation aside), so that
// the README shows what the tests run.
func TestReadmeSnippets(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	trim := func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimSpace(l)
		}
		return strings.Join(lines, "\n")
	}
	marked := regexp.MustCompile("(?s)<!-- snippet: (\\S+) -->\n```[a-z]*\n(.*?)```")
	found := marked.FindAllSubmatch(readme, -1)
	if len(found) < 4 {
		t.Fatalf("%d marked snippets in README.md, want the 4 of \"From a front-end app\"", len(found))
	}
	for _, m := range found {
		file, snippet := string(m[1]), string(m[2])
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("README.md shows %s: %v", file, err)
			continue
		}
		if !strings.Contains(trim(string(src)), trim(snippet)) {
			t.Errorf("README.md's snippet of %s is not in that file:\n%s", file, snippet)
		}
	}
}
