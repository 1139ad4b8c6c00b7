package graph_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// mutate runs mutation with input (of GraphQL type inputType) as admin and returns its user
// errors; a GraphQL error fails the test.
func (e *env) mutate(mutation, inputType string, input map[string]any) []userError {
	e.t.Helper()
	query := fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { userErrors { field code message } } }`, inputType, mutation)
	var out map[string]struct {
		UserErrors []userError `json:"userErrors"`
	}
	e.do(query, map[string]any{"in": input}, &out)
	return out[mutation].UserErrors
}

// set puts v at path inside a decoded JSON value.
func set(root map[string]any, path []string, v any) {
	var cur any = root
	for i, k := range path {
		last := i == len(path)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[k] = v
				return
			}
			cur = c[k]
		case []any:
			n, _ := strconv.Atoi(k)
			if last {
				c[n] = v
				return
			}
			cur = c[n]
		}
	}
}

// inputSite is where an input type is sent: a mutation, a valid input of it (built against
// the test's records) and the path of the type inside it.
type inputSite struct {
	mutation, inputType string
	input               func() map[string]any
	at                  []string
}

// inputSites places every input type of the API that holds text fields.
func inputSites(e *env) map[string]inputSite {
	cc := e.createConfig(map[string]any{"name": "limits"})
	gw := e.createGateway(fullGateway())
	sd := e.mustCreateSubDealer(corporateSubDealer("LIM"))
	o := e.mustCreateOrder(newOrder())
	dry := func(in map[string]any) map[string]any { in["dryRun"] = true; return in }
	webhookInput := func() map[string]any {
		return map[string]any{"url": "https://hooks.example.com/limits", "entityTypes": []string{"DEVICE_PURCHASE_ORDER", "SUB_DEALER"}, "filters": map[string]any{}}
	}
	hook, _ := e.mustCreateEndpoint(e.admin, webhookInput())
	createOrder := func() map[string]any { return dry(newOrder()) }
	gatewayWithFee := func() map[string]any {
		return dry(map[string]any{"customerId": customerA, "displayName": "Fees",
			"paymentTypes":    []any{map[string]any{"paymentType": "CARD"}},
			"convenienceFees": []any{map[string]any{"paymentType": "CARD"}}})
	}
	return map[string]inputSite{
		"CreateConnectorConfigurationInput": {"createConnectorConfiguration", "CreateConnectorConfigurationInput",
			func() map[string]any { return dry(map[string]any{"connectorId": garantiID}) }, nil},
		"UpdateConnectorConfigurationInput": {"updateConnectorConfiguration", "UpdateConnectorConfigurationInput",
			func() map[string]any { return dry(map[string]any{"id": cc.ID}) }, nil},
		"CreateCustomerPaymentGatewayInput": {"createCustomerPaymentGateway", "CreateCustomerPaymentGatewayInput",
			func() map[string]any { return dry(map[string]any{"customerId": customerA, "displayName": "Limits"}) }, nil},
		"UpdateCustomerPaymentGatewayInput": {"updateCustomerPaymentGateway", "UpdateCustomerPaymentGatewayInput",
			func() map[string]any { return dry(map[string]any{"customerId": customerA, "id": gw.ID}) }, nil},
		"PaymentGatewayPaymentTypeInput": {"createCustomerPaymentGateway", "CreateCustomerPaymentGatewayInput",
			gatewayWithFee, []string{"paymentTypes", "0"}},
		"ConvenienceFeeInput": {"createCustomerPaymentGateway", "CreateCustomerPaymentGatewayInput",
			gatewayWithFee, []string{"convenienceFees", "0"}},
		"CreateSubDealerInput": {"createSubDealer", "CreateSubDealerInput",
			func() map[string]any { return dry(corporateSubDealer("LIM2")) }, nil},
		"UpdateSubDealerInput": {"updateSubDealer", "UpdateSubDealerInput",
			func() map[string]any { return dry(map[string]any{"updateCode": sd.Code}) }, nil},
		"SubDealerUserInput": {"createSubDealer", "CreateSubDealerInput",
			func() map[string]any { return dry(corporateSubDealer("LIM3")) }, []string{"users", "0"}},
		"CreateDevicePurchaseOrderInput": {"createDevicePurchaseOrder", "CreateDevicePurchaseOrderInput", createOrder, nil},
		"UpdateDevicePurchaseOrderInput": {"updateDevicePurchaseOrder", "UpdateDevicePurchaseOrderInput",
			func() map[string]any { return dry(map[string]any{"dealerCode": dealerA, "uuid": o.UUID}) }, nil},
		"DevicePurchaseOrderProductInput": {"createDevicePurchaseOrder", "CreateDevicePurchaseOrderInput",
			createOrder, []string{"items", "0", "product"}},
		"DevicePurchaseOrderGatewayProductInput": {"createDevicePurchaseOrder", "CreateDevicePurchaseOrderInput",
			createOrder, []string{"items", "0", "product", "gatewayProduct"}},
		"DevicePurchaseOrderShippingInput": {"createDevicePurchaseOrder", "CreateDevicePurchaseOrderInput",
			createOrder, []string{"shipping"}},
		"DevicePurchaseOrderAddressInput": {"createDevicePurchaseOrder", "CreateDevicePurchaseOrderInput",
			createOrder, []string{"shipping", "address"}},
		"DevicePurchaseOrderItemInput": {"createDevicePurchaseOrder", "CreateDevicePurchaseOrderInput",
			createOrder, []string{"items", "0"}},
		// Webhook endpoints have no dry run: an accepted input creates or changes one.
		"CreateWebhookEndpointInput": {"createWebhookEndpoint", "CreateWebhookEndpointInput", webhookInput, nil},
		"WebhookFiltersInput":        {"createWebhookEndpoint", "CreateWebhookEndpointInput", webhookInput, []string{"filters"}},
		"UpdateWebhookEndpointInput": {"updateWebhookEndpoint", "UpdateWebhookEndpointInput",
			func() map[string]any { return map[string]any{"id": hook} }, nil},
		"WebhookEndpointKeyInput": {"rotateWebhookEndpointSecret", "WebhookEndpointKeyInput",
			func() map[string]any { return map[string]any{"id": hook} }, nil},
		"PaymentGatewayBillTypeInput":    {"createCustomerPaymentGateway", "CreateCustomerPaymentGatewayInput", gatewayWithFee, nil},
		"PaymentGatewayApplicationInput": {"createCustomerPaymentGateway", "CreateCustomerPaymentGatewayInput", gatewayWithFee, nil},
	}
}

var atMost = regexp.MustCompile(`(?i)at most (\d+)\s+characters`)

// textOfLength is a value of n characters that passes the field's format rules, in two-byte
// characters where the format allows, so that the limit is seen to count characters.
func textOfLength(field string, n int) string {
	switch field {
	case "email":
		return strings.Repeat("a", n-len("@example.com")) + "@example.com"
	case "apiEndpointUrl", "threeDSecureEndpointUrl", "url":
		return "https://example.com/" + strings.Repeat("a", n-len("https://example.com/"))
	case "gsm":
		return "+9" + strings.Repeat("0", n-2)
	case "clientMutationId", "idempotencyKey", "apiKey", "secretKey", "password", "extraCredentials", "merchantKey", "merchantPin":
		return strings.Repeat("k", n)
	}
	return strings.Repeat("ş", n)
}

// TestEveryTextFieldHasItsLimit reads every text field of every input from the schema: each
// must document its maximum length, and the server must hold that length and refuse one more
// character with OUT_OF_RANGE at the field's path (a mobile number, whose format bounds it,
// with INVALID).
func TestEveryTextFieldHasItsLimit(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema := gqlparser.MustLoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	e := newEnv(t)
	sites := inputSites(e)
	// Fields that name a record rather than store text: a long one finds nothing.
	keys := map[string]bool{"UpdateSubDealerInput.updateCode": true, "UpdateDevicePurchaseOrderInput.dealerCode": true}
	// Fields whose format bounds them more tightly than any length (ISO codes, "true"/"false").
	formats := map[string]bool{"countryCode": true, "currencyCode": true, "currency": true, "country": true, "orderable": true}
	checked := 0
	for _, def := range schema.Types {
		if def.Kind != ast.InputObject {
			continue
		}
		for _, f := range def.Fields {
			if f.Type.Name() != "String" || keys[def.Name+"."+f.Name] || formats[f.Name] {
				continue
			}
			name := def.Name + "." + f.Name
			m := atMost.FindStringSubmatch(f.Description)
			if m == nil {
				t.Errorf("%s documents no maximum length", name)
				continue
			}
			site, ok := sites[def.Name]
			if !ok {
				t.Errorf("%s: no site for input type %s", name, def.Name)
				continue
			}
			limit, _ := strconv.Atoi(m[1])
			path := append(slices.Clone(site.at), f.Name)
			value := func(s string) any { return s }
			if f.Type.Elem != nil { // ruleNames: each item is limited
				path = append(path, "0")
				value = func(s string) any { return []any{s} }
			}
			wantCode := "OUT_OF_RANGE"
			if f.Name == "gsm" {
				wantCode = "INVALID"
			}
			t.Run(name, func(t *testing.T) {
				checked++
				at := func(n int) []userError {
					in := site.input()
					set(in, append(slices.Clone(site.at), f.Name), value(textOfLength(f.Name, n)))
					var out []userError
					for _, u := range e.mutate(site.mutation, site.inputType, in) {
						if slices.Equal(u.Field, path) {
							out = append(out, u)
						}
					}
					return out
				}
				for _, u := range at(limit) {
					if u.Code == "OUT_OF_RANGE" || (wantCode == "INVALID" && u.Code == wantCode) {
						t.Errorf("%d characters refused: %+v", limit, u)
					}
				}
				over := at(limit + 1)
				if !slices.ContainsFunc(over, func(u userError) bool {
					return u.Code == wantCode && (wantCode != "OUT_OF_RANGE" || strings.Contains(u.Message, fmt.Sprintf("at most %d characters", limit)))
				}) {
					t.Errorf("%d characters: %+v, want %s naming the limit", limit+1, over, wantCode)
				}
			})
		}
	}
	if checked < 90 {
		t.Errorf("only %d text fields checked", checked)
	}
}

// TestTextLimitsInTheDatabase shows that the CHECK constraints back the rules: an overlong
// value written past the API is refused by PostgreSQL itself.
func TestTextLimitsInTheDatabase(t *testing.T) {
	e := newEnv(t)
	e.mustCreateSubDealer(corporateSubDealer("DB"))
	e.createConfig(map[string]any{"name": "db"})
	e.mustCreateOrder(newOrder())
	for _, stmt := range []string{
		"UPDATE sub_dealers SET name = repeat('x', 201)",
		"UPDATE sub_dealers SET code = repeat('x', 51)",
		"UPDATE sub_dealer_users SET email = repeat('x', 255)",
		"UPDATE sub_dealers SET usable_payment_set_definition_ids = array_fill(gen_random_uuid(), ARRAY[501])",
		"UPDATE connector_configurations SET api_endpoint_url = repeat('x', 2049)",
		"UPDATE device_purchase_orders SET shipping_address_line1 = repeat('x', 501)",
		"UPDATE device_purchase_order_items SET product_description = repeat('x', 1001)",
	} {
		_, err := e.db.ExecContext(context.Background(), stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
			t.Errorf("%s: %v, want a check violation", stmt, err)
		}
	}
}

// TestInputListsAreBounded sends 501 items in every input list: each is refused with
// OUT_OF_RANGE at the list, and nothing is written.
func TestInputListsAreBounded(t *testing.T) {
	e := newEnv(t)
	sites := inputSites(e)
	many := func(n int, item func(i int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = item(i)
		}
		return out
	}
	newID := func(int) any { return uuid.NewString() }
	tests := []struct {
		site string
		path []string
		item func(i int) any
	}{
		{"CreateCustomerPaymentGatewayInput", []string{"billTypes"}, func(i int) any { return map[string]any{"billTypeId": i} }},
		{"CreateCustomerPaymentGatewayInput", []string{"applications"}, func(int) any { return map[string]any{"applicationId": uuid.NewString()} }},
		{"UpdateCustomerPaymentGatewayInput", []string{"paymentTypes"}, func(i int) any { return map[string]any{"paymentType": fmt.Sprint("T", i)} }},
		{"UpdateCustomerPaymentGatewayInput", []string{"convenienceFees"}, func(int) any { return map[string]any{"paymentType": "CREDIT_CARD"} }},
		{"CreateSubDealerInput", []string{"users"}, func(i int) any {
			return map[string]any{"code": fmt.Sprint("U", i), "name": "N", "surname": "S", "email": "u@example.com", "gsm": "+905321234567"}
		}},
		{"UpdateSubDealerInput", []string{"removeUserIds"}, newID},
		{"CreateSubDealerInput", []string{"usablePaymentSetDefinitionIds"}, newID},
		{"UpdateSubDealerInput", []string{"customerRepresentativeIds"}, newID},
		{"SubDealerUserInput", []string{"users", "0", "roles"}, newID},
		{"SubDealerUserInput", []string{"users", "0", "ruleNames"}, func(i int) any { return fmt.Sprint("rule-", i) }},
		{"CreateDevicePurchaseOrderInput", []string{"items"}, func(int) any { return item("TR-MOVE5000", 1, "1.00") }},
		{"UpdateDevicePurchaseOrderInput", []string{"items"}, func(int) any { return item("TR-MOVE5000", 1, "1.00") }},
	}
	for _, tt := range tests {
		t.Run(tt.site+"."+strings.Join(tt.path, "."), func(t *testing.T) {
			site := sites[tt.site]
			in := site.input()
			in["dryRun"] = false
			set(in, tt.path, many(501, tt.item))
			errs := e.mutate(site.mutation, site.inputType, in)
			if !slices.ContainsFunc(errs, func(u userError) bool {
				return slices.Equal(u.Field, tt.path) && u.Code == "OUT_OF_RANGE" && strings.Contains(u.Message, "at most 500 items")
			}) {
				t.Errorf("errors %v, want OUT_OF_RANGE at %v", keys(errs), tt.path)
			}
		})
	}
}

// TestHostileStringsAreStoredVerbatim stores strings that look like injections, markup and
// control sequences, and reads each back exactly as sent, in the record, its JSON object and
// its history; NUL, which PostgreSQL text cannot hold, is refused with INVALID at its field.
func TestHostileStringsAreStoredVerbatim(t *testing.T) {
	e := newEnv(t)
	hostile := []string{
		`Robert'); DROP TABLE connector_configurations;--`,
		`' OR '1'='1' --`,
		`1; SELECT pg_sleep(10)`,
		`<script>alert(document.cookie)</script>`,
		`"><img src=x onerror=alert(1)>`,
		`{{7*7}} ${7*7} #{7*7} %s%n%x%d`,
		`${jndi:ldap://example.com/a}`,
		`{"$gt": ""} $where`,
		"\x01\x02\x07\x08\x0b\x0c\x1b[31mred\x1b[0m\x7f",
		"line\nbreak\r\ntab\tend",
		"\u202eRTL override\u202c, zero\u200bwidth, \ufeffBOM",
		"e\u0301 👩‍💻 𝕌𝕟𝕚𝕔𝕠𝕕𝕖 ﷽",
		`\u0000 \x00 %00 (escaped, not NUL)`,
		`../../etc/passwd C:\Windows\System32`,
		`null`,
		` leading and trailing spaces `,
	}
	for i, s := range hostile {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			c := e.createConfig(map[string]any{"name": s, "username": s, "extraPropertiesDict": map[string]any{s: s, "nested": []any{s}}})
			got := e.readConfig(c.ID)
			if got.Name == nil || *got.Name != s || *got.Username != s {
				t.Errorf("name %q, want %q", derefString(got.Name), s)
			}
			if v, ok := got.ExtraPropertiesDict[s].(string); !ok || v != s {
				t.Errorf("extraPropertiesDict %v", got.ExtraPropertiesDict)
			}
			if name, _ := got.History[0].Changes["name"].(map[string]any); name["to"] != s {
				t.Errorf("history %v", got.History[0].Changes["name"])
			}
		})
	}
	in := corporateSubDealer("HOSTILE")
	in["address"] = hostile[0]
	users := in["users"].([]any)
	users[0].(map[string]any)["description"] = hostile[3]
	users[0].(map[string]any)["ruleNames"] = []any{hostile[1], hostile[8]}
	d := e.mustCreateSubDealer(in)
	if got := e.readSubDealer(e.admin, d.Code); *got.Address != hostile[0] || *got.Users[0].Description != hostile[3] ||
		!slices.Equal(got.Users[0].RuleNames, []string{hostile[1], hostile[8]}) {
		t.Errorf("sub-dealer read back as %+v", got)
	}
	var tables int
	if err := e.db.NewRaw("SELECT count(*) FROM connector_configurations").Scan(context.Background(), &tables); err != nil || tables != len(hostile) {
		t.Errorf("%d configurations, %v", tables, err)
	}
}

func derefString(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestNULIsRefused sends U+0000, which PostgreSQL text and jsonb cannot store, in fields of
// every kind: each is refused with INVALID at its path, not an internal error.
func TestNULIsRefused(t *testing.T) {
	e := newEnv(t)
	sites := inputSites(e)
	tests := []struct {
		site  string
		path  []string
		value any
		at    []string // where the error is reported, when not path
	}{
		{"CreateConnectorConfigurationInput", []string{"name"}, "a\x00b", nil},
		{"CreateConnectorConfigurationInput", []string{"extraPropertiesDict"}, map[string]any{"k": "v\x00"}, nil},
		{"CreateConnectorConfigurationInput", []string{"extraPropertiesDict"}, map[string]any{"k\x00": 1}, nil},
		{"CreateConnectorConfigurationInput", []string{"extraPropertiesDict"}, map[string]any{"k": []any{map[string]any{"deep": "\x00"}}}, nil},
		{"CreateConnectorConfigurationInput", []string{"clientMutationId"}, "\x00", nil},
		{"UpdateCustomerPaymentGatewayInput", []string{"displayName"}, "\x00", nil},
		{"SubDealerUserInput", []string{"users", "0", "description"}, "x\x00", nil},
		{"SubDealerUserInput", []string{"users", "0", "ruleNames"}, []any{"ok", "\x00"}, []string{"users", "0", "ruleNames", "1"}},
		{"UpdateSubDealerInput", []string{"name"}, "\x00", nil},
		{"DevicePurchaseOrderProductInput", []string{"items", "0", "product", "name"}, "\x00", nil},
		{"DevicePurchaseOrderAddressInput", []string{"shipping", "address", "line2"}, "\x00", nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.path, "."), func(t *testing.T) {
			site := sites[tt.site]
			in := site.input()
			set(in, tt.path, tt.value)
			at := tt.at
			if at == nil {
				at = tt.path
			}
			errs := e.mutate(site.mutation, site.inputType, in)
			if !slices.ContainsFunc(errs, func(u userError) bool {
				return slices.Equal(u.Field, at) && u.Code == "INVALID" && strings.Contains(u.Message, "NUL")
			}) {
				t.Errorf("errors %v, want INVALID at %v", keys(errs), at)
			}
		})
	}
	// Written inline in the query text rather than in variables.
	res := e.post(e.admin, `mutation { createConnectorConfiguration(input: {connectorId: "`+garantiID+`", name: "a\u0000b"}) { userErrors { field code } } }`, nil)
	if !contains(res.Body, `{"field":["name"],"code":"INVALID"}`) {
		t.Errorf("inline NUL: %s", res.Body)
	}
}

// TestJSONObjectDepth refuses an extraPropertiesDict nested deeper than 32 levels.
func TestJSONObjectDepth(t *testing.T) {
	e := newEnv(t)
	nest := func(n int) map[string]any {
		var v any = "leaf"
		for range n - 1 {
			v = map[string]any{"a": v}
		}
		return map[string]any{"a": v}
	}
	in := map[string]any{"connectorId": garantiID, "dryRun": true}
	in["extraPropertiesDict"] = nest(32)
	if errs := e.mutate("createConnectorConfiguration", "CreateConnectorConfigurationInput", in); len(errs) != 0 {
		t.Errorf("32 levels: %v", keys(errs))
	}
	in["extraPropertiesDict"] = nest(33)
	if errs := e.mutate("createConnectorConfiguration", "CreateConnectorConfigurationInput", in); !slices.Equal(keys(errs), []string{"extraPropertiesDict:OUT_OF_RANGE"}) {
		t.Errorf("33 levels: %v", keys(errs))
	}
}

// TestBadScalarsNameTheArgument sends values that are not UUIDs, Decimals, JSON objects or
// enum values, inline and in variables: each error names the argument (and the field inside
// it), or in variables the value's path there, and the value, with BAD_USER_INPUT or
// GRAPHQL_VALIDATION_FAILED, never an internal error.
func TestBadScalarsNameTheArgument(t *testing.T) {
	e := newEnv(t)
	const updateGWQ = `mutation($in: UpdateCustomerPaymentGatewayInput!) { updateCustomerPaymentGateway(input: $in) { userErrors { code } } }`
	const updateCCQ = `mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) { userErrors { code } } }`
	gw := func(fields map[string]any) map[string]any {
		in := map[string]any{"customerId": customerA, "id": garantiID}
		for k, v := range fields {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	tests := []struct {
		name, query string
		vars        map[string]any
		code, says  string
	}{
		{"UUID inline", `{ connectorConfiguration(id: "nope") { id } }`, nil, "BAD_USER_INPUT", `id: "nope" is not a UUID`},
		{"UUID variable", `query($id: UUID!) { connectorConfiguration(id: $id) { id } }`, map[string]any{"id": "12345"}, "BAD_USER_INPUT", `id: "12345" is not a UUID`},
		{"UUID a number", `query($id: UUID!) { connectorConfiguration(id: $id) { id } }`, map[string]any{"id": 7}, "BAD_USER_INPUT", `id: a UUID must be a string, got a number`},
		{"UUID in a list", `mutation($in: UpdateSubDealerInput!) { updateSubDealer(input: $in) { userErrors { code } } }`,
			map[string]any{"in": map[string]any{"updateCode": "X", "removeUserIds": []any{uuid.NewString(), "bad"}}}, "BAD_USER_INPUT", `variables.in.removeUserIds[1]: "bad" is not a UUID`},
		{"UUID long", `query($id: UUID!) { connectorConfiguration(id: $id) { id } }`, map[string]any{"id": strings.Repeat("z", 100000)}, "BAD_USER_INPUT", `id: "zzzz`},
		{"Decimal comma", updateGWQ, gw(map[string]any{"minPaymentAmount": "12,50"}), "BAD_USER_INPUT", `variables.in.minPaymentAmount: "12,50" is not a decimal number`},
		{"Decimal in a list item", updateGWQ, gw(map[string]any{"convenienceFees": []any{map[string]any{"paymentType": "C", "minRange": "ten"}}}),
			"BAD_USER_INPUT", `variables.in.convenienceFees[0].minRange: "ten" is not a decimal number`},
		{"Decimal a boolean", updateGWQ, gw(map[string]any{"maxPaymentAmount": true}), "BAD_USER_INPUT", `variables.in.maxPaymentAmount: a Decimal must be a string or a number`},
		{"Decimal tiny exponent", updateGWQ, gw(map[string]any{"maxPaymentAmount": "1e-65"}), "BAD_USER_INPUT", `variables.in.maxPaymentAmount: "1e-65" is out of range`},
		{"Decimal huge exponent", updateGWQ, gw(map[string]any{"maxPaymentAmount": "9E+64"}), "BAD_USER_INPUT", `is out of range`},
		{"Decimal exponent past int32", updateGWQ, gw(map[string]any{"maxPaymentAmount": "1e-999999999999"}), "BAD_USER_INPUT", `is not a decimal number`},
		{"Decimal too long", updateGWQ, gw(map[string]any{"maxPaymentAmount": strings.Repeat("9", 300)}), "BAD_USER_INPUT", `too long`},
		{"Decimal inline", `mutation { updateCustomerPaymentGateway(input: {customerId: "` + customerA + `", id: "` + garantiID + `", minPaymentAmount: "1.2.3"}) { userErrors { code } } }`,
			nil, "BAD_USER_INPUT", `input.minPaymentAmount: "1.2.3" is not a decimal number`},
		{"JSONObject a list", updateCCQ, map[string]any{"in": map[string]any{"id": garantiID, "extraPropertiesDict": []any{1}}}, "BAD_USER_INPUT",
			`variables.in.extraPropertiesDict: a JSONObject must be an object, got a list`},
		{"JSONObject a string", updateCCQ, map[string]any{"in": map[string]any{"id": garantiID, "extraPropertiesDict": "{}"}}, "BAD_USER_INPUT",
			`variables.in.extraPropertiesDict: a JSONObject must be an object, got a string`},
		{"enum variable", updateCCQ, map[string]any{"in": map[string]any{"id": garantiID, "mode": "LIVE"}}, "GRAPHQL_VALIDATION_FAILED", `variables.in.mode: "LIVE" is not a valid ConnectorMode`},
		{"enum inline", `mutation { updateConnectorConfiguration(input: {id: "` + garantiID + `", mode: LIVE}) { userErrors { code } } }`, nil,
			"GRAPHQL_VALIDATION_FAILED", `Value "LIVE" does not exist in "ConnectorMode" enum`},
		{"enum lower case", `query($s: DevicePurchaseOrderStatus) { devicePurchaseOrders(status: $s) { nodes { uuid } } }`, map[string]any{"s": "draft"},
			"GRAPHQL_VALIDATION_FAILED", `variables.s: "draft" is not a valid DevicePurchaseOrderStatus`},
		{"enum a string literal", `{ devicePurchaseOrders(status: "DRAFT") { nodes { uuid } } }`, nil, "GRAPHQL_VALIDATION_FAILED", `DevicePurchaseOrderStatus`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.post(e.admin, tt.query, tt.vars)
			if res.codeOf() != tt.code || !strings.Contains(res.Errors[0].Message, tt.says) {
				t.Errorf("got %.300s, want %s saying %q", res.Body, tt.code, tt.says)
			}
			if len(res.Body) > 2000 {
				t.Errorf("the answer quotes the value whole: %d bytes", len(res.Body))
			}
		})
	}
}

// TestNilUUIDReadsBack stores the nil UUID where a UUID is required and reads it back as
// sent: gqlgen's own marshaler would write null there and break every read of the record.
func TestNilUUIDReadsBack(t *testing.T) {
	e := newEnv(t)
	const nilUUID = "00000000-0000-0000-0000-000000000000"
	g := e.createGateway(map[string]any{"customerId": customerA, "displayName": "nil", "applications": []any{map[string]any{"applicationId": nilUUID}}})
	if got := e.readGateway(e.admin, customerA, g.ID); len(got.Applications) != 1 || got.Applications[0].ApplicationID != nilUUID {
		t.Errorf("applications %+v", got.Applications)
	}
}
