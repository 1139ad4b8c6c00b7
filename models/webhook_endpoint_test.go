package models

import (
	"testing"

	"github.com/google/uuid"

	"github.com/payplat/paygql/internal/auth"
)

// TestWebhookEndpointHears: an endpoint hears of a record of its entity types within the scope
// it was saved with, through its filters, and of nothing else.
func TestWebhookEndpointHears(t *testing.T) {
	d1 := "D1"
	cust := uuid.MustParse("6f1c0000-0000-4000-8000-00000000000a")
	dealer := &WebhookEndpoint{EntityTypes: []WebhookEntityType{WebhookDevicePurchaseOrder, WebhookSubDealer}, ScopeDealerCodes: []string{"D1", "M1"}}
	filtered := &WebhookEndpoint{EntityTypes: []WebhookEntityType{WebhookDevicePurchaseOrder}, ScopeAdmin: true, Filters: WebhookFilters{DealerCode: &d1}}
	gateway := &WebhookEndpoint{EntityTypes: []WebhookEntityType{WebhookCustomerPaymentGateway}, ScopeCustomerIDs: []string{cust.String()}}
	connector := &WebhookEndpoint{EntityTypes: []WebhookEntityType{WebhookConnectorConfiguration}}
	order := func(d string) *EventRecord { return &EventRecord{DealerCode: d} }
	for _, c := range []struct {
		name   string
		w      *WebhookEndpoint
		entity string
		r      *EventRecord
		want   bool
	}{
		{"order in scope", dealer, EntityDevicePurchaseOrder, order("D1"), true},
		{"order outside scope", dealer, EntityDevicePurchaseOrder, order("D2"), false},
		{"order without dealer", dealer, EntityDevicePurchaseOrder, order(""), false},
		{"sub-dealer by main dealer", dealer, EntitySubDealer, &EventRecord{MainDealerCode: "M1"}, true},
		{"sub-dealer of another main dealer", dealer, EntitySubDealer, &EventRecord{MainDealerCode: "M2"}, false},
		{"type not listed", dealer, EntityCustomerPaymentGateway, &EventRecord{CustomerID: cust.String()}, false},
		{"record gone", dealer, EntityDevicePurchaseOrder, nil, false},
		{"admin, filter passes", filtered, EntityDevicePurchaseOrder, order("D1"), true},
		{"admin, filter stops", filtered, EntityDevicePurchaseOrder, order("D9"), false},
		{"gateway of the customer", gateway, EntityCustomerPaymentGateway, &EventRecord{CustomerID: cust.String()}, true},
		{"gateway of another customer", gateway, EntityCustomerPaymentGateway, &EventRecord{CustomerID: uuid.NewString()}, false},
		{"connector configuration: role only", connector, EntityConnectorConfiguration, &EventRecord{ConnectorID: uuid.NewString()}, true},
	} {
		if got := c.w.Hears(c.entity, c.r); got != c.want {
			t.Errorf("%s: Hears = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestCanSeeWebhookEndpoint: a caller sees an endpoint whose entity types its roles cover and
// whose scope lies within its own; only admins see admins' endpoints.
func TestCanSeeWebhookEndpoint(t *testing.T) {
	w := &WebhookEndpoint{EntityTypes: []WebhookEntityType{WebhookDevicePurchaseOrder}, ScopeDealerCodes: []string{"D1"}}
	admins := &WebhookEndpoint{EntityTypes: []WebhookEntityType{WebhookDevicePurchaseOrder}, ScopeAdmin: true}
	for _, c := range []struct {
		name string
		p    *auth.Principal
		w    *WebhookEndpoint
		want bool
	}{
		{"admin", &auth.Principal{Roles: []string{auth.RoleAdmin}}, admins, true},
		{"dealer admin of D1 and D2", &auth.Principal{Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{"D1", "D2"}}, w, true},
		{"dealer admin of D2", &auth.Principal{Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{"D2"}}, w, false},
		{"gateway admin", &auth.Principal{Roles: []string{auth.RoleGatewayAdmin}, DealerCodes: []string{"D1"}}, w, false},
		{"dealer admin, admin's endpoint", &auth.Principal{Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{"D1"}}, admins, false},
	} {
		if got := canSee(c.p, c.w); got != c.want {
			t.Errorf("%s: canSee = %v, want %v", c.name, got, c.want)
		}
	}
}
