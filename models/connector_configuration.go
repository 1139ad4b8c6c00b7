package models

import (
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/secrets"
)

// EntityConnectorConfiguration names connector configurations in the audit log.
const EntityConnectorConfiguration = "ConnectorConfiguration"

// Connector is a bank's virtual-POS integration (reference data).
type Connector struct {
	bun.BaseModel `bun:"table:connectors,alias:connector"`

	ID   uuid.UUID `bun:"id,pk,type:uuid"`
	Code string    `bun:"code"`
	Name string    `bun:"name"`
}

// ConnectorMode says whether a configuration talks to the bank's test or live environment.
type ConnectorMode string

// The values of ConnectorMode.
const (
	ModeTest       ConnectorMode = "TEST"
	ModeProduction ConnectorMode = "PRODUCTION"
)

// UnmarshalGQL reads a ConnectorMode from GraphQL.
func (m *ConnectorMode) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch ConnectorMode(s) {
	case ModeTest, ModeProduction:
		*m = ConnectorMode(s)
		return nil
	}
	return inputErrorf("%v is not a ConnectorMode", v)
}

// MarshalGQL writes m to GraphQL.
func (m ConnectorMode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(m))) }

// ConnectorConfiguration holds the credentials and endpoints one merchant uses with one bank
// connector. Secret fields hold ciphertext sealed by secrets.Box.
type ConnectorConfiguration struct {
	bun.BaseModel `bun:"table:connector_configurations,alias:cc"`

	Record
	ConnectorID             uuid.UUID     `bun:"connector_id,type:uuid"`
	Connector               *Connector    `bun:"rel:belongs-to,join:connector_id=id"`
	Name                    *string       `bun:"name"`
	Mode                    ConnectorMode `bun:"mode"`
	APIKey                  Sealed        `bun:"api_key"`
	SecretKey               Sealed        `bun:"secret_key"`
	Username                *string       `bun:"username"`
	Password                Sealed        `bun:"password"`
	TerminalID              *string       `bun:"terminal_id"`
	StoreID                 *string       `bun:"store_id"`
	APIEndpointURL          *string       `bun:"api_endpoint_url"`
	ThreeDSecureEndpointURL *string       `bun:"three_d_secure_endpoint_url"`
	ExtraCredentials        Sealed        `bun:"extra_credentials"`
	BankCode                *string       `bun:"bank_code"`
	Priority                int           `bun:"priority"`
	IsActive                bool          `bun:"is_active"`
	ExtraPropertiesDict     JSONObject    `bun:"extra_properties_dict,type:jsonb"`
}

// ConnectorName is the name of the connector the configuration belongs to.
func (c *ConnectorConfiguration) ConnectorName() string { return c.Connector.Name }

// ConnectorCode is the code of the connector the configuration belongs to.
func (c *ConnectorConfiguration) ConnectorCode() string { return c.Connector.Code }

// ConnectorConfigurationFields are the settable fields, shared by the create and update inputs.
type ConnectorConfigurationFields struct {
	Name                    graphql.Omittable[*string]
	Mode                    graphql.Omittable[*ConnectorMode]
	APIKey                  graphql.Omittable[*string]
	SecretKey               graphql.Omittable[*string]
	Username                graphql.Omittable[*string]
	Password                graphql.Omittable[*string]
	TerminalID              graphql.Omittable[*string]
	StoreID                 graphql.Omittable[*string]
	APIEndpointURL          graphql.Omittable[*string]
	ThreeDSecureEndpointURL graphql.Omittable[*string]
	ExtraCredentials        graphql.Omittable[*string]
	BankCode                graphql.Omittable[*string]
	Priority                graphql.Omittable[*int]
	IsActive                graphql.Omittable[*bool]
	ExtraPropertiesDict     graphql.Omittable[JSONObject]
}

// CreateConnectorConfigurationInput is the input of createConnectorConfiguration.
type CreateConnectorConfigurationInput struct {
	ConnectorID uuid.UUID
	MutationInput
	ConnectorConfigurationFields
}

// UpdateConnectorConfigurationInput is the input of updateConnectorConfiguration.
type UpdateConnectorConfigurationInput struct {
	ID uuid.UUID
	UpdateInput
	ConnectorConfigurationFields
}

// ConnectorConfigurationPayload is the result of a connector configuration mutation.
type ConnectorConfigurationPayload struct {
	ConnectorConfiguration *ConnectorConfiguration
	Outcome
}

// ConnectorConfigurationConnection is a page of connector configurations.
type ConnectorConfigurationConnection struct {
	Edges    []*ConnectorConfigurationEdge
	Nodes    []*ConnectorConfiguration
	PageInfo PageInfo
}

// ConnectorConfigurationEdge is a configuration on a page with its cursor.
type ConnectorConfigurationEdge struct {
	Cursor string
	Node   *ConnectorConfiguration
}

// ConnectorConfigurationOrderField is what connector configurations can be ordered by.
type ConnectorConfigurationOrderField string

// ConnectorConfigurationOrder is an order of connector configurations.
type ConnectorConfigurationOrder struct {
	Field     ConnectorConfigurationOrderField
	Direction OrderDirection
}

// connectorConfigurationKeys are the orders of ConnectorConfigurations. A configuration
// without a name sorts as an empty name, so that every row has a place a cursor can hold.
var connectorConfigurationKeys = map[ConnectorConfigurationOrderField]sortKey[*ConnectorConfiguration]{
	"CREATED_AT": {"cc.created_at", "timestamptz", func(c *ConnectorConfiguration) string { return timeKey(c.CreatedAt) }},
	"UPDATED_AT": {"cc.updated_at", "timestamptz", func(c *ConnectorConfiguration) string { return timeKey(c.UpdatedAt) }},
	"NAME": {"coalesce(cc.name, '')", "text", func(c *ConnectorConfiguration) string {
		if c.Name == nil {
			return ""
		}
		return *c.Name
	}},
}

// UnmarshalGQL reads a ConnectorConfigurationOrderField from GraphQL.
func (f *ConnectorConfigurationOrderField) UnmarshalGQL(v any) error {
	return orderField(f, v, "ConnectorConfigurationOrderField", connectorConfigurationKeys)
}

// MarshalGQL writes f to GraphQL.
func (f ConnectorConfigurationOrderField) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(f)))
}

// merge applies the sent fields to c through p.
func (f *ConnectorConfigurationFields) merge(p *patch, box *secrets.Box, c *ConnectorConfiguration) []writer {
	setNullable(p, f.Name, &c.Name, "name", "name")
	setValue(p, f.Mode, &c.Mode, "mode", "mode")
	setSecret(p, box, f.APIKey, &c.APIKey, "apiKey", "api_key")
	setSecret(p, box, f.SecretKey, &c.SecretKey, "secretKey", "secret_key")
	setNullable(p, f.Username, &c.Username, "username", "username")
	setSecret(p, box, f.Password, &c.Password, "password", "password")
	setNullable(p, f.TerminalID, &c.TerminalID, "terminalId", "terminal_id")
	setNullable(p, f.StoreID, &c.StoreID, "storeId", "store_id")
	setNullable(p, f.APIEndpointURL, &c.APIEndpointURL, "apiEndpointUrl", "api_endpoint_url")
	setNullable(p, f.ThreeDSecureEndpointURL, &c.ThreeDSecureEndpointURL, "threeDSecureEndpointUrl", "three_d_secure_endpoint_url")
	setSecret(p, box, f.ExtraCredentials, &c.ExtraCredentials, "extraCredentials", "extra_credentials")
	setNullable(p, f.BankCode, &c.BankCode, "bankCode", "bank_code")
	setValue(p, f.Priority, &c.Priority, "priority", "priority")
	setValue(p, f.IsActive, &c.IsActive, "isActive", "is_active")
	setJSON(p, f.ExtraPropertiesDict, &c.ExtraPropertiesDict, "extraPropertiesDict", "extra_properties_dict")
	return nil
}
