package demo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/payplat/paygql/internal/testenv"
)

// TestPlaygroundTabs reads the tabs' keys from the database: none on an empty one, and on
// the demo records a tab per kind of record whose variables name the demo records.
func TestPlaygroundTabs(t *testing.T) {
	s, _ := testenv.New(t)
	if tabs := PlaygroundTabs(t.Context(), s.DB); len(tabs) != 0 {
		t.Errorf("%d tabs on an empty database, want none", len(tabs))
	}
	if _, err := Load(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	tabs := PlaygroundTabs(t.Context(), s.DB)
	wantOps := [][2]string{
		{"query ConnectorConfiguration(", "mutation UpdateConnectorConfiguration("},
		{"query CustomerPaymentGateway(", "mutation UpdateCustomerPaymentGateway("},
		{"query SubDealer(", "mutation UpdateSubDealer("},
		{"query DevicePurchaseOrder(", "mutation UpdateDevicePurchaseOrder("},
	}
	if len(tabs) != len(wantOps) {
		t.Fatalf("%d tabs, want %d", len(tabs), len(wantOps))
	}
	var vars []map[string]any
	for i, tab := range tabs {
		if !strings.Contains(tab.Query, wantOps[i][0]) || !strings.Contains(tab.Query, wantOps[i][1]) {
			t.Errorf("tab %d lacks %q or %q:\n%s", i, wantOps[i][0], wantOps[i][1], tab.Query)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(tab.Variables), &v); err != nil {
			t.Fatalf("tab %d variables: %v", i, err)
		}
		vars = append(vars, v)
	}
	if vars[1]["customerId"] != CustomerID.String() {
		t.Errorf("gateway tab's customer = %v, want the demo customer %s", vars[1]["customerId"], CustomerID)
	}
	if vars[2]["code"] != "742" {
		t.Errorf("sub-dealer tab's code = %v, want the demo's 742", vars[2]["code"])
	}
	if vars[3]["dealerCode"] != dealerIstanbul {
		t.Errorf("order tab's dealer = %v, want %s, whose first order is a draft", vars[3]["dealerCode"], dealerIstanbul)
	}
}
