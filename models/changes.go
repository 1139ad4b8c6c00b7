package models

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// ChangeAction says what a change did to a record.
type ChangeAction string

// The values of ChangeAction.
const (
	ChangeCreate ChangeAction = "CREATE"
	ChangeUpdate ChangeAction = "UPDATE"
)

// UnmarshalGQL reads a ChangeAction.
func (a *ChangeAction) UnmarshalGQL(v any) error {
	str, _ := v.(string)
	if str != string(ChangeCreate) && str != string(ChangeUpdate) {
		return inputErrorf("%v is not a ChangeAction", v)
	}
	*a = ChangeAction(str)
	return nil
}

// MarshalGQL writes a ChangeAction.
func (a ChangeAction) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(a)))
}

// ActionOf is the ChangeAction of an audit row's action ("create" or "update").
func ActionOf(auditAction string) ChangeAction {
	if auditAction == actionCreate {
		return ChangeCreate
	}
	return ChangeUpdate
}

// ChangeEvent is what every change event delivered to a subscriber carries besides the record.
type ChangeEvent struct {
	// Cursor is the event's position in the change feed (events.Cursor's text).
	Cursor        string
	Action        ChangeAction
	Version       int
	ChangedFields []string
	Actor         *string
	At            time.Time
}

// DevicePurchaseOrderChange is a change of an order with the order as read on delivery.
type DevicePurchaseOrderChange struct {
	ChangeEvent
	DevicePurchaseOrder *DevicePurchaseOrder
}

// SubDealerChange is a change of a sub-dealer with the sub-dealer as read on delivery.
type SubDealerChange struct {
	ChangeEvent
	SubDealer *SubDealer
}

// CustomerPaymentGatewayChange is a change of a gateway with the gateway as read on delivery.
type CustomerPaymentGatewayChange struct {
	ChangeEvent
	CustomerPaymentGateway *CustomerPaymentGateway
}

// ConnectorConfigurationChange is a change of a configuration with the configuration as read
// on delivery.
type ConnectorConfigurationChange struct {
	ChangeEvent
	ConnectorConfiguration *ConnectorConfiguration
}

// ChangedRecord reads the record of entity (EntityConnectorConfiguration, …) with the stable
// id, as a change subscription delivers it: whatever the caller's scope, which the caller
// checks on the record as queries do. It returns ErrNotFound when no such record exists.
func (s *Store) ChangedRecord(ctx context.Context, entity string, id uuid.UUID) (any, error) {
	var (
		rec  any
		err  error
		read = s.DB.NewSelect()
	)
	switch entity {
	case EntityConnectorConfiguration:
		c := new(ConnectorConfiguration)
		rec, err = c, read.Model(c).Relation("Connector").Where("cc.id = ?", id).Scan(ctx)
	case EntityCustomerPaymentGateway:
		g := new(CustomerPaymentGateway)
		rec, err = g, read.Model(g).Where("g.id = ?", id).Scan(ctx)
	case EntitySubDealer:
		d := new(SubDealer)
		rec, err = d, read.Model(d).Where("sd.id = ?", id).Scan(ctx)
	case EntityDevicePurchaseOrder:
		o := new(DevicePurchaseOrder)
		rec, err = o, read.Model(o).Where("o.id = ?", id).Scan(ctx)
	default:
		return nil, fmt.Errorf("read changed record: unknown entity %q", entity)
	}
	if err := notFound(err); err != nil {
		return nil, fmt.Errorf("read changed %s: %w", entity, err)
	}
	return rec, nil
}

// TextArgument checks a text argument of a query or subscription (non-empty, not too long);
// nil is fine. The error names the argument.
func TextArgument(name string, s *string) error {
	return argument(name, s)
}

// BadArgument is the error of an argument that cannot be read; its message names it.
func BadArgument(name string, err error) error {
	return &InputError{msg: name + ": " + err.Error()}
}
