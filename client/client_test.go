package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
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
// with claims, as a partner builds one (client.NewClient with client.Bearer).
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
	return client.NewClient(srv.URL, &http.Client{Transport: client.Bearer(token, nil)})
}

func money(s string) client.Optional[decimal.Decimal] {
	return client.Value(decimal.RequireFromString(s))
}

func admin(t *testing.T) (context.Context, graphql.Client) {
	return t.Context(), server(t, auth.Claims{Subject: "partner", Roles: []string{auth.RoleAdmin}})
}

// stored checks that every field sent in input reads back the same from record (a pointer to
// the read result, whose fragment fields genqlient writes out): both are written as JSON and each value of input must be found in record at the same place (list
// items by position, without the ids and computed fields the server adds). Names in skip,
// such as write-only secrets, are not compared.
func stored(t *testing.T, input, record any, skip ...string) {
	t.Helper()
	var sent, got any
	for v, out := range map[*any]any{&sent: input, &got: record} {
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, diff := range differences("", sent, got, skip) {
		t.Error(diff)
	}
}

func differences(path string, sent, got any, skip []string) []string {
	switch s := sent.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		var out []string
		for k, v := range s {
			if !slices.Contains(skip, k) {
				out = append(out, differences(path+"."+k, v, g[k], skip)...)
			}
		}
		return out
	case []any:
		g, _ := got.([]any)
		if len(g) != len(s) {
			return []string{fmt.Sprintf("%s: sent %d items, stored %d", path, len(s), len(g))}
		}
		var out []string
		for i := range s {
			out = append(out, differences(fmt.Sprintf("%s[%d]", path, i), s[i], g[i], skip)...)
		}
		return out
	}
	if !reflect.DeepEqual(sent, got) {
		return []string{fmt.Sprintf("%s: sent %v, stored %v", path, sent, got)}
	}
	return nil
}

func noUserErrors[E any](t *testing.T, what string, err error, errs []E) {
	t.Helper()
	if err != nil || len(errs) > 0 {
		t.Fatalf("%s: %v %+v", what, err, errs)
	}
}

// TestConnectorConfigurationRoundTrip creates a configuration, reads it back as sent, clears
// a field with null and updates another, and finds every other field as it was.
func TestConnectorConfigurationRoundTrip(t *testing.T) {
	ctx, c := admin(t)
	connectors, err := client.Connectors(ctx, c)
	if err != nil || len(connectors.Connectors) == 0 {
		t.Fatalf("connectors: %v", err)
	}
	in := client.CreateConnectorConfigurationInput{
		ConnectorId: connectors.Connectors[0].Id, Name: client.Value("Sandbox"), BankCode: client.Value("0062"),
		Username: client.Value("api-user"), TerminalId: client.Value("T-1"), Priority: client.Value(3),
		Mode: client.Value(client.ConnectorModeTest), ApiEndpointUrl: client.Value("https://bank.example/vpos"),
		ApiKey: client.Value("sk_test_0000000042"), ExtraPropertiesDict: client.Value(map[string]any{"installments": true}),
	}
	created, err := client.CreateConnectorConfiguration(ctx, c, in)
	noUserErrors(t, "create", err, created.CreateConnectorConfiguration.UserErrors)
	id := created.CreateConnectorConfiguration.ConnectorConfiguration.OrZero().Id
	read, err := client.ConnectorConfiguration(ctx, c, id)
	if err != nil {
		t.Fatal(err)
	}
	got := read.ConnectorConfiguration.OrZero()
	stored(t, in, &got, "apiKey")
	if got.ApiKey.OrZero() != "••••0042" || got.Version != 1 {
		t.Errorf("read: %+v", got)
	}

	res, err := client.UpdateConnectorConfiguration(ctx, c, client.UpdateConnectorConfigurationInput{
		Id: id, ExpectedVersion: client.Value(1), BankCode: client.Null[string](), Name: client.Value("Live"),
		Mode: client.Value(client.ConnectorModeProduction),
	})
	noUserErrors(t, "update", err, res.UpdateConnectorConfiguration.UserErrors)
	read, err = client.ConnectorConfiguration(ctx, c, id)
	if err != nil {
		t.Fatal(err)
	}
	got = read.ConnectorConfiguration.OrZero()
	if got.BankCode != nil || got.Name.OrZero() != "Live" || got.Mode != client.ConnectorModeProduction || got.Version != 2 {
		t.Errorf("after clearing bankCode: %+v", got)
	}
	// What was not sent is as before.
	if got.Username.OrZero() != "api-user" || got.TerminalId.OrZero() != "T-1" || got.Priority != 3 || got.ApiKey.OrZero() != "••••0042" ||
		got.ExtraPropertiesDict["installments"] != true {
		t.Errorf("fields not sent changed: %+v", got)
	}

	stale, err := client.UpdateConnectorConfiguration(ctx, c, client.UpdateConnectorConfigurationInput{Id: id, ExpectedVersion: client.Value(1), Name: client.Value("x")})
	if err != nil || len(stale.UpdateConnectorConfiguration.UserErrors) != 1 ||
		stale.UpdateConnectorConfiguration.UserErrors[0].Code != client.UserErrorCodeVersionConflict {
		t.Errorf("stale version: %v %+v", err, stale)
	}
}

// TestCustomerPaymentGatewayRoundTrip creates a gateway with its lists, reads it back as sent,
// then empties one list with [] and clears two fields with null, leaving the rest.
func TestCustomerPaymentGatewayRoundTrip(t *testing.T) {
	ctx, c := admin(t)
	customer := uuid.New()
	in := client.CreateCustomerPaymentGatewayInput{
		CustomerId: customer, DisplayName: client.Value("Main"), MerchantId: client.Value("M-1"),
		TestMode: client.Value(true), AllowToken: client.Value(false),
		MinPaymentAmount: money("1.50"), MaxPaymentAmount: money("1000.00"),
		BillTypes:    []client.PaymentGatewayBillTypeInput{{BillTypeId: client.Value(7), ApplyConvenienceFee: client.Value(true)}},
		PaymentTypes: []client.PaymentGatewayPaymentTypeInput{{PaymentType: client.Value("CREDIT_CARD")}},
		ConvenienceFees: []client.ConvenienceFeeInput{{PaymentType: client.Value("CREDIT_CARD"),
			MinRange: money("0.00"), MaxRange: money("100.00"), FeeAmount: money("2.50")}},
	}
	created, err := client.CreateCustomerPaymentGateway(ctx, c, in)
	noUserErrors(t, "create", err, created.CreateCustomerPaymentGateway.UserErrors)
	id := created.CreateCustomerPaymentGateway.CustomerPaymentGateway.OrZero().Id
	read, err := client.CustomerPaymentGateway(ctx, c, customer, id)
	if err != nil {
		t.Fatal(err)
	}
	gw := read.CustomerPaymentGateway.OrZero()
	stored(t, in, &gw)

	res, err := client.UpdateCustomerPaymentGateway(ctx, c, client.UpdateCustomerPaymentGatewayInput{
		CustomerId: customer, Id: id,
		BillTypes:        []client.PaymentGatewayBillTypeInput{}, // empties the list
		MerchantId:       client.Null[string](),
		MaxPaymentAmount: client.Null[decimal.Decimal](),
		MerchantKey:      client.Value("merchant-key-ABCD"),
	})
	noUserErrors(t, "update", err, res.UpdateCustomerPaymentGateway.UserErrors)
	read, err = client.CustomerPaymentGateway(ctx, c, customer, id)
	if err != nil {
		t.Fatal(err)
	}
	g := read.CustomerPaymentGateway.OrZero()
	if len(g.BillTypes) != 0 || g.MerchantId != nil || g.MaxPaymentAmount != nil || g.MerchantKey.OrZero() != "••••ABCD" || g.Version != 2 {
		t.Errorf("after the update: %+v", g)
	}
	// Lists and fields not sent are as created.
	if len(g.PaymentTypes) != 1 || len(g.ConvenienceFees) != 1 || g.MinPaymentAmount.OrZero().String() != "1.50" || g.DisplayName != "Main" {
		t.Errorf("fields not sent changed: %+v", g)
	}
}

// TestSubDealerRoundTrip creates a sub-dealer with a user, reads it back as sent (roles and
// lists as plain slices), then clears a field, empties a list of the record and one of a user.
func TestSubDealerRoundTrip(t *testing.T) {
	ctx, c := admin(t)
	role := uuid.New()
	set := uuid.New()
	in := client.CreateSubDealerInput{
		MainDealerCode: client.Value("NT65126658"), Code: client.Value("742"), ErpCode: client.Value("742"),
		Name: client.Value("TEST VENDOR ALT BAYİSİ"), IsIndividual: client.Value(true), CountryCode: client.Value("TR"),
		CurrencyCode: client.Value("TRY"), DistrictCode: client.Value("494"), TaxOffice: client.Value("Moda"),
		UsablePaymentSetDefinitionIds: []uuid.UUID{set}, PaymentSetDefinitionId: client.Value(set),
		CustomerRepresentativeIds: []uuid.UUID{uuid.New()},
		Users: []client.SubDealerUserInput{{Code: client.Value("7423"), Name: client.Value("test"), Surname: client.Value("kullanıcısı"),
			Email: client.Value("test@example.com"), Gsm: client.Value("+905000000000"), Roles: []uuid.UUID{role},
			RuleNames: []string{"payments"}, UserType: client.Value(8248)}},
	}
	created, err := client.CreateSubDealer(ctx, c, in)
	noUserErrors(t, "create", err, created.CreateSubDealer.UserErrors)
	read, err := client.SubDealer(ctx, c, "742")
	if err != nil {
		t.Fatal(err)
	}
	d := read.SubDealer.OrZero()
	stored(t, in, &d)

	res, err := client.UpdateSubDealer(ctx, c, client.UpdateSubDealerInput{
		UpdateCode: "742", Code: client.Value("742-K"),
		TaxOffice:                 client.Null[string](),
		CustomerRepresentativeIds: []uuid.UUID{},
		Users:                     []client.SubDealerUserInput{{Code: client.Value("7423"), Roles: []uuid.UUID{}, CanUseMobile: client.Value(true)}},
	})
	noUserErrors(t, "update", err, res.UpdateSubDealer.UserErrors)
	if gone, err := client.SubDealer(ctx, c, "742"); err != nil || gone.SubDealer != nil {
		t.Errorf("the old code still reads: %v %+v", err, gone)
	}
	read, err = client.SubDealer(ctx, c, "742-K")
	if err != nil {
		t.Fatal(err)
	}
	d = read.SubDealer.OrZero()
	if d.TaxOffice != nil || len(d.CustomerRepresentativeIds) != 0 || len(d.Users) != 1 || len(d.Users[0].Roles) != 0 ||
		!d.Users[0].CanUseMobile || d.Version != 2 {
		t.Errorf("after the update: %+v", d)
	}
	if !slices.Equal(d.UsablePaymentSetDefinitionIds, []uuid.UUID{set}) || d.Users[0].Email != "test@example.com" ||
		!slices.Equal(d.Users[0].RuleNames, []string{"payments"}) || d.Users[0].UserType.OrZero() != 8248 {
		t.Errorf("fields not sent changed: %+v", d)
	}
}

// TestDevicePurchaseOrderRoundTrip creates an order as a dealer, reads it back as sent, moves
// it on and removes its shipping with null; an empty item list reaches the server (and is
// refused: an order keeps at least one item) instead of being left out.
func TestDevicePurchaseOrderRoundTrip(t *testing.T) {
	ctx := t.Context()
	c := server(t, auth.Claims{Subject: "dealer", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{"DLR-1"}})
	item := func(qty int, amount string) client.DevicePurchaseOrderItemInput {
		return client.DevicePurchaseOrderItemInput{Quantity: client.Value(qty), Amount: money(amount), Currency: client.Value("TRY"),
			Product: client.Value(client.DevicePurchaseOrderProductInput{GatewayCountryProductId: client.Value("gcp-1"), Name: client.Value("POS"),
				Orderable: client.Value("true"), Status: client.Value("ACTIVE"),
				GatewayProduct: client.Value(client.DevicePurchaseOrderGatewayProductInput{GatewayId: client.Value("gw-1"), Type: client.Value("POS")})})}
	}
	in := client.CreateDevicePurchaseOrderInput{
		DealerCode: "DLR-1", PaymentType: client.Value("CREDIT_CARD"),
		Items: []client.DevicePurchaseOrderItemInput{item(2, "149.90"), item(1, "0.10")},
		Shipping: client.Value(client.DevicePurchaseOrderShippingInput{Name: client.Value("Ayşe"), Amount: money("25.00"), Currency: client.Value("TRY"),
			Address: client.Value(client.DevicePurchaseOrderAddressInput{Line1: client.Value("Moda Cad. 12"), City: client.Value("İstanbul"), Country: client.Value("TR")})}),
	}
	created, err := client.CreateDevicePurchaseOrder(ctx, c, in)
	noUserErrors(t, "create", err, created.CreateDevicePurchaseOrder.UserErrors)
	key := created.CreateDevicePurchaseOrder.DevicePurchaseOrder.OrZero().Uuid
	read, err := client.DevicePurchaseOrder(ctx, c, "DLR-1", key)
	if err != nil {
		t.Fatal(err)
	}
	o := read.DevicePurchaseOrder.OrZero()
	stored(t, in, &o)
	if o.ItemsTotal.String() != "299.90" || o.Total.String() != "324.90" {
		t.Errorf("totals: %s %s", o.ItemsTotal, o.Total)
	}

	empty, err := client.UpdateDevicePurchaseOrder(ctx, c, client.UpdateDevicePurchaseOrderInput{
		DealerCode: "DLR-1", Uuid: key, Items: []client.DevicePurchaseOrderItemInput{},
	})
	if err != nil || len(empty.UpdateDevicePurchaseOrder.UserErrors) != 1 ||
		!slices.Equal(empty.UpdateDevicePurchaseOrder.UserErrors[0].Field, []string{"items"}) {
		t.Errorf("an empty item list: %v %+v", err, empty)
	}

	res, err := client.UpdateDevicePurchaseOrder(ctx, c, client.UpdateDevicePurchaseOrderInput{
		DealerCode: "DLR-1", Uuid: key, Shipping: client.Null[client.DevicePurchaseOrderShippingInput](),
		Status: client.Value(client.DevicePurchaseOrderStatusSubmitted),
	})
	noUserErrors(t, "update", err, res.UpdateDevicePurchaseOrder.UserErrors)
	read, err = client.DevicePurchaseOrder(ctx, c, "DLR-1", key)
	if err != nil {
		t.Fatal(err)
	}
	o = read.DevicePurchaseOrder.OrZero()
	if o.Shipping != nil || o.Status != client.DevicePurchaseOrderStatusSubmitted || o.Total.String() != "299.90" || len(o.Items) != 2 || o.Version != 2 {
		t.Errorf("after the update: %+v", o)
	}
	if missing, err := client.DevicePurchaseOrder(ctx, c, "DLR-1", uuid.New()); err != nil || missing.DevicePurchaseOrder != nil {
		t.Errorf("an order that does not exist: %v %+v", err, missing)
	}
}

// TestVariablesOnTheWire looks at what NewClient sends: nil is left out, Null is null, an
// empty slice is [], and zero values that are set (false, 0, "") are sent.
func TestVariablesOnTheWire(t *testing.T) {
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		_, _ = io.WriteString(w, `{"data": {"updateSubDealer": {"userErrors": [], "warnings": []}}}`)
	}))
	t.Cleanup(srv.Close)
	c := client.NewClient(srv.URL, srv.Client())
	_, err := client.UpdateSubDealer(t.Context(), c, client.UpdateSubDealerInput{
		UpdateCode: "742", Phone: client.Null[string](), IsIndividual: client.Value(false), TaxNumber: client.Value(""),
		RemoveUserIds: []uuid.UUID{}, Users: []client.SubDealerUserInput{{Code: client.Value("7423"), UserType: client.Value(0)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		Variables struct {
			Input map[string]json.RawMessage `json:"input"`
		} `json:"variables"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range req.Variables.Input {
		got[k] = string(v)
	}
	want := map[string]string{
		"updateCode": `"742"`, "phone": `null`, "isIndividual": `false`, "taxNumber": `""`, "removeUserIds": `[]`,
		"users": `[{"code":"7423","userType":0}]`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v\nwant %v", got, want)
	}
}

// TestOptionalInputFieldsAreLeftOut reads generated.go: every nullable field of an input
// (an Optional or a slice) must be tagged omitempty, or leaving it nil would send null and
// clear it. A field added to the schema needs its `omitempty: true` directive in client/*.graphql.
func TestOptionalInputFieldsAreLeftOut(t *testing.T) {
	raw, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	checked := 0
	for _, block := range strings.Split(src, "\ntype ")[1:] {
		name, _, _ := strings.Cut(block, " ")
		if !strings.HasSuffix(name, "Input") || !strings.HasPrefix(block, name+" struct {") {
			continue
		}
		body, _, _ := strings.Cut(block, "\n}")
		for _, line := range strings.Split(body, "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 3 || strings.HasPrefix(fields[0], "//") {
				continue
			}
			optional := strings.HasPrefix(fields[1], "Optional[") || strings.HasPrefix(fields[1], "[]")
			if tagged := strings.Contains(line, ",omitempty"); optional != tagged {
				t.Errorf("%s.%s %s: omitempty %v", name, fields[0], fields[1], tagged)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d input fields found", checked)
	}
}
