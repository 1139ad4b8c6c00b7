package demo

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/playground"
	"github.com/payplat/paygql/models"
)

// PlaygroundTabs returns the playground's first tabs in development mode: for each kind of
// record, a query that reads one and a mutation that updates it, with variables that name a
// record in db: the oldest of its kind, a demo record unless the developer removed it (an
// order the oldest that may still change). A kind without a record gets no tab. Read at each
// page load, so that the tabs name records that exist.
func PlaygroundTabs(ctx context.Context, db bun.IDB) []playground.Tab {
	var tabs []playground.Tab
	var cc struct{ ID uuid.UUID }
	if oldest(ctx, db.NewSelect().Model((*models.ConnectorConfiguration)(nil)).Column("cc.id"), "cc", &cc) {
		tabs = append(tabs, playground.Tab{Query: connectorConfigurationTab, Variables: jsonText(struct {
			ID    uuid.UUID `json:"id"`
			Input any       `json:"input"`
		}{cc.ID, struct {
			ID       uuid.UUID `json:"id"`
			Priority int       `json:"priority"`
		}{cc.ID, 5}})})
	}
	var g struct{ CustomerID, ID uuid.UUID }
	if oldest(ctx, db.NewSelect().Model((*models.CustomerPaymentGateway)(nil)).Column("g.customer_id", "g.id"), "g", &g) {
		tabs = append(tabs, playground.Tab{Query: customerPaymentGatewayTab, Variables: jsonText(struct {
			CustomerID uuid.UUID `json:"customerId"`
			ID         uuid.UUID `json:"id"`
			Input      any       `json:"input"`
		}{g.CustomerID, g.ID, struct {
			CustomerID       uuid.UUID `json:"customerId"`
			ID               uuid.UUID `json:"id"`
			MaxPaymentAmount string    `json:"maxPaymentAmount"`
		}{g.CustomerID, g.ID, "25000.00"}})})
	}
	var sd struct{ Code string }
	if oldest(ctx, db.NewSelect().Model((*models.SubDealer)(nil)).Column("sd.code"), "sd", &sd) {
		tabs = append(tabs, playground.Tab{Query: subDealerTab, Variables: jsonText(struct {
			Code  string `json:"code"`
			Input any    `json:"input"`
		}{sd.Code, struct {
			UpdateCode string `json:"updateCode"`
			TaxOffice  string `json:"taxOffice"`
		}{sd.Code, "Moda"}})})
	}
	var o struct {
		DealerCode string
		ID         uuid.UUID
	}
	editable := db.NewSelect().Model((*models.DevicePurchaseOrder)(nil)).Column("o.dealer_code", "o.id").
		Where("o.status IN (?)", bun.In([]models.DevicePurchaseOrderStatus{models.OrderDraft, models.OrderSubmitted}))
	if oldest(ctx, editable, "o", &o) {
		tabs = append(tabs, playground.Tab{Query: devicePurchaseOrderTab, Variables: jsonText(struct {
			DealerCode string    `json:"dealerCode"`
			UUID       uuid.UUID `json:"uuid"`
			Input      any       `json:"input"`
		}{o.DealerCode, o.ID, struct {
			DealerCode string    `json:"dealerCode"`
			UUID       uuid.UUID `json:"uuid"`
			Status     string    `json:"status"`
		}{o.DealerCode, o.ID, string(models.OrderSubmitted)}})})
	}
	return tabs
}

// oldest scans the oldest row q selects into dst and reports whether there was one. An error
// counts as none: the tabs are a convenience, and the page must load without them.
func oldest(ctx context.Context, q *bun.SelectQuery, alias string, dst any) bool {
	err := q.OrderExpr("?.created_at, ?.id", bun.Ident(alias), bun.Ident(alias)).Limit(1).Scan(ctx, dst)
	return err == nil
}

func jsonText(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("demo: " + err.Error()) // plain structs of strings and UUIDs always encode
	}
	return string(b)
}

// The tabs' operations. Each tab reads a record and updates it; Run (▶) offers both.
const (
	connectorConfigurationTab = `# A connector configuration: one
# merchant's credentials for a bank's
# virtual POS. Run (▶) offers both
# operations. Variables name the
# record and the change.
query ConnectorConfiguration($id: UUID!) {
  connectorConfiguration(id: $id) {
    id
    name
    connector { code name }
    mode
    isActive
    priority
    bankCode
    apiKey
    version
    updatedAt
    history(first: 3) { at actor action version changes }
  }
}

mutation UpdateConnectorConfiguration($input: UpdateConnectorConfigurationInput!) {
  updateConnectorConfiguration(input: $input) {
    connectorConfiguration { id name priority version }
    userErrors { field code message }
  }
}
`
	customerPaymentGatewayTab = `# A customer's payment gateway. Fields
# left out keep their values; a list
# sent becomes exactly that list.
query CustomerPaymentGateway($customerId: UUID!, $id: UUID!) {
  customerPaymentGateway(customerId: $customerId, id: $id) {
    id
    displayName
    testMode
    minPaymentAmount
    maxPaymentAmount
    paymentTypes { id paymentType }
    convenienceFees { id paymentType minRange maxRange feeAmount }
    version
  }
}

mutation UpdateCustomerPaymentGateway($input: UpdateCustomerPaymentGatewayInput!) {
  updateCustomerPaymentGateway(input: $input) {
    customerPaymentGateway { id displayName minPaymentAmount maxPaymentAmount version }
    userErrors { field code message }
  }
}
`
	subDealerTab = `# A sub-dealer ("alt bayi"), named by
# its code, with its portal's users.
# Users sent are matched by id, else
# by code; the others are untouched.
query SubDealer($code: String!) {
  subDealer(code: $code) {
    id
    code
    name
    isIndividual
    taxOffice
    users { id code name surname email gsm }
    version
  }
}

mutation UpdateSubDealer($input: UpdateSubDealerInput!) {
  updateSubDealer(input: $input) {
    subDealer { code taxOffice version }
    userErrors { field code message }
    warnings { field code message }
  }
}
`
	devicePurchaseOrderTab = `# A dealer's device purchase order. The
# server computes the totals. Status:
# DRAFT → SUBMITTED → APPROVED →
# SHIPPED → DELIVERED, or CANCELLED.
query DevicePurchaseOrder($dealerCode: String!, $uuid: UUID!) {
  devicePurchaseOrder(dealerCode: $dealerCode, uuid: $uuid) {
    uuid
    dealerCode
    status
    items { quantity amount lineTotal product { name } }
    itemsTotal
    total
    currency
    version
  }
}

mutation UpdateDevicePurchaseOrder($input: UpdateDevicePurchaseOrderInput!) {
  updateDevicePurchaseOrder(input: $input) {
    devicePurchaseOrder { uuid status total version }
    userErrors { field code message }
    warnings { field code message }
  }
}
`
)
