-- Customer payment gateways and their four lists. Money is numeric(18,2); merchant_key and
-- merchant_pin hold AES-256-GCM ciphertext. List items keep the order they were sent in
-- (position). The no-duplicate rules are unique constraints, deferred to commit so that one
-- statement may swap values between items.
CREATE TABLE customer_payment_gateways (
    id                 uuid PRIMARY KEY,
    customer_id        uuid NOT NULL,
    merchant_id        text,
    merchant_key       bytea,
    merchant_pin       bytea,
    display_name       text NOT NULL CHECK (btrim(display_name) <> ''),
    test_mode          boolean NOT NULL DEFAULT false,
    allow_token        boolean NOT NULL DEFAULT false,
    min_payment_amount numeric(18,2) CHECK (min_payment_amount >= 0),
    max_payment_amount numeric(18,2) CHECK (max_payment_amount >= 0),
    version            integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (min_payment_amount <= max_payment_amount)
);

CREATE INDEX customer_payment_gateways_customer_idx ON customer_payment_gateways (customer_id, id);

--bun:split

CREATE TABLE payment_gateway_bill_types (
    id                    uuid PRIMARY KEY,
    payment_gateway_id    uuid NOT NULL REFERENCES customer_payment_gateways (id) ON DELETE CASCADE,
    position              integer NOT NULL,
    bill_type_id          integer NOT NULL,
    apply_convenience_fee boolean NOT NULL DEFAULT false,
    CONSTRAINT payment_gateway_bill_types_unique UNIQUE (payment_gateway_id, bill_type_id) DEFERRABLE INITIALLY DEFERRED
);

--bun:split

CREATE TABLE payment_gateway_applications (
    id                    uuid PRIMARY KEY,
    payment_gateway_id    uuid NOT NULL REFERENCES customer_payment_gateways (id) ON DELETE CASCADE,
    position              integer NOT NULL,
    application_id        uuid NOT NULL,
    is_active             boolean NOT NULL DEFAULT false,
    primary_payment_venue boolean NOT NULL DEFAULT false,
    CONSTRAINT payment_gateway_applications_unique UNIQUE (payment_gateway_id, application_id) DEFERRABLE INITIALLY DEFERRED
);

--bun:split

CREATE TABLE payment_gateway_payment_types (
    id                 uuid PRIMARY KEY,
    payment_gateway_id uuid NOT NULL REFERENCES customer_payment_gateways (id) ON DELETE CASCADE,
    position           integer NOT NULL,
    payment_type       text NOT NULL CHECK (btrim(payment_type) <> ''),
    CONSTRAINT payment_gateway_payment_types_unique UNIQUE (payment_gateway_id, payment_type) DEFERRABLE INITIALLY DEFERRED
);

--bun:split

CREATE TABLE convenience_fees (
    id                         uuid PRIMARY KEY,
    payment_gateway_id         uuid NOT NULL REFERENCES customer_payment_gateways (id) ON DELETE CASCADE,
    position                   integer NOT NULL,
    payment_type               text NOT NULL,
    min_range                  numeric(18,2) CHECK (min_range >= 0),
    max_range                  numeric(18,2) CHECK (max_range >= 0),
    fee_amount                 numeric(18,2) CHECK (fee_amount >= 0),
    apply_at_payment_of_boot   boolean,
    apply_at_payment_of_notice boolean,
    apply_at_payment_of_tow    boolean,
    total_payment_amount       numeric(18,2) CHECK (total_payment_amount >= 0),
    apply_convenience_fee      boolean,
    CHECK (min_range <= max_range)
);

CREATE INDEX convenience_fees_gateway_idx ON convenience_fees (payment_gateway_id, position);
