package graph_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/models"
)

// fieldCounter counts the fields gqlgen's generic execution resolves: none on the fast list
// path, which writes its answer without them.
type fieldCounter struct{ n atomic.Int64 }

func (*fieldCounter) ExtensionName() string                   { return "FieldCounter" }
func (*fieldCounter) Validate(graphql.ExecutableSchema) error { return nil }
func (c *fieldCounter) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	c.n.Add(1)
	return next(ctx)
}

// twinEnvs are two servers on one database: fast with the fast list path (the default), generic
// with every list marshalled by gqlgen field by field, as before the fast path existed.
type twinEnvs struct {
	fast, generic             *env
	fastFields, genericFields *fieldCounter
}

func newTwinEnvs(t *testing.T) *twinEnvs {
	store, _ := testenv.New(t)
	cfg := auth.Config{HS256Secret: testSecret}
	tw := &twinEnvs{fastFields: &fieldCounter{}, genericFields: &fieldCounter{}}
	opt := graph.DefaultOptions
	opt.Tracer = tw.fastFields
	tw.fast = newEnvOn(t, store, opt, cfg)
	opt.Tracer, opt.GenericLists = tw.genericFields, true
	tw.generic = newEnvOn(t, store, opt, cfg)
	return tw
}

// seedLists fills every list with records whose fields take every kind of value: nulls,
// empty and non-empty child lists, secrets, decimals of several scales, strings that need
// escaping, a record at version 2 with history.
func (tw *twinEnvs) seedLists(t *testing.T) {
	e := tw.fast
	full := fullGateway()
	full["displayName"] = "Ödeme \"ana\" <kapı> & \\ yol\t\u0001\u001f ✓ \u2028 end"
	full["merchantId"] = "M/\"1\"\n"
	g := e.createGateway(full)
	e.updateGateway(e.admin, map[string]any{"customerId": customerA, "id": g.ID, "maxPaymentAmount": "99999.5",
		"convenienceFees": []any{map[string]any{"paymentType": "CREDIT_CARD", "feeAmount": "0", "applyConvenienceFee": false}}})
	e.createGateway(map[string]any{"customerId": customerA, "displayName": "bare"})
	for range 3 {
		e.createGateway(fullGateway())
	}
	other := fullGateway()
	other["customerId"] = customerB
	e.createGateway(other)
	e.createConfig(map[string]any{"connectorId": garantiID, "name": "Garanti <test>", "apiKey": "api-key-1234"})
	e.mustCreateSubDealer(corporateSubDealer("SD-1"))
	e.mustCreateOrder(newOrder())
}

// TestFastListAnswersAsBefore compares the fast list path's answers with gqlgen's generic
// execution byte for byte, for every list query with varied selections and callers.
func TestFastListAnswersAsBefore(t *testing.T) {
	tw := newTwinEnvs(t)
	tw.seedLists(t)
	e := tw.fast
	gwAdminA := e.token(auth.Claims{Subject: "gw-a", Roles: []string{auth.RoleGatewayAdmin}, CustomerIDs: []string{customerA}})
	gwAdminB := e.token(auth.Claims{Subject: "gw-b", Roles: []string{auth.RoleGatewayAdmin}, CustomerIDs: []string{customerB}})
	dealerAdmin := e.token(auth.Claims{Subject: "dl", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{dealerA, mainDealer}})
	a := map[string]any{"c": customerA}
	const everyField = `id customerId merchantId merchantKey merchantPin displayName testMode allowToken
		minPaymentAmount maxPaymentAmount version createdAt updatedAt __typename
		billTypes { __typename id paymentGatewayId billTypeId applyConvenienceFee }
		applications { __typename id paymentGatewayId applicationId isActive primaryPaymentVenue }
		paymentTypes { __typename id paymentGatewayId paymentType }
		convenienceFees { __typename id paymentGatewayId paymentType minRange maxRange feeAmount applyAtPaymentOfBoot
			applyAtPaymentOfNotice applyAtPaymentOfTow totalPaymentAmount applyConvenienceFee }`
	for _, tt := range []struct {
		name, token, query string
		vars               map[string]any
		fast               bool // whether the fast path answers it
		empty              bool // whether the answer is an empty list
	}{
		{"every field", e.admin, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { ` + everyField + ` } }`, a, true, false},
		{"the benchmark's read", e.admin, `query Gateways($c: UUID!) { customerPaymentGateways(customerId: $c) {
			id displayName merchantId testMode allowToken minPaymentAmount maxPaymentAmount version updatedAt
			billTypes { id billTypeId applyConvenienceFee } applications { id applicationId isActive primaryPaymentVenue }
			paymentTypes { id paymentType } convenienceFees { id paymentType minRange maxRange feeAmount applyConvenienceFee } } }`, a, true, false},
		{"aliases, repeated and merged fields", e.admin, `query($c: UUID!) { customerPaymentGateways(customerId: $c) {
			name: displayName id key: id displayName id fees: convenienceFees { amount: feeAmount id }
			fees: convenienceFees { paymentType id } billTypes { id } bt: billTypes { kind: __typename billTypeId } } }`, a, true, false},
		{"fragments and inline fragments", e.admin, `query($c: UUID!) { customerPaymentGateways(customerId: $c) {
			...G ... on CustomerPaymentGateway { testMode applications { ...A } } ... { allowToken } } }
			fragment G on CustomerPaymentGateway { version displayName paymentTypes { ... on PaymentGatewayPaymentType { paymentType } id } }
			fragment A on PaymentGatewayApplication { applicationId isActive }`, a, true, false},
		{"@skip and @include", e.admin, `query($c: UUID!, $yes: Boolean!, $no: Boolean!) { customerPaymentGateways(customerId: $c) {
			id displayName @skip(if: $yes) version @include(if: $yes) testMode @include(if: $no)
			billTypes @skip(if: $no) { id billTypeId @include(if: false) applyConvenienceFee @skip(if: false) }
			... @include(if: $no) { allowToken } ...F @skip(if: $yes) } }
			fragment F on CustomerPaymentGateway { merchantId }`, map[string]any{"c": customerA, "yes": true, "no": false}, true, false},
		{"secrets and nulls", e.admin, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { merchantKey merchantPin merchantId minPaymentAmount } }`, a, true, false},
		{"in scope", gwAdminA, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id displayName convenienceFees { feeAmount } } }`, a, true, false},
		{"out of scope", gwAdminB, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id displayName } }`, a, true, true},
		{"unknown customer", e.admin, `{ customerPaymentGateways(customerId: "6f1c0000-0000-4000-8000-0000000000ff") { id } }`, nil, true, true},
		{"inline argument, two root fields", e.admin, `{ first: customerPaymentGateways(customerId: "` + customerA + `") { id }
			second: customerPaymentGateways(customerId: "` + customerB + `") { displayName paymentTypes { paymentType } } }`, nil, true, false},
		{"wrong role", dealerAdmin, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id } }`, a, false, false},
		{"with history", e.admin, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id history(first: 2) { version action changes } } }`, a, false, false},
		{"history without arguments", e.admin, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id history { version } } }`, a, false, false},
		{"single gateway", e.admin, `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id } }`, a, true, false},
		{"connectors", e.admin, `{ connectors { id code name __typename } }`, nil, false, false},
		{"connector configurations", e.admin, `{ connectorConfigurations(first: 5) { nodes { id name apiKey mode history { action } }
			edges { cursor node { id priority } } pageInfo { hasNextPage endCursor } } }`, nil, false, false},
		{"sub-dealers", dealerAdmin, `{ subDealers(first: 5) { nodes { ` + sdFields + ` history { version } } pageInfo { hasNextPage } } }`, nil, false, false},
		{"device purchase orders", dealerAdmin, `{ devicePurchaseOrders(first: 5) { edges { node { ` + orderFields + ` history { version } } } } }`, nil, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tw.fastFields.n.Store(0)
			tw.genericFields.n.Store(0)
			got := tw.fast.post(tt.token, tt.query, tt.vars)
			want := tw.generic.post(tt.token, tt.query, tt.vars)
			if got.Status != want.Status || got.Body != want.Body {
				t.Fatalf("fast path answered\n%d %s\nwhere gqlgen answers\n%d %s", got.Status, got.Body, want.Status, want.Body)
			}
			if tt.fast && !tt.empty && !strings.Contains(got.Body, `:[{`) {
				t.Errorf("no gateway to compare: %s", got.Body)
			}
			if fast := tw.fastFields.n.Load() == 0; fast != tt.fast {
				t.Errorf("fast path taken: %v, want %v (%d fields resolved by gqlgen)", fast, tt.fast, tw.fastFields.n.Load())
			}
			if tw.genericFields.n.Load() == 0 {
				t.Error("the generic server took a fast path")
			}
		})
	}

	// Answers of different sizes at once: the buffers they are written in, reused from one
	// answer to the next (fastlist.go answerBuffers), never mix two answers.
	queries := []string{
		`query($c: UUID!) { customerPaymentGateways(customerId: $c) { ` + everyField + ` } }`,
		`query($c: UUID!) { customerPaymentGateways(customerId: $c) { id displayName } }`,
		`{ first: customerPaymentGateways(customerId: "` + customerA + `") { id }
			second: customerPaymentGateways(customerId: "` + customerB + `") { displayName paymentTypes { paymentType } } }`,
	}
	want := make([]string, len(queries))
	for i, q := range queries {
		want[i] = tw.generic.post(e.admin, q, a).Body
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 15 {
				k := (w + i) % len(queries)
				if got := tw.fast.post(e.admin, queries[k], a).Body; got != want[k] {
					t.Errorf("concurrent answer to query %d:\n%.300s\nwant\n%.300s", k, got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestFastListStatements checks that the fast path sends the statements the generic path
// sends: one for the gateways, one per child list selected, whatever the number of gateways.
func TestFastListStatements(t *testing.T) {
	tw := newTwinEnvs(t)
	e := tw.fast
	for range 30 {
		e.createGateway(fullGateway())
	}
	counter := &queryCounter{}
	e.db.AddQueryHook(counter)
	for _, tt := range []struct {
		selection string
		want      int64
	}{
		{`id displayName`, 1},
		{`id billTypes { id } convenienceFees { feeAmount }`, 3},
		{gwFields, 5},
	} {
		q := `query($c: UUID!) { customerPaymentGateways(customerId: $c) { ` + tt.selection + ` } }`
		counts := map[string]int64{}
		for name, s := range map[string]*env{"fast": tw.fast, "generic": tw.generic} {
			counter.n.Store(0)
			if res := s.post(e.admin, q, map[string]any{"c": customerA}); len(res.Errors) > 0 {
				t.Fatal(res.Body)
			}
			counts[name] = counter.n.Load()
		}
		if counts["fast"] != tt.want || counts["generic"] != tt.want {
			t.Errorf("{ %s }: %d statements on the fast path, %d on the generic one, want %d", tt.selection, counts["fast"], counts["generic"], tt.want)
		}
	}
}

// TestAggregatedListsMatchRows checks the gateway lists read in aggregated form (one row per
// gateway, models/list_read.go) against Bun reading their rows one by one: every column of
// every item, nulls, list order and text that the array form quotes.
func TestAggregatedListsMatchRows(t *testing.T) {
	e := newEnv(t)
	odd := fullGateway()
	odd["paymentTypes"] = []any{map[string]any{"paymentType": `NULL`}, map[string]any{"paymentType": `a "b", {c} \d`},
		map[string]any{"paymentType": "CREDIT_CARD"}, map[string]any{"paymentType": " spaced ✓ "}}
	odd["convenienceFees"] = []any{
		map[string]any{"paymentType": "CREDIT_CARD", "minRange": "0", "maxRange": "100", "feeAmount": "2.5", "applyAtPaymentOfBoot": true,
			"applyAtPaymentOfNotice": false, "applyAtPaymentOfTow": true, "totalPaymentAmount": "99.99", "applyConvenienceFee": true},
		map[string]any{"paymentType": `a "b", {c} \d`},
	}
	odd["applications"] = []any{map[string]any{"applicationId": appTwo, "isActive": false, "primaryPaymentVenue": true},
		map[string]any{"applicationId": appOne, "isActive": true}}
	gs := []*models.CustomerPaymentGateway{}
	for _, in := range []map[string]any{odd, fullGateway(), {"customerId": customerA, "displayName": "no lists"}, fullGateway()} {
		g := e.createGateway(in)
		gs = append(gs, &models.CustomerPaymentGateway{Record: models.Record{ID: uuid.MustParse(g.ID)}})
	}
	// Reordered in place, so that positions differ from the order of insertion.
	e.updateGateway(e.admin, map[string]any{"customerId": customerA, "id": gs[1].ID.String(),
		"billTypes": []any{map[string]any{"billTypeId": 9, "applyConvenienceFee": true}, map[string]any{"billTypeId": 1}}})
	ctx := t.Context()
	ids := make([]uuid.UUID, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	check := func(name string, got any, rows any) {
		t.Helper()
		if err := e.db.NewSelect().Model(rows).Where("payment_gateway_id IN (?)", bun.In(ids)).Order("payment_gateway_id", "position").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		want := reflect.MakeSlice(reflect.TypeOf(got), len(gs), len(gs))
		r := reflect.ValueOf(rows).Elem()
		for i, id := range ids {
			list := reflect.MakeSlice(reflect.TypeOf(got).Elem(), 0, 0)
			for k := range r.Len() {
				if r.Index(k).Elem().FieldByName("PaymentGatewayID").Interface() == id {
					list = reflect.Append(list, r.Index(k))
				}
			}
			want.Index(i).Set(list)
		}
		if !reflect.DeepEqual(got, want.Interface()) {
			t.Errorf("%s read in aggregated form:\n%s\nread row by row:\n%s", name, mustJSON(t, got), mustJSON(t, want.Interface()))
		}
	}
	bt, err := e.store.BillTypes(ctx, gs)
	if err != nil {
		t.Fatal(err)
	}
	check("bill types", bt, &[]*models.PaymentGatewayBillType{})
	apps, err := e.store.Applications(ctx, gs)
	if err != nil {
		t.Fatal(err)
	}
	check("applications", apps, &[]*models.PaymentGatewayApplication{})
	pts, err := e.store.PaymentTypes(ctx, gs)
	if err != nil {
		t.Fatal(err)
	}
	check("payment types", pts, &[]*models.PaymentGatewayPaymentType{})
	fees, err := e.store.ConvenienceFees(ctx, gs)
	if err != nil {
		t.Fatal(err)
	}
	check("convenience fees", fees, &[]*models.ConvenienceFee{})
	if len(fees[0]) != 2 || fees[0][0].TotalPaymentAmount == nil || fees[0][1].FeeAmount != nil || len(fees[2]) != 0 ||
		pts[0][1].PaymentType != `a "b", {c} \d` || bt[1][0].BillTypeID != 9 {
		t.Errorf("the seed did not reach the lists: %s", mustJSON(t, fees))
	}
}

// TestFastListBehindPgBouncer reads a customer's gateways with their lists through PgBouncer
// in the exec modes a pooler needs, where statements are not prepared and the parents' ids
// travel without a known parameter type.
func TestFastListBehindPgBouncer(t *testing.T) {
	for _, mode := range []string{"exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			e := newPooledEnv(t, "default_query_exec_mode", mode)
			created := []*gateway{e.createGateway(fullGateway()), e.createGateway(fullGateway())}
			var out struct{ CustomerPaymentGateways []gateway }
			e.do(`query($c: UUID!) { customerPaymentGateways(customerId: $c) { `+gwFields+` } }`, map[string]any{"c": customerA}, &out)
			if len(out.CustomerPaymentGateways) != 2 {
				t.Fatalf("%d gateways", len(out.CustomerPaymentGateways))
			}
			for i, g := range out.CustomerPaymentGateways {
				want := created[i]
				want.History = nil
				if got, w := mustJSON(t, g), mustJSON(t, want); got != w {
					t.Errorf("read\n%s\nafter creating\n%s", got, w)
				}
			}
		})
	}
}
