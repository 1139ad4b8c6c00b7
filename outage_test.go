package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/pgserver"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/models"
)

// failFast bounds how long a request may take while the database is down.
const failFast = 5 * time.Second

// TestDatabaseOutage serves the real routes on a PostgreSQL of its own, crashes that server in
// the middle of a mutation, sends requests while it is down, and starts it again: while it is down
// queries, mutations and /readyz answer 503 (SERVICE_UNAVAILABLE) at once; the interrupted
// mutation leaves nothing behind; once it is back the same process serves again by itself.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(reachableDir(t), "pg")
	pg, err := pgserver.Start(ctx, pgserver.Options{DataDir: dataDir, Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() }) // pg is the server running at the end
	db, err := database.Open(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(must(secrets.ParseKey(secrets.NewKey())))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.HS256Secret = []byte("an-outage-test-secret-of-32-bytes-at-least")
	verifier := must(auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret}))
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := httptest.NewServer(routes(cfg, logger, db, &models.Store{DB: db, Secrets: box}, verifier, ""))
	defer srv.Close()
	token := must(auth.MintHS256(cfg.HS256Secret, auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}}))

	var created struct{ ConnectorConfiguration record }
	mustGraphQL(t, srv.URL, token, "createConnectorConfiguration", createConfigQ,
		map[string]any{"in": map[string]any{"connectorId": garanti, "name": "before"}}, &created)
	cc := created.ConnectorConfiguration
	mustGraphQL(t, srv.URL, token, "createSubDealer", createSubDealer, map[string]any{"in": subDealerInput("BASE")}, nil)

	// Fill the pool with idle connections, all of which the outage kills: none of them may
	// fail a request once the database is back.
	conns := make([]bun.Conn, 15)
	for i := range conns {
		conns[i] = must(db.Conn(ctx))
	}
	for _, c := range conns {
		_ = c.Close()
	}
	filled := time.Now()

	// A mutation caught by the outage: another transaction takes user code HALF-u1 first, so
	// the create of sub-dealer HALF writes its row, its users, its audit entry and its mail,
	// then waits at commit for the unique check until the server goes.
	holder := must(pgx.Connect(ctx, pg.URL("postgres")))
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, "BEGIN; UPDATE sub_dealer_users SET code = 'HALF-u1' WHERE code = 'BASE-u1'"); err != nil {
		t.Fatal(err)
	}
	half := subDealerInput("HALF")
	half["users"].([]any)[1].(map[string]any)["sendRegisterMail"] = true
	caught := make(chan gqlResponse, 1)
	go func() {
		res, err := postGraphQL(http.DefaultClient, srv.URL, token, createSubDealer, map[string]any{"in": half})
		if err != nil {
			res.Body = err.Error()
		}
		caught <- res
	}()
	waitForLockWait(t, pg.URL("postgres"))

	// The outage is a crash (immediate shutdown), not a fast shutdown: a fast shutdown ends
	// the sessions one by one, and when it ends the holder first, its lock goes with it and
	// the waiting mutation commits before its own session ends (1 run in 20 on one CPU).
	// A crash ends every session at once, releasing nothing. The test cluster commits
	// asynchronously, so a checkpoint first writes what was committed, as a durable
	// server would have at each commit.
	checkpoint := must(pgx.Connect(ctx, pg.URL("postgres")))
	if _, err := checkpoint.Exec(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	_ = checkpoint.Close(ctx)
	if err := pg.Crash(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-caught:
		if res.Status != http.StatusServiceUnavailable || res.code() != "SERVICE_UNAVAILABLE" {
			t.Errorf("the mutation caught by the outage: %d %s", res.Status, res.Body)
		}
	case <-time.After(failFast):
		t.Fatal("the mutation caught by the outage did not answer")
	}

	// Down: every request fails fast with 503, /readyz too.
	for _, req := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"query", readConfigQ, map[string]any{"id": cc.ID}},
		{"mutation", updateConfigQ, map[string]any{"in": map[string]any{"id": cc.ID, "name": "during the outage"}}},
	} {
		start := time.Now()
		res, err := postGraphQL(http.DefaultClient, srv.URL, token, req.query, req.vars)
		if took := time.Since(start); err != nil || took > failFast || res.Status != http.StatusServiceUnavailable ||
			res.code() != "SERVICE_UNAVAILABLE" || res.Errors[0].Extensions["retryable"] != true {
			t.Errorf("%s while down: %v after %s: %d %s", req.name, err, took, res.Status, res.Body)
		}
	}
	if got := getStatus(srv.URL + "/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz while down: %d, want 503", got)
	}

	// Back: the same process serves again, on every pooled connection. (An outage takes a
	// second at least, which is what pgx needs to ping a pooled connection before reuse.)
	time.Sleep(time.Until(filled.Add(1100 * time.Millisecond)))
	pg, err = pgserver.Start(ctx, pgserver.Options{DataDir: dataDir, Port: pg.Port(), Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := getStatus(srv.URL + "/readyz"); got != http.StatusOK {
		t.Errorf("/readyz once back: %d, want 200", got)
	}
	var wg sync.WaitGroup
	for i := range 15 {
		wg.Go(func() {
			res, err := postGraphQL(http.DefaultClient, srv.URL, token, readConfigQ, map[string]any{"id": cc.ID})
			if err != nil || res.Status != http.StatusOK || len(res.Errors) > 0 {
				t.Errorf("query %d once back: %v %d %s", i, err, res.Status, res.Body)
			}
		})
	}
	wg.Wait()
	var updated struct{ ConnectorConfiguration record }
	mustGraphQL(t, srv.URL, token, "updateConnectorConfiguration", updateConfigQ,
		map[string]any{"in": map[string]any{"id": cc.ID, "name": "after", "expectedVersion": 1}}, &updated)
	if updated.ConnectorConfiguration.Version != 2 {
		t.Errorf("update once back made version %d, want 2 (the one during the outage must not count)", updated.ConnectorConfiguration.Version)
	}

	// Nothing of the interrupted mutation is left, and the other transaction is gone too.
	var counts [4]int
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM sub_dealers WHERE code = 'HALF'),
		(SELECT count(*) FROM sub_dealer_users WHERE code LIKE 'HALF-%'),
		(SELECT count(*) FROM audit_log WHERE entity_type = 'SubDealer'),
		(SELECT count(*) FROM mail_outbox)`).Scan(&counts[0], &counts[1], &counts[2], &counts[3])
	if err != nil {
		t.Fatal(err)
	}
	if counts != [4]int{0, 0, 1, 0} {
		t.Errorf("after the outage: sub-dealers HALF %d, users HALF-* %d, sub-dealer audit entries %d (want BASE's 1), mails %d",
			counts[0], counts[1], counts[2], counts[3])
	}
	var base struct{ SubDealer record }
	res, err := postGraphQL(http.DefaultClient, srv.URL, token, readSubDealerQ, map[string]any{"code": "BASE"})
	if err != nil || res.payload("subDealer", &base.SubDealer) != nil || len(base.SubDealer.Users) != 2 || base.SubDealer.Users[0].Code != "BASE-u1" {
		t.Errorf("BASE after the outage: %v %s", err, res.Body)
	}
}

// waitForLockWait waits until a session of the database at url waits for a lock.
func waitForLockWait(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn := must(pgx.Connect(ctx, url))
	defer conn.Close(ctx)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session waits for a lock")
		}
	}
}

// must returns v, panicking on err: for test set-up that cannot fail.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
