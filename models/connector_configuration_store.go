package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
)

// connectorConfigurations describes connector configurations to the mutation driver.
var connectorConfigurations = &entity[*ConnectorConfiguration, uuid.UUID, *ConnectorConfigurationFields]{
	name:     EntityConnectorConfiguration,
	keyPath:  Path{"id"},
	notFound: func(id uuid.UUID) string { return fmt.Sprintf("no connector configuration has id %s", id) },
	lock: func(ctx context.Context, db bun.IDB, id uuid.UUID) (*ConnectorConfiguration, error) {
		c := new(ConnectorConfiguration)
		var p database.Params
		err := db.NewSelect().Model(c).Relation("Connector").Where("cc.id = ?", p.Arg(id)).Apply(queued(ctx, &p)).For("UPDATE OF cc").Conn(p.Conn(db)).Scan(ctx)
		return c, notFound(err)
	},
	merge: (*ConnectorConfigurationFields).merge,
	check: func(ctx context.Context, db bun.IDB, p *patch, c *ConnectorConfiguration, _ *ConnectorConfigurationFields) error {
		if c.Connector != nil {
			return nil
		}
		c.Connector = new(Connector)
		err := db.NewSelect().Model(c.Connector).Where("id = ?", c.ConnectorID).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			p.Add(Path{"connectorId"}, CodeNotFound, "no connector has id %s", c.ConnectorID)
			return nil
		}
		return err
	},
}

// CreateConnectorConfiguration validates and stores a new configuration.
func (s *Store) CreateConnectorConfiguration(ctx context.Context, actor *auth.Principal, in CreateConnectorConfigurationInput) (*ConnectorConfigurationPayload, error) {
	c := &ConnectorConfiguration{
		Record: newRecord(), ConnectorID: in.ConnectorID, Mode: ModeTest, IsActive: true, ExtraPropertiesDict: JSONObject{},
	}
	c, out, err := create(ctx, s, connectorConfigurations, actor, in.MutationInput,
		creation[*ConnectorConfiguration]{c, map[string]any{"connectorId": in.ConnectorID}}, &in.ConnectorConfigurationFields)
	if err != nil {
		return nil, err
	}
	return &ConnectorConfigurationPayload{ConnectorConfiguration: c, Outcome: out}, nil
}

// UpdateConnectorConfiguration changes exactly the sent fields of one configuration.
func (s *Store) UpdateConnectorConfiguration(ctx context.Context, actor *auth.Principal, in UpdateConnectorConfigurationInput) (*ConnectorConfigurationPayload, error) {
	c, out, err := update(ctx, s, connectorConfigurations, actor, in.ID, in.UpdateInput, &in.ConnectorConfigurationFields)
	if err != nil {
		return nil, err
	}
	return &ConnectorConfigurationPayload{ConnectorConfiguration: c, Outcome: out}, nil
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
	if err := notFound(err); err != nil {
		return nil, fmt.Errorf("read connector configuration: %w", err)
	}
	return c, nil
}

// ConnectorConfigurationFilter narrows ConnectorConfigurations.
type ConnectorConfigurationFilter struct {
	ConnectorID *uuid.UUID
	IsActive    *bool
	Search      *string
	OrderBy     *ConnectorConfigurationOrder
	First       *int
	After       *string
}

// order is the order f asks for.
func (f ConnectorConfigurationFilter) order() listOrder[*ConnectorConfiguration] {
	if f.OrderBy == nil {
		return listOrder[*ConnectorConfiguration]{}
	}
	return orderBy(&f.OrderBy.Field, f.OrderBy.Direction, connectorConfigurationKeys)
}

// ConnectorConfigurations lists configurations in the order f asks for (oldest first by
// default), a page at a time, with one statement.
func (s *Store) ConnectorConfigurations(ctx context.Context, f ConnectorConfigurationFilter) (*ConnectorConfigurationConnection, error) {
	var rows []*ConnectorConfiguration
	order := f.order()
	q, size, err := page(s.DB.NewSelect().Model(&rows).Relation("Connector"), "cc.id", order, f.First, f.After)
	if err != nil {
		return nil, err
	}
	q, err = search(q, f.Search, "cc.name"+contains, "cc.bank_code"+contains,
		`"connector"."name"`+contains, `"connector"."code"`+contains)
	if err != nil {
		return nil, err
	}
	if f.ConnectorID != nil {
		q = q.Where("cc.connector_id = ?", *f.ConnectorID)
	}
	if f.IsActive != nil {
		q = q.Where("cc.is_active = ?", *f.IsActive)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list connector configurations: %w", err)
	}
	p := order.paged(rows, size, f.After)
	return &ConnectorConfigurationConnection{
		Edges: edges(p, func(cursor string, c *ConnectorConfiguration) *ConnectorConfigurationEdge {
			return &ConnectorConfigurationEdge{Cursor: cursor, Node: c}
		}),
		Nodes: p.nodes, PageInfo: p.info,
	}, nil
}
