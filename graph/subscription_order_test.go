package graph_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/payplat/paygql/graph"
)

// TestSubscriptionOrderWithIdempotencyKeys: concurrent updates of one record, each with its own
// idempotency key or none, reach a subscriber in version order. The key's claim writes a row, which
// gives the transaction its id; were that before the record's lock, a transaction that waited
// for the lock could commit a later version under an older id, and the feed (ordered by
// transaction id) would deliver it first.
func TestSubscriptionOrderWithIdempotencyKeys(t *testing.T) {
	for _, keyed := range []bool{true, false} {
		t.Run(fmt.Sprint("keyed=", keyed), func(t *testing.T) { checkUpdateOrder(t, keyed) })
	}
}

// checkUpdateOrder races updates of one record and checks that a subscriber hears of them in
// version order.
func checkUpdateOrder(t *testing.T, keyed bool) {
	e := newSubEnv(t, graph.ChangeOptions{})
	cc := e.createConfig(map[string]any{"name": "contended"})
	c := e.connect(e.admin)
	if err := c.Subscribe("1", configChanged, map[string]any{"after": e.head()}); err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 8, 4
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				in := map[string]any{"id": cc.ID, "name": fmt.Sprint("w", w, "-", i)}
				if keyed {
					in["idempotencyKey"] = fmt.Sprint("key-", w, "-", i)
				}
				p := e.updateConfig(e.admin, in)
				if len(p.UserErrors) > 0 {
					t.Errorf("update refused: %v", p.UserErrors)
				}
			}
		})
	}
	wg.Wait()
	var got []string
	for v := 2; v <= 1+writers*rounds; v++ {
		ch := next(t, c, "1", "connectorConfigurationChanged")
		got = append(got, fmt.Sprint(ch.Version, "@", ch.Cursor))
		if ch.Version != v {
			t.Fatalf("event %d: version %d, want %d; heard %v", v-1, ch.Version, v, got)
		}
	}
}
