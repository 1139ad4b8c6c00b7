-- Device purchase orders and their items. Money is numeric(18,2). The shipping is held on
-- the order row: has_shipping says whether the order has one, and the shipping_* columns are
-- all null when it has none. Items keep the product as it was when ordered (a snapshot), in
-- the order they were sent (position). Totals are derived by the server and stored, so that
-- lists and reports read them without summing.
CREATE TABLE device_purchase_orders (
    id                          uuid PRIMARY KEY,
    dealer_code                 text NOT NULL CHECK (btrim(dealer_code) <> ''),
    status                      text NOT NULL DEFAULT 'DRAFT'
                                CHECK (status IN ('DRAFT', 'SUBMITTED', 'APPROVED', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
    payment_type                text,
    shipping_method_gateway_id  text,
    currency                    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    items_total                 numeric(18,2) NOT NULL CHECK (items_total >= 0),
    total                       numeric(18,2) NOT NULL CHECK (total >= 0),
    has_shipping                boolean NOT NULL DEFAULT false,
    shipping_address_city        text,
    shipping_address_country     text CHECK (shipping_address_country ~ '^[A-Z]{2}$'),
    shipping_address_line1       text,
    shipping_address_line2       text,
    shipping_address_postal_code text,
    shipping_address_state       text,
    shipping_amount             numeric(18,2) CHECK (shipping_amount >= 0),
    shipping_company            text,
    shipping_currency           text CHECK (shipping_currency = currency),
    shipping_email              text,
    shipping_name               text,
    shipping_phone              text,
    version                     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK (has_shipping OR num_nonnulls(
        shipping_address_city, shipping_address_country, shipping_address_line1, shipping_address_line2,
        shipping_address_postal_code, shipping_address_state, shipping_amount, shipping_company,
        shipping_currency, shipping_email, shipping_name, shipping_phone) = 0),
    CHECK (total = items_total + coalesce(shipping_amount, 0))
);

CREATE INDEX device_purchase_orders_dealer_idx ON device_purchase_orders (dealer_code, id);

--bun:split

CREATE TABLE device_purchase_order_items (
    id                                 uuid PRIMARY KEY,
    order_id                           uuid NOT NULL REFERENCES device_purchase_orders (id) ON DELETE CASCADE,
    position                           integer NOT NULL,
    quantity                           integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    amount                             numeric(18,2) NOT NULL CHECK (amount >= 0),
    currency                           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    line_total                         numeric(18,2) NOT NULL CHECK (line_total = amount * quantity),
    product_gateway_country_product_id text NOT NULL CHECK (btrim(product_gateway_country_product_id) <> ''),
    product_gateway_product_gateway_id text,
    product_gateway_product_status     text,
    product_gateway_product_type       text,
    product_gateway_product_id         text,
    product_amount                     numeric(18,2) CHECK (product_amount >= 0),
    product_currency                   text CHECK (product_currency ~ '^[A-Z]{3}$'),
    product_country                    text CHECK (product_country ~ '^[A-Z]{2}$'),
    product_orderable                  text CHECK (product_orderable = 'true'),
    product_name                       text,
    product_description                text,
    product_image_url                  text,
    product_status                     text
);

CREATE INDEX device_purchase_order_items_order_idx ON device_purchase_order_items (order_id, position);
