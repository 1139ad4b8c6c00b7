package graph_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// row is a node of a connection as these tests read it.
type row struct {
	ID         string `json:"id"`
	Name       string `json:"name"` // "" when null
	Code       string `json:"code"`
	DealerCode string `json:"dealerCode"`
	Total      string `json:"total"`
	CreatedAt  string `json:"createdAt"`
	UpdatedAt  string `json:"updatedAt"`
}

// connPage is a page of a connection as a Relay client reads it.
type connPage struct {
	Edges []struct {
		Cursor string `json:"cursor"`
		Node   row    `json:"node"`
	} `json:"edges"`
	Nodes    []row `json:"nodes"`
	PageInfo struct {
		HasNextPage     bool    `json:"hasNextPage"`
		HasPreviousPage bool    `json:"hasPreviousPage"`
		StartCursor     *string `json:"startCursor"`
		EndCursor       *string `json:"endCursor"`
	} `json:"pageInfo"`
}

// list names a list query: its root field, its orderBy input type and the fields of row it has.
type listQuery struct{ field, orderType, fields string }

var (
	configList = listQuery{"connectorConfigurations", "ConnectorConfigurationOrder", "id name createdAt updatedAt"}
	dealerList = listQuery{"subDealers", "SubDealerOrder", "id name code createdAt updatedAt"}
	orderList  = listQuery{"devicePurchaseOrders", "DevicePurchaseOrderOrder", "id dealerCode total createdAt updatedAt"}
)

func (l listQuery) query() string {
	return fmt.Sprintf(`query($first: Int, $after: String, $orderBy: %s, $search: String) {
		%s(first: $first, after: $after, orderBy: $orderBy, search: $search) {
			edges { cursor node { %s } } nodes { %s }
			pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, l.orderType, l.field, l.fields, l.fields)
}

// page asks for one page and checks that it is a well-formed Relay page: nodes are the edges'
// nodes, startCursor and endCursor the first and last edges' cursors, hasPreviousPage true
// exactly after a cursor.
func (e *env) page(l listQuery, vars map[string]any) connPage {
	e.t.Helper()
	var out map[string]connPage
	e.do(l.query(), vars, &out)
	p := out[l.field]
	if len(p.Nodes) != len(p.Edges) {
		e.t.Fatalf("%d nodes, %d edges", len(p.Nodes), len(p.Edges))
	}
	for i, ed := range p.Edges {
		if ed.Node != p.Nodes[i] || ed.Cursor == "" {
			e.t.Fatalf("edge %d = %+v, node %+v", i, ed, p.Nodes[i])
		}
	}
	_, after := vars["after"]
	if p.PageInfo.HasPreviousPage != after {
		e.t.Errorf("hasPreviousPage = %v with after %v", p.PageInfo.HasPreviousPage, vars["after"])
	}
	if n := len(p.Edges); n > 0 && (*p.PageInfo.StartCursor != p.Edges[0].Cursor || *p.PageInfo.EndCursor != p.Edges[n-1].Cursor) {
		e.t.Errorf("pageInfo %+v does not match the edges' cursors", p.PageInfo)
	} else if n == 0 && (p.PageInfo.StartCursor != nil || p.PageInfo.EndCursor != nil) {
		e.t.Errorf("empty page with cursors %+v", p.PageInfo)
	}
	return p
}

// walk reads every page of l, two rows at a time, in order (nil: the default order), and
// returns the ids in the order seen. It follows the last edge's cursor, as Relay does.
func (e *env) walk(l listQuery, order map[string]any, search string) []string {
	e.t.Helper()
	var ids []string
	vars := map[string]any{"first": 2, "orderBy": order}
	if search != "" {
		vars["search"] = search
	}
	for range 50 {
		p := e.page(l, vars)
		for _, ed := range p.Edges {
			ids = append(ids, ed.Node.ID)
		}
		if !p.PageInfo.HasNextPage {
			return ids
		}
		vars["after"] = p.Edges[len(p.Edges)-1].Cursor
	}
	e.t.Fatal("more than 50 pages")
	return nil
}

// sorted returns the ids of rows ordered by key, ties by id, both in direction dir: what
// the server must answer, computed without it.
func sorted(rows []row, key func(a, b row) int, dir string) []string {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b row) int {
		c := cmp.Or(key(a, b), strings.Compare(a.ID, b.ID))
		if dir == "DESC" {
			return -c
		}
		return c
	})
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

func byTime(f func(row) string) func(a, b row) int {
	return func(a, b row) int {
		ta, _ := time.Parse(time.RFC3339Nano, f(a))
		tb, _ := time.Parse(time.RFC3339Nano, f(b))
		return ta.Compare(tb)
	}
}

var (
	byCreated = byTime(func(r row) string { return r.CreatedAt })
	byUpdated = byTime(func(r row) string { return r.UpdatedAt })
)

// checkOrders walks l in every order of keys, both directions, and compares with sorted.
func (e *env) checkOrders(l listQuery, rows []row, keys map[string]func(a, b row) int) {
	e.t.Helper()
	for field, key := range keys {
		for _, dir := range []string{"ASC", "DESC"} {
			got := e.walk(l, map[string]any{"field": field, "direction": dir}, "")
			if want := sorted(rows, key, dir); !slices.Equal(got, want) {
				e.t.Errorf("%s by %s %s:\n got %v\nwant %v", l.field, field, dir, got, want)
			}
		}
	}
}

// all reads every row of l in one page.
func (e *env) all(l listQuery) []row {
	e.t.Helper()
	p := e.page(l, map[string]any{"first": 100})
	rows := make([]row, len(p.Nodes))
	copy(rows, p.Nodes)
	return rows
}

// TestListOrders pages every list in every order, both directions, two rows at a time, and
// compares with the order computed here: equal sort values (two sub-dealers named alpha,
// configurations without a name, orders with equal totals) are ordered by id, and no row is
// skipped or repeated across pages.
func TestListOrders(t *testing.T) {
	e := newEnv(t)
	for _, name := range []any{"delta", nil, "alpha", "charlie", nil, "alpha"} {
		e.createConfig(map[string]any{"name": name})
	}
	for i, name := range []string{"delta", "alpha", "charlie", "bravo", "alpha", "echo"} {
		in := corporateSubDealer(fmt.Sprintf("SD-%c", 'F'-i))
		in["name"] = name
		e.mustCreateSubDealer(in)
	}
	var orders []*order
	for i, amount := range []string{"30.00", "10.00", "20.00", "10.00", "5.00"} {
		in := newOrder()
		in["items"] = []any{item("TR-P", 1, amount)}
		delete(in, "shipping")
		if i%2 == 1 {
			in["dealerCode"] = dealerB
		}
		orders = append(orders, e.mustCreateOrder(in))
	}
	// Change some records, so that the order by updatedAt differs from the order by createdAt.
	e.updateSubDealer(e.admin, map[string]any{"updateCode": "SD-E", "phone": "02165550001"})
	e.mustUpdateOrder(orders[1], map[string]any{"paymentType": "BANK_TRANSFER"})

	e.checkOrders(configList, e.all(configList), map[string]func(a, b row) int{
		"CREATED_AT": byCreated, "UPDATED_AT": byUpdated,
		"NAME": func(a, b row) int { return strings.Compare(a.Name, b.Name) },
	})
	e.checkOrders(dealerList, e.all(dealerList), map[string]func(a, b row) int{
		"CREATED_AT": byCreated, "UPDATED_AT": byUpdated,
		"NAME": func(a, b row) int { return strings.Compare(a.Name, b.Name) },
		"CODE": func(a, b row) int { return strings.Compare(a.Code, b.Code) },
	})
	e.checkOrders(orderList, e.all(orderList), map[string]func(a, b row) int{
		"CREATED_AT": byCreated, "UPDATED_AT": byUpdated,
		"DEALER_CODE": func(a, b row) int { return strings.Compare(a.DealerCode, b.DealerCode) },
		"TOTAL": func(a, b row) int {
			return decimal.RequireFromString(a.Total).Cmp(decimal.RequireFromString(b.Total))
		},
	})
	// The default order is the creation order, with the cursors of before orders existed.
	if got, want := e.walk(dealerList, nil, ""), sorted(e.all(dealerList), byCreated, "ASC"); !slices.Equal(got, want) {
		t.Errorf("default order: got %v, want %v", got, want)
	}
}

// TestCursorsAreStable shows keyset paging: rows inserted before a cursor, and changes that
// move other rows, neither repeat nor skip the rows after it; a cursor of one order is refused
// by another, with the argument named.
func TestCursorsAreStable(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"bravo", "delta", "foxtrot", "hotel"} {
		in := corporateSubDealer(strings.ToUpper(name[:3]))
		in["name"] = name
		e.mustCreateSubDealer(in)
	}
	byName := map[string]any{"field": "NAME", "direction": "ASC"}
	first := e.page(dealerList, map[string]any{"first": 2, "orderBy": byName})
	in := corporateSubDealer("ALF")
	in["name"] = "alfa" // sorts before the cursor
	e.mustCreateSubDealer(in)
	next := e.page(dealerList, map[string]any{"first": 2, "orderBy": byName, "after": *first.PageInfo.EndCursor})
	var names []string
	for _, p := range []connPage{first, next} {
		for _, ed := range p.Edges {
			names = append(names, ed.Node.Name)
		}
	}
	if want := []string{"bravo", "delta", "foxtrot", "hotel"}; !slices.Equal(names, want) || next.PageInfo.HasNextPage {
		t.Errorf("pages = %v (hasNextPage %v), want %v", names, next.PageInfo.HasNextPage, want)
	}
	// The same row has the same cursor on every read of the same order.
	again := e.page(dealerList, map[string]any{"first": 3, "orderBy": byName})
	if again.Edges[2].Cursor != first.Edges[1].Cursor {
		t.Errorf("delta's cursor changed: %s, then %s", first.Edges[1].Cursor, again.Edges[2].Cursor)
	}

	byCode := map[string]any{"field": "CODE", "direction": "DESC"}
	for name, vars := range map[string]map[string]any{
		"a NAME cursor asked by CODE":        {"orderBy": byCode, "after": *first.PageInfo.EndCursor},
		"a NAME cursor in the default order": {"after": *first.PageInfo.EndCursor},
		"a default cursor asked by NAME":     {"orderBy": byName, "after": *e.page(dealerList, map[string]any{"first": 1}).PageInfo.EndCursor},
		"garbage":                            {"orderBy": byName, "after": "bm90IGEgY3Vyc29y"},
	} {
		res := e.post(e.admin, dealerList.query(), vars)
		if res.codeOf() != "BAD_USER_INPUT" || !strings.Contains(res.Body, "after") {
			t.Errorf("%s: %s", name, res.Body)
		}
	}
}

// TestListSearch finds rows by a part of their names and codes, ignoring case, in every list;
// LIKE's wildcards are plain characters; too long a text is refused naming the argument.
func TestListSearch(t *testing.T) {
	e := newEnv(t)
	e.createConfig(map[string]any{"name": "Kasa Ödeme", "bankCode": "0062"})
	e.createConfig(map[string]any{"name": "Web 100%"})
	e.createConfig(map[string]any{"name": "Mobil", "connectorId": "0b1e0000-0000-4000-8000-000000000002"})
	for _, name := range []string{"Anadolu Elektronik", "Ege Ticaret", "Marmara Elektronik"} {
		in := corporateSubDealer(strings.ToUpper(name[:3]))
		in["name"] = name
		e.mustCreateSubDealer(in)
	}
	e.mustCreateOrder(newOrder()) // Ingenico Move/5000 and TR-DESK3500
	other := newOrder()
	other["dealerCode"] = dealerB
	pax := item("TR-PAX-A920", 1, "10.00")
	pax["product"].(map[string]any)["name"] = "PAX A920"
	other["items"] = []any{pax}
	e.mustCreateOrder(other)

	names := func(l listQuery, search string) []string {
		var got []string
		vars := map[string]any{"first": 100, "search": search}
		for _, n := range e.page(l, vars).Nodes {
			got = append(got, cmp.Or(n.Name, n.DealerCode))
		}
		slices.Sort(got)
		return got
	}
	tests := []struct {
		l      listQuery
		search string
		want   []string
	}{
		{configList, "ödeme", []string{"Kasa Ödeme"}},                                  // name, any case
		{configList, "0062", []string{"Kasa Ödeme"}},                                   // bank code
		{configList, "garanti", []string{"Kasa Ödeme", "Web 100%"}},                    // the connector's name
		{configList, "0%", []string{"Web 100%"}},                                       // % is a character
		{configList, "_", nil},                                                         // so is _
		{dealerList, "ELEKTRON", []string{"Anadolu Elektronik", "Marmara Elektronik"}}, // name
		{dealerList, "erp-eg", []string{"Ege Ticaret"}},                                // ERP code
		{dealerList, "mar", []string{"Marmara Elektronik"}},                            // code MAR, name
		{dealerList, "", []string{"Anadolu Elektronik", "Ege Ticaret", "Marmara Elektronik"}},
		{orderList, "move/5000", []string{dealerA}}, // an item's product name
		{orderList, "pax-a9", []string{dealerB}},    // an item's gatewayCountryProductId
		{orderList, "dlr-", []string{dealerA, dealerB}},
	}
	for _, tt := range tests {
		if got := names(tt.l, tt.search); !slices.Equal(got, tt.want) {
			t.Errorf("%s(search: %q) = %v, want %v", tt.l.field, tt.search, got, tt.want)
		}
	}
	res := e.post(e.admin, dealerList.query(), map[string]any{"search": strings.Repeat("a", 101)})
	if res.codeOf() != "BAD_USER_INPUT" || !strings.Contains(res.Errors[0].Message, "search") {
		t.Errorf("a search of 101 characters: %s", res.Body)
	}
}

// TestOrderedSearchStatements pins a list query with an order, a search and a cursor at one
// statement for the page and one per nested list for all its rows, read through edges and
// nodes at once.
func TestOrderedSearchStatements(t *testing.T) {
	e := newEnv(t)
	for i := range 12 {
		e.mustCreateSubDealer(corporateSubDealer(fmt.Sprint("S", i)))
	}
	const q = `query($after: String) { subDealers(first: 5, after: $after, search: "kadıköy",
		orderBy: {field: CODE, direction: DESC}) { edges { cursor node { code users { code } history { version } } }
		nodes { code users { code } history { version } } pageInfo { endCursor } } }`
	var first struct {
		SubDealers struct {
			Edges []struct {
				Cursor string
				Node   struct {
					Code    string
					Users   []struct{ Code string }
					History []struct{ Version int }
				}
			}
			Nodes []struct {
				Code    string
				Users   []struct{ Code string }
				History []struct{ Version int }
			}
			PageInfo struct{ EndCursor string }
		}
	}
	e.do(q, nil, &first)
	counter := &queryCounter{}
	e.db.AddQueryHook(counter)
	next := first
	e.do(q, map[string]any{"after": first.SubDealers.PageInfo.EndCursor}, &next)
	if n := counter.n.Load(); n != 3 {
		t.Errorf("%d statements, want 3: the page, its users, its history", n)
	}
	page := next.SubDealers
	if len(page.Edges) != 5 || page.Edges[0].Node.Code != "S4" || len(page.Edges[0].Node.Users) != 2 || len(page.Edges[0].Node.History) != 1 {
		t.Errorf("second page = %+v", page.Edges)
	}
	for i, ed := range page.Edges {
		if n := page.Nodes[i]; n.Code != ed.Node.Code || len(n.Users) != 2 || len(n.History) != 1 {
			t.Errorf("node %d = %+v, edge %+v", i, n, ed.Node)
		}
	}
}
