package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
)

// Limits of a connector configuration.
const (
	maxConnectorConfigNameLen = 200
	maxExtraPropertiesBytes   = 16 << 10
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

	ID                      uuid.UUID     `bun:"id,pk,type:uuid"`
	ConnectorID             uuid.UUID     `bun:"connector_id,type:uuid"`
	Connector               *Connector    `bun:"rel:belongs-to,join:connector_id=id"`
	Name                    *string       `bun:"name"`
	Mode                    ConnectorMode `bun:"mode"`
	APIKey                  []byte        `bun:"api_key"`
	SecretKey               []byte        `bun:"secret_key"`
	Username                *string       `bun:"username"`
	Password                []byte        `bun:"password"`
	TerminalID              *string       `bun:"terminal_id"`
	StoreID                 *string       `bun:"store_id"`
	APIEndpointURL          *string       `bun:"api_endpoint_url"`
	ThreeDSecureEndpointURL *string       `bun:"three_d_secure_endpoint_url"`
	ExtraCredentials        []byte        `bun:"extra_credentials"`
	BankCode                *string       `bun:"bank_code"`
	Priority                int           `bun:"priority"`
	IsActive                bool          `bun:"is_active"`
	ExtraPropertiesDict     JSONObject    `bun:"extra_properties_dict,type:jsonb"`
	Version                 int           `bun:"version"`
	CreatedAt               time.Time     `bun:"created_at"`
	UpdatedAt               time.Time     `bun:"updated_at"`
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
	ConnectorID      uuid.UUID
	ClientMutationID graphql.Omittable[*string]
	DryRun           graphql.Omittable[*bool]
	ConnectorConfigurationFields
}

// UpdateConnectorConfigurationInput is the input of updateConnectorConfiguration.
type UpdateConnectorConfigurationInput struct {
	ID               uuid.UUID
	ExpectedVersion  graphql.Omittable[*int]
	ClientMutationID graphql.Omittable[*string]
	DryRun           graphql.Omittable[*bool]
	ConnectorConfigurationFields
}

// ConnectorConfigurationPayload is the result of a connector configuration mutation.
type ConnectorConfigurationPayload struct {
	ConnectorConfiguration *ConnectorConfiguration
	UserErrors             []UserError
	Warnings               []UserWarning
	ClientMutationID       *string
}

// ConnectorConfigurationConnection is a page of connector configurations.
type ConnectorConfigurationConnection struct {
	Nodes    []*ConnectorConfiguration
	PageInfo PageInfo
}

// merge applies the sent fields to c through p.
func (f *ConnectorConfigurationFields) merge(p *patch, s *Store, c *ConnectorConfiguration) {
	setNullable(p, f.Name, &c.Name, "name", "name")
	setValue(p, f.Mode, &c.Mode, "mode", "mode")
	setSecret(p, s.Secrets, f.APIKey, &c.APIKey, "apiKey", "api_key")
	setSecret(p, s.Secrets, f.SecretKey, &c.SecretKey, "secretKey", "secret_key")
	setNullable(p, f.Username, &c.Username, "username", "username")
	setSecret(p, s.Secrets, f.Password, &c.Password, "password", "password")
	setNullable(p, f.TerminalID, &c.TerminalID, "terminalId", "terminal_id")
	setNullable(p, f.StoreID, &c.StoreID, "storeId", "store_id")
	setNullable(p, f.APIEndpointURL, &c.APIEndpointURL, "apiEndpointUrl", "api_endpoint_url")
	setNullable(p, f.ThreeDSecureEndpointURL, &c.ThreeDSecureEndpointURL, "threeDSecureEndpointUrl", "three_d_secure_endpoint_url")
	setSecret(p, s.Secrets, f.ExtraCredentials, &c.ExtraCredentials, "extraCredentials", "extra_credentials")
	setNullable(p, f.BankCode, &c.BankCode, "bankCode", "bank_code")
	setValue(p, f.Priority, &c.Priority, "priority", "priority")
	setValue(p, f.IsActive, &c.IsActive, "isActive", "is_active")
	setJSON(p, f.ExtraPropertiesDict, &c.ExtraPropertiesDict, "extraPropertiesDict", "extra_properties_dict")
}

// Validate checks every rule of a connector configuration on the merged record.
func (c *ConnectorConfiguration) Validate(v *Violations) {
	for _, f := range []struct {
		name string
		s    *string
	}{
		{"name", c.Name}, {"username", c.Username}, {"terminalId", c.TerminalID},
		{"storeId", c.StoreID}, {"bankCode", c.BankCode},
	} {
		nonBlank(v, Path{f.name}, f.s)
	}
	maxLen(v, Path{"name"}, c.Name, maxConnectorConfigNameLen)
	allowHTTP := c.Mode == ModeTest
	absoluteURL(v, Path{"apiEndpointUrl"}, c.APIEndpointURL, allowHTTP)
	absoluteURL(v, Path{"threeDSecureEndpointUrl"}, c.ThreeDSecureEndpointURL, allowHTTP)
	if c.Priority < 0 {
		v.Add(Path{"priority"}, CodeOutOfRange, "priority must be 0 or more")
	}
	if b, err := json.Marshal(c.ExtraPropertiesDict); err != nil || len(b) > maxExtraPropertiesBytes {
		v.Add(Path{"extraPropertiesDict"}, CodeOutOfRange, "extraPropertiesDict must be at most %d bytes of JSON", maxExtraPropertiesBytes)
	}
}

// Connectors lists the connectors by name.
func (s *Store) Connectors(ctx context.Context) ([]*Connector, error) {
	var out []*Connector
	if err := s.DB.NewSelect().Model(&out).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	return out, nil
}

// ConnectorConfiguration returns one configuration, or ErrNotFound.
func (s *Store) ConnectorConfiguration(ctx context.Context, id uuid.UUID) (*ConnectorConfiguration, error) {
	c := new(ConnectorConfiguration)
	err := s.DB.NewSelect().Model(c).Relation("Connector").Where("cc.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read connector configuration: %w", err)
	}
	return c, nil
}

// ConnectorConfigurationFilter narrows ConnectorConfigurations.
type ConnectorConfigurationFilter struct {
	ConnectorID *uuid.UUID
	IsActive    *bool
	First       *int
	After       *string
}

// ConnectorConfigurations lists configurations oldest first, a page at a time.
func (s *Store) ConnectorConfigurations(ctx context.Context, f ConnectorConfigurationFilter) (*ConnectorConfigurationConnection, error) {
	size, err := pageSize(f.First)
	if err != nil {
		return nil, err
	}
	after, err := decodeCursor(f.After)
	if err != nil {
		return nil, err
	}
	var rows []*ConnectorConfiguration
	q := s.DB.NewSelect().Model(&rows).Relation("Connector").OrderExpr("cc.id").Limit(int64(size + 1))
	if f.ConnectorID != nil {
		q = q.Where("cc.connector_id = ?", *f.ConnectorID)
	}
	if f.IsActive != nil {
		q = q.Where("cc.is_active = ?", *f.IsActive)
	}
	if after != nil {
		q = q.Where("cc.id > ?", *after)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list connector configurations: %w", err)
	}
	nodes, info := pageInfo(rows, size, func(c *ConnectorConfiguration) uuid.UUID { return c.ID })
	return &ConnectorConfigurationConnection{Nodes: nodes, PageInfo: info}, nil
}

// CreateConnectorConfiguration validates and stores a new configuration.
func (s *Store) CreateConnectorConfiguration(ctx context.Context, actor *auth.Principal, in CreateConnectorConfigurationInput) (*ConnectorConfigurationPayload, error) {
	at := now()
	c := &ConnectorConfiguration{
		ID: newID(), ConnectorID: in.ConnectorID, Mode: ModeTest, IsActive: true,
		ExtraPropertiesDict: JSONObject{}, Version: 1, CreatedAt: at, UpdatedAt: at,
	}
	p := newPatch()
	p.record("connectorId", "", nil, c.ConnectorID)
	in.merge(p, s, c)
	c.Validate(&p.Violations)
	err := s.inTx(ctx, p, isDryRun(in.DryRun), func(ctx context.Context, tx bun.Tx) error {
		c.Connector = new(Connector)
		err := tx.NewSelect().Model(c.Connector).Where("id = ?", c.ConnectorID).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			p.Add(Path{"connectorId"}, CodeNotFound, "no connector has id %s", c.ConnectorID)
			return nil
		}
		if err != nil || p.Failed() {
			return err
		}
		if _, err := tx.NewInsert().Model(c).Returning("NULL").Exec(ctx); err != nil {
			return fmt.Errorf("insert connector configuration: %w", err)
		}
		return writeAudit(ctx, tx, EntityConnectorConfiguration, c.ID.String(), actor.Subject, actionCreate, c.Version, at, p)
	})
	if err != nil {
		return nil, err
	}
	return connectorConfigurationPayload(c, p, in.DryRun, in.ClientMutationID), nil
}

// UpdateConnectorConfiguration changes exactly the sent fields of one configuration.
func (s *Store) UpdateConnectorConfiguration(ctx context.Context, actor *auth.Principal, in UpdateConnectorConfigurationInput) (*ConnectorConfigurationPayload, error) {
	p := newPatch()
	c := new(ConnectorConfiguration)
	err := s.inTx(ctx, p, isDryRun(in.DryRun), func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Model(c).Relation("Connector").Where("cc.id = ?", in.ID).For("UPDATE OF cc").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			p.Add(Path{"id"}, CodeNotFound, "no connector configuration has id %s", in.ID)
			return nil
		}
		if err != nil {
			return fmt.Errorf("load connector configuration: %w", err)
		}
		if !checkVersion(p, in.ExpectedVersion, c.Version) {
			return nil
		}
		in.merge(p, s, c)
		c.Validate(&p.Violations)
		if p.Failed() || !p.changed() {
			return nil
		}
		c.Version++
		c.UpdatedAt = now()
		return writeUpdate(ctx, tx, c, p, EntityConnectorConfiguration, c.ID.String(), actor.Subject, c.Version, c.UpdatedAt)
	})
	if err != nil {
		return nil, err
	}
	return connectorConfigurationPayload(c, p, in.DryRun, in.ClientMutationID), nil
}

func connectorConfigurationPayload(c *ConnectorConfiguration, p *patch, dryRun graphql.Omittable[*bool], clientMutationID graphql.Omittable[*string]) *ConnectorConfigurationPayload {
	out := &ConnectorConfigurationPayload{
		UserErrors: p.Errors, Warnings: p.Warnings, ClientMutationID: clientMutationID.Value(),
	}
	if showRecord(p, dryRun, c.Version > 0) {
		out.ConnectorConfiguration = c
	}
	return out
}
