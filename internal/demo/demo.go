// Package demo loads the sample records that development mode starts with.
package demo

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/models"
)

// Actor is the audit actor of demo records.
var Actor = &auth.Principal{Subject: "demo-seed", Roles: []string{auth.RoleAdmin}}

// Load adds the demo records unless the database already holds connector configurations, so
// that it runs once and never overwrites what a developer changed. It reports whether it
// loaded anything.
func Load(ctx context.Context, s *models.Store) (bool, error) {
	n, err := s.DB.NewSelect().Model((*models.ConnectorConfiguration)(nil)).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("count connector configurations: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	for _, in := range connectorConfigurations() {
		res, err := s.CreateConnectorConfiguration(ctx, Actor, in)
		if err != nil {
			return false, err
		}
		if len(res.UserErrors) > 0 {
			return false, fmt.Errorf("demo connector configuration refused: %v", res.UserErrors)
		}
	}
	res, err := s.CreateCustomerPaymentGateway(ctx, Actor, gateway())
	if err != nil {
		return false, err
	}
	if len(res.UserErrors) > 0 {
		return false, fmt.Errorf("demo gateway refused: %v", res.UserErrors)
	}
	for _, in := range subDealers() {
		res, err := s.CreateSubDealer(ctx, Actor, in)
		if err != nil {
			return false, err
		}
		if len(res.UserErrors) > 0 {
			return false, fmt.Errorf("demo sub-dealer refused: %v", res.UserErrors)
		}
	}
	if err := loadOrders(ctx, s); err != nil {
		return false, err
	}
	return true, nil
}

// CustomerID is the customer of the demo payment gateway.
var CustomerID = uuid.MustParse("6f1c0000-0000-4000-8000-00000000000a")

func gateway() models.CreateCustomerPaymentGatewayInput {
	money := func(s string) graphql.Omittable[*models.Decimal] {
		d := decimal.RequireFromString(s)
		return graphql.OmittableOf(&d)
	}
	return models.CreateCustomerPaymentGatewayInput{CustomerID: CustomerID, CustomerPaymentGatewayFields: models.CustomerPaymentGatewayFields{
		DisplayName: set("City parking payments"), MerchantID: set("M-100234"), MerchantKey: set("demo-merchant-key-7781"),
		TestMode: graphql.OmittableOf(ptr(true)), AllowToken: graphql.OmittableOf(ptr(true)),
		MinPaymentAmount: money("1.00"), MaxPaymentAmount: money("10000.00"),
		BillTypes: graphql.OmittableOf([]*models.PaymentGatewayBillTypeInput{
			{BillTypeID: graphql.OmittableOf(ptr(1)), ApplyConvenienceFee: graphql.OmittableOf(ptr(true))},
		}),
		PaymentTypes: graphql.OmittableOf([]*models.PaymentGatewayPaymentTypeInput{
			{PaymentType: set("CREDIT_CARD")}, {PaymentType: set("ACH")},
		}),
		ConvenienceFees: graphql.OmittableOf([]*models.ConvenienceFeeInput{
			{PaymentType: set("CREDIT_CARD"), MinRange: money("0"), MaxRange: money("100"), FeeAmount: money("2.50")},
			{PaymentType: set("ACH"), FeeAmount: money("1.00")},
		}),
	}}
}

// MainDealerCode is the main dealer of the demo sub-dealers.
const MainDealerCode = "NT65126658"

func subDealers() []models.CreateSubDealerInput {
	paySet := uuid.MustParse("eb8628f3-f5ee-8785-455c-d2ca1edb8c30")
	return []models.CreateSubDealerInput{
		{SubDealerFields: models.SubDealerFields{
			MainDealerCode: set(MainDealerCode), Code: set("742"), ErpCode: set("742"),
			Name: set("Kadıköy İletişim Ltd."), IsIndividual: graphql.OmittableOf(ptr(false)),
			CountryCode: set("TR"), CurrencyCode: set("TRY"), CityCode: set("34"), DistrictCode: set("494"),
			Address: set("Caferağa Mah. Moda Cad. 12, Kadıköy"), Phone: set("02165550000"),
			TaxNumber: set("1234567890"), TaxOffice: set("Kadıköy"),
			UsablePaymentSetDefinitionIDs: graphql.OmittableOf([]uuid.UUID{paySet}),
			PaymentSetDefinitionID:        graphql.OmittableOf(&paySet),
			Users: graphql.OmittableOf([]*models.SubDealerUserInput{
				{Code: set("7421"), Name: set("Ayşe"), Surname: set("Yılmaz"), Email: set("ayse@example.com"), Gsm: set("+905321234567")},
				{Code: set("7422"), Name: set("Mehmet"), Surname: set("Demir"), Email: set("mehmet@example.com"), Gsm: set("05331234567"),
					CanUseMobile: graphql.OmittableOf(ptr(true))},
			}),
		}},
		{SubDealerFields: models.SubDealerFields{
			MainDealerCode: set(MainDealerCode), Code: set("743"), ErpCode: set("743"),
			Name: set("Zeynep Kaya"), IsIndividual: graphql.OmittableOf(ptr(true)),
			CountryCode: set("TR"), CurrencyCode: set("TRY"), TaxNumber: set("10000000146"),
			Users: graphql.OmittableOf([]*models.SubDealerUserInput{
				{Code: set("7431"), Name: set("Zeynep"), Surname: set("Kaya"), Email: set("zeynep@example.com"), Gsm: set("+905551112233")},
			}),
		}},
	}
}

func connectorConfigurations() []models.CreateConnectorConfigurationInput {
	garanti := uuid.MustParse("0b1e0000-0000-4000-8000-000000000001")
	akbank := uuid.MustParse("0b1e0000-0000-4000-8000-000000000002")
	return []models.CreateConnectorConfigurationInput{
		{ConnectorID: garanti, ConnectorConfigurationFields: models.ConnectorConfigurationFields{
			Name:                    set("Garanti sandbox"),
			APIKey:                  set("gb_test_key_0001"),
			SecretKey:               set("gb_test_secret_0001"),
			Username:                set("PROVAUT"),
			Password:                set("sandbox-password-1"),
			TerminalID:              set("30691298"),
			StoreID:                 set("7000679"),
			APIEndpointURL:          set("https://sanalposprovtest.garantibbva.com.tr/VPServlet"),
			ThreeDSecureEndpointURL: set("https://sanalposprovtest.garantibbva.com.tr/servlet/gt3dengine"),
			BankCode:                set("0062"),
			ExtraPropertiesDict:     graphql.OmittableOf(models.JSONObject{"installments": true, "maxInstallment": 12}),
		}},
		{ConnectorID: garanti, ConnectorConfigurationFields: models.ConnectorConfigurationFields{
			Name:           set("Garanti live"),
			Mode:           graphql.OmittableOf(ptr(models.ModeProduction)),
			APIKey:         set("gb_live_key_9f2c"),
			TerminalID:     set("10154733"),
			APIEndpointURL: set("https://sanalposprov.garanti.com.tr/VPServlet"),
			BankCode:       set("0062"),
			Priority:       graphql.OmittableOf(ptr(1)),
		}},
		{ConnectorID: akbank, ConnectorConfigurationFields: models.ConnectorConfigurationFields{
			Name:           set("Akbank sandbox (inactive)"),
			APIEndpointURL: set("http://localhost:8089/akbank-mock"),
			BankCode:       set("0046"),
			IsActive:       graphql.OmittableOf(ptr(false)),
		}},
	}
}

func set(s string) graphql.Omittable[*string] { return graphql.OmittableOf(&s) }

func ptr[T any](v T) *T { return &v }
