package demo

import (
	"slices"
	"testing"

	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/models"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestLoadRunsOnce(t *testing.T) {
	s, _ := testenv.New(t)
	for i, want := range []bool{true, false} {
		loaded, err := Load(t.Context(), s)
		if err != nil || loaded != want {
			t.Fatalf("Load #%d = %v, %v; want %v", i+1, loaded, err, want)
		}
	}
	page, err := s.ConnectorConfigurations(t.Context(), models.ConnectorConfigurationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(page.Nodes); n != 3 {
		t.Errorf("demo configurations = %d, want 3", n)
	}
	gateways, err := s.CustomerPaymentGateways(t.Context(), Actor, CustomerID)
	if err != nil || len(gateways) != 1 {
		t.Errorf("demo gateways = %d (%v), want 1", len(gateways), err)
	}
	dealers, err := s.SubDealers(t.Context(), Actor, models.SubDealerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(dealers.Nodes); n != 2 {
		t.Errorf("demo sub-dealers = %d, want 2", n)
	}
	orders, err := s.DevicePurchaseOrders(t.Context(), Actor, models.DevicePurchaseOrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var statuses []models.DevicePurchaseOrderStatus
	for _, o := range orders.Nodes {
		statuses = append(statuses, o.Status)
	}
	want := []models.DevicePurchaseOrderStatus{models.OrderDraft, models.OrderSubmitted, models.OrderShipped, models.OrderCancelled}
	if !slices.Equal(statuses, want) {
		t.Errorf("demo order statuses = %v, want %v", statuses, want)
	}
}
