package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/Khan/genqlient/graphql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/payplat/paygql/client"
	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/testenv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var secret = []byte("client-test-signing-secret-of-32-bytes+")

// server runs the real API on its own database and returns a typed client of it, signed in
// with claims.
func server(t *testing.T, claims auth.Claims) graphql.Client {
	t.Helper()
	store, _ := testenv.New(t)
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := graph.NewHandler(&graph.Resolver{Store: store, Logger: logger}, graph.DefaultOptions)
	srv := httptest.NewServer(middleware.Log(logger, "/query", verifier.Middleware(h)))
	t.Cleanup(srv.Close)
	token, err := auth.MintHS256(secret, claims)
	if err != nil {
		t.Fatal(err)
	}
	return graphql.NewClient(srv.URL, &http.Client{Transport: client.Bearer(token, nil)})
}

func ptr[T any](v T) *T { return &v }

func money(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }

func admin(t *testing.T) (context.Context, graphql.Client) {
	return t.Context(), server(t, auth.Claims{Subject: "partner", Roles: []string{auth.RoleAdmin}})
}

func TestUpdateConnectorConfiguration(t *testing.T) {
	ctx, c := admin(t)
	connectors, err := client.Connectors(ctx, c)
	if err != nil || len(connectors.Connectors) == 0 {
		t.Fatalf("connectors: %v", err)
	}
	created, err := client.CreateConnectorConfiguration(ctx, c, client.CreateConnectorConfigurationInput{
		ConnectorId: connectors.Connectors[0].Id, Name: ptr("Sandbox"), BankCode: ptr("0062"),
	})
	if err != nil || len(created.CreateConnectorConfiguration.UserErrors) > 0 {
		t.Fatalf("create: %v %v", err, created)
	}
	cc := created.CreateConnectorConfiguration.ConnectorConfiguration
	res, err := client.UpdateConnectorConfiguration(ctx, c, client.UpdateConnectorConfigurationInput{
		Id: cc.Id, ExpectedVersion: ptr(1), ApiKey: ptr("sk_test_rotated_0042"), Priority: ptr(0),
		Mode: ptr(client.ConnectorModeProduction), ApiEndpointUrl: ptr("https://bank.example/vpos"),
		ExtraPropertiesDict: &map[string]any{"installments": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := res.UpdateConnectorConfiguration
	got := p.ConnectorConfiguration
	if len(p.UserErrors) != 0 || got.Version != 2 || *got.ApiKey != "••••0042" || *got.Name != "Sandbox" ||
		*got.BankCode != "0062" || got.Mode != client.ConnectorModeProduction || got.ExtraPropertiesDict["installments"] != true {
		t.Errorf("update: %+v %+v", p.UserErrors, got)
	}
	res, err = client.UpdateConnectorConfiguration(ctx, c, client.UpdateConnectorConfigurationInput{Id: cc.Id, ExpectedVersion: ptr(1), Name: ptr("x")})
	if err != nil || len(res.UpdateConnectorConfiguration.UserErrors) != 1 || res.UpdateConnectorConfiguration.UserErrors[0].Code != client.UserErrorCodeVersionConflict {
		t.Errorf("stale version: %v %+v", err, res)
	}
}

func TestUpdateCustomerPaymentGateway(t *testing.T) {
	ctx, c := admin(t)
	customer := uuid.New()
	created, err := client.CreateCustomerPaymentGateway(ctx, c, client.CreateCustomerPaymentGatewayInput{
		CustomerId: customer, DisplayName: ptr("Main"), MaxPaymentAmount: money("1000"),
		PaymentTypes: []*client.PaymentGatewayPaymentTypeInput{{PaymentType: ptr("CREDIT_CARD")}},
	})
	if err != nil || len(created.CreateCustomerPaymentGateway.UserErrors) > 0 {
		t.Fatalf("create: %v %v", err, created)
	}
	res, err := client.UpdateCustomerPaymentGateway(ctx, c, client.UpdateCustomerPaymentGatewayInput{
		CustomerId: customer, Id: created.CreateCustomerPaymentGateway.CustomerPaymentGateway.Id,
		MerchantKey: ptr("merchant-key-ABCD"), MinPaymentAmount: money("1.5"),
		ConvenienceFees: []*client.ConvenienceFeeInput{{PaymentType: ptr("CREDIT_CARD"), MinRange: money("0"), MaxRange: money("100"), FeeAmount: money("2.5")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := res.UpdateCustomerPaymentGateway
	g := p.CustomerPaymentGateway
	if len(p.UserErrors) != 0 || g.Version != 2 || g.MinPaymentAmount.String() != "1.50" || *g.MerchantKey != "••••ABCD" ||
		len(g.PaymentTypes) != 1 || len(g.ConvenienceFees) != 1 || g.ConvenienceFees[0].FeeAmount.String() != "2.50" {
		t.Errorf("update: %+v %+v", p.UserErrors, g)
	}
}

func TestUpdateSubDealer(t *testing.T) {
	ctx, c := admin(t)
	created, err := client.CreateSubDealer(ctx, c, client.CreateSubDealerInput{
		MainDealerCode: ptr("NT65126658"), Code: ptr("742"), ErpCode: ptr("742"), Name: ptr("TEST VENDOR ALT BAYİSİ"),
		IsIndividual: ptr(true), CountryCode: ptr("TR"), CurrencyCode: ptr("TRY"),
		Users: []*client.SubDealerUserInput{{Code: ptr("7423"), Name: ptr("test"), Surname: ptr("kullanıcısı"), Email: ptr("test@example.com"), Gsm: ptr("5000000000")}},
	})
	if err != nil || len(created.CreateSubDealer.UserErrors) > 0 {
		t.Fatalf("create: %v %+v", err, created)
	}
	res, err := client.UpdateSubDealer(ctx, c, client.UpdateSubDealerInput{
		UpdateCode: "742", Code: ptr("742-K"), Address: ptr("TEST ADRESİ Güncelleme11"), DistrictCode: ptr("494"),
		Users: []*client.SubDealerUserInput{{Code: ptr("7423"), UserType: ptr(8248), CanUseMobile: ptr(true)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := res.UpdateSubDealer
	d := p.SubDealer
	if len(p.UserErrors) != 0 || d.Code != "742-K" || d.Version != 2 || *d.Address != "TEST ADRESİ Güncelleme11" ||
		len(d.Users) != 1 || *d.Users[0].UserType != 8248 || !d.Users[0].CanUseMobile || d.Users[0].Email != "test@example.com" {
		t.Errorf("update: %+v %+v", p.UserErrors, d)
	}
}

func TestUpdateDevicePurchaseOrder(t *testing.T) {
	ctx := t.Context()
	c := server(t, auth.Claims{Subject: "dealer", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{"DLR-1"}})
	item := func(qty int, amount string) *client.DevicePurchaseOrderItemInput {
		return &client.DevicePurchaseOrderItemInput{Quantity: ptr(qty), Amount: money(amount), Currency: ptr("TRY"),
			Product: &client.DevicePurchaseOrderProductInput{GatewayCountryProductId: ptr("gcp-1"), Name: ptr("POS"), Orderable: ptr("true"), Status: ptr("ACTIVE")}}
	}
	created, err := client.CreateDevicePurchaseOrder(ctx, c, client.CreateDevicePurchaseOrderInput{
		DealerCode: "DLR-1", Items: []*client.DevicePurchaseOrderItemInput{item(1, "100")},
	})
	if err != nil || len(created.CreateDevicePurchaseOrder.UserErrors) > 0 {
		t.Fatalf("create: %v %+v", err, created)
	}
	res, err := client.UpdateDevicePurchaseOrder(ctx, c, client.UpdateDevicePurchaseOrderInput{
		DealerCode: "DLR-1", Uuid: created.CreateDevicePurchaseOrder.DevicePurchaseOrder.Uuid,
		Items:    []*client.DevicePurchaseOrderItemInput{item(2, "149.90"), item(1, "0.10")},
		Shipping: &client.DevicePurchaseOrderShippingInput{Name: ptr("Ayşe"), Amount: money("25"), Currency: ptr("TRY"), Address: &client.DevicePurchaseOrderAddressInput{Line1: ptr("Moda Cad. 12"), City: ptr("İstanbul"), Country: ptr("TR")}},
		Status:   ptr(client.DevicePurchaseOrderStatusSubmitted),
	})
	if err != nil {
		t.Fatal(err)
	}
	p := res.UpdateDevicePurchaseOrder
	o := p.DevicePurchaseOrder
	if len(p.UserErrors) != 0 || o.Status != client.DevicePurchaseOrderStatusSubmitted || o.ItemsTotal.String() != "299.90" ||
		o.Total.String() != "324.90" || len(o.Items) != 2 || o.Shipping == nil {
		t.Errorf("update: %+v %+v", p.UserErrors, o)
	}
}
