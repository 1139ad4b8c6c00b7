package demo

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"github.com/payplat/paygql/models"
)

// Demo dealers; a dealer-admin token with --dealer-codes DLR-1001 sees only the first's orders.
const (
	dealerIstanbul = "DLR-1001"
	dealerAnkara   = "DLR-2002"
)

// demoOrder is a demo order and the status moves that bring it to its demo status.
type demoOrder struct {
	in    models.CreateDevicePurchaseOrderInput
	moves []models.DevicePurchaseOrderStatus
}

// loadOrders adds a few device purchase orders in different statuses, each created and
// moved through the Store as a dealer's front end would, so that their history shows it.
func loadOrders(ctx context.Context, s *models.Store) error {
	for _, o := range orders() {
		res, err := s.CreateDevicePurchaseOrder(ctx, Actor, o.in)
		if err != nil {
			return err
		}
		if len(res.UserErrors) > 0 {
			return fmt.Errorf("demo order refused: %v", res.UserErrors)
		}
		created := res.DevicePurchaseOrder
		for _, status := range o.moves {
			res, err := s.UpdateDevicePurchaseOrder(ctx, Actor, models.UpdateDevicePurchaseOrderInput{
				DealerCode: created.DealerCode, UUID: created.ID, Status: graphql.OmittableOf(ptr(status)),
			})
			if err != nil {
				return err
			}
			if len(res.UserErrors) > 0 {
				return fmt.Errorf("demo order move to %s refused: %v", status, res.UserErrors)
			}
		}
	}
	return nil
}

func orders() []demoOrder {
	fields := func(shippingAmount string, items ...*models.DevicePurchaseOrderItemInput) models.DevicePurchaseOrderFields {
		return models.DevicePurchaseOrderFields{
			PaymentType:             set("CREDIT_CARD"),
			ShippingMethodGatewayID: set("SHIP-ARAS"),
			Items:                   graphql.OmittableOf(items),
			Shipping:                graphql.OmittableOf(shipping(shippingAmount)),
		}
	}
	order := func(dealer string, f models.DevicePurchaseOrderFields, moves ...models.DevicePurchaseOrderStatus) demoOrder {
		return demoOrder{in: models.CreateDevicePurchaseOrderInput{DealerCode: dealer, DevicePurchaseOrderFields: f}, moves: moves}
	}
	return []demoOrder{
		order(dealerIstanbul, fields("150.00", item("TR-MOVE5000", "Ingenico Move/5000", 2, "4250.00", "ACTIVE"),
			item("TR-DESK3500", "Ingenico Desk/3500", 1, "2999.90", "ACTIVE"))),
		order(dealerIstanbul, fields("89.90", item("TR-A920PRO", "PAX A920 Pro", 5, "3899.50", "ACTIVE")),
			models.OrderSubmitted),
		order(dealerAnkara, fields("0.00", item("TR-A920PRO", "PAX A920 Pro", 10, "3750.00", "ACTIVE"),
			item("TR-CABLE", "USB-C charging cable", 10, "12.35", "ACTIVE")),
			models.OrderSubmitted, models.OrderApproved, models.OrderShipped),
		order(dealerAnkara, fields("150.00", item("TR-ICT250", "Ingenico iCT250", 3, "1999.00", "DISCONTINUED")),
			models.OrderCancelled),
	}
}

func item(productID, name string, quantity int, amount, status string) *models.DevicePurchaseOrderItemInput {
	return &models.DevicePurchaseOrderItemInput{
		Quantity: graphql.OmittableOf(&quantity),
		Amount:   graphql.OmittableOf(ptr(decimal.RequireFromString(amount))),
		Currency: set("TRY"),
		Product: graphql.OmittableOf(&models.DevicePurchaseOrderProductInput{
			GatewayCountryProductID: set(productID),
			GatewayProduct: graphql.OmittableOf(&models.DevicePurchaseOrderGatewayProductInput{
				GatewayID: set("GW-PAYTR"), Status: set(status), Type: set("POS_DEVICE"), ID: set("gp-" + productID),
			}),
			Amount:    graphql.OmittableOf(ptr(decimal.RequireFromString(amount))),
			Currency:  set("TRY"),
			Country:   set("TR"),
			Orderable: set("true"),
			Name:      set(name),
			Status:    set(status),
		}),
	}
}

func shipping(amount string) *models.DevicePurchaseOrderShippingInput {
	return &models.DevicePurchaseOrderShippingInput{
		Address: graphql.OmittableOf(&models.DevicePurchaseOrderAddressInput{
			City: set("İstanbul"), Country: set("TR"), Line1: set("Büyükdere Cad. No:185"), PostalCode: set("34394"), State: set("Şişli"),
		}),
		Amount:   graphql.OmittableOf(ptr(decimal.RequireFromString(amount))),
		Company:  set("Anadolu Elektronik A.Ş."),
		Currency: set("TRY"),
		Email:    set("depo@anadolu-elektronik.com.tr"),
		Name:     set("Ayşe Yılmaz"),
		Phone:    set("+902123456789"),
	}
}
