package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payplat/paygql/internal/pgserver"
	"github.com/payplat/paygql/internal/smtptest"
)

// TestShutdown sends SIGTERM to the server binary in development mode while a mutation waits
// for a row lock and the mail worker is in the middle of a send: the server refuses new
// connections at once, lets the mutation commit and answer, finishes the mail in flight
// without starting the next, stops its private PostgreSQL and exits 0 within the grace.
func TestShutdown(t *testing.T) {
	t.Parallel()
	mail := smtptest.Start(t)
	sending, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	mail.BeforeData = func() { first.Do(func() { close(sending); <-release }) }
	var releaseOnce sync.Once
	releaseMail := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(releaseMail)

	srv := startInstance(t, "development server", map[string]string{"SMTP_URL": "smtp://" + mail.Addr})
	token := regexp.MustCompile(`Authorization: Bearer (\S+)`).FindStringSubmatch(srv.stdout.String())
	if token == nil {
		t.Fatalf("no token in the welcome text:\n%s", srv.stdout.String())
	}
	admin := token[1]

	// Two registration mails: the worker takes both and stops in the first send.
	mustGraphQL(t, srv.base, admin, "updateSubDealer", updateSubDealerQ, map[string]any{"in": map[string]any{
		"updateCode": "742", "users": []any{
			map[string]any{"code": "SD-1", "name": "Elif", "surname": "Şahin", "email": "one@example.com", "gsm": "+905551112244", "sendRegisterMail": true},
			map[string]any{"code": "SD-2", "name": "Can", "surname": "Öz", "email": "two@example.com", "gsm": "+905551112255", "sendRegisterMail": true},
		},
	}}, nil)
	select {
	case <-sending:
	case <-time.After(15 * time.Second):
		t.Fatal("the mail worker sent nothing")
	}

	// A mutation that waits for a row lock the test holds.
	pgDir := filepath.Join(srv.dataDir, "pg")
	pid, port := postmaster(t, pgDir)
	dbURL := "postgres://postgres@127.0.0.1:" + port + "/paygql?sslmode=disable"
	var list struct {
		Nodes []record `json:"nodes"`
	}
	res, err := postGraphQL(http.DefaultClient, srv.base, admin, `{ connectorConfigurations(first: 1) { nodes { id version } } }`, nil)
	if err != nil || res.payload("connectorConfigurations", &list) != nil || len(list.Nodes) != 1 {
		t.Fatalf("list: %v %s", err, res.Body)
	}
	cc := list.Nodes[0]
	ctx := context.Background()
	holder := must(pgx.Connect(ctx, dbURL))
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, "BEGIN; SELECT 1 FROM connector_configurations WHERE id = '"+cc.ID+"' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	answered := make(chan gqlResponse, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := postGraphQL(client, srv.base, admin, updateConfigQ, map[string]any{"in": map[string]any{
			"id": cc.ID, "name": "saved during shutdown", "expectedVersion": cc.Version}})
		if err != nil {
			res.Body = err.Error()
		}
		answered <- res
	}()
	waitForLockWait(t, dbURL)

	srv.terminate(t)
	signalled := time.Now()
	refused := false
	for !refused && time.Since(signalled) < 5*time.Second {
		conn, err := net.DialTimeout("tcp", srv.addr, time.Second)
		if err == nil {
			conn.Close()
			time.Sleep(10 * time.Millisecond)
			continue
		}
		refused = errors.Is(err, syscall.ECONNREFUSED)
	}
	if !refused {
		t.Error("new connections are still accepted after SIGTERM")
	}
	select {
	case res := <-answered:
		t.Fatalf("the mutation answered before its lock was released: %s", res.Body)
	default:
	}
	if _, err := holder.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	releaseMail()

	var saved struct{ ConnectorConfiguration record }
	select {
	case res := <-answered:
		if res.Status != http.StatusOK || len(res.Errors) > 0 || res.payload("updateConnectorConfiguration", &saved) != nil ||
			saved.ConnectorConfiguration.Version != cc.Version+1 {
			t.Errorf("the mutation in flight at SIGTERM: %d %s", res.Status, res.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the mutation in flight at SIGTERM never answered")
	}
	if code := srv.wait(shutdownGrace); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	t.Logf("exited %s after SIGTERM", time.Since(signalled).Round(time.Millisecond))

	// The private PostgreSQL stopped with the server.
	if alive(pid) {
		t.Errorf("postgres (pid %d) of %s still runs", pid, pgDir)
	}
	if _, err := os.Stat(filepath.Join(pgDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid left behind: %v", err)
	}

	// What was committed: the mutation, and the one mail sent; the other mail was not begun.
	pg, err := pgserver.Start(ctx, pgserver.Options{DataDir: pgDir})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop()
	conn := must(pgx.Connect(ctx, pg.URL("paygql")))
	defer conn.Close(ctx)
	var version, sent, untouched int
	var name string
	err = conn.QueryRow(ctx, `SELECT version, name,
		(SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL AND attempts = 1),
		(SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND attempts = 0)
		FROM connector_configurations WHERE id = $1`, cc.ID).Scan(&version, &name, &sent, &untouched)
	if err != nil {
		t.Fatal(err)
	}
	if version != cc.Version+1 || name != "saved during shutdown" || sent != 1 || untouched != 1 || len(mail.Received()) != 1 {
		t.Errorf("after shutdown: version %d %q, mails sent %d, not begun %d, received %d; want %d, 1, 1, 1",
			version, name, sent, untouched, len(mail.Received()), cc.Version+1)
	}
}

// postmaster returns the pid and port of the PostgreSQL serving dataDir, from its
// postmaster.pid.
func postmaster(t *testing.T, dataDir string) (int, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		t.Fatalf("postmaster.pid: %q", b)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		t.Fatal(err)
	}
	return pid, strings.TrimSpace(lines[3])
}

// alive reports whether pid is a running process; a zombie counts as gone.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}
