package graph_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payplat/paygql/graph"
)

// problem is what a test expects of one error about the variables: the value's path in the
// request, and the field or enum value suggested in development ("" for none).
type problem struct{ path, suggestion string }

// seedBody reads a vendor's sample request body (testdata/seeds, copied from the vendors'
// pages) as a partner replaying it would send it.
func seedBody(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/seeds/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	return body
}

// TestSeedBodiesAsVariables replays each vendor's sample body as the `input` variable of its
// mutation. Every mistake in it comes back in one response, each error at its path in the
// variables; in development with the field meant (the API's documented renames included) and
// an enum's values, in production (introspection off) without naming anything not sent.
func TestSeedBodiesAsVariables(t *testing.T) {
	withRenames := func() map[string]any { // the sub-dealer page's other spellings
		b := seedBody(t, "sub-dealer")
		b["Updatecode"] = "742"
		user := b["users"].([]any)[0].(map[string]any)
		user["userCode"] = user["code"]
		delete(user, "code")
		user["ruleName"] = []any{"admin"}
		return b
	}
	withPath := func() map[string]any { // the REST path's parameters put in the body
		b := seedBody(t, "device-purchase-order")
		b["ServiceSubscriberDealer"] = "DLR-1001"
		b["devicePurchaseOrderUuid"] = "8c1f0000-0000-4000-8000-000000000001"
		return b
	}
	cases := []struct {
		name, mutation string
		body           map[string]any
		want           []problem
	}{
		{"connector configuration", "updateConnectorConfiguration", seedBody(t, "connector-configuration"), []problem{
			{"variables.input.api_endpoint_url", "apiEndpointUrl"},
			{"variables.input.api_key", "apiKey"},
			{"variables.input.bank_code", "bankCode"},
			{"variables.input.extra_credentials", "extraCredentials"},
			{"variables.input.extra_properties_dict", "extraPropertiesDict"},
			{"variables.input.is_active", "isActive"},
			{"variables.input.secret_key", "secretKey"},
			{"variables.input.store_id", "storeId"},
			{"variables.input.terminal_id", "terminalId"},
			{"variables.input.three_d_secure_endpoint_url", "threeDSecureEndpointUrl"},
		}},
		{"customer payment gateway", "updateCustomerPaymentGateway", seedBody(t, "customer-payment-gateway"), []problem{
			{"variables.input.testMode", ""},
		}},
		{"sub-dealer", "updateSubDealer", seedBody(t, "sub-dealer"), []problem{
			{"variables.input.updateCode", ""},
			{"variables.input.districtCode", ""},
			{"variables.input.users[0].sendMail", "sendRegisterMail"},
			{"variables.input.isCompany", "isIndividual"},
		}},
		{"sub-dealer, the page's other names", "updateSubDealer", withRenames(), []problem{
			{"variables.input.updateCode", ""},
			{"variables.input.districtCode", ""},
			{"variables.input.users[0].ruleName", "ruleNames"},
			{"variables.input.users[0].sendMail", "sendRegisterMail"},
			{"variables.input.users[0].userCode", "code"},
			{"variables.input.Updatecode", "updateCode"},
			{"variables.input.isCompany", "isIndividual"},
		}},
		{"device purchase order", "updateDevicePurchaseOrder", seedBody(t, "device-purchase-order"), []problem{
			{"variables.input.dealerCode", ""},
			{"variables.input.uuid", ""},
			{"variables.input.devicePurchaseOrderItems", "items"},
		}},
		{"device purchase order, path in the body", "updateDevicePurchaseOrder", withPath(), []problem{
			{"variables.input.dealerCode", ""},
			{"variables.input.uuid", ""},
			{"variables.input.ServiceSubscriberDealer", "dealerCode"},
			{"variables.input.devicePurchaseOrderItems", "items"},
			{"variables.input.devicePurchaseOrderUuid", "uuid"},
		}},
	}
	prod := graph.DefaultOptions
	prod.Introspection = false
	for mode, e := range map[string]*env{"development": newEnv(t), "production": newEnvWith(t, prod)} {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				inputType := strings.ToUpper(tc.mutation[:1]) + tc.mutation[1:] + "Input"
				query := fmt.Sprintf(`mutation($input: %s!) { %s(input: $input) { clientMutationId } }`, inputType, tc.mutation)
				res := e.post(e.admin, query, map[string]any{"input": tc.body})
				if res.Data != nil && string(res.Data) != "null" {
					t.Errorf("the mutation ran: %s", res.Data)
				}
				var got []problem
				for _, err := range res.Errors {
					path, _, ok := strings.Cut(err.Message, ": ")
					if !ok || err.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
						t.Errorf("error %q, code %v: want one naming its path, GRAPHQL_VALIDATION_FAILED", err.Message, err.Extensions["code"])
					}
					if want := "variables." + joinPath(err.Path); want != path {
						t.Errorf("path %v, message names %s", err.Path, path)
					}
					s, _ := err.Extensions["suggestion"].(string)
					got = append(got, problem{path, s})
					hinted := strings.Contains(err.Message, "Did you mean") || strings.Contains(err.Message, "Allowed values")
					if mode == "production" && (hinted || s != "") {
						t.Errorf("production names what was not sent: %+v", err)
					}
					if s != "" && !strings.Contains(err.Message, `Did you mean "`+s+`"?`) {
						t.Errorf("suggestion %s not in the message %q", s, err.Message)
					}
				}
				want := tc.want
				if mode == "production" {
					want = nil
					for _, p := range tc.want {
						want = append(want, problem{p.path, ""})
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("got %v\nwant %v\n%s", got, want, res.Body)
				}
			})
		}
	}
}

// joinPath writes an error's path (variables, name, index, …) as pathString does.
func joinPath(path []any) string {
	var b strings.Builder
	for i, p := range path[1:] {
		switch p := p.(type) {
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case float64:
			fmt.Fprintf(&b, "[%d]", int(p))
		}
	}
	return b.String()
}

// TestVariablesCoercedLikeLiterals sends the same value inline and in variables: both are
// refused, or both accepted, and a refusal in variables names the JSON type that was sent.
func TestVariablesCoercedLikeLiterals(t *testing.T) {
	e := newEnv(t)
	const (
		subDealer = `mutation($in: UpdateSubDealerInput!) { updateSubDealer(input: $in) { userErrors { code } } }`
		connector = `mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) { userErrors { code } } }`
		gateway   = `mutation($in: UpdateCustomerPaymentGatewayInput!) { updateCustomerPaymentGateway(input: $in) { userErrors { code } } }`
	)
	inline := func(mutation, fields string) string {
		return fmt.Sprintf(`mutation { %s(input: {%s}) { userErrors { code } } }`, mutation, fields)
	}
	cc := func(k string, v any) map[string]any {
		return map[string]any{"in": map[string]any{"id": garantiID, "dryRun": true, k: v}}
	}
	tests := []struct {
		name         string
		query, lit   string
		vars         map[string]any
		says, inline string // "" when accepted
	}{
		{"a number for a String", subDealer, inline("updateSubDealer", `updateCode: "742", dryRun: true, districtCode: 494`),
			map[string]any{"in": map[string]any{"updateCode": "742", "dryRun": true, "districtCode": json.Number("494")}},
			"variables.in.districtCode: a number was sent where a String is expected", "String cannot represent a non string value: 494"},
		{"a string for an Int", connector, inline("updateConnectorConfiguration", `id: "`+garantiID+`", expectedVersion: "7"`),
			cc("expectedVersion", "7"), "variables.in.expectedVersion: a string was sent where an Int (a whole number) is expected", `Int cannot represent non-integer value: "7"`},
		{"a number for a Boolean", gateway, inline("updateCustomerPaymentGateway", `customerId: "`+customerA+`", id: "`+garantiID+`", testMode: 0`),
			map[string]any{"in": map[string]any{"customerId": customerA, "id": garantiID, "testMode": 0}},
			"variables.in.testMode: a number was sent where a Boolean (true or false) is expected", "Boolean cannot represent a non boolean value: 0"},
		{"an Int over 32 bits", connector, inline("updateConnectorConfiguration", `id: "`+garantiID+`", priority: 4294967296`),
			cc("priority", json.Number("4294967296")), "variables.in.priority: 4294967296 is not an Int", "Int cannot represent non 32-bit signed integer value: 4294967296"},
		{"a fraction for an Int", connector, inline("updateConnectorConfiguration", `id: "`+garantiID+`", priority: 1.5`),
			cc("priority", 1.5), "variables.in.priority: 1.5 is not an Int", "Int cannot represent non-integer value: 1.5"},
		{"an enum value in another case", connector, inline("updateConnectorConfiguration", `id: "`+garantiID+`", mode: Production`),
			cc("mode", "Production"), `variables.in.mode: "Production" is not a valid ConnectorMode. Did you mean "PRODUCTION"? Allowed values: TEST, PRODUCTION.`,
			`Value "Production" does not exist in "ConnectorMode" enum. Did you mean "PRODUCTION"? Allowed values: TEST, PRODUCTION.`},
		{"an unknown enum value", connector, inline("updateConnectorConfiguration", `id: "`+garantiID+`", mode: LIVE`),
			cc("mode", "LIVE"), `variables.in.mode: "LIVE" is not a valid ConnectorMode. Allowed values: TEST, PRODUCTION.`,
			`Value "LIVE" does not exist in "ConnectorMode" enum. Allowed values: TEST, PRODUCTION.`},
		{"a renamed field", subDealer, inline("updateSubDealer", `updateCode: "742", isCompany: true`),
			map[string]any{"in": map[string]any{"updateCode": "742", "isCompany": true}},
			`variables.in.isCompany: field "isCompany" is not defined by type UpdateSubDealerInput. Did you mean "isIndividual"? (with the opposite meaning`,
			`Field "isCompany" is not defined by type "UpdateSubDealerInput". Did you mean "isIndividual"? (with the opposite meaning`},
		{"good values", connector, inline("updateConnectorConfiguration", `id: "`+garantiID+`", dryRun: true, priority: 3, mode: PRODUCTION, isActive: false`),
			map[string]any{"in": map[string]any{"id": garantiID, "dryRun": true, "priority": 3, "mode": "PRODUCTION", "isActive": false}}, "", ""},
		{"one value for a list", subDealer, inline("updateSubDealer", `updateCode: "742", dryRun: true, usablePaymentSetDefinitionIds: "eb8628f3-f5ee-8785-455c-d2ca1edb8c30"`),
			map[string]any{"in": map[string]any{"updateCode": "742", "dryRun": true, "usablePaymentSetDefinitionIds": "eb8628f3-f5ee-8785-455c-d2ca1edb8c30"}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for how, res := range map[string]response{"variables": e.post(e.admin, tt.query, tt.vars), "inline": e.post(e.admin, tt.lit, nil)} {
				want := map[string]string{"variables": tt.says, "inline": tt.inline}[how]
				switch {
				case want == "" && len(res.Errors) > 0:
					t.Errorf("%s: refused: %s", how, res.Body)
				case want != "" && (len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, want)):
					t.Errorf("%s: got %s\nwant one error saying %q", how, res.Body, want)
				}
			}
		})
	}
}

// TestVariableProblemsAreBounded sends 300 unknown fields: the answer stays small, with the
// first problems and a count of the rest.
func TestVariableProblemsAreBounded(t *testing.T) {
	e := newEnv(t)
	in := map[string]any{"id": garantiID}
	for i := range 300 {
		in[fmt.Sprintf("f%03d", i)] = i
	}
	res := e.post(e.admin, `mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) { clientMutationId } }`,
		map[string]any{"in": in})
	last := res.Errors[len(res.Errors)-1]
	if len(res.Errors) != 100 || last.Extensions["code"] != "TOO_MANY_ERRORS" || !strings.HasPrefix(last.Message, "201 more problems") ||
		!strings.HasPrefix(res.Errors[0].Message, `variables.in.f000: field "f000"`) {
		t.Errorf("%d errors, first %q, last %q", len(res.Errors), res.Errors[0].Message, last.Message)
	}
}

// TestProductionHintsNothing: with introspection off, mistakes inline and in variables are
// reported without naming a field, an enum value or the allowed values.
func TestProductionHintsNothing(t *testing.T) {
	prod := graph.DefaultOptions
	prod.Introspection = false
	e := newEnvWith(t, prod)
	const update = `mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) { clientMutationId } }`
	requests := map[string]response{
		"inline enum":  e.post(e.admin, `mutation { updateConnectorConfiguration(input: {id: "`+garantiID+`", mode: Production}) { clientMutationId } }`, nil),
		"inline field": e.post(e.admin, `mutation { updateSubDealer(input: {updateCode: "742", isCompany: true}) { clientMutationId } }`, nil),
		"variables":    e.post(e.admin, update, map[string]any{"in": map[string]any{"id": garantiID, "mode": "Production", "api_key": "k"}}),
	}
	for name, res := range requests {
		if len(res.Errors) == 0 {
			t.Errorf("%s: no error", name)
		}
		for _, err := range res.Errors {
			_, suggests := err.Extensions["suggestion"]
			_, lists := err.Extensions["allowedValues"]
			if suggests || lists || strings.Contains(err.Message, "Did you mean") || strings.Contains(err.Message, "Allowed values") ||
				strings.Contains(err.Message, "PRODUCTION") || strings.Contains(err.Message, "isIndividual") {
				t.Errorf("%s: %+v", name, err)
			}
		}
	}
	if n := len(requests["variables"].Errors); n != 2 {
		t.Errorf("variables: %d errors, want 2: %s", n, requests["variables"].Body)
	}
}

// TestLongNamesAreCheap sends unknown fields and an enum value of 200,000 characters each: the
// answer comes at once, quoting 40 characters of each.
func TestLongNamesAreCheap(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("apiKey", 200000/6)
	in := map[string]any{"id": garantiID, "mode": long}
	for i := range 4 {
		in[long+fmt.Sprint(i)] = 1
	}
	start := time.Now()
	res := e.post(e.admin, `mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) { clientMutationId } }`,
		map[string]any{"in": in})
	if took := time.Since(start); took > 2*time.Second || len(res.Errors) != 5 || len(res.Body) > 5000 {
		t.Errorf("%d errors, %d bytes, in %v", len(res.Errors), len(res.Body), took)
	}
}
