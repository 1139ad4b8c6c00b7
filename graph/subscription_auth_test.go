package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/wstest"
)

// subscriptionRow is one row of the subscriptions' auth matrix.
type subscriptionRow struct {
	name   string
	query  string
	need   string
	scoped bool
}

var subscriptionRows = []subscriptionRow{
	{"devicePurchaseOrderChanged", orderChanged, auth.RoleDealerAdmin, true},
	{"subDealerChanged", subDealerChanged, auth.RoleDealerAdmin, true},
	{"customerPaymentGatewayChanged", gatewayChanged, auth.RoleGatewayAdmin, true},
	{"connectorConfigurationChanged", configChanged, auth.RoleConnectorAdmin, false},
}

// TestAuthMatrixCoversSubscriptions fails when the schema gains a subscription without a row.
func TestAuthMatrixCoversSubscriptions(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	var fields, rows []string
	for _, f := range schema.Subscription.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			fields = append(fields, f.Name)
		}
	}
	for _, r := range subscriptionRows {
		rows = append(rows, r.name)
	}
	sort.Strings(fields)
	sort.Strings(rows)
	if !slices.Equal(fields, rows) {
		t.Errorf("subscription rows %v do not match the schema's subscriptions %v", rows, fields)
	}
}

// TestAuthMatrixSubscriptions runs every subscription as every caller of the auth matrix, each
// on its own connection, while an admin changes one record of each kind in the "in" scope and
// then one in the "out" scope (a sentinel): an anonymous caller cannot connect; a wrong role
// gets FORBIDDEN; an allowed caller hears of the in-scope change; a caller for whom it is out of
// scope hears of the sentinel first, so never of the in-scope change before it (the feed
// delivers in commit order).
func TestAuthMatrixSubscriptions(t *testing.T) {
	e := newSubEnv(t, graph.ChangeOptions{})
	fixtureOrder := e.mustCreateOrder(newOrder())
	in := map[string]string{
		"connectorConfigurationChanged": e.createConfig(map[string]any{"name": "matrix"}).ID,
		"customerPaymentGatewayChanged": e.createGateway(map[string]any{"customerId": customerA, "displayName": "matrix"}).ID,
		"subDealerChanged":              e.mustCreateSubDealer(corporateSubDealer("MATRIX")).ID,
		"devicePurchaseOrderChanged":    fixtureOrder.UUID,
	}
	// Every subscription starts after the fixtures, however long it takes to start.
	head := e.head()
	conns := map[matrixCaller]*wstest.Conn{}
	for _, c := range matrixCallers {
		ws, _, err := wstest.Dial(e.srv.URL+"/query", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ws.Close)
		if c.role == "" {
			if err := ws.Init(map[string]any{}); err == nil || !ws.Closed(5*time.Second) || ws.CloseCode != 4403 {
				t.Errorf("anonymous: %v, closed %d %q", err, ws.CloseCode, ws.CloseReason)
			}
			continue
		}
		if err := ws.Init(map[string]any{"Authorization": "Bearer " + e.token(c.claims())}); err != nil {
			t.Fatal(err)
		}
		for _, r := range subscriptionRows {
			if err := ws.Subscribe(r.name, r.query, map[string]any{"after": head}); err != nil {
				t.Fatal(err)
			}
		}
		conns[c] = ws
	}
	// The in-scope changes, then the sentinels in the "out" scope.
	for what, errs := range map[string][]userError{
		"config":     e.updateConfig(e.admin, map[string]any{"id": in["connectorConfigurationChanged"], "name": "changed"}).UserErrors,
		"gateway":    e.updateGateway(e.admin, map[string]any{"customerId": customerA, "id": in["customerPaymentGatewayChanged"], "displayName": "changed"}).UserErrors,
		"sub-dealer": e.updateSubDealer(e.admin, map[string]any{"updateCode": "MATRIX", "name": "changed"}).UserErrors,
	} {
		if len(errs) > 0 {
			t.Fatalf("%s update refused: %v", what, errs)
		}
	}
	e.mustUpdateOrder(fixtureOrder, map[string]any{"shippingMethodGatewayId": "CHANGED"})
	sd := corporateSubDealer("SENTINEL")
	sd["mainDealerCode"] = otherMain
	order := newOrder()
	order["dealerCode"] = dealerB
	out := map[string]string{
		"customerPaymentGatewayChanged": e.createGateway(map[string]any{"customerId": customerB, "displayName": "sentinel"}).ID,
		"subDealerChanged":              e.mustCreateSubDealer(sd).ID,
		"devicePurchaseOrderChanged":    e.mustCreateOrder(order).UUID,
	}

	// Each operation ends with an error, the sentinel, or (unscoped) the in-scope update.
	ends := func(op string, h heard) bool {
		return h.code != "" || h.record == out[op] || out[op] == "" && h.record == in[op] && h.version == 2
	}
	var wg sync.WaitGroup
	for c, ws := range conns {
		wg.Go(func() {
			got := heardPerOperation(ws, ends, len(subscriptionRows), 10*time.Second)
			for _, r := range subscriptionRows {
				op := matrixOp{need: r.need, scoped: r.scoped}
				want := op.expect(c)
				hs := got[r.name]
				// Whether the caller heard of the in-scope update, and what ended the operation.
				inScope := slices.ContainsFunc(hs, func(h heard) bool { return h.record == in[r.name] && h.version == 2 })
				var last heard
				if len(hs) > 0 {
					last = hs[len(hs)-1]
				}
				var ok bool
				switch want {
				case forbidden:
					ok = len(hs) == 1 && last.code == string(forbidden)
				case allowed:
					ok = inScope && last.code == ""
				case looksMissing:
					ok = !slices.ContainsFunc(hs, func(h heard) bool { return h.record == in[r.name] }) && last.record == out[r.name]
				}
				if !ok {
					t.Errorf("%s as %s: want %s, heard %+v (in %s, out %s; %v)", r.name, c, want, hs, in[r.name], out[r.name], got["error"])
				}
			}
		})
	}
	wg.Wait()
}

// heard is the first thing an operation got: an error code, or an event's record and version.
type heard struct {
	code    string
	record  string
	version int
}

// heardPerOperation reads ws until each of n operations heard what ends it (or the time is up)
// and returns what each heard, in order.
func heardPerOperation(ws *wstest.Conn, ends func(op string, h heard) bool, n int, within time.Duration) map[string][]heard {
	got := map[string][]heard{}
	ended := map[string]bool{}
	deadline := time.Now().Add(within)
	for len(ended) < n && time.Now().Before(deadline) {
		m, err := ws.Next(time.Until(deadline))
		if err != nil {
			break
		}
		if ended[m.ID] || m.Type == "complete" {
			continue
		}
		var h heard
		switch m.Type {
		case "error":
			var errs []gqlError
			_ = json.Unmarshal(m.Payload, &errs)
			if len(errs) > 0 {
				h.code = fmt.Sprint(errs[0].Extensions["code"])
			}
		case "next":
			var p struct {
				Data   map[string]change `json:"data"`
				Errors []gqlError        `json:"errors"`
			}
			_ = json.Unmarshal(m.Payload, &p)
			if len(p.Errors) > 0 {
				h.code = fmt.Sprint(p.Errors[0].Extensions["code"])
			}
			if ch, ok := p.Data[m.ID]; ok {
				h.record, h.version = ch.Record.ID, ch.Version
			}
		}
		got[m.ID] = append(got[m.ID], h)
		ended[m.ID] = ends(m.ID, h)
	}
	return got
}
