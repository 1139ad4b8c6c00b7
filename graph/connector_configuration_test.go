package graph_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
)

const garantiID = "0b1e0000-0000-4000-8000-000000000001"

const ccFields = `id connectorId connectorName connectorCode name mode apiKey secretKey username password
	terminalId storeId apiEndpointUrl threeDSecureEndpointUrl extraCredentials bankCode priority isActive
	extraPropertiesDict version createdAt updatedAt`

const createCC = `mutation($in: CreateConnectorConfigurationInput!) {
	createConnectorConfiguration(input: $in) {
		connectorConfiguration { ` + ccFields + ` }
		userErrors { field code message } warnings { field code message } clientMutationId
	}
}`

const updateCC = `mutation($in: UpdateConnectorConfigurationInput!) {
	updateConnectorConfiguration(input: $in) {
		connectorConfiguration { ` + ccFields + ` }
		userErrors { field code message } warnings { field code message } clientMutationId
	}
}`

const readCC = `query($id: UUID!) { connectorConfiguration(id: $id) { ` + ccFields + `
	history { at actor action version changes } } }`

type auditEntry struct {
	At      time.Time      `json:"at"`
	Actor   string         `json:"actor"`
	Action  string         `json:"action"`
	Version int            `json:"version"`
	Changes map[string]any `json:"changes"`
}

type connectorConfiguration struct {
	ID                      string         `json:"id"`
	ConnectorID             string         `json:"connectorId"`
	ConnectorName           string         `json:"connectorName"`
	ConnectorCode           string         `json:"connectorCode"`
	Name                    *string        `json:"name"`
	Mode                    string         `json:"mode"`
	APIKey                  *string        `json:"apiKey"`
	SecretKey               *string        `json:"secretKey"`
	Username                *string        `json:"username"`
	Password                *string        `json:"password"`
	TerminalID              *string        `json:"terminalId"`
	StoreID                 *string        `json:"storeId"`
	APIEndpointURL          *string        `json:"apiEndpointUrl"`
	ThreeDSecureEndpointURL *string        `json:"threeDSecureEndpointUrl"`
	ExtraCredentials        *string        `json:"extraCredentials"`
	BankCode                *string        `json:"bankCode"`
	Priority                int            `json:"priority"`
	IsActive                bool           `json:"isActive"`
	ExtraPropertiesDict     map[string]any `json:"extraPropertiesDict"`
	Version                 int            `json:"version"`
	CreatedAt               time.Time      `json:"createdAt"`
	UpdatedAt               time.Time      `json:"updatedAt"`
	History                 []auditEntry   `json:"history"`
}

type ccPayload struct {
	ConnectorConfiguration *connectorConfiguration `json:"connectorConfiguration"`
	UserErrors             []userError             `json:"userErrors"`
	Warnings               []userError             `json:"warnings"`
	ClientMutationID       *string                 `json:"clientMutationId"`
}

// createConfig creates a configuration with the given fields (connectorId defaults to
// Garanti) and fails the test on user errors.
func (e *env) createConfig(fields map[string]any) *connectorConfiguration {
	e.t.Helper()
	in := map[string]any{"connectorId": garantiID}
	for k, v := range fields {
		in[k] = v
	}
	var out struct{ CreateConnectorConfiguration ccPayload }
	e.do(createCC, map[string]any{"in": in}, &out)
	if p := out.CreateConnectorConfiguration; len(p.UserErrors) > 0 || p.ConnectorConfiguration == nil {
		e.t.Fatalf("create refused: %+v", p.UserErrors)
	}
	return out.CreateConnectorConfiguration.ConnectorConfiguration
}

func (e *env) updateConfig(token string, in map[string]any) ccPayload {
	e.t.Helper()
	var out struct{ UpdateConnectorConfiguration ccPayload }
	e.doAs(token, updateCC, map[string]any{"in": in}, &out)
	return out.UpdateConnectorConfiguration
}

func (e *env) readConfig(id string) *connectorConfiguration {
	e.t.Helper()
	var out struct{ ConnectorConfiguration *connectorConfiguration }
	e.do(readCC, map[string]any{"id": id}, &out)
	return out.ConnectorConfiguration
}

func TestCreateConnectorConfigurationDefaults(t *testing.T) {
	e := newEnv(t)
	c := e.createConfig(map[string]any{"name": "Sandbox"})
	if c.Mode != "TEST" || c.Priority != 0 || !c.IsActive || c.Version != 1 || len(c.ExtraPropertiesDict) != 0 {
		t.Errorf("defaults: mode %s priority %d active %v version %d extra %v", c.Mode, c.Priority, c.IsActive, c.Version, c.ExtraPropertiesDict)
	}
	if c.ConnectorName != "Garanti BBVA" || c.ConnectorCode != "GARANTI" || c.ConnectorID != garantiID {
		t.Errorf("connector = %s %s %s", c.ConnectorID, c.ConnectorCode, c.ConnectorName)
	}
	if got := e.readConfig(c.ID); got == nil || *got.Name != "Sandbox" || len(got.History) != 1 || got.History[0].Action != "create" {
		t.Errorf("read back %+v", got)
	}
}

func TestCreateConnectorConfigurationRefusals(t *testing.T) {
	e := newEnv(t)
	var out struct{ CreateConnectorConfiguration ccPayload }
	e.do(createCC, map[string]any{"in": map[string]any{
		"connectorId": "0b1e0000-0000-4000-8000-0000000000ff", "priority": -1, "clientMutationId": "c-1",
	}}, &out)
	p := out.CreateConnectorConfiguration
	if want := []string{"priority:OUT_OF_RANGE", "connectorId:NOT_FOUND"}; !slices.Equal(keys(p.UserErrors), want) {
		t.Errorf("userErrors = %v, want %v", keys(p.UserErrors), want)
	}
	if p.ConnectorConfiguration != nil || p.ClientMutationID == nil || *p.ClientMutationID != "c-1" {
		t.Errorf("payload = %+v", p)
	}
	if n, err := e.db.NewSelect().Table("connector_configurations").Count(t.Context()); err != nil || n != 0 {
		t.Errorf("rows = %d, %v; want none", n, err)
	}
}

func TestUpdateConnectorConfigurationPartial(t *testing.T) {
	e := newEnv(t)
	c := e.createConfig(map[string]any{
		"name": "Sandbox", "username": "api-user", "terminalId": "T1", "bankCode": "0062",
		"apiEndpointUrl": "https://bank.example/api", "priority": 2,
		"extraPropertiesDict": map[string]any{"installments": true},
	})
	p := e.updateConfig(e.admin, map[string]any{
		"id": c.ID, "name": "Renamed", "username": nil, "priority": 0, "clientMutationId": "m-1",
	})
	if len(p.UserErrors) != 0 {
		t.Fatalf("userErrors = %v", keys(p.UserErrors))
	}
	got := p.ConnectorConfiguration
	// Sent values are set, null clears, everything left out keeps its value.
	if *got.Name != "Renamed" || got.Username != nil || got.Priority != 0 {
		t.Errorf("changed fields: name %v username %v priority %d", got.Name, got.Username, got.Priority)
	}
	if *got.TerminalID != "T1" || *got.BankCode != "0062" || *got.APIEndpointURL != "https://bank.example/api" ||
		got.ExtraPropertiesDict["installments"] != true || got.Mode != "TEST" || !got.IsActive {
		t.Errorf("fields left out changed: %+v", got)
	}
	if got.Version != 2 || !got.UpdatedAt.After(c.UpdatedAt) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("version %d updatedAt %v createdAt %v", got.Version, got.UpdatedAt, got.CreatedAt)
	}
	if *p.ClientMutationID != "m-1" {
		t.Errorf("clientMutationId = %v", p.ClientMutationID)
	}
	stored := e.readConfig(c.ID)
	if *stored.Name != "Renamed" || stored.Username != nil || stored.Version != 2 || *stored.TerminalID != "T1" {
		t.Errorf("stored = %+v", stored)
	}
	h := stored.History
	if len(h) != 2 || h[0].Version != 2 || h[0].Action != "update" || h[0].Actor != "alice" || h[1].Action != "create" {
		t.Fatalf("history = %+v", h)
	}
	wantChanges := map[string][2]any{"name": {"Sandbox", "Renamed"}, "username": {"api-user", nil}, "priority": {2.0, 0.0}}
	if len(h[0].Changes) != len(wantChanges) {
		t.Errorf("changes = %v, want keys of %v", h[0].Changes, wantChanges)
	}
	for k, want := range wantChanges {
		ch, _ := h[0].Changes[k].(map[string]any)
		if ch["from"] != want[0] || ch["to"] != want[1] {
			t.Errorf("changes[%s] = %v, want from %v to %v", k, ch, want[0], want[1])
		}
	}
}

func TestUpdateConnectorConfigurationNoChangeKeepsVersion(t *testing.T) {
	e := newEnv(t)
	c := e.createConfig(map[string]any{"name": "Same"})
	p := e.updateConfig(e.admin, map[string]any{"id": c.ID, "name": "Same", "priority": 0})
	if len(p.UserErrors) != 0 || p.ConnectorConfiguration.Version != 1 {
		t.Errorf("no-op update: errors %v version %d", keys(p.UserErrors), p.ConnectorConfiguration.Version)
	}
	if h := e.readConfig(c.ID).History; len(h) != 1 {
		t.Errorf("history has %d entries, want only the create", len(h))
	}
}

func TestUpdateConnectorConfigurationRules(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]any
		want []string
	}{
		{"null on non-null fields", map[string]any{"priority": nil, "isActive": nil, "mode": nil, "extraPropertiesDict": nil},
			[]string{"mode:REQUIRED", "priority:REQUIRED", "isActive:REQUIRED", "extraPropertiesDict:REQUIRED"}},
		{"every violation reported together", map[string]any{"name": strings.Repeat("n", 201), "priority": -1, "threeDSecureEndpointUrl": "not a url"},
			[]string{"name:OUT_OF_RANGE", "threeDSecureEndpointUrl:INVALID", "priority:OUT_OF_RANGE"}},
		// The stored http URL is fine in TEST mode; the merged record in PRODUCTION is not.
		{"rule checked on the merged record", map[string]any{"mode": "PRODUCTION"}, []string{"apiEndpointUrl:INVALID"}},
		{"empty secret", map[string]any{"apiKey": ""}, []string{"apiKey:REQUIRED"}},
		{"extra properties over 16 KiB", map[string]any{"extraPropertiesDict": map[string]any{"k": strings.Repeat("x", 16<<10)}},
			[]string{"extraPropertiesDict:OUT_OF_RANGE"}},
		{"unknown id", map[string]any{"id": "0b1e0000-0000-4000-8000-0000000000ff", "name": "x"}, []string{"id:NOT_FOUND"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.createConfig(map[string]any{"name": "Sandbox", "apiEndpointUrl": "http://bank.example/api"})
			in := map[string]any{"id": c.ID}
			for k, v := range tt.in {
				in[k] = v
			}
			p := e.updateConfig(e.admin, in)
			if got := keys(p.UserErrors); !slices.Equal(got, tt.want) {
				t.Errorf("userErrors = %v, want %v", got, tt.want)
			}
			if p.ConnectorConfiguration != nil {
				t.Error("a refused update returned the record")
			}
			if got := e.readConfig(c.ID); got.Version != 1 || *got.Name != "Sandbox" || got.Mode != "TEST" {
				t.Errorf("refused update changed the record: %+v", got)
			}
		})
	}
}

func TestUpdateConnectorConfigurationStaleVersion(t *testing.T) {
	e := newEnv(t)
	c := e.createConfig(map[string]any{"name": "v1"})
	if p := e.updateConfig(e.admin, map[string]any{"id": c.ID, "name": "v2", "expectedVersion": 1}); len(p.UserErrors) != 0 {
		t.Fatalf("fresh expectedVersion refused: %v", keys(p.UserErrors))
	}
	p := e.updateConfig(e.admin, map[string]any{"id": c.ID, "name": "v3", "priority": -1, "expectedVersion": 1})
	if got := keys(p.UserErrors); !slices.Equal(got, []string{"expectedVersion:VERSION_CONFLICT"}) {
		t.Errorf("userErrors = %v, want only the version conflict", got)
	}
	if got := e.readConfig(c.ID); *got.Name != "v2" || got.Version != 2 {
		t.Errorf("stale update wrote: name %s version %d", *got.Name, got.Version)
	}
}

func TestUpdateConnectorConfigurationDryRun(t *testing.T) {
	e := newEnv(t)
	c := e.createConfig(map[string]any{"name": "Before"})
	p := e.updateConfig(e.admin, map[string]any{"id": c.ID, "name": "After", "apiKey": "sk_test_abcdefgh", "dryRun": true})
	if len(p.UserErrors) != 0 || *p.ConnectorConfiguration.Name != "After" || p.ConnectorConfiguration.Version != 2 ||
		*p.ConnectorConfiguration.APIKey != "••••efgh" {
		t.Errorf("dry run payload = %+v, %v", p.ConnectorConfiguration, keys(p.UserErrors))
	}
	got := e.readConfig(c.ID)
	if *got.Name != "Before" || got.Version != 1 || got.APIKey != nil || len(got.History) != 1 {
		t.Errorf("dry run committed: %+v", got)
	}
	// A refused dry run returns both the would-be record and its errors.
	p = e.updateConfig(e.admin, map[string]any{"id": c.ID, "priority": -3, "dryRun": true})
	if !slices.Equal(keys(p.UserErrors), []string{"priority:OUT_OF_RANGE"}) || p.ConnectorConfiguration == nil || p.ConnectorConfiguration.Priority != -3 {
		t.Errorf("refused dry run = %+v %v", p.ConnectorConfiguration, keys(p.UserErrors))
	}
}

func TestConnectorConfigurationSecrets(t *testing.T) {
	e := newEnv(t)
	c := e.createConfig(map[string]any{
		"apiKey": "sk_live_1234567890", "secretKey": "very-secret-value", "password": "pin1", "extraCredentials": "cert-material-XYZ9",
	})
	if *c.APIKey != "••••7890" || *c.SecretKey != "••••alue" || *c.Password != "••••" || *c.ExtraCredentials != "••••XYZ9" {
		t.Errorf("masks = %v %v %v %v", *c.APIKey, *c.SecretKey, *c.Password, *c.ExtraCredentials)
	}
	// Stored encrypted: no plaintext anywhere in the row.
	var row struct {
		APIKey, SecretKey, Password, ExtraCredentials []byte
	}
	err := e.db.DB.QueryRowContext(t.Context(), "SELECT api_key, secret_key, password, extra_credentials FROM connector_configurations WHERE id = $1", c.ID).
		Scan(&row.APIKey, &row.SecretKey, &row.Password, &row.ExtraCredentials)
	if err != nil {
		t.Fatal(err)
	}
	for plain, stored := range map[string][]byte{"sk_live_1234567890": row.APIKey, "very-secret-value": row.SecretKey, "pin1": row.Password, "cert-material-XYZ9": row.ExtraCredentials} {
		if len(stored) == 0 || bytes.Contains(stored, []byte(plain)) {
			t.Errorf("secret %q stored as %q", plain, stored)
		}
	}
	p := e.updateConfig(e.admin, map[string]any{"id": c.ID, "apiKey": "sk_live_rotated_0000", "password": nil})
	if got := p.ConnectorConfiguration; *got.APIKey != "••••0000" || got.Password != nil || *got.SecretKey != "••••alue" {
		t.Errorf("after update: %v %v %v", got.APIKey, got.Password, got.SecretKey)
	}
	// The audit trail says that secrets moved, never what they are.
	var audit string
	if err := e.db.NewRaw("SELECT string_agg(changes::text, ' ') FROM audit_log").Scan(t.Context(), &audit); err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"sk_live", "very-secret", "pin1", "cert-material", "rotated"} {
		if strings.Contains(audit, plain) {
			t.Errorf("audit log holds %q: %s", plain, audit)
		}
	}
	h := e.readConfig(c.ID).History[0]
	if ch := h.Changes["apiKey"].(map[string]any); ch["from"] != "[redacted]" || ch["to"] != "[redacted]" {
		t.Errorf("apiKey change = %v", ch)
	}
	if ch := h.Changes["password"].(map[string]any); ch["from"] != "[redacted]" || ch["to"] != nil {
		t.Errorf("password change = %v", ch)
	}
}

func TestConnectorConfigurationsPaging(t *testing.T) {
	e := newEnv(t)
	akbank := "0b1e0000-0000-4000-8000-000000000002"
	var ids []string
	for i := range 5 {
		fields := map[string]any{"priority": i}
		if i == 3 {
			fields["connectorId"], fields["isActive"] = akbank, false
		}
		ids = append(ids, e.createConfig(fields).ID)
	}
	const q = `query($first: Int, $after: String, $connectorId: UUID, $isActive: Boolean) {
		connectorConfigurations(first: $first, after: $after, connectorId: $connectorId, isActive: $isActive) {
			nodes { id } pageInfo { hasNextPage endCursor } } }`
	type page struct {
		ConnectorConfigurations struct {
			Nodes    []struct{ ID string }
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	var seen []string
	var after any
	for range 3 {
		var p page
		e.do(q, map[string]any{"first": 2, "after": after}, &p)
		for _, n := range p.ConnectorConfigurations.Nodes {
			seen = append(seen, n.ID)
		}
		if !p.ConnectorConfigurations.PageInfo.HasNextPage {
			break
		}
		after = *p.ConnectorConfigurations.PageInfo.EndCursor
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("paged ids = %v, want %v", seen, ids)
	}
	var p page
	e.do(q, map[string]any{"connectorId": garantiID, "isActive": true}, &p)
	if n := len(p.ConnectorConfigurations.Nodes); n != 4 || p.ConnectorConfigurations.PageInfo.HasNextPage {
		t.Errorf("filtered: %d nodes, hasNextPage %v", n, p.ConnectorConfigurations.PageInfo.HasNextPage)
	}
	e.do(q, map[string]any{"isActive": false}, &p)
	if n := p.ConnectorConfigurations.Nodes; len(n) != 1 || n[0].ID != ids[3] {
		t.Errorf("inactive = %v", n)
	}
	for _, vars := range []map[string]any{{"first": 0}, {"first": 101}, {"after": "garbage!"}} {
		if res := e.post(e.admin, q, vars); res.codeOf() != "BAD_USER_INPUT" {
			t.Errorf("%v: %s", vars, res.Body)
		}
	}
}

func TestConnectorConfigurationAuth(t *testing.T) {
	e := newEnv(t)
	c := e.createConfig(nil)
	expired := e.token(auth.Claims{Subject: "bob", Roles: []string{auth.RoleAdmin}, TTL: -time.Minute})
	gatewayAdmin := e.token(auth.Claims{Subject: "carol", Roles: []string{auth.RoleGatewayAdmin}})
	connectorAdmin := e.token(auth.Claims{Subject: "dave", Roles: []string{auth.RoleConnectorAdmin}})
	update := map[string]any{"in": map[string]any{"id": c.ID, "name": "hacked"}}

	tests := []struct {
		name, token string
		wantStatus  int
		wantCode    string
	}{
		{"no token", "", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"garbage token", "not-a-jwt", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"expired token", expired, http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"wrong role", gatewayAdmin, http.StatusOK, "FORBIDDEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.post(tt.token, updateCC, update)
			if res.Status != tt.wantStatus || res.codeOf() != tt.wantCode {
				t.Errorf("status %d code %q, want %d %q: %s", res.Status, res.codeOf(), tt.wantStatus, tt.wantCode, res.Body)
			}
			if tt.token != "" && strings.Contains(res.Body, tt.token) {
				t.Error("the response echoes the token")
			}
		})
	}
	if got := e.readConfig(c.ID); got.Name != nil {
		t.Errorf("a refused caller changed the record: %v", *got.Name)
	}
	// connector-admin may; the audit actor is its sub.
	if p := e.updateConfig(connectorAdmin, update["in"].(map[string]any)); len(p.UserErrors) != 0 {
		t.Fatalf("connector-admin refused: %v", keys(p.UserErrors))
	}
	if h := e.readConfig(c.ID).History[0]; h.Actor != "dave" {
		t.Errorf("actor = %q, want dave", h.Actor)
	}
	// The playground loads the schema without a token.
	if res := e.post("", `{ __schema { queryType { name } } }`, nil); res.Status != http.StatusOK || len(res.Errors) != 0 {
		t.Errorf("anonymous introspection: %d %s", res.Status, res.Body)
	}
}

// TestMalformedRequests checks the status rule of the GraphQL over HTTP specification (see
// graph/http.go) with both response media types, and that bad input is never an internal error.
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, body string
		// status with application/json, and with application/graphql-response+json
		wantJSON, wantGraphQL int
	}{
		{"not JSON", `{"query": `, http.StatusBadRequest, http.StatusBadRequest},
		{"not an object", `["query"]`, http.StatusBadRequest, http.StatusBadRequest},
		{"no query", `{"variables": {}}`, http.StatusBadRequest, http.StatusBadRequest},
		{"query not a string", `{"query": 42}`, http.StatusBadRequest, http.StatusBadRequest},
		{"syntax error", `{"query": "{ connectors { "}`, http.StatusOK, http.StatusBadRequest},
		{"unknown field", `{"query": "{ connectors { nope } }"}`, http.StatusOK, http.StatusBadRequest},
		// Custom scalars are read as the field executes: a field error, with data (200).
		{"bad UUID", `{"query": "{ connectorConfiguration(id: \"nope\") { id } }"}`, http.StatusOK, http.StatusOK},
		{"bad decimal", `{"query": "mutation($in: UpdateCustomerPaymentGatewayInput!) { updateCustomerPaymentGateway(input: $in) { userErrors { code } } }",
			"variables": {"in": {"customerId": "` + garantiID + `", "id": "` + garantiID + `", "minPaymentAmount": "12,50"}}}`, http.StatusOK, http.StatusOK},
		{"list for JSONObject", `{"query": "mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) { userErrors { code } } }",
			"variables": {"in": {"id": "` + garantiID + `", "extraPropertiesDict": [1]}}}`, http.StatusOK, http.StatusOK},
		{"variable of the wrong type", `{"query": "query($id: UUID!) { connectorConfiguration(id: $id) { id } }", "variables": {"id": null}}`,
			http.StatusOK, http.StatusBadRequest},
		{"bad enum", `{"query": "mutation { updateConnectorConfiguration(input: {id: \"` + garantiID + `\", mode: LIVE}) { userErrors { code } } }"}`, http.StatusOK, http.StatusBadRequest},
		{"forbidden field", `{"query": "{ customerPaymentGateways(customerId: \"` + garantiID + `\") { id } }"}`, http.StatusOK, http.StatusOK},
	}
	connectorAdmin := e.token(auth.Claims{Subject: "c", Roles: []string{auth.RoleConnectorAdmin}})
	for _, tt := range tests {
		for _, accept := range []string{"application/json", "application/graphql-response+json"} {
			t.Run(tt.name+" "+accept, func(t *testing.T) {
				want := map[string]int{"application/json": tt.wantJSON, "application/graphql-response+json": tt.wantGraphQL}[accept]
				res := e.postWith(connectorAdmin, map[string]string{"Content-Type": "application/json", "Accept": accept}, tt.body)
				if res.Status != want || len(res.Errors) == 0 {
					t.Errorf("status %d, want %d with errors: %s", res.Status, want, res.Body)
				}
				if code := res.codeOf(); code == "INTERNAL_SERVER_ERROR" {
					t.Errorf("bad input reported as an internal error: %s", res.Body)
				}
				if strings.Contains(strings.ToLower(res.Body), "sqlstate") || strings.Contains(res.Body, "goroutine") {
					t.Errorf("internals leaked: %s", res.Body)
				}
				if res.Status == http.StatusBadRequest && len(tt.body) > 12 && strings.Contains(res.Body, tt.body[:12]) {
					t.Errorf("a 400 quotes the request body back: %s", res.Body)
				}
			})
		}
	}
}

func TestQueryDepthLimit(t *testing.T) {
	opts := graphDefaultOptions()
	opts.MaxDepth = 2
	e := newEnvWith(t, opts)
	if res := e.post(e.admin, `{ connectors { id } }`, nil); len(res.Errors) != 0 {
		t.Errorf("shallow query refused: %s", res.Body)
	}
	res := e.post(e.admin, `{ connectorConfigurations { nodes { id } } }`, nil)
	if res.codeOf() != "QUERY_TOO_DEEP" {
		t.Errorf("deep query: %s", res.Body)
	}
	// The playground's schema query nests ofType far deeper, and must still work.
	res = e.post("", `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }`, nil)
	if res.Status != http.StatusOK || len(res.Errors) != 0 {
		t.Errorf("introspection refused: %s", res.Body)
	}
}

// TestUpdateConnectorConfigurationStatements pins the lean update path, as it reaches
// PostgreSQL: BEGIN with the transaction's timeouts (one SELECT of set_config), one SELECT …
// FOR UPDATE (which also takes the record's advisory lock without waiting: models/driver.go
// lockFirst), one UPDATE of the changed columns with the audit INSERT in the same statement,
// COMMIT.
func TestUpdateConnectorConfigurationStatements(t *testing.T) {
	e := newEnv(t)
	c := e.createConfig(map[string]any{"name": "lean"})
	var out struct{ UpdateConnectorConfiguration ccPayload }
	_, n := e.sentBy(func() {
		e.do(`mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) {
		connectorConfiguration { name connectorName version } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"id": c.ID, "name": "leaner", "priority": 9}}, &out)
	})
	if p := out.UpdateConnectorConfiguration; len(p.UserErrors) != 0 || *p.ConnectorConfiguration.Name != "leaner" {
		t.Fatalf("update: %+v", p)
	}
	if n != 5 {
		t.Errorf("%d statements, want 5", n)
	}
}
