package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
)

// outcome is what one caller gets from one operation (DESIGN §3).
type outcome string

const (
	allowed         outcome = "allowed"
	forbidden       outcome = "FORBIDDEN"
	looksMissing    outcome = "looks-missing" // null, an empty list or a NOT_FOUND userError
	unauthenticated outcome = "UNAUTHENTICATED"
)

// opKind tells how an operation answers.
type opKind int

const (
	singleRead opKind = iota // an object or null
	listRead                 // a list, or a connection's nodes
	mutation                 // a payload with userErrors
)

// matrixFixture holds the records every cell works on, created by an admin: each belongs to
// the "in" scope (customerA, mainDealer, dealerA).
type matrixFixture struct {
	configID, gatewayID, subDealerCode, orderUUID string
	// endpoints holds, per role, a webhook endpoint created by the in-scope caller of that role.
	endpoints map[string]string
}

// absent is a key no record has, for the "missing" side of looks-missing comparisons.
const absent = "00000000-0000-4000-8000-0000000000ff"

// matrixOp is one row of the matrix: one field of Query or Mutation.
type matrixOp struct {
	name  string // the schema field
	kind  opKind
	query string
	// need is the role the operation needs ("" = any authenticated caller); scoped means a
	// record outside the caller's customer_ids or dealer_codes must look missing.
	need   string
	scoped bool
	// vars builds the variables; cell makes created codes unique.
	vars func(f *matrixFixture, cell string) map[string]any
	// key is the field that identifies the fixture record in the answer (entity.key for
	// mutations); want is its value.
	key  string
	want func(f *matrixFixture) string
	// entity is the payload's entity field (mutations).
	entity string
	// notFound is the userError field of an out-of-scope mutation; missing, for updates,
	// builds the same request naming an absent record, and swap turns its answer into the
	// out-of-scope one.
	notFound string
	missing  func(f *matrixFixture, cell string) map[string]any
	swap     func(f *matrixFixture) (absentKey, realKey string)

	// Rows whose answer depends on the caller (webhook endpoints, which belong to a scope)
	// set these instead: varsFor builds the variables, wantFor the key, notFoundFor the
	// NOT_FOUND field; outcome overrides expect; state, when set, is what an allowed
	// mutation changes instead of writing an audit row (it must write none).
	varsFor     func(e *env, f *matrixFixture, c matrixCaller, cell string) map[string]any
	wantFor     func(f *matrixFixture, c matrixCaller) string
	notFoundFor func(c matrixCaller) string
	outcome     func(c matrixCaller) outcome
	state       func(e *env) string
}

func (op matrixOp) wantOf(f *matrixFixture, c matrixCaller) string {
	if op.wantFor != nil {
		return op.wantFor(f, c)
	}
	return op.want(f)
}

func (op matrixOp) notFoundOf(c matrixCaller) string {
	if op.notFoundFor != nil {
		return op.notFoundFor(c)
	}
	return op.notFound
}

func mutationQuery(name, input, entity, key string) string {
	return fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { %s { %s } userErrors { field code message } } }`, input, name, entity, key)
}

func in(m map[string]any) map[string]any { return map[string]any{"in": m} }

var matrixOps = []matrixOp{
	{
		name: "connectors", kind: listRead, need: "",
		query: `{ connectors { code } }`,
		key:   "code", want: func(*matrixFixture) string { return "GARANTI" },
	},
	{
		name: "connectorConfiguration", kind: singleRead, need: auth.RoleConnectorAdmin,
		query: `query($id: UUID!) { connectorConfiguration(id: $id) { id } }`,
		vars:  func(f *matrixFixture, _ string) map[string]any { return map[string]any{"id": f.configID} },
		key:   "id", want: func(f *matrixFixture) string { return f.configID },
	},
	{
		name: "connectorConfigurations", kind: listRead, need: auth.RoleConnectorAdmin,
		query: `{ connectorConfigurations(first: 100) { nodes { id } } }`,
		key:   "id", want: func(f *matrixFixture) string { return f.configID },
	},
	{
		name: "createConnectorConfiguration", kind: mutation, need: auth.RoleConnectorAdmin,
		query: mutationQuery("createConnectorConfiguration", "CreateConnectorConfigurationInput", "connectorConfiguration", "name"),
		vars: func(_ *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"connectorId": garantiID, "name": cell, "apiKey": "matrix-api-key"})
		},
		entity: "connectorConfiguration", key: "name",
	},
	{
		name: "updateConnectorConfiguration", kind: mutation, need: auth.RoleConnectorAdmin,
		query: mutationQuery("updateConnectorConfiguration", "UpdateConnectorConfigurationInput", "connectorConfiguration", "id"),
		vars: func(f *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"id": f.configID, "name": cell})
		},
		entity: "connectorConfiguration", key: "id", want: func(f *matrixFixture) string { return f.configID },
	},
	{
		name: "customerPaymentGateway", kind: singleRead, need: auth.RoleGatewayAdmin, scoped: true,
		query: `query($c: UUID!, $id: UUID!) { customerPaymentGateway(customerId: $c, id: $id) { id } }`,
		vars: func(f *matrixFixture, _ string) map[string]any {
			return map[string]any{"c": customerA, "id": f.gatewayID}
		},
		key: "id", want: func(f *matrixFixture) string { return f.gatewayID },
	},
	{
		name: "customerPaymentGateways", kind: listRead, need: auth.RoleGatewayAdmin, scoped: true,
		query: `query($c: UUID!) { customerPaymentGateways(customerId: $c) { id } }`,
		vars:  func(*matrixFixture, string) map[string]any { return map[string]any{"c": customerA} },
		key:   "id", want: func(f *matrixFixture) string { return f.gatewayID },
	},
	{
		name: "createCustomerPaymentGateway", kind: mutation, need: auth.RoleGatewayAdmin, scoped: true,
		query: mutationQuery("createCustomerPaymentGateway", "CreateCustomerPaymentGatewayInput", "customerPaymentGateway", "displayName"),
		vars: func(_ *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"customerId": customerA, "displayName": cell, "merchantPin": "9876"})
		},
		entity: "customerPaymentGateway", key: "displayName", notFound: "customerId",
	},
	{
		name: "updateCustomerPaymentGateway", kind: mutation, need: auth.RoleGatewayAdmin, scoped: true,
		query: mutationQuery("updateCustomerPaymentGateway", "UpdateCustomerPaymentGatewayInput", "customerPaymentGateway", "id"),
		vars: func(f *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"customerId": customerA, "id": f.gatewayID, "displayName": cell})
		},
		entity: "customerPaymentGateway", key: "id", want: func(f *matrixFixture) string { return f.gatewayID },
		notFound: "id",
		missing: func(_ *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"customerId": customerA, "id": absent, "displayName": cell})
		},
		swap: func(f *matrixFixture) (string, string) { return absent, f.gatewayID },
	},
	{
		name: "subDealer", kind: singleRead, need: auth.RoleDealerAdmin, scoped: true,
		query: `query($code: String!) { subDealer(code: $code) { code } }`,
		vars:  func(f *matrixFixture, _ string) map[string]any { return map[string]any{"code": f.subDealerCode} },
		key:   "code", want: func(f *matrixFixture) string { return f.subDealerCode },
	},
	{
		name: "subDealers", kind: listRead, need: auth.RoleDealerAdmin, scoped: true,
		query: `query($m: String) { subDealers(mainDealerCode: $m, first: 100) { nodes { code } } }`,
		vars:  func(*matrixFixture, string) map[string]any { return map[string]any{"m": mainDealer} },
		key:   "code", want: func(f *matrixFixture) string { return f.subDealerCode },
	},
	{
		name: "createSubDealer", kind: mutation, need: auth.RoleDealerAdmin, scoped: true,
		query: mutationQuery("createSubDealer", "CreateSubDealerInput", "subDealer", "code"),
		vars: func(_ *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"mainDealerCode": mainDealer, "code": cell, "erpCode": "ERP-" + cell,
				"name": "Bayi " + cell, "isIndividual": true, "countryCode": "TR"})
		},
		entity: "subDealer", key: "code", notFound: "mainDealerCode",
	},
	{
		name: "updateSubDealer", kind: mutation, need: auth.RoleDealerAdmin, scoped: true,
		query: mutationQuery("updateSubDealer", "UpdateSubDealerInput", "subDealer", "code"),
		vars: func(f *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"updateCode": f.subDealerCode, "name": cell})
		},
		entity: "subDealer", key: "code", want: func(f *matrixFixture) string { return f.subDealerCode },
		notFound: "updateCode",
		missing: func(_ *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"updateCode": "ABSENT-CODE", "name": cell})
		},
		swap: func(f *matrixFixture) (string, string) { return "ABSENT-CODE", f.subDealerCode },
	},
	{
		name: "devicePurchaseOrder", kind: singleRead, need: auth.RoleDealerAdmin, scoped: true,
		query: `query($d: String!, $u: UUID!) { devicePurchaseOrder(dealerCode: $d, uuid: $u) { uuid } }`,
		vars: func(f *matrixFixture, _ string) map[string]any {
			return map[string]any{"d": dealerA, "u": f.orderUUID}
		},
		key: "uuid", want: func(f *matrixFixture) string { return f.orderUUID },
	},
	{
		name: "devicePurchaseOrders", kind: listRead, need: auth.RoleDealerAdmin, scoped: true,
		query: `query($d: String) { devicePurchaseOrders(dealerCode: $d, first: 100) { nodes { uuid } } }`,
		vars:  func(*matrixFixture, string) map[string]any { return map[string]any{"d": dealerA} },
		key:   "uuid", want: func(f *matrixFixture) string { return f.orderUUID },
	},
	{
		name: "createDevicePurchaseOrder", kind: mutation, need: auth.RoleDealerAdmin, scoped: true,
		query: mutationQuery("createDevicePurchaseOrder", "CreateDevicePurchaseOrderInput", "devicePurchaseOrder", "shippingMethodGatewayId"),
		vars: func(_ *matrixFixture, cell string) map[string]any {
			o := newOrder()
			o["shippingMethodGatewayId"] = cell
			return in(o)
		},
		entity: "devicePurchaseOrder", key: "shippingMethodGatewayId", notFound: "dealerCode",
	},
	{
		name: "updateDevicePurchaseOrder", kind: mutation, need: auth.RoleDealerAdmin, scoped: true,
		query: mutationQuery("updateDevicePurchaseOrder", "UpdateDevicePurchaseOrderInput", "devicePurchaseOrder", "uuid"),
		vars: func(f *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"dealerCode": dealerA, "uuid": f.orderUUID, "shippingMethodGatewayId": cell})
		},
		entity: "devicePurchaseOrder", key: "uuid", want: func(f *matrixFixture) string { return f.orderUUID },
		notFound: "uuid",
		missing: func(_ *matrixFixture, cell string) map[string]any {
			return in(map[string]any{"dealerCode": dealerA, "uuid": absent, "shippingMethodGatewayId": cell})
		},
		swap: func(f *matrixFixture) (string, string) { return absent, f.orderUUID },
	},
}

// matrixCaller is one column: a role, and whether the fixture records are in its scope.
type matrixCaller struct {
	role    string // "" is anonymous
	inScope bool
}

func (c matrixCaller) String() string {
	role := c.role
	if role == "" {
		role = "none"
	}
	return map[bool]string{true: role + "/in", false: role + "/out"}[c.inScope]
}

// claims gives the caller both scopes' claims, so that only the role decides which applies.
func (c matrixCaller) claims() auth.Claims {
	if c.inScope {
		return auth.Claims{Subject: c.String(), Roles: []string{c.role},
			CustomerIDs: []string{customerA}, DealerCodes: []string{mainDealer, dealerA}}
	}
	return auth.Claims{Subject: c.String(), Roles: []string{c.role},
		CustomerIDs: []string{customerB}, DealerCodes: []string{otherMain, dealerB}}
}

var matrixCallers = func() []matrixCaller {
	var out []matrixCaller
	for _, role := range []string{auth.RoleAdmin, auth.RoleConnectorAdmin, auth.RoleGatewayAdmin, auth.RoleDealerAdmin, ""} {
		out = append(out, matrixCaller{role, true}, matrixCaller{role, false})
	}
	return out
}()

// expect is DESIGN §3: no token → UNAUTHENTICATED; a role other than the one needed (admin
// holds every role) → FORBIDDEN; a record outside a scoped caller's claims → looks missing.
func (op matrixOp) expect(c matrixCaller) outcome {
	if op.outcome != nil {
		return op.outcome(c)
	}
	switch {
	case c.role == "":
		return unauthenticated
	case op.need != "" && c.role != auth.RoleAdmin && c.role != op.need:
		return forbidden
	case op.scoped && c.role != auth.RoleAdmin && !c.inScope:
		return looksMissing
	}
	return allowed
}

// TestAuthMatrixCoversSchema fails when the schema gains a query or mutation without a row in
// matrixOps, and checks that each row's query calls the field it is named after.
func TestAuthMatrixCoversSchema(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	var fields []string
	for _, def := range []*ast.Definition{schema.Query, schema.Mutation} {
		for _, f := range def.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				fields = append(fields, f.Name)
			}
		}
	}
	var rows []string
	for _, op := range matrixOps {
		rows = append(rows, op.name)
		doc, err := parser.ParseQuery(&ast.Source{Input: op.query})
		if err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		if f, ok := doc.Operations[0].SelectionSet[0].(*ast.Field); !ok || f.Name != op.name || len(doc.Operations[0].SelectionSet) != 1 {
			t.Errorf("row %s does not query exactly the field %s", op.name, op.name)
		}
		isMutation := schema.Mutation.Fields.ForName(op.name) != nil
		if isMutation != (op.kind == mutation) || isMutation != (doc.Operations[0].Operation == ast.Mutation) {
			t.Errorf("row %s: kind %d does not match the schema", op.name, op.kind)
		}
	}
	sort.Strings(fields)
	sort.Strings(rows)
	if !slices.Equal(fields, rows) {
		t.Errorf("the auth matrix rows\n  %v\ndo not match the schema's queries and mutations\n  %v\nadd a row to matrixOps for every new operation", rows, fields)
	}
}

// TestAuthMatrix runs every query and mutation as every role, with the records in and out of
// the caller's scope, through the real handler.
func TestAuthMatrix(t *testing.T) {
	e := newEnv(t)
	f := &matrixFixture{
		configID:      e.createConfig(map[string]any{"name": "matrix"}).ID,
		gatewayID:     e.createGateway(map[string]any{"customerId": customerA, "displayName": "matrix"}).ID,
		subDealerCode: e.mustCreateSubDealer(corporateSubDealer("MATRIX")).Code,
		orderUUID:     e.mustCreateOrder(newOrder()).UUID,
	}
	f.endpoints = map[string]string{}
	for _, role := range []string{auth.RoleAdmin, auth.RoleConnectorAdmin, auth.RoleGatewayAdmin, auth.RoleDealerAdmin} {
		c := matrixCaller{role, true}
		id, _ := e.mustCreateEndpoint(e.token(c.claims()), webhookMatrixInput(c, "fixture-"+role))
		f.endpoints[role] = id
	}
	f.endpoints[""] = f.endpoints[auth.RoleAdmin]
	tally := map[outcome]int{}
	for _, op := range matrixOps {
		for _, c := range matrixCallers {
			want := op.expect(c)
			tally[want]++
			t.Run(op.name+"/"+c.String(), func(t *testing.T) {
				e := *e
				e.t = t
				e.checkCell(op, c, f, want)
			})
		}
	}
	t.Logf("auth matrix: %d operations × %d callers = %d cells: %v", len(matrixOps), len(matrixCallers), len(matrixOps)*len(matrixCallers), tally)
}

// checkCell runs one operation as one caller and checks the outcome, and that only an
// allowed mutation wrote anything.
func (e *env) checkCell(op matrixOp, c matrixCaller, f *matrixFixture, want outcome) {
	t := e.t
	t.Helper()
	token := ""
	if c.role != "" {
		token = e.token(c.claims())
	}
	cell := strings.ReplaceAll("M-"+c.String(), "/", "-")
	var vars map[string]any
	switch {
	case op.varsFor != nil:
		vars = op.varsFor(e, f, c, cell)
	case op.vars != nil:
		vars = op.vars(f, cell)
	}
	before := e.auditRows()
	var beforeState string
	if op.state != nil {
		beforeState = op.state(e)
	}
	res := e.post(token, op.query, vars)
	wantWrites := 0
	if want == allowed && op.kind == mutation {
		wantWrites = 1
	}
	switch {
	case op.state != nil:
		if changed := op.state(e) != beforeState; changed != (wantWrites == 1) || e.auditRows() != before {
			t.Errorf("changed %v, want %v; audit rows +%d, want none", changed, wantWrites == 1, e.auditRows()-before)
		}
	case e.auditRows()-before != wantWrites:
		t.Errorf("audit rows +%d, want +%d", e.auditRows()-before, wantWrites)
	}

	switch want {
	case unauthenticated, forbidden:
		wantStatus := map[outcome]int{unauthenticated: http.StatusUnauthorized, forbidden: http.StatusOK}[want]
		if res.Status != wantStatus || res.codeOf() != string(want) || len(res.Errors) != 1 {
			t.Fatalf("status %d, want %d with one %s error: %s", res.Status, wantStatus, want, res.Body)
		}
		if v := field(t, res, op.name); v != nil {
			t.Errorf("%s answered with data: %v", want, v)
		}
		return
	}
	if res.Status != http.StatusOK || len(res.Errors) != 0 {
		t.Fatalf("status %d, errors: %s", res.Status, res.Body)
	}
	v := field(t, res, op.name)
	switch op.kind {
	case singleRead:
		got, _ := v.(map[string]any)
		if want == looksMissing && got != nil || want == allowed && (got == nil || got[op.key] != op.wantOf(f, c)) {
			t.Errorf("%s: got %v", want, v)
		}
	case listRead:
		got := listKeys(v, op.key)
		if want == looksMissing && len(got) != 0 || want == allowed && !slices.Contains(got, op.wantOf(f, c)) {
			t.Errorf("%s: got %v", want, got)
		}
	case mutation:
		e.checkPayload(op, c, f, v, want, token, cell)
	}
}

func (e *env) checkPayload(op matrixOp, c matrixCaller, f *matrixFixture, v any, want outcome, token, cell string) {
	t := e.t
	t.Helper()
	p, _ := v.(map[string]any)
	entity, _ := p[op.entity].(map[string]any)
	var errs []userError
	if err := json.Unmarshal([]byte(mustJSON(t, p["userErrors"])), &errs); err != nil {
		t.Fatal(err)
	}
	if want == allowed {
		wantKey := cell
		if op.want != nil || op.wantFor != nil {
			wantKey = op.wantOf(f, c)
		}
		if len(errs) != 0 || entity == nil || entity[op.key] != wantKey {
			t.Errorf("allowed: entity %v, userErrors %v", entity, keys(errs))
		}
		return
	}
	if entity != nil || !slices.Equal(keys(errs), []string{op.notFoundOf(c) + ":NOT_FOUND"}) {
		t.Errorf("looks-missing: entity %v, userErrors %v; want only %s:NOT_FOUND", entity, keys(errs), op.notFoundOf(c))
	}
	if op.missing == nil {
		return
	}
	// Byte for byte the answer about a record that does not exist.
	absentKey, realKey := op.swap(f)
	res := e.post(token, op.query, op.missing(f, cell))
	if got, want := mustJSON(t, p), replaceAll(mustJSON(t, field(t, res, op.name)), absentKey, realKey); got != want {
		t.Errorf("out of scope:\n  %s\nmissing:\n  %s", got, want)
	}
}

// field returns data[name] of a response, nil when data or the field is null.
func field(t *testing.T, res response, name string) any {
	t.Helper()
	var data map[string]any
	if len(res.Data) > 0 {
		if err := json.Unmarshal(res.Data, &data); err != nil {
			t.Fatalf("data: %v", err)
		}
	}
	return data[name]
}

// listKeys returns key of every item of a list or of a connection's nodes.
func listKeys(v any, key string) []string {
	if conn, ok := v.(map[string]any); ok {
		v = conn["nodes"]
	}
	items, _ := v.([]any)
	out := []string{}
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			s, _ := m[key].(string)
			out = append(out, s)
		}
	}
	return out
}

func (e *env) auditRows() int {
	e.t.Helper()
	n, err := e.db.NewSelect().Table("audit_log").Count(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return int(n)
}
