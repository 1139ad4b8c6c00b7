package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/testenv"
)

// racers is how many requests race for one record.
const racers = 50

// contended is one entity as the contention tests drive it through the real handler.
type contended struct {
	name string
	// create stores a record and returns the update input's key fields and the record's
	// stable id (its primary key).
	create func(e *env) (key map[string]any, id string)
	// table holds the record's row, with the primary key id.
	table string
	// field is the update mutation and record the payload field holding the record.
	field, record string
	// query reads the record by the key's fields (updateCode is code there).
	query string
	// selection is what the update and the query read of the record.
	selection string
	// change is the i-th request's change: a value no other request sends and, where the
	// entity has one, a whole child list.
	change func(i int) map[string]any
	// marks returns what tells the requests apart in a record read back: the changed value
	// and every child list item.
	marks func(rec map[string]any) []string
}

var contendedEntities = []contended{
	{
		name: "connector configuration",
		create: func(e *env) (map[string]any, string) {
			c := e.createConfig(map[string]any{"name": "initial"})
			return map[string]any{"id": c.ID}, c.ID
		},
		table: "connector_configurations",
		field: "updateConnectorConfiguration", record: "connectorConfiguration",
		query:     `query($id: UUID!) { connectorConfiguration(id: $id) { %s } }`,
		selection: "id version name",
		change:    func(i int) map[string]any { return map[string]any{"name": fmt.Sprint("config-", i)} },
		marks:     func(rec map[string]any) []string { return []string{fmt.Sprint(rec["name"])} },
	},
	{
		name: "customer payment gateway",
		create: func(e *env) (map[string]any, string) {
			g := e.createGateway(fullGateway())
			return map[string]any{"customerId": g.CustomerID, "id": g.ID}, g.ID
		},
		table: "customer_payment_gateways",
		field: "updateCustomerPaymentGateway", record: "customerPaymentGateway",
		query:     `query($customerId: UUID!, $id: UUID!) { customerPaymentGateway(customerId: $customerId, id: $id) { %s } }`,
		selection: "id version displayName billTypes { billTypeId } applications { applicationId }",
		change: func(i int) map[string]any {
			return map[string]any{
				"displayName": fmt.Sprint("gateway-", i),
				"billTypes":   []any{map[string]any{"billTypeId": 1000 + i}, map[string]any{"billTypeId": 2000 + i}},
				"applications": []any{
					map[string]any{"applicationId": fmt.Sprintf("a9900000-0000-4000-8000-%012d", i)},
					map[string]any{"applicationId": fmt.Sprintf("a9900000-0000-4000-9000-%012d", i)},
				},
			}
		},
		marks: func(rec map[string]any) []string {
			return append(append([]string{fmt.Sprint(rec["displayName"])},
				pluck(rec, "billTypes", "billTypeId")...), pluck(rec, "applications", "applicationId")...)
		},
	},
	{
		name: "sub-dealer",
		create: func(e *env) (map[string]any, string) {
			d := e.mustCreateSubDealer(corporateSubDealer("CT"))
			return map[string]any{"updateCode": d.Code}, d.ID
		},
		table: "sub_dealers",
		field: "updateSubDealer", record: "subDealer",
		query:     `query($code: String!) { subDealer(code: $code) { %s } }`,
		selection: "id version name users { code name }",
		change: func(i int) map[string]any {
			// users are upserted by code: both stored users change, none is added.
			return map[string]any{"name": fmt.Sprint("dealer-", i), "users": []any{
				map[string]any{"code": "CT-u1", "name": fmt.Sprint("first-", i)},
				map[string]any{"code": "CT-u2", "name": fmt.Sprint("second-", i)},
			}}
		},
		marks: func(rec map[string]any) []string {
			return append([]string{fmt.Sprint(rec["name"])}, pluck(rec, "users", "name")...)
		},
	},
	{
		name: "device purchase order",
		create: func(e *env) (map[string]any, string) {
			o := e.mustCreateOrder(newOrder())
			return map[string]any{"dealerCode": o.DealerCode, "uuid": o.UUID}, o.UUID
		},
		table: "device_purchase_orders",
		field: "updateDevicePurchaseOrder", record: "devicePurchaseOrder",
		query:     `query($dealerCode: String!, $uuid: UUID!) { devicePurchaseOrder(dealerCode: $dealerCode, uuid: $uuid) { %s } }`,
		selection: "uuid version shippingMethodGatewayId items { product { gatewayCountryProductId } }",
		change: func(i int) map[string]any {
			return map[string]any{"shippingMethodGatewayId": fmt.Sprint("SHIP-", i), "items": []any{
				item(fmt.Sprint("TR-", i, "-A"), 1, "10.00"), item(fmt.Sprint("TR-", i, "-B"), 2, "20.00"),
			}}
		},
		marks: func(rec map[string]any) []string {
			var ids []string
			for _, it := range list(rec, "items") {
				ids = append(ids, fmt.Sprint(it["product"].(map[string]any)["gatewayCountryProductId"]))
			}
			return append([]string{fmt.Sprint(rec["shippingMethodGatewayId"])}, ids...)
		},
	},
}

func list(rec map[string]any, field string) []map[string]any {
	var out []map[string]any
	items, _ := rec[field].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

// pluck returns field of every item of the list rec[listField], in order.
func pluck(rec map[string]any, listField, field string) []string {
	var out []string
	for _, it := range list(rec, listField) {
		out = append(out, fmt.Sprint(it[field]))
	}
	return out
}

// updateOutcome is what one update request got.
type updateOutcome struct {
	record     map[string]any // nil when refused
	userErrors []string       // "path:CODE"
	response   response
}

func (o updateOutcome) version() int {
	v, _ := o.record["version"].(float64)
	return int(v)
}

// tryUpdate sends one update of c with key and fields. It may run on any goroutine.
func (e *env) tryUpdate(c contended, key, fields map[string]any) (updateOutcome, error) {
	in := map[string]any{}
	for k, v := range key {
		in[k] = v
	}
	for k, v := range fields {
		in[k] = v
	}
	doc := fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { %s { %s } userErrors { field code message } } }`,
		strings.ToUpper(c.field[:1])+c.field[1:]+"Input", c.field, c.record, c.selection)
	body, err := json.Marshal(map[string]any{"query": doc, "variables": map[string]any{"in": in}})
	if err != nil {
		return updateOutcome{}, err
	}
	res, err := e.send(e.admin, map[string]string{"Content-Type": "application/json"}, string(body))
	if err != nil || len(res.Errors) > 0 {
		return updateOutcome{response: res}, err
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(res.Data, &raw); err != nil {
		return updateOutcome{}, err
	}
	out := updateOutcome{response: res}
	var errs []userError
	if err := json.Unmarshal(raw[c.field]["userErrors"], &errs); err != nil {
		return updateOutcome{}, err
	}
	out.userErrors = keys(errs)
	if err := json.Unmarshal(raw[c.field][c.record], &out.record); err != nil {
		return updateOutcome{}, err
	}
	return out, nil
}

// read returns the stored record with its history's versions, newest first.
func (e *env) read(c contended, key map[string]any) (map[string]any, []int) {
	e.t.Helper()
	doc := fmt.Sprintf(c.query, c.selection+" history(first: 100) { version }")
	vars := map[string]any{}
	for k, v := range key {
		if k == "updateCode" {
			k = "code"
		}
		vars[k] = v
	}
	var out map[string]map[string]any
	e.do(doc, vars, &out)
	rec := out[c.record]
	var versions []int
	for _, h := range list(rec, "history") {
		versions = append(versions, int(h["version"].(float64)))
	}
	return rec, versions
}

// race sends n updates of the record named by key at once, the i-th with fields(i), and
// returns what each got.
func (e *env) race(c contended, key map[string]any, n int, fields func(i int) map[string]any) []updateOutcome {
	e.t.Helper()
	outs := make([]updateOutcome, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			outs[i], errs[i] = e.tryUpdate(c, key, fields(i))
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			e.t.Fatalf("request %d: %v", i, err)
		}
		if o := outs[i]; o.response.Status != 200 || len(o.response.Errors) > 0 {
			e.t.Fatalf("request %d: status %d: %s", i, o.response.Status, o.response.Body)
		}
	}
	return outs
}

// checkHistory checks that every committed version left exactly one audit entry: versions
// are version, version-1, …, 1.
func checkHistory(t *testing.T, versions []int, version int) {
	t.Helper()
	want := make([]int, 0, version)
	for v := version; v >= 1; v-- {
		want = append(want, v)
	}
	if !slices.Equal(versions, want) {
		t.Errorf("history versions %v, want %d down to 1", versions, version)
	}
}

// TestContention has 50 requests at once update one record of every entity through the real
// handler, first with expectedVersion, then without, and checks that no update is lost and
// no two interleave.
func TestContention(t *testing.T) {
	for _, c := range contendedEntities {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			key, _ := c.create(e)
			_, history := e.read(c, key)
			v0 := len(history)

			// With expectedVersion: request i expects version v0 + i%10. Exactly one request
			// wins per version, the winners' versions follow each other from v0, and every
			// other request gets VERSION_CONFLICT and writes nothing.
			outs := e.race(c, key, racers, func(i int) map[string]any {
				f := c.change(i)
				f["expectedVersion"] = v0 + i%10
				return f
			})
			winners := map[int]int{} // expected version → request
			for i, o := range outs {
				switch {
				case len(o.userErrors) == 0:
					if prev, ok := winners[v0+i%10]; ok {
						t.Errorf("requests %d and %d both won at version %d", prev, i, v0+i%10)
					}
					winners[v0+i%10] = i
					if o.version() != v0+i%10+1 {
						t.Errorf("request %d expected %d and made version %d", i, v0+i%10, o.version())
					}
					if got, want := c.marks(o.record), c.marks(fromChange(c, i)); !slices.Equal(got, want) {
						t.Errorf("request %d answered %v, want its own %v", i, got, want)
					}
				case !slices.Equal(o.userErrors, []string{"expectedVersion:VERSION_CONFLICT"}):
					t.Errorf("request %d: %v", i, o.userErrors)
				}
			}
			rec, history := e.read(c, key)
			won := len(winners)
			for v := v0; v < v0+won; v++ {
				if _, ok := winners[v]; !ok {
					t.Errorf("winners at versions %v: none at %d", winners, v)
				}
			}
			last := winners[v0+won-1]
			if won == 0 || history[0] != v0+won || !slices.Equal(c.marks(rec), c.marks(fromChange(c, last))) {
				t.Errorf("%d winners; stored version %d with %v, want %d with request %d's %v",
					won, history[0], c.marks(rec), v0+won, last, c.marks(fromChange(c, last)))
			}
			checkHistory(t, history, v0+won)

			// Without expectedVersion every request applies, one after the other: the version
			// rises by exactly their number, each answer shows its own lists, and the stored
			// record is exactly the last one's, not a mix.
			v1 := history[0]
			outs = e.race(c, key, racers, func(i int) map[string]any { return c.change(100 + i) })
			byVersion := map[int]int{}
			for i, o := range outs {
				if len(o.userErrors) != 0 {
					t.Errorf("request %d refused: %v", i, o.userErrors)
					continue
				}
				if prev, ok := byVersion[o.version()]; ok {
					t.Errorf("requests %d and %d both made version %d", prev, i, o.version())
				}
				byVersion[o.version()] = i
				if got, want := c.marks(o.record), c.marks(fromChange(c, 100+i)); !slices.Equal(got, want) {
					t.Errorf("request %d answered %v, want its own %v", i, got, want)
				}
			}
			rec, history = e.read(c, key)
			last, ok := byVersion[v1+racers]
			if !ok || history[0] != v1+racers || !slices.Equal(c.marks(rec), c.marks(fromChange(c, 100+last))) {
				t.Errorf("stored version %d with %v, want %d with the last request's %v",
					history[0], c.marks(rec), v1+racers, c.marks(fromChange(c, 100+last)))
			}
			checkHistory(t, history, v1+racers)
		})
	}
}

// fromChange is the record as change(i) leaves it, as far as marks can tell: its fields
// read back the way they were sent.
func fromChange(c contended, i int) map[string]any {
	b, _ := json.Marshal(c.change(i))
	var rec map[string]any
	_ = json.Unmarshal(b, &rec)
	return rec
}

// TestLockTimeout holds the row lock of a record of every entity in another transaction for
// longer than a short lock_timeout: the update fails fast with the retryable LOCK_TIMEOUT,
// not a hung request or an internal error, and writes nothing.
func TestLockTimeout(t *testing.T) {
	_, dbURL := testenv.New(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("lock_timeout", "200ms")
	u.RawQuery = q.Encode()
	e := newEnvOn(t, testenv.Open(t, u.String()), graphDefaultOptions(), auth.Config{HS256Secret: testSecret})
	for _, c := range contendedEntities {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			key, id := c.create(e)
			before, history := e.read(c, key)

			o, took := e.updateWhileLocked(c, key, id)

			res := o.response
			if res.Status != 200 || res.codeOf() != "LOCK_TIMEOUT" || res.Errors[0].Extensions["retryable"] != true ||
				!strings.Contains(res.Errors[0].Message, "lock timeout") || o.record != nil {
				t.Errorf("update of a locked record: status %d, %s", res.Status, res.Body)
			}
			if took > 3*time.Second {
				t.Errorf("the update took %s with lock_timeout 200ms", took)
			}
			after, afterHistory := e.read(c, key)
			if !slices.Equal(c.marks(after), c.marks(before)) || !slices.Equal(afterHistory, history) {
				t.Errorf("the refused update wrote: %v %v, was %v %v", c.marks(after), afterHistory, c.marks(before), history)
			}
			// Once the lock is gone, the same request succeeds.
			if o, err := e.tryUpdate(c, key, c.change(1)); err != nil || len(o.userErrors) > 0 || o.version() != history[0]+1 {
				t.Errorf("retry: %v %v %s", err, o.userErrors, o.response.Body)
			}
		})
	}
}

// updateWhileLocked tries an update of the record key names while another transaction holds
// its row lock, and returns the outcome and how long it took.
func (e *env) updateWhileLocked(c contended, key map[string]any, id any) (updateOutcome, time.Duration) {
	e.t.Helper()
	ctx := context.Background()
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // released below; this is for a failed test
	if _, err := tx.ExecContext(ctx, "SELECT 1 FROM "+c.table+" WHERE id = ? FOR UPDATE", id); err != nil {
		e.t.Fatal(err)
	}
	start := time.Now()
	o, err := e.tryUpdate(c, key, c.change(1))
	took := time.Since(start)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		e.t.Fatal(err)
	}
	return o, took
}
