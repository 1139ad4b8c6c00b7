package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// workload is one operation the benchmark drives: a GraphQL request against the server, and
// the best single SQL statement for the same effect (floor b). A request names its target
// by number (0 ≤ target < targets) and varies its values with n, a per-request counter, so
// that every request really changes something.
type workload struct {
	Name    string
	targets func(d dataset) int
	// body appends the HTTP request body for target.
	body func(buf []byte, d dataset, target int, n uint64) []byte
	// ok says whether a response body is a success: data, no errors, no userErrors.
	ok func(body []byte) error
	// bestSQL is floor (b): one prepared statement doing what the request does.
	bestSQL string
	// bestArgs returns bestSQL's arguments for target.
	bestArgs func(d dataset, target int, n uint64) []any
	// compressible: the answers are large enough for the server to compress them, so the
	// gzip variant runs.
	compressible bool
}

// variants returns those of selected that run for w.
func (w *workload) variants(selected []string) []string {
	var out []string
	for _, v := range selected {
		if v != variantGzip || w.compressible {
			out = append(out, v)
		}
	}
	return out
}

// The GraphQL documents, written as a client would: the record it changes, with the fields a
// form shows, and every userError.
const (
	connectorDoc = `mutation UpdateConfig($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) {
  connectorConfiguration { id connectorId connectorName name mode apiKey secretKey username password terminalId storeId
    apiEndpointUrl threeDSecureEndpointUrl bankCode priority isActive extraPropertiesDict version updatedAt }
  userErrors { field code message } } }`
	gatewayDoc = `mutation UpdateGateway($in: UpdateCustomerPaymentGatewayInput!) { updateCustomerPaymentGateway(input: $in) {
  customerPaymentGateway { id displayName version updatedAt
    billTypes { id billTypeId applyConvenienceFee } convenienceFees { id paymentType minRange maxRange feeAmount } }
  userErrors { field code message } } }`
	subDealerDoc = `mutation UpdateSubDealer($in: UpdateSubDealerInput!) { updateSubDealer(input: $in) {
  subDealer { id code name phone version updatedAt users { id code name surname email gsm } }
  userErrors { field code message } warnings { field code message } } }`
	orderDoc = `mutation UpdateOrder($in: UpdateDevicePurchaseOrderInput!) { updateDevicePurchaseOrder(input: $in) {
  devicePurchaseOrder { uuid status itemsTotal total currency version items { id quantity amount lineTotal } }
  userErrors { field code message } warnings { field code message } } }`
	listDoc = `query Gateways($c: UUID!) { customerPaymentGateways(customerId: $c) {
  id displayName merchantId testMode allowToken minPaymentAmount maxPaymentAmount version updatedAt
  billTypes { id billTypeId applyConvenienceFee }
  applications { id applicationId isActive primaryPaymentVenue }
  paymentTypes { id paymentType }
  convenienceFees { id paymentType minRange maxRange feeAmount applyConvenienceFee } } }`
)

// request starts a request body: the document as a JSON string, then the variables.
func request(buf []byte, doc string) []byte {
	buf = append(buf, `{"query":`...)
	buf = strconv.AppendQuote(buf, doc)
	return append(buf, `,"variables":`...)
}

func appendUUID(buf []byte, id uuid.UUID) []byte {
	buf = append(buf, '"')
	buf = append(buf, id.String()...)
	return append(buf, '"')
}

// amount is a money value that changes with n: "1.00" to "9.99".
func amount(n uint64) string {
	c := 100 + n%900
	return strconv.FormatUint(c/100, 10) + "." + fmt.Sprintf("%02d", c%100)
}

// mutationOK accepts a response with data and empty userErrors.
func mutationOK(body []byte) error {
	switch {
	case !bytes.HasPrefix(body, []byte(`{"data":{"`)):
		return fmt.Errorf("not data: %.300s", body)
	case !bytes.Contains(body, []byte(`"userErrors":[]`)):
		return fmt.Errorf("userErrors: %.300s", body)
	}
	return nil
}

var workloads = []*workload{
	{
		Name:    "updateConnectorConfiguration",
		targets: func(d dataset) int { return d.Configs },
		body: func(buf []byte, _ dataset, t int, n uint64) []byte {
			buf = append(request(buf, connectorDoc), `{"in":{"id":`...)
			buf = appendUUID(buf, configID(t))
			buf = fmt.Appendf(buf, `,"name":"Config %d r%d","priority":%d}}}`, t, n, n%10)
			return buf
		},
		ok: mutationOK,
		bestSQL: `WITH old AS (
	SELECT id, name, priority, version FROM connector_configurations WHERE id = $1 FOR UPDATE
), upd AS (
	UPDATE connector_configurations c SET name = $2, priority = $3, version = old.version + 1, updated_at = now()
	FROM old WHERE c.id = old.id
	RETURNING c.*
), audit AS (
	INSERT INTO audit_log (entity_type, entity_id, version, action, actor, at, changes)
	SELECT 'ConnectorConfiguration', upd.id::text, upd.version, 'update', $4, upd.updated_at,
		jsonb_build_object('name', jsonb_build_object('from', old.name, 'to', upd.name),
			'priority', jsonb_build_object('from', old.priority, 'to', upd.priority))
	FROM upd, old
)
SELECT upd.id, upd.connector_id, cn.name, upd.name, upd.mode, upd.api_key, upd.secret_key, upd.username,
	upd.password, upd.terminal_id, upd.store_id, upd.api_endpoint_url, upd.three_d_secure_endpoint_url,
	upd.bank_code, upd.priority, upd.is_active, upd.extra_properties_dict, upd.version, upd.updated_at
FROM upd JOIN connectors cn ON cn.id = upd.connector_id`,
		bestArgs: func(_ dataset, t int, n uint64) []any {
			return []any{configID(t), fmt.Sprintf("Config %d r%d", t, n), int(n % 10), "bench"}
		},
	},
	{
		// Saves a gateway form: a new display name, every fee amount and bill type flag
		// sent back with its id (updated in place, in bulk).
		Name:    "updateCustomerPaymentGateway",
		targets: func(d dataset) int { return d.Gateways },
		body: func(buf []byte, d dataset, t int, n uint64) []byte {
			buf = append(request(buf, gatewayDoc), `{"in":{"customerId":`...)
			buf = appendUUID(buf, customerID(d.customerOf(t)))
			buf = append(buf, `,"id":`...)
			buf = appendUUID(buf, gatewayID(t))
			buf = fmt.Appendf(buf, `,"displayName":"Gateway %d r%d","convenienceFees":[`, t, n)
			for k := range gatewayListLen(t) {
				if k > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, `{"id":`...)
				buf = appendUUID(buf, itemID("fee", t, k))
				buf = fmt.Appendf(buf, `,"feeAmount":"%s"}`, amount(n+uint64(k)))
			}
			buf = append(buf, `],"billTypes":[`...)
			for k := range gatewayListLen(t) {
				if k > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, `{"id":`...)
				buf = appendUUID(buf, itemID("bt", t, k))
				buf = fmt.Appendf(buf, `,"applyConvenienceFee":%t}`, (n+uint64(k))%2 == 0)
			}
			return append(buf, `]}}}`...)
		},
		ok: mutationOK,
		bestSQL: `WITH old AS (
	SELECT id, display_name, version FROM customer_payment_gateways WHERE id = $1 AND customer_id = $2 FOR UPDATE
), old_fees AS (
	SELECT f.id, f.fee_amount FROM convenience_fees f JOIN old ON f.payment_gateway_id = old.id
), fees AS (
	UPDATE convenience_fees f SET fee_amount = d.fee_amount::numeric
	FROM unnest($4::uuid[], $5::text[]) AS d(id, fee_amount), old
	WHERE f.id = d.id AND f.payment_gateway_id = old.id AND f.fee_amount IS DISTINCT FROM d.fee_amount::numeric
	RETURNING f.id, f.position, f.payment_type, f.min_range, f.max_range, f.fee_amount
), old_bts AS (
	SELECT b.id, b.apply_convenience_fee FROM payment_gateway_bill_types b JOIN old ON b.payment_gateway_id = old.id
), bts AS (
	UPDATE payment_gateway_bill_types b SET apply_convenience_fee = d.apply
	FROM unnest($6::uuid[], $7::bool[]) AS d(id, apply), old
	WHERE b.id = d.id AND b.payment_gateway_id = old.id AND b.apply_convenience_fee <> d.apply
	RETURNING b.id, b.position, b.bill_type_id, b.apply_convenience_fee
), upd AS (
	UPDATE customer_payment_gateways g SET display_name = $3, version = old.version + 1, updated_at = now()
	FROM old WHERE g.id = old.id
	RETURNING g.id, g.display_name, g.version, g.updated_at
), audit AS (
	INSERT INTO audit_log (entity_type, entity_id, version, action, actor, at, changes)
	SELECT 'CustomerPaymentGateway', upd.id::text, upd.version, 'update', $8, upd.updated_at,
		jsonb_build_object('displayName', jsonb_build_object('from', old.display_name, 'to', upd.display_name),
			'convenienceFees', jsonb_build_object('from', (SELECT jsonb_agg(old_fees) FROM old_fees), 'to', (SELECT jsonb_agg(fees) FROM fees)),
			'billTypes', jsonb_build_object('from', (SELECT jsonb_agg(old_bts) FROM old_bts), 'to', (SELECT jsonb_agg(bts) FROM bts)))
	FROM upd, old
)
SELECT upd.*,
	(SELECT json_agg(json_build_object('id', f.id, 'paymentType', f.payment_type, 'minRange', f.min_range,
		'maxRange', f.max_range, 'feeAmount', coalesce(fees.fee_amount, f.fee_amount)) ORDER BY f.position)
	 FROM convenience_fees f LEFT JOIN fees ON fees.id = f.id WHERE f.payment_gateway_id = upd.id),
	(SELECT json_agg(json_build_object('id', b.id, 'billTypeId', b.bill_type_id,
		'applyConvenienceFee', coalesce(bts.apply_convenience_fee, b.apply_convenience_fee)) ORDER BY b.position)
	 FROM payment_gateway_bill_types b LEFT JOIN bts ON bts.id = b.id WHERE b.payment_gateway_id = upd.id)
FROM upd`,
		bestArgs: func(d dataset, t int, n uint64) []any {
			size := gatewayListLen(t)
			feeIDs, amounts := make([]uuid.UUID, size), make([]string, size)
			btIDs, flags := make([]uuid.UUID, size), make([]bool, size)
			for k := range size {
				feeIDs[k], amounts[k] = itemID("fee", t, k), amount(n+uint64(k))
				btIDs[k], flags[k] = itemID("bt", t, k), (n+uint64(k))%2 == 0
			}
			return []any{gatewayID(t), customerID(d.customerOf(t)), fmt.Sprintf("Gateway %d r%d", t, n),
				feeIDs, amounts, btIDs, flags, "bench"}
		},
	},
	{
		// Renames a sub-dealer and changes one user's mobile number, the user named by code.
		Name:    "updateSubDealer",
		targets: func(d dataset) int { return d.Dealers },
		body: func(buf []byte, _ dataset, t int, n uint64) []byte {
			buf = append(request(buf, subDealerDoc), `{"in":{"updateCode":"`...)
			buf = append(buf, subDealerCode(t)...)
			buf = fmt.Appendf(buf, `","name":"Sub-dealer %d r%d","users":[{"code":"%s","gsm":"%s"}]}}}`,
				t, n, userCode(t, int(n%usersPerDealer)), gsmOf(n))
			return buf
		},
		ok: mutationOK,
		bestSQL: `WITH old AS (
	SELECT id, name, version FROM sub_dealers WHERE code = $1 FOR UPDATE
), old_user AS (
	SELECT u.id, u.code, u.gsm FROM sub_dealer_users u JOIN old ON u.sub_dealer_id = old.id WHERE u.code = $3
), usr AS (
	UPDATE sub_dealer_users u SET gsm = $4 FROM old_user WHERE u.id = old_user.id AND u.gsm <> $4
	RETURNING u.id, u.code, u.gsm
), upd AS (
	UPDATE sub_dealers d SET name = $2, version = old.version + 1, updated_at = now()
	FROM old WHERE d.id = old.id
	RETURNING d.id, d.code, d.name, d.phone, d.version, d.updated_at
), audit AS (
	INSERT INTO audit_log (entity_type, entity_id, version, action, actor, at, changes)
	SELECT 'SubDealer', upd.id::text, upd.version, 'update', $5, upd.updated_at,
		jsonb_build_object('name', jsonb_build_object('from', old.name, 'to', upd.name),
			'users', jsonb_build_object('from', (SELECT jsonb_agg(old_user) FROM old_user), 'to', (SELECT jsonb_agg(usr) FROM usr)))
	FROM upd, old
)
SELECT upd.*,
	(SELECT json_agg(json_build_object('id', u.id, 'code', u.code, 'name', u.name, 'surname', u.surname,
		'email', u.email, 'gsm', coalesce(usr.gsm, u.gsm)) ORDER BY u.position)
	 FROM sub_dealer_users u LEFT JOIN usr ON usr.id = u.id WHERE u.sub_dealer_id = upd.id)
FROM upd`,
		bestArgs: func(_ dataset, t int, n uint64) []any {
			return []any{subDealerCode(t), fmt.Sprintf("Sub-dealer %d r%d", t, n), userCode(t, int(n%usersPerDealer)), gsmOf(n), "bench"}
		},
	},
	{
		// Changes the quantities of an order's items, sent back with their ids; the server
		// recomputes line totals and the order's totals.
		Name:    "updateDevicePurchaseOrder",
		targets: func(d dataset) int { return d.Orders },
		body: func(buf []byte, _ dataset, t int, n uint64) []byte {
			buf = append(request(buf, orderDoc), `{"in":{"dealerCode":"`...)
			buf = append(buf, orderDealer(t)...)
			buf = append(buf, `","uuid":`...)
			buf = appendUUID(buf, orderID(t))
			buf = append(buf, `,"items":[`...)
			for k := range itemsPerOrder {
				if k > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, `{"id":`...)
				buf = appendUUID(buf, itemID("item", t, k))
				buf = fmt.Appendf(buf, `,"quantity":%d}`, quantity(n, k))
			}
			return append(buf, `]}}}`...)
		},
		ok: mutationOK,
		bestSQL: `WITH old AS (
	SELECT id, version, items_total, total FROM device_purchase_orders
	WHERE id = $1 AND dealer_code = $2 AND status IN ('DRAFT', 'SUBMITTED') FOR UPDATE
), old_items AS (
	SELECT i.id, i.position, i.quantity, i.amount, i.line_total FROM device_purchase_order_items i JOIN old ON i.order_id = old.id
), items AS (
	UPDATE device_purchase_order_items i SET quantity = d.q, line_total = i.amount * d.q
	FROM unnest($3::uuid[], $4::int[]) AS d(id, q), old
	WHERE i.id = d.id AND i.order_id = old.id AND i.quantity <> d.q
	RETURNING i.id, i.quantity, i.line_total
), tot AS (
	SELECT coalesce(sum(coalesce(items.line_total, old_items.line_total)), 0) AS items_total
	FROM old_items LEFT JOIN items ON items.id = old_items.id
), upd AS (
	UPDATE device_purchase_orders o SET items_total = tot.items_total, total = tot.items_total + coalesce(o.shipping_amount, 0),
		version = old.version + 1, updated_at = now()
	FROM old, tot WHERE o.id = old.id
	RETURNING o.id, o.status, o.items_total, o.total, o.currency, o.version, o.updated_at
), audit AS (
	INSERT INTO audit_log (entity_type, entity_id, version, action, actor, at, changes)
	SELECT 'DevicePurchaseOrder', upd.id::text, upd.version, 'update', $5, upd.updated_at,
		jsonb_build_object('itemsTotal', jsonb_build_object('from', old.items_total, 'to', upd.items_total),
			'total', jsonb_build_object('from', old.total, 'to', upd.total),
			'items', jsonb_build_object('from', (SELECT jsonb_agg(old_items) FROM old_items), 'to', (SELECT jsonb_agg(items) FROM items)))
	FROM upd, old
)
SELECT upd.*,
	(SELECT json_agg(json_build_object('id', o.id, 'quantity', coalesce(items.quantity, o.quantity), 'amount', o.amount,
		'lineTotal', coalesce(items.line_total, o.line_total)) ORDER BY o.position)
	 FROM old_items o LEFT JOIN items ON items.id = o.id)
FROM upd`,
		bestArgs: func(_ dataset, t int, n uint64) []any {
			ids, qs := make([]uuid.UUID, itemsPerOrder), make([]int32, itemsPerOrder)
			for k := range itemsPerOrder {
				ids[k], qs[k] = itemID("item", t, k), int32(quantity(n, k))
			}
			return []any{orderID(t), orderDealer(t), ids, qs, "bench"}
		},
	},
	{
		// Reads a customer's 100 gateways with all four lists.
		Name:         "customerPaymentGateways",
		compressible: true,
		targets:      func(d dataset) int { return d.Customers },
		body: func(buf []byte, _ dataset, t int, _ uint64) []byte {
			buf = append(request(buf, listDoc), `{"c":`...)
			buf = appendUUID(buf, customerID(t))
			return append(buf, `}}`...)
		},
		ok: func(body []byte) error {
			if !bytes.HasPrefix(body, []byte(`{"data":{"customerPaymentGateways":[{`)) {
				return fmt.Errorf("not data: %.300s", body)
			}
			return nil
		},
		bestSQL: `SELECT g.id, g.display_name, g.merchant_id, g.test_mode, g.allow_token, g.min_payment_amount,
	g.max_payment_amount, g.version, g.updated_at,
	(SELECT coalesce(json_agg(json_build_object('id', b.id, 'billTypeId', b.bill_type_id,
		'applyConvenienceFee', b.apply_convenience_fee) ORDER BY b.position), '[]')
	 FROM payment_gateway_bill_types b WHERE b.payment_gateway_id = g.id),
	(SELECT coalesce(json_agg(json_build_object('id', a.id, 'applicationId', a.application_id, 'isActive', a.is_active,
		'primaryPaymentVenue', a.primary_payment_venue) ORDER BY a.position), '[]')
	 FROM payment_gateway_applications a WHERE a.payment_gateway_id = g.id),
	(SELECT coalesce(json_agg(json_build_object('id', p.id, 'paymentType', p.payment_type) ORDER BY p.position), '[]')
	 FROM payment_gateway_payment_types p WHERE p.payment_gateway_id = g.id),
	(SELECT coalesce(json_agg(json_build_object('id', f.id, 'paymentType', f.payment_type, 'minRange', f.min_range,
		'maxRange', f.max_range, 'feeAmount', f.fee_amount, 'applyConvenienceFee', f.apply_convenience_fee) ORDER BY f.position), '[]')
	 FROM convenience_fees f WHERE f.payment_gateway_id = g.id)
FROM customer_payment_gateways g WHERE g.customer_id = $1 ORDER BY g.id`,
		bestArgs: func(_ dataset, t int, _ uint64) []any { return []any{customerID(t)} },
	},
}

// gsmOf is a valid mobile number that changes with n.
func gsmOf(n uint64) string { return fmt.Sprintf("+90532%07d", n%10000000) }

// quantity is item k's quantity in request n: 1 to 5.
func quantity(n uint64, k int) int { return 1 + int((n+uint64(k))%5) }

// workloadNamed returns the workload called name.
func workloadNamed(name string) (*workload, error) {
	for _, w := range workloads {
		if w.Name == name {
			return w, nil
		}
	}
	return nil, errors.New("no workload " + name)
}
