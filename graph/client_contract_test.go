package graph_test

import (
	"testing"
)

// TestEveryEntityHasID checks what normalized client caches key on: every entity type has
// `id: UUID!`, and an order's id is its uuid, in a payload and in a read.
func TestEveryEntityHasID(t *testing.T) {
	e := newEnv(t)
	for _, typ := range []string{"ConnectorConfiguration", "CustomerPaymentGateway", "SubDealer", "DevicePurchaseOrder"} {
		var out struct {
			Type struct {
				Fields []struct {
					Name        string
					Description string
					Type        struct {
						Kind   string
						OfType struct{ Name string }
					}
				}
			} `json:"__type"`
		}
		e.do(`query($t: String!) { __type(name: $t) { fields { name description type { kind ofType { name } } } } }`,
			map[string]any{"t": typ}, &out)
		found := false
		for _, f := range out.Type.Fields {
			if f.Name == "id" {
				found = f.Type.Kind == "NON_NULL" && f.Type.OfType.Name == "UUID" && f.Description != ""
			}
		}
		if !found {
			t.Errorf("%s has no described id: UUID!", typ)
		}
	}
	var created struct {
		CreateDevicePurchaseOrder struct {
			DevicePurchaseOrder struct{ ID, UUID string }
		}
	}
	e.do(`mutation($in: CreateDevicePurchaseOrderInput!) { createDevicePurchaseOrder(input: $in) { devicePurchaseOrder { id uuid } } }`,
		map[string]any{"in": newOrder()}, &created)
	o := created.CreateDevicePurchaseOrder.DevicePurchaseOrder
	var read struct {
		DevicePurchaseOrder struct{ ID, UUID string }
	}
	e.do(`query($d: String!, $u: UUID!) { devicePurchaseOrder(dealerCode: $d, uuid: $u) { id uuid } }`,
		map[string]any{"d": dealerA, "u": o.UUID}, &read)
	if o.ID == "" || o.ID != o.UUID || read.DevicePurchaseOrder != o {
		t.Errorf("created %+v, read %+v: id must equal uuid", o, read.DevicePurchaseOrder)
	}
}

// TestScalarsAreSpecified checks what code generators read of the custom scalars:
// specifiedByURL where a specification exists, and a description of the wire form.
func TestScalarsAreSpecified(t *testing.T) {
	e := newEnv(t)
	want := map[string]struct{ url, wire string }{
		"UUID":       {"https://www.rfc-editor.org/rfc/rfc9562", "JSON string"},
		"DateTime":   {"https://www.rfc-editor.org/rfc/rfc3339", "JSON string"},
		"JSONObject": {"https://www.rfc-editor.org/rfc/rfc8259#section-4", "JSON object"},
		"Decimal":    {"", "JSON string"},
	}
	for name, w := range want {
		var out struct {
			Type struct {
				Description    string
				SpecifiedByURL *string `json:"specifiedByURL"`
			} `json:"__type"`
		}
		e.do(`query($t: String!) { __type(name: $t) { description specifiedByURL } }`, map[string]any{"t": name}, &out)
		got := ""
		if out.Type.SpecifiedByURL != nil {
			got = *out.Type.SpecifiedByURL
		}
		if got != w.url || !contains(out.Type.Description, w.wire) || !contains(out.Type.Description, "TypeScript") {
			t.Errorf("%s: specifiedByURL %q, description %q; want %q and the wire form (%s) and its TypeScript type",
				name, got, out.Type.Description, w.url, w.wire)
		}
	}
}
