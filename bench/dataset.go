package main

import (
	"context"
	"crypto/md5"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/payplat/paygql/internal/secrets"
)

// dataset is the size of the data the benchmark loads. Every key is derived from its
// record's number (see key), so the load generator knows every target without reading the
// database back.
type dataset struct {
	Configs   int `json:"connectorConfigurations"`
	Gateways  int `json:"gateways"`
	Customers int `json:"customers"` // gateways are spread evenly over them
	Dealers   int `json:"subDealers"`
	Orders    int `json:"orders"`
}

// fullDataset is the realistic size; smoke runs load a tenth of it.
var fullDataset = dataset{Configs: 10000, Gateways: 1000, Customers: 10, Dealers: 1000, Orders: 1000}

// dealerCodes is how many dealers (main dealers of sub-dealers, and order dealers) there are.
const dealerCodes = 10

// usersPerDealer and itemsPerOrder are fixed; gateway lists hold 5 to 20 items each.
const (
	usersPerDealer = 3
	itemsPerOrder  = 3
)

// key returns the id that SQL's md5(name)::uuid gives: both sides derive ids the same way.
func key(name string) uuid.UUID { return uuid.UUID(md5.Sum([]byte(name))) }

func configID(i int) uuid.UUID   { return key("cc" + strconv.Itoa(i)) }
func gatewayID(i int) uuid.UUID  { return key("gw" + strconv.Itoa(i)) }
func customerID(c int) uuid.UUID { return key("cust" + strconv.Itoa(c)) }
func orderID(i int) uuid.UUID    { return key("ord" + strconv.Itoa(i)) }

// itemID is the id of item k of a list of kind (bt, fee, item, …) of record parent.
func itemID(kind string, parent, k int) uuid.UUID {
	return key(kind + strconv.Itoa(parent) + "-" + strconv.Itoa(k))
}

// gatewayListLen is the length of each of gateway i's four lists: 5 to 20.
func gatewayListLen(i int) int { return 5 + (i*7)%16 }

func (d dataset) customerOf(gateway int) int { return gateway % d.Customers }
func orderDealer(i int) string               { return "DLR-" + strconv.Itoa(i%dealerCodes) }
func subDealerCode(i int) string             { return "SD" + strconv.Itoa(i) }
func userCode(dealer, k int) string          { return "U" + strconv.Itoa(dealer) + "-" + strconv.Itoa(k) }

// load fills a migrated, empty database with d in a few set-based statements (generate_series
// on the server side), so that 70,000 rows take seconds, not 10,000 API calls. Secrets are
// sealed with box, the server's key, once: every record shares the same few ciphertexts.
func (d dataset) load(ctx context.Context, conn *pgx.Conn, box *secrets.Box) error {
	seal := func(s string) []byte { return box.Seal(s) }
	steps := []struct {
		name string
		sql  string
		args []any
	}{
		{"connector configurations", `
INSERT INTO connector_configurations (id, connector_id, name, mode, api_key, secret_key, username, password,
	terminal_id, store_id, api_endpoint_url, three_d_secure_endpoint_url, bank_code, priority, is_active, extra_properties_dict)
SELECT md5('cc' || i)::uuid, ('0b1e0000-0000-4000-8000-00000000000' || (1 + i % 9))::uuid, 'Config ' || i, 'TEST',
	$1::bytea, $2::bytea, 'user' || i, $3::bytea, 'T' || i, 'S' || i, 'https://vpos.bank.example/api/' || i,
	'https://vpos.bank.example/3d/' || i, 'B' || (i % 100), i % 10, true,
	jsonb_build_object('currency', 'TRY', 'installments', 12, 'storeType', '3d_pay')
FROM generate_series(0, $4::int - 1) i`,
			[]any{seal("sk_test_51Hb0000000000042"), seal("ss_test_9876543210"), seal("p4ssw0rd-1234"), d.Configs}},
		{"gateways", `
INSERT INTO customer_payment_gateways (id, customer_id, merchant_id, merchant_key, merchant_pin, display_name,
	test_mode, allow_token, min_payment_amount, max_payment_amount)
SELECT md5('gw' || i)::uuid, md5('cust' || (i % $3::int))::uuid, 'M' || i, $1::bytea, $2::bytea, 'Gateway ' || i,
	false, true, 1.00, 50000.00
FROM generate_series(0, $4::int - 1) i`,
			[]any{seal("mk_live_000000001234"), seal("pin-5678"), d.Customers, d.Gateways}},
		{"bill types", `
INSERT INTO payment_gateway_bill_types (id, payment_gateway_id, position, bill_type_id, apply_convenience_fee)
SELECT md5('bt' || i || '-' || k)::uuid, md5('gw' || i)::uuid, k, 100 + k, k % 2 = 0
FROM generate_series(0, $1::int - 1) i, generate_series(0, 4 + (i * 7) % 16) k`, []any{d.Gateways}},
		{"applications", `
INSERT INTO payment_gateway_applications (id, payment_gateway_id, position, application_id, is_active, primary_payment_venue)
SELECT md5('app' || i || '-' || k)::uuid, md5('gw' || i)::uuid, k, md5('application' || k)::uuid, true, k = 0
FROM generate_series(0, $1::int - 1) i, generate_series(0, 4 + (i * 7) % 16) k`, []any{d.Gateways}},
		{"payment types", `
INSERT INTO payment_gateway_payment_types (id, payment_gateway_id, position, payment_type)
SELECT md5('pt' || i || '-' || k)::uuid, md5('gw' || i)::uuid, k, 'PT' || k
FROM generate_series(0, $1::int - 1) i, generate_series(0, 4 + (i * 7) % 16) k`, []any{d.Gateways}},
		{"convenience fees", `
INSERT INTO convenience_fees (id, payment_gateway_id, position, payment_type, min_range, max_range, fee_amount,
	apply_at_payment_of_boot, apply_convenience_fee)
SELECT md5('fee' || i || '-' || k)::uuid, md5('gw' || i)::uuid, k, 'PT' || k, 0, 1000, 1.50, false, true
FROM generate_series(0, $1::int - 1) i, generate_series(0, 4 + (i * 7) % 16) k`, []any{d.Gateways}},
		{"sub-dealers", `
INSERT INTO sub_dealers (id, main_dealer_code, code, erp_code, name, is_individual, address, city_code, district_code,
	country_code, currency_code, phone, tax_number, tax_office)
SELECT md5('sd' || i)::uuid, 'MD' || (i % $2::int), 'SD' || i, 'ERP' || i, 'Sub-dealer ' || i, i % 2 = 0,
	'Bağdat Cad. No:' || i, '34', '494', 'TR', 'TRY', '+902165550000',
	CASE WHEN i % 2 = 0 THEN '12345678901' ELSE '1234567890' END, 'Moda'
FROM generate_series(0, $1::int - 1) i`, []any{d.Dealers, dealerCodes}},
		{"sub-dealer users", `
INSERT INTO sub_dealer_users (id, sub_dealer_id, position, code, name, surname, email, gsm, roles, rule_names, can_use_mobile)
SELECT md5('sdu' || i || '-' || k)::uuid, md5('sd' || i)::uuid, k, 'U' || i || '-' || k, 'Ayşe', 'Yılmaz',
	'u' || i || '-' || k || '@example.com', '+90555' || lpad((i * 3 + k)::text, 7, '0'),
	ARRAY[md5('role' || k)::uuid], ARRAY['SALES', 'REPORTS'], k = 0
FROM generate_series(0, $1::int - 1) i, generate_series(0, $2::int - 1) k`, []any{d.Dealers, usersPerDealer}},
		{"orders", `
INSERT INTO device_purchase_orders (id, dealer_code, status, payment_type, currency, items_total, total)
SELECT md5('ord' || i)::uuid, 'DLR-' || (i % $2::int), 'DRAFT', 'CREDIT_CARD', 'TRY', 300.00 * $3::int, 300.00 * $3::int
FROM generate_series(0, $1::int - 1) i`, []any{d.Orders, dealerCodes, itemsPerOrder}},
		{"order items", `
INSERT INTO device_purchase_order_items (id, order_id, position, quantity, amount, currency, line_total,
	product_gateway_country_product_id, product_amount, product_currency, product_country, product_orderable,
	product_name, product_status)
SELECT md5('item' || i || '-' || k)::uuid, md5('ord' || i)::uuid, k, 1, 300.00, 'TRY', 300.00,
	'TR-P' || k, 300.00, 'TRY', 'TR', 'true', 'PAX A920 Pro', 'ACTIVE'
FROM generate_series(0, $1::int - 1) i, generate_series(0, $2::int - 1) k`, []any{d.Orders, itemsPerOrder}},
	}
	for _, s := range steps {
		if _, err := conn.Exec(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("load %s: %w", s.name, err)
		}
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}
