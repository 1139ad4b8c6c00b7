// Package demo loads the sample records that development mode starts with.
package demo

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

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
	if err := loadOrders(ctx, s); err != nil {
		return false, err
	}
	return true, nil
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
