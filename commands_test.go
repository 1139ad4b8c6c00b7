package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/pgserver"
)

// runMainEnv makes the test binary run main with its arguments instead of the tests, so that
// tests can run paygql as a separate process and see its exit code, without building it.
const runMainEnv = "PAYGQL_TEST_RUN_MAIN"

// paygql runs the command in a new process with only the given environment (and PATH), and
// returns its stdout, stderr and exit code.
func paygql(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append([]string{runMainEnv + "=1", "PATH=" + os.Getenv("PATH")}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("paygql %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		// A bad variable does not stand in the way of help.
		out, errOut, code := paygql(t, []string{"PORT=eighty"}, arg)
		if code != 0 || errOut != "" {
			t.Errorf("paygql %s: exit %d, stderr %q; want 0 and nothing", arg, code, errOut)
		}
		lines := strings.Split(out, "\n")
		for _, c := range commands {
			if !hasLinePrefix(lines, "  "+c.name+" ") {
				t.Errorf("paygql %s does not list command %s on a line of its own:\n%s", arg, c.name, out)
			}
		}
		for _, v := range config.Variables {
			if !hasLinePrefix(lines, "  "+v.Name+" ") {
				t.Errorf("paygql %s does not list %s on a line of its own:\n%s", arg, v.Name, out)
			}
		}
	}
}

// hasLinePrefix reports whether some line starts with prefix.
func hasLinePrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestSubcommandHelp(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--help"}, {"migrate", "--help"}, {"migrate", "help"}, {"seed", "-h"},
		{"schema", "--help"}, {"token", "--help"}, {"token", "--sub", "x", "-h"}, {"help", "token"},
	} {
		out, errOut, code := paygql(t, []string{"PORT=eighty"}, args...)
		name := args[0]
		if name == "help" {
			name = args[1]
		}
		if code != 0 || !strings.HasPrefix(out, "usage: paygql ") || !strings.Contains(out, name) || errOut != "" {
			t.Errorf("paygql %s: exit %d, stdout %q, stderr %q; want 0 and the usage", strings.Join(args, " "), code, out, errOut)
		}
	}
	if _, errOut, code := paygql(t, nil, "frobnicate"); code != 1 || !strings.Contains(errOut, "--help") {
		t.Errorf("unknown command: exit %d, %q; want 1 and a pointer to --help", code, errOut)
	}
}

func TestTokenRefusesUnknownRoles(t *testing.T) {
	cfg := &config.Config{HS256Secret: []byte("a-token-test-secret-of-32-bytes-at-least")}
	for _, roles := range []string{"superuser", "admin,Admin", "dealer_admin"} {
		var out bytes.Buffer
		err := tokenCmd(cfg, []string{"--sub", "x", "--roles", roles}, &out)
		if err == nil || !strings.Contains(err.Error(), "unknown role") || !strings.Contains(err.Error(), "connector-admin, gateway-admin, dealer-admin") {
			t.Errorf("--roles %s: %v, want an unknown-role error listing the valid roles", roles, err)
		}
		if out.Len() > 0 {
			t.Errorf("--roles %s printed %q", roles, out.String())
		}
	}
	for _, role := range auth.AllRoles {
		if err := tokenCmd(cfg, []string{"--sub", "x", "--roles", role}, io.Discard); err != nil {
			t.Errorf("--roles %s: %v", role, err)
		}
	}
}

func TestTokenRefusesTTLNotPositive(t *testing.T) {
	cfg := &config.Config{HS256Secret: []byte("a-token-test-secret-of-32-bytes-at-least")}
	for _, ttl := range []string{"-2h", "0", "0s", "-1ns"} {
		var out bytes.Buffer
		err := tokenCmd(cfg, []string{"--sub", "x", "--roles", "admin", "--ttl", ttl}, &out)
		if err == nil || !strings.Contains(err.Error(), "--ttl must be positive") {
			t.Errorf("--ttl %s: %v, want an error naming --ttl", ttl, err)
		}
		if out.Len() > 0 {
			t.Errorf("--ttl %s printed %q", ttl, out.String())
		}
	}
	var out bytes.Buffer
	if err := tokenCmd(cfg, []string{"--sub", "x", "--roles", "admin", "--ttl", "90s"}, &out); err != nil {
		t.Fatalf("--ttl 90s: %v", err)
	}
	v, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(t.Context(), strings.TrimSpace(out.String())); err != nil {
		t.Errorf("the --ttl 90s token is refused: %v", err)
	}
	// The command line: exit 1 and the flag named on stderr.
	if _, errOut, code := paygql(t, []string{"AUTH_HS256_SECRET=a-token-test-secret-of-32-bytes-at-least"}, "token", "--sub", "x", "--roles", "admin", "--ttl", "-2h"); code != 1 || !strings.Contains(errOut, "--ttl") {
		t.Errorf("paygql token --ttl -2h: exit %d, %q; want 1 and --ttl named", code, errOut)
	}
}

func TestSchemaCommand(t *testing.T) {
	out, _, code := paygql(t, nil, "schema")
	if code != 0 {
		t.Fatalf("paygql schema: exit %d", code)
	}
	printed, err := gqlparser.LoadSchema(&ast.Source{Name: "stdout", Input: out})
	if err != nil {
		t.Fatalf("paygql schema printed invalid SDL: %v", err)
	}
	// What it prints is what the server executes.
	served := graph.NewExecutableSchema(graph.Config{}).Schema()
	for name, def := range served.Types {
		got := printed.Types[name]
		if got == nil || len(got.Fields) != len(def.Fields) || got.Description != def.Description {
			t.Errorf("type %s: printed %v, served %v", name, got, def)
		}
	}
}

// lockedBuffer is a bytes.Buffer the server may write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// devServer is a development-mode `paygql serve` running in this process.
type devServer struct {
	welcome string // what it printed on stdout
	dbURL   string // the DATABASE_URL in the welcome text
	stop    func() error
}

// startDev runs serve with env until stop, and waits until it serves.
func startDev(t *testing.T, env map[string]string) *devServer {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &out, io.Discard) }()
	stop := sync.OnceValue(func() error { cancel(); return <-done })
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(out.String(), "Admin token") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve ended before it served: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatal("serve did not print its welcome within a minute")
		}
	}
	m := regexp.MustCompile(`DATABASE_URL: (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		stop()
		t.Fatalf("welcome without DATABASE_URL:\n%s", out.String())
	}
	return &devServer{welcome: out.String(), dbURL: m[1], stop: stop}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// sql runs query on url and returns the one value it selects ("" for a statement).
func sql(t *testing.T, url, query string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect to the printed DATABASE_URL: %v", err)
	}
	defer conn.Close(context.Background())
	if !strings.HasPrefix(query, "SELECT") {
		if _, err := conn.Exec(t.Context(), query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return ""
	}
	var out string
	if err := conn.QueryRow(t.Context(), query).Scan(&out); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// TestDevelopmentMode runs serve as `go run .` does, on a DATA_DIR inside a fresh 0700
// directory (t.TempDir), which when run as root is the case of a checkout under /root. While
// it serves, a second serve is refused with its pid and migrate and seed use its database.
// A second start serves the same cluster, on the address HOST names.
func TestDevelopmentMode(t *testing.T) {
	home := t.TempDir()
	if err := os.Chmod(home, 0o700); err != nil { // as /root is
		t.Fatal(err)
	}
	dataDir := filepath.Join(home, "checkout", ".data")
	t.Cleanup(func() { _ = pgserver.Remove(filepath.Join(dataDir, "pg")) })
	port := freePort(t)
	env := map[string]string{"PORT": port, "DATA_DIR": dataDir, "LOG_LEVEL": "warn"}
	childEnv := []string{"PORT=" + port, "DATA_DIR=" + dataDir, "LOG_LEVEL=warn"}

	dev := startDev(t, env)
	for _, want := range []string{"listening on: 127.0.0.1:" + port, "http://127.0.0.1:" + port + "/", "DATABASE_URL: postgres://"} {
		if !strings.Contains(dev.welcome, want) {
			t.Errorf("welcome lacks %q:\n%s", want, dev.welcome)
		}
	}
	res, err := http.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	sql(t, dev.dbURL, "CREATE TABLE kept (x int)")

	_, errOut, code := paygql(t, childEnv)
	if want := "is in use by another paygql server (pid " + strconv.Itoa(os.Getpid()) + ")"; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("second serve: exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
	if strings.Contains(errOut, "postmaster") || strings.Contains(errOut, "lock file") {
		t.Errorf("second serve shows PostgreSQL's lock message: %s", errOut)
	}
	if out, errOut, code := paygql(t, childEnv, "migrate", "status"); code != 0 || !strings.Contains(out, "applied (group") {
		t.Errorf("migrate status while serving: exit %d, %q, %q", code, out, errOut)
	}
	if out, errOut, code := paygql(t, childEnv, "migrate", "up"); code != 0 || out != "nothing to migrate\n" {
		t.Errorf("migrate up while serving: exit %d, %q, %q", code, out, errOut)
	}
	if out, errOut, code := paygql(t, childEnv, "seed"); code != 0 || out != "database not empty: nothing loaded\n" {
		t.Errorf("seed while serving: exit %d, %q, %q", code, out, errOut)
	}
	if err := dev.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}

	// Stopped, DATA_DIR is free for migrate, which starts the cluster itself.
	if out, errOut, code := paygql(t, childEnv, "migrate", "status"); code != 0 || !strings.Contains(out, "applied (group") {
		t.Errorf("migrate status on a stopped DATA_DIR: exit %d, %q, %q", code, out, errOut)
	}

	env["HOST"] = "127.0.0.2" // any loopback address works on Linux
	dev = startDev(t, env)
	defer dev.stop()
	if want := "listening on: 127.0.0.2:" + port; !strings.Contains(dev.welcome, want) {
		t.Errorf("welcome with HOST=127.0.0.2 lacks %q:\n%s", want, dev.welcome)
	}
	if got := sql(t, dev.dbURL, "SELECT coalesce(to_regclass('kept')::text, 'lost')"); got != "kept" {
		t.Errorf("table of the first run: %s, want kept (the same cluster)", got)
	}
	if os.Geteuid() == 0 {
		if fi, err := os.Stat(home); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("the 0700 folder is now %v (%v); want it untouched", fi.Mode(), err)
		}
		if target, err := os.Readlink(filepath.Join(dataDir, "pg")); err != nil {
			t.Errorf("as root, DATA_DIR/pg should link to the cluster the postgres user can reach: %v", err)
		} else {
			t.Logf("cluster in %s", target)
		}
	}
	if err := dev.stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}
