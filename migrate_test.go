package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/testenv"
)

// migrateEnv is the environment of paygql commands on the database at url.
func migrateEnv(t *testing.T, url string) []string {
	return []string{"DATABASE_URL=" + url, "DATA_DIR=" + t.TempDir(), "LOG_LEVEL=warn"}
}

// appliedCount counts the applied migrations `paygql migrate status` lists.
func appliedCount(t *testing.T, env []string) int {
	t.Helper()
	out, errOut, code := paygql(t, env, "migrate", "status")
	if code != 0 {
		t.Fatalf("migrate status: exit %d, %s", code, errOut)
	}
	return strings.Count(out, "  applied")
}

// TestMigrateDown runs `paygql migrate down` on a database holding the demo data: one
// migration per run, newest first; a dry run and a refusal change nothing; a table holding
// rows is dropped only with --force, and the refusal names each table with its row count.
func TestMigrateDown(t *testing.T) {
	_, url := testenv.New(t)
	env := migrateEnv(t, url)
	if out, errOut, code := paygql(t, env, "seed"); code != 0 || out != "demo data loaded\n" {
		t.Fatalf("seed: exit %d, %q, %q", code, out, errOut)
	}
	down := func(args ...string) (string, string, int) {
		t.Helper()
		return paygql(t, env, append([]string{"migrate", "down"}, args...)...)
	}
	// Migrations newer than this test's story go first, whatever they hold.
	for sql(t, url, "SELECT max(name) FROM bun_migrations") > "20261205090001" {
		if out, errOut, code := down("--force"); code != 0 {
			t.Fatalf("migrate down --force: exit %d, %q, %q", code, out, errOut)
		}
	}
	if all := appliedCount(t, env); all != 8 {
		t.Fatalf("%d migrations applied after seed and rolling back the newer ones, want 8", all)
	}
	// The newest adds a column: it goes without a word.
	want := "rolled back 20261205090001_mail_outbox_claims, dropping no table; 7 migrations still applied\n"
	if out, errOut, code := down(); code != 0 || out != want {
		t.Errorf("migrate down: exit %d, %q, %q; want %q", code, out, errOut, want)
	}
	all := appliedCount(t, env)
	// A dry run says what would go and changes nothing.
	want = "would roll back 20261125100002_idempotency_keys, dropping idempotency_keys (0 rows); nothing was changed (dry run)\n"
	if out, errOut, code := down("--dry-run"); code != 0 || out != want {
		t.Errorf("migrate down --dry-run: exit %d, %q, %q; want %q", code, out, errOut, want)
	}
	if got := appliedCount(t, env); got != all {
		t.Errorf("after the dry run %d migrations are applied, want %d", got, all)
	}

	// A row in the table the last migration drops: refused, nothing changed.
	sql(t, url, `INSERT INTO idempotency_keys (actor, idempotency_key, operation, request_hash, expires_at)
		VALUES ('ops', 'k1', 'createSubDealer', '\x00', now())`)
	out, errOut, code := down()
	if code != 1 || out != "" || !strings.Contains(errOut, "rolling back 20261125100002_idempotency_keys would drop tables holding rows: idempotency_keys (1 row); nothing was changed") ||
		!strings.Contains(errOut, "migrate down --force") {
		t.Errorf("migrate down on a table with a row: exit %d, %q, %q; want 1 and a refusal naming idempotency_keys (1 row) and --force", code, out, errOut)
	}
	if got := sql(t, url, "SELECT count(*)::text FROM idempotency_keys"); got != "1" || appliedCount(t, env) != all {
		t.Errorf("refused, yet idempotency_keys holds %s rows and %d migrations are applied", got, appliedCount(t, env))
	}

	// --force drops it and says so.
	want = "rolled back 20261125100002_idempotency_keys, dropping idempotency_keys (1 row); 6 migrations still applied\n"
	if out, errOut, code := down("--force"); code != 0 || out != want {
		t.Errorf("migrate down --force: exit %d, %q, %q; want %q", code, out, errOut, want)
	}
	if got := sql(t, url, "SELECT coalesce(to_regclass('idempotency_keys')::text, 'gone')"); got != "gone" {
		t.Errorf("after --force idempotency_keys is %s, want gone", got)
	}

	// One step at a time, on tables without rows.
	for _, want := range []string{
		"rolled back 20261125100001_text_limits, dropping no table; 5 migrations still applied\n",
		"rolled back 20261124000003_mail_outbox, dropping mail_outbox (0 rows); 4 migrations still applied\n",
	} {
		if out, errOut, code := down(); code != 0 || out != want {
			t.Errorf("migrate down: exit %d, %q, %q; want %q", code, out, errOut, want)
		}
	}

	// The orders hold the demo's rows: refused, naming both tables with their counts.
	items := sql(t, url, "SELECT count(*)::text FROM device_purchase_order_items")
	orders := sql(t, url, "SELECT count(*)::text FROM device_purchase_orders")
	if items == "0" || orders == "0" {
		t.Fatalf("the demo data has %s orders with %s items; the test needs some", orders, items)
	}
	out, errOut, code = down()
	wantErr := fmt.Sprintf("would drop tables holding rows: device_purchase_order_items (%s rows), device_purchase_orders (%s rows); nothing was changed", items, orders)
	if code != 1 || out != "" || !strings.Contains(errOut, wantErr) {
		t.Errorf("migrate down on the orders: exit %d, %q, %q; want 1 and %q", code, out, errOut, wantErr)
	}
	t.Logf("the refusal: %s", errOut)
	if got := sql(t, url, "SELECT count(*)::text FROM device_purchase_order_items"); got != items || appliedCount(t, env) != 4 {
		t.Errorf("refused, yet the order items went from %s to %s rows", items, got)
	}
	want = fmt.Sprintf("would roll back 20261124000002_device_purchase_orders, dropping device_purchase_order_items (%s rows), device_purchase_orders (%s rows), which it refuses without --force; nothing was changed (dry run)\n", items, orders)
	if out, errOut, code := down("--dry-run"); code != 0 || out != want {
		t.Errorf("migrate down --dry-run on the orders: exit %d, %q, %q; want %q", code, out, errOut, want)
	}
	if strings.Contains(errOut, "postgres://") || strings.Contains(errOut, "SELECT") {
		t.Errorf("the refusal shows a connection string or SQL: %s", errOut)
	}

	if _, errOut, code := down("--force", "extra"); code != 1 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("migrate down --force extra: exit %d, %q", code, errOut)
	}
	if _, errOut, code := down("--yes"); code != 1 || !strings.Contains(errOut, "not defined: -yes") {
		t.Errorf("migrate down --yes: exit %d, %q", code, errOut)
	}
}

// TestUnknownMigrations gives a database a migration a newer release applied: serve starts
// and warns naming it, migrate status lists it, and migrate down refuses to roll it back.
func TestUnknownMigrations(t *testing.T) {
	_, url := testenv.New(t)
	sql(t, url, "INSERT INTO bun_migrations (name, group_id) VALUES ('29990101000000', 99)")
	env := migrateEnv(t, url)

	out, errOut, code := paygql(t, env, "migrate", "status")
	if code != 0 || !strings.Contains(out, "\n29990101000000  applied, unknown to this binary (a newer release applied it)\n") ||
		!strings.Contains(out, "20261123000001_foundation  applied (group 1)\n") {
		t.Errorf("migrate status: exit %d, %q, %q; want the unknown migration listed", code, out, errOut)
	}
	if _, errOut, code := paygql(t, env, "migrate", "down", "--force"); code != 1 || !strings.Contains(errOut, "29990101000000 is unknown to this binary") {
		t.Errorf("migrate down: exit %d, %q; want a refusal naming 29990101000000", code, errOut)
	}

	// serve, in this process, logs the warning and serves.
	vars := map[string]string{"DATABASE_URL": url, "DATA_DIR": t.TempDir(), "PORT": freePort(t), "LOG_LEVEL": "warn"}
	ctx, cancel := context.WithCancel(t.Context())
	var logs lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return vars[k] }, io.Discard, &logs) }()
	for deadline := time.Now().Add(30 * time.Second); getStatus("http://127.0.0.1:"+vars["PORT"]+"/readyz") != 200; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not get ready: %v\n%s", <-done, logs.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if l := logs.String(); !strings.Contains(l, `"level":"WARN","msg":"the database has migrations this binary does not know: a newer release applied them","migrations":["29990101000000"]`) {
		t.Errorf("serve's log lacks the warning naming 29990101000000:\n%s", l)
	}
}
