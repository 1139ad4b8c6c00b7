package main

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/netguard"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/migrations"
	"github.com/payplat/paygql/models"
)

// TestWebhooksOnceAcrossKilledServers kills the server binary with SIGKILL three times while
// its webhook worker delivers 30 events to an HTTPS receiver (trusted through SSL_CERT_FILE),
// each time while the receiver holds a request before answering: the delivery's outcome is
// never recorded. Each kill may repeat only that delivery, with the same webhook-id, once its
// lease has ended; every other event arrives exactly once, and the log shows the interrupted
// attempts.
func TestWebhooksOnceAcrossKilledServers(t *testing.T) {
	t.Parallel()
	const hooks, kills = 30, 3
	dbURL := pgtest.URL(t, migrations.Migrations, migrations.FS)
	db := must(database.Open(t.Context(), dbURL))
	defer db.Close()

	var mu sync.Mutex
	counts := map[string]int{}
	arrived := 0
	held := make(chan chan struct{})
	rc := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		counts[r.Header.Get("webhook-id")]++
		arrived++
		n := arrived
		mu.Unlock()
		if n%7 == 3 && n <= 7*kills {
			release := make(chan struct{})
			held <- release
			<-release
		} else {
			time.Sleep(5 * time.Millisecond)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer rc.Close()
	caFile := filepath.Join(t.TempDir(), "receiver-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rc.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	box := must(secrets.NewBox(must(secrets.ParseKey(sharedKey))))
	store := &models.Store{DB: db, Secrets: box, WebhookPolicy: netguard.Policy{AllowPrivate: true}}
	p, err := store.CreateWebhookEndpoint(t.Context(), &auth.Principal{Subject: "ops", Roles: []string{auth.RoleAdmin}},
		models.CreateWebhookEndpointInput{URL: rc.URL + "/hooks", EntityTypes: []models.WebhookEntityType{models.WebhookConnectorConfiguration}})
	if err != nil || len(p.UserErrors) > 0 {
		t.Fatalf("create endpoint: %v %v", err, p.UserErrors)
	}
	// 30 changes, each its own record, so that none waits for another.
	if _, err := db.ExecContext(t.Context(), `
		WITH c AS (
			INSERT INTO connector_configurations (id, connector_id, name)
			SELECT gen_random_uuid(), (SELECT id FROM connectors ORDER BY code LIMIT 1), 'crash ' || i FROM generate_series(1, ?) AS i
			RETURNING id)
		INSERT INTO audit_log (entity_type, entity_id, at, actor, action, version, changes)
		SELECT 'ConnectorConfiguration', id::text, now(), 'ops', 'create', 1, '{"name": {"from": null, "to": "x"}}' FROM c`, hooks); err != nil {
		t.Fatal(err)
	}

	env := func() map[string]string {
		return map[string]string{
			"DATABASE_URL": dbURL, "AUTH_HS256_SECRET": "webhook-crash-test-secret-of-32-bytes-at-least",
			"SECRETS_KEY": sharedKey, "SMTP_URL": "smtp://127.0.0.1:1?from=portal@pay.example",
			"SSL_CERT_FILE": caFile, "WEBHOOK_WORKERS": "1",
		}
	}
	var heldIDs []string
	for k := range kills {
		in := startInstance(t, "instance "+string(rune('A'+k)), env())
		var release chan struct{}
		select {
		case release = <-held:
		case <-time.After(20 * time.Second):
			t.Fatalf("kill %d: no webhook reached the receiver", k)
		}
		kill(t, in)
		close(release)
		var id string
		if err := db.NewRaw(`SELECT webhook_id FROM webhook_deliveries WHERE claimed_at IS NOT NULL AND delivered_at IS NULL ORDER BY claimed_at DESC LIMIT 1`).Scan(t.Context(), &id); err != nil {
			t.Fatalf("kill %d: the delivery in flight: %v", k, err)
		}
		heldIDs = append(heldIDs, id)
	}
	mu.Lock()
	for id, n := range counts {
		if n > 1 {
			t.Errorf("before the leases ended, %s arrived %d times", id, n)
		}
	}
	mu.Unlock()
	// Stand in for the leases' end.
	if _, err := db.ExecContext(t.Context(), `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE claimed_at IS NOT NULL AND delivered_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	last := startInstance(t, "last instance", env())
	waitUntil(t, "every delivery to be recorded", func() bool {
		var n int
		return db.NewRaw(`SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NOT NULL`).Scan(context.Background(), &n) == nil && n == hooks
	})
	last.terminate(t)
	if code := last.wait(20 * time.Second); code != 0 {
		t.Errorf("last instance exited with %d", code)
	}

	mu.Lock()
	defer mu.Unlock()
	var repeated []string
	for id, n := range counts {
		if n > 1 {
			repeated = append(repeated, id)
		}
	}
	sort.Strings(repeated)
	sort.Strings(heldIDs)
	t.Logf("%d events, %d kills: %d requests, repeated %v (held at the kills: %v)", hooks, kills, arrived, repeated, heldIDs)
	if len(counts) != hooks || strings.Join(repeated, ",") != strings.Join(heldIDs, ",") {
		t.Errorf("%d distinct webhook-ids (want %d); repeated %v, want exactly the ones in flight at the kills %v", len(counts), hooks, repeated, heldIDs)
	}
	for _, id := range heldIDs {
		if counts[id] != 2 {
			t.Errorf("%s, in flight at a kill, arrived %d times; want twice", id, counts[id])
		}
	}
	var interrupted int
	if err := db.NewRaw(`SELECT count(*) FROM webhook_deliveries WHERE attempts = 2 AND last_error IS NULL`).Scan(t.Context(), &interrupted); err != nil {
		t.Fatal(err)
	}
	if interrupted != kills || last.logCount("webhook attempt interrupted earlier, trying again") != kills {
		t.Errorf("%d deliveries took a second attempt, %d logged as interrupted; want %d", interrupted,
			last.logCount("webhook attempt interrupted earlier, trying again"), kills)
	}
}
