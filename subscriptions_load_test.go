package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/wstest"
)

// TestSubscriptionLoad opens 1,000 subscriptions (50 connections of 20) on one server process,
// then commits 40 updates one after another: every subscription hears of every update, and the
// process's resident memory grows by a bounded amount per subscription. It logs the delay from
// a mutation's answer to each delivery (p50/p99 over all 40,000) and the memory per
// subscription, the figures README's subscriptions section quotes.
func TestSubscriptionLoad(t *testing.T) {
	// Not parallel: its server processes hold 21 connections each, and beside the parallel
	// multi-instance tests they would exhaust the test server's max_connections (200).
	const secret = "subscription-load-secret-of-32-bytes-at-least"
	in := startInstance(t, "loaded instance", map[string]string{
		"DATABASE_URL": pgtest.EmptyURL(t), "AUTH_HS256_SECRET": secret, "SECRETS_KEY": sharedKey, "LOG_LEVEL": "warn",
		"SUBSCRIPTION_MAX_CONNECTIONS": "100", "SUBSCRIPTION_MAX_PER_SUBJECT": "2000",
	})
	admin := must(auth.MintHS256([]byte(secret), auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}}))
	var created struct{ ConnectorConfiguration record }
	mustGraphQL(t, in.base, admin, "createConnectorConfiguration", createConfigQ,
		map[string]any{"in": map[string]any{"connectorId": garanti, "name": "load"}}, &created)
	id := created.ConnectorConfiguration.ID

	const conns, perConn, updates = 50, 20, 40
	// What a mutation costs before any subscription exists, to compare with below.
	update := func(name string) time.Duration {
		start := time.Now()
		mustGraphQL(t, in.base, admin, "updateConnectorConfiguration", updateConfigQ,
			map[string]any{"in": map[string]any{"id": id, "name": name}}, nil)
		return time.Since(start)
	}
	var alone []time.Duration
	for i := range 20 {
		alone = append(alone, update(fmt.Sprint("warm ", i)))
		time.Sleep(50 * time.Millisecond)
	}
	before := rss(t, in)
	cs := make([]*wstest.Conn, conns)
	for i := range cs {
		c, _, err := wstest.Dial(in.base+"/query", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		if err := c.Init(map[string]any{"Authorization": "Bearer " + admin}); err != nil {
			t.Fatal(err)
		}
		for j := range perConn {
			q := `subscription($id: UUID) { connectorConfigurationChanged(id: $id) { version record: connectorConfiguration { id version name } } }`
			if err := c.Subscribe(strconv.Itoa(j), q, map[string]any{"id": id}); err != nil {
				t.Fatal(err)
			}
		}
		cs[i] = c
	}
	time.Sleep(time.Second) // every subscription has started
	held := rss(t, in)
	perSub := float64(held-before) / (conns * perConn)
	t.Logf("resident memory: %d KiB before, %d KiB with %d subscriptions on %d connections: %.1f KiB per subscription, so about %d fit in 256 MiB",
		before>>10, held>>10, conns*perConn, conns, perSub/1024, int(float64(256<<20-before)/max(perSub, 1)))
	if perSub > 256<<10 {
		t.Errorf("%.0f KiB per subscription", perSub/1024)
	}

	first := 22 // the version of the first timed update
	answered := make([]time.Time, first+updates)
	var delays []time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			for range perConn * updates {
				m, err := c.Next(30 * time.Second)
				if err != nil {
					t.Errorf("a subscriber heard too little: %v", err)
					return
				}
				at := time.Now()
				d, _ := m.Decode()
				var ev struct{ Version int }
				_ = json.Unmarshal(d.Data["connectorConfigurationChanged"], &ev)
				v := ev.Version
				mu.Lock()
				if v >= first && v < len(answered) && !answered[v].IsZero() {
					delays = append(delays, max(0, at.Sub(answered[v])))
				}
				mu.Unlock()
			}
		})
	}
	var loaded []time.Duration
	for i := range updates {
		loaded = append(loaded, update(fmt.Sprint("load ", i)))
		mu.Lock()
		answered[first+i] = time.Now()
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	slices.Sort(alone)
	slices.Sort(loaded)
	t.Logf("an update's round trip: median %s with no subscription, %s with %d subscriptions hearing of it",
		alone[len(alone)/2], loaded[len(loaded)/2], conns*perConn)
	slices.Sort(delays)
	if len(delays) > 0 {
		t.Logf("%d updates, 20/s at most, each delivered to %d subscriptions: mutation answer → delivery p50 %s, p99 %s (%d deliveries timed)",
			updates, conns*perConn, delays[len(delays)/2], delays[len(delays)*99/100], len(delays))
	}
}

// rss is the server process's resident memory in bytes.
func rss(t *testing.T, in *instance) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", in.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
