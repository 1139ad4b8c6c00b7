package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/wstest"
)

const subDealerChangedQ = `subscription($after: String) { subDealerChanged(after: $after) {
	cursor action version record: subDealer { id code mainDealerCode version } } }`

// heardChange is one event a subscriber heard, and when.
type heardChange struct {
	Cursor  string `json:"cursor"`
	Version int    `json:"version"`
	Record  struct {
		ID             string `json:"id"`
		MainDealerCode string `json:"mainDealerCode"`
	} `json:"record"`
	at time.Time
}

// listen subscribes on c from after and collects the events until n have come or within ends.
func listen(t *testing.T, c *wstest.Conn, after string, n int, within time.Duration) []heardChange {
	t.Helper()
	if err := c.Subscribe("s", subDealerChangedQ, map[string]any{"after": after}); err != nil {
		t.Fatal(err)
	}
	var out []heardChange
	deadline := time.Now().Add(within)
	for len(out) < n && time.Now().Before(deadline) {
		m, err := c.Next(time.Until(deadline))
		if err != nil {
			break
		}
		var p struct {
			Data struct{ SubDealerChanged heardChange } `json:"data"`
		}
		if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil {
			t.Errorf("unexpected %s: %s", m.Type, m.Payload)
			continue
		}
		h := p.Data.SubDealerChanged
		h.at = time.Now()
		out = append(out, h)
	}
	return out
}

// TestSubscriptionsAcrossInstances runs three server processes on one database with a
// subscriber on each (two admins, one dealer-admin whose scope holds one main dealer), and
// spreads creates and racing updates of sub-dealers of two main dealers over the instances:
// every subscriber hears of every change in its scope once, per record in version order, and of
// none outside it; a subscriber that reconnects to another instance with the last cursor it
// saw gets exactly the rest; SIGTERM closes the instance's connections with 1001. It logs the
// delay from a mutation's answer to each subscriber (commit → subscriber, an upper bound).
func TestSubscriptionsAcrossInstances(t *testing.T) {
	// Not parallel: its server processes hold 21 connections each, and beside the parallel
	// multi-instance tests they would exhaust the test server's max_connections (200).
	dbURL := pgtest.EmptyURL(t)
	const secret = "subscriptions-secret-of-32-bytes-at-least"
	instances := make([]*instance, 3)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() {
			instances[i] = startInstance(t, fmt.Sprint("instance ", i), map[string]string{
				"DATABASE_URL": dbURL, "AUTH_HS256_SECRET": secret, "SECRETS_KEY": sharedKey,
				"SMTP_URL": "smtp://127.0.0.1:1?from=portal@pay.example", "LOG_LEVEL": "warn",
			})
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	admin := must(auth.MintHS256([]byte(secret), auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}}))
	dealer := must(auth.MintHS256([]byte(secret), auth.Claims{Subject: "dealer", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{"NT65126658"}}))
	connect := func(in *instance, token string) *wstest.Conn {
		c, _, err := wstest.Dial(in.base+"/query", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		if err := c.Init(map[string]any{"Authorization": "Bearer " + token}); err != nil {
			t.Fatal(err)
		}
		return c
	}

	// Four sub-dealers in scope, two outside; each updated 8 times through all instances at once.
	const inScope, outScope, updates = 4, 2, 8
	codes := map[string]string{} // code → main dealer
	for i := range inScope {
		codes[fmt.Sprint("IN", i)] = "NT65126658"
	}
	for i := range outScope {
		codes[fmt.Sprint("OUT", i)] = "NT00000001"
	}
	total := (inScope + outScope) * (1 + updates)
	subs := []*wstest.Conn{connect(instances[0], admin), connect(instances[1], dealer), connect(instances[2], admin)}
	want := []int{total, inScope * (1 + updates), total}
	heard := make([][]heardChange, len(subs))
	for i, c := range subs {
		wg.Go(func() { heard[i] = listen(t, c, "0.0", want[i], 60*time.Second) })
	}

	answered := sync.Map{} // "id/version" → when the mutation answered
	var mu sync.Mutex
	ids := map[string]string{} // record id → main dealer
	var writers sync.WaitGroup
	n := 0
	for code, main := range codes {
		n++
		writers.Go(func() {
			in := subDealerInput(code)
			in["mainDealerCode"] = main
			var created struct{ SubDealer record }
			mustGraphQL(t, instances[n%3].base, admin, "createSubDealer", createSubDealer, map[string]any{"in": in}, &created)
			answered.Store(created.SubDealer.ID+"/1", time.Now())
			mu.Lock()
			ids[created.SubDealer.ID] = main
			mu.Unlock()
			var inner sync.WaitGroup
			for u := range updates {
				inner.Go(func() {
					var updated struct{ SubDealer record }
					mustGraphQL(t, instances[u%3].base, admin, "updateSubDealer", updateSubDealerQ,
						map[string]any{"in": map[string]any{"updateCode": code, "name": fmt.Sprint("name ", u)}}, &updated)
					answered.Store(fmt.Sprint(updated.SubDealer.ID, "/", updated.SubDealer.Version), time.Now())
				})
			}
			inner.Wait()
		})
	}
	writers.Wait()
	wg.Wait()

	for i, hs := range heard {
		if len(hs) != want[i] {
			t.Errorf("subscriber %d heard %d events, want %d", i, len(hs), want[i])
		}
		last := map[string]int{}
		var delays []time.Duration
		for _, h := range hs {
			if main := ids[h.Record.ID]; i == 1 && main != "NT65126658" {
				t.Errorf("the dealer-admin heard of %s of main dealer %q", h.Record.ID, main)
			}
			if h.Version != last[h.Record.ID]+1 {
				t.Errorf("subscriber %d: %s version %d after %d", i, h.Record.ID, h.Version, last[h.Record.ID])
			}
			last[h.Record.ID] = h.Version
			if at, ok := answered.Load(fmt.Sprint(h.Record.ID, "/", h.Version)); ok {
				delays = append(delays, max(0, h.at.Sub(at.(time.Time))))
			}
		}
		slices.Sort(delays)
		if len(delays) > 0 {
			t.Logf("subscriber %d: %d events; mutation answer → event p50 %s, p99 %s, max %s", i, len(hs),
				delays[len(delays)/2], delays[len(delays)*99/100], delays[len(delays)-1])
		}
	}

	// Reconnect to another instance after the 10th event: exactly the rest, in the same order.
	if len(heard[2]) == total {
		c := connect(instances[1], admin)
		rest := listen(t, c, heard[2][9].Cursor, total-10, 30*time.Second)
		if len(rest) != total-10 {
			t.Fatalf("resumed: %d events, want %d", len(rest), total-10)
		}
		for j, h := range rest {
			if h.Cursor != heard[2][10+j].Cursor {
				t.Fatalf("resumed event %d: %s, want %s", j, h.Cursor, heard[2][10+j].Cursor)
			}
		}
		if m, err := c.Next(300 * time.Millisecond); err == nil {
			t.Errorf("after the rest: %s %s", m.Type, m.Payload)
		}
	}

	// SIGTERM: the instance closes its connections with 1001 (clients reconnect elsewhere).
	instances[0].terminate(t)
	if !subs[0].Closed(10*time.Second) || subs[0].CloseCode != 1001 {
		t.Errorf("on SIGTERM the connection closed with %d %q", subs[0].CloseCode, subs[0].CloseReason)
	}
	if code := instances[0].wait(30 * time.Second); code != 0 {
		t.Errorf("instance 0 exited with %d", code)
	}
	if res := getStatus(instances[1].base + "/readyz"); res != http.StatusOK {
		t.Errorf("instance 1 /readyz: %d", res)
	}
}
