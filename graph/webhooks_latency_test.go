package graph_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/netguard"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/internal/webhooks"
)

// TestWebhookLatency measures the time from a mutation's answer (its commit is before it) to
// the receiver's request, with the feed's LISTEN waking the dispatcher, under writers updating
// orders at once; it logs p50/p99 and checks that every change arrived once.
func TestWebhookLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	for _, writers := range []int{1, 4} {
		t.Run(strconv.Itoa(writers)+" writers", func(t *testing.T) { webhookLatency(t, writers, 40/writers) })
	}
}

func webhookLatency(t *testing.T, writers, perWriter int) {
	store, url := testenv.New(t)
	store.WebhookPolicy = netguard.Policy{AllowPrivate: true}
	e := newEnvOn(t, store, graph.DefaultOptions, auth.Config{HS256Secret: testSecret})
	var mu sync.Mutex
	arrived := map[string]time.Time{} // record@version → arrival
	rc := newReceiver(t, nil)
	_, rc.secret = e.mustCreateEndpoint(e.admin, map[string]any{"url": rc.URL, "entityTypes": []string{"DEVICE_PURCHASE_ORDER"}})
	runWebhooks(e, url, webhooks.Options{TLS: trust(rc), Policy: netguard.Policy{AllowPrivate: true}})
	orders := make([]string, writers)
	for i := range orders {
		orders[i] = e.mustCreateOrder(newOrder()).UUID
	}
	waitFor(t, "the creations", func() bool { return len(rc.accepted()) == writers })
	committed := map[string]time.Time{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				ship := "SHIP-" + string(rune('A'+i%26))
				p := e.updateOrder(e.admin, map[string]any{"dealerCode": dealerA, "uuid": orders[w], "shippingMethodGatewayId": ship + "x"})
				mu.Lock()
				committed[orders[w]+"@"+itoa(p.DevicePurchaseOrder.Version)] = time.Now()
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	waitFor(t, "every update", func() bool { return len(rc.accepted()) == writers*(perWriter+1) })
	for _, h := range rc.accepted() {
		d := h.data(t)
		arrived[d.Data.ID+"@"+itoa(d.Data.Version)] = h.at
	}
	var lat []time.Duration
	for k, c := range committed {
		a, ok := arrived[k]
		if !ok {
			t.Fatalf("%s never arrived", k)
		}
		lat = append(lat, max(a.Sub(c), 0))
	}
	slices.Sort(lat)
	t.Logf("commit → receiver, %d updates by %d writers (10 ms pause each): p50 %v, p99 %v, max %v",
		len(lat), writers, lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
}

func itoa(n int) string { return strconv.Itoa(n) }
