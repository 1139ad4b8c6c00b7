package graph_test

import (
	"github.com/payplat/paygql/internal/auth"
)

// webhookMatrixInput is a createWebhookEndpoint input for c: the entity type of c's role,
// filtered to the fixture's in-scope record (so that an out-of-scope caller's filter names a
// record outside its scope).
func webhookMatrixInput(c matrixCaller, cell string) map[string]any {
	in := map[string]any{"url": "https://hooks.example.com/" + cell, "description": cell}
	switch c.role {
	case auth.RoleConnectorAdmin:
		in["entityTypes"], in["filters"] = []string{"CONNECTOR_CONFIGURATION"}, map[string]any{"connectorId": garantiID}
	case auth.RoleGatewayAdmin:
		in["entityTypes"], in["filters"] = []string{"CUSTOMER_PAYMENT_GATEWAY"}, map[string]any{"customerId": customerA}
	default:
		in["entityTypes"], in["filters"] = []string{"DEVICE_PURCHASE_ORDER"}, map[string]any{"dealerCode": dealerA}
	}
	return in
}

// webhookOutcome: every role may manage webhook endpoints, within its scope. Connector
// configurations have no scope beyond the role, so both connector admins see the
// connector-admin's endpoint; a gateway or dealer admin sees only endpoints whose scope lies
// within its customer_ids or dealer_codes.
func webhookOutcome(c matrixCaller) outcome {
	switch {
	case c.role == "":
		return unauthenticated
	case c.role == auth.RoleAdmin || c.role == auth.RoleConnectorAdmin || c.inScope:
		return allowed
	}
	return looksMissing
}

// webhookState is the webhook endpoints' state, which a webhook mutation changes.
func webhookState(e *env) string {
	var s string
	if err := e.db.NewRaw(`SELECT coalesce(md5(string_agg(id::text || ':' || version || ':' || url || ':' || encode(secret, 'hex'), ',' ORDER BY id)), '')
		FROM webhook_endpoints`).Scan(e.t.Context(), &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// endpointOf is the fixture endpoint of c's role.
func endpointOf(f *matrixFixture, c matrixCaller) string { return f.endpoints[c.role] }

const endpointFields = `webhookEndpoint { id description } userErrors { field code message }`

func init() {
	byID := func(_ *env, f *matrixFixture, c matrixCaller, _ string) map[string]any {
		return in(map[string]any{"id": endpointOf(f, c)})
	}
	matrixOps = append(matrixOps,
		matrixOp{
			name: "webhookEndpoints", kind: listRead, outcome: webhookOutcome,
			query: `{ webhookEndpoints { id } }`, key: "id", wantFor: endpointOf,
		},
		matrixOp{
			name: "webhookEndpoint", kind: singleRead, outcome: webhookOutcome,
			query: `query($id: UUID!) { webhookEndpoint(id: $id) { id } }`,
			varsFor: func(_ *env, f *matrixFixture, c matrixCaller, _ string) map[string]any {
				return map[string]any{"id": endpointOf(f, c)}
			},
			key: "id", wantFor: endpointOf,
		},
		matrixOp{
			name: "createWebhookEndpoint", kind: mutation, outcome: webhookOutcome, state: webhookState,
			query: `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) { ` + endpointFields + ` } }`,
			varsFor: func(_ *env, _ *matrixFixture, c matrixCaller, cell string) map[string]any {
				return in(webhookMatrixInput(c, cell))
			},
			entity: "webhookEndpoint", key: "description",
			notFoundFor: func(c matrixCaller) string {
				if c.role == auth.RoleGatewayAdmin {
					return "filters.customerId"
				}
				return "filters.dealerCode"
			},
		},
		matrixOp{
			name: "updateWebhookEndpoint", kind: mutation, outcome: webhookOutcome, state: webhookState,
			query: `mutation($in: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $in) { ` + endpointFields + ` } }`,
			varsFor: func(_ *env, f *matrixFixture, c matrixCaller, cell string) map[string]any {
				return in(map[string]any{"id": endpointOf(f, c), "url": "https://hooks.example.com/" + cell})
			},
			entity: "webhookEndpoint", key: "id", wantFor: endpointOf, notFound: "id",
		},
		matrixOp{
			name: "rotateWebhookEndpointSecret", kind: mutation, outcome: webhookOutcome, state: webhookState,
			query:   `mutation($in: WebhookEndpointKeyInput!) { rotateWebhookEndpointSecret(input: $in) { ` + endpointFields + ` } }`,
			varsFor: byID, entity: "webhookEndpoint", key: "id", wantFor: endpointOf, notFound: "id",
		},
		matrixOp{
			name: "deleteWebhookEndpoint", kind: mutation, outcome: webhookOutcome, state: webhookState,
			query: `mutation($in: WebhookEndpointKeyInput!) { deleteWebhookEndpoint(input: $in) { ` + endpointFields + ` } }`,
			// A fresh endpoint of the in-scope caller of c's role for each cell.
			varsFor: func(e *env, _ *matrixFixture, c matrixCaller, cell string) map[string]any {
				owner := matrixCaller{c.role, true}
				if c.role == "" {
					owner.role = auth.RoleAdmin
				}
				id, _ := e.mustCreateEndpoint(e.token(owner.claims()), webhookMatrixInput(owner, cell))
				return in(map[string]any{"id": id})
			},
			entity: "webhookEndpoint", key: "description", notFound: "id",
		},
	)
}
