-- Sub-dealers of a main dealer and their users. A sub-dealer's code is its key in the API and
-- may be renamed; id is its stable identity (the audit trail's key). code, erp_code and a
-- user's code are unique; the users' is deferred to commit so that one request may swap codes
-- between two users.
CREATE TABLE sub_dealers (
    id                                uuid PRIMARY KEY,
    main_dealer_code                  text NOT NULL CHECK (btrim(main_dealer_code) <> ''),
    code                              text NOT NULL CHECK (btrim(code) <> ''),
    erp_code                          text NOT NULL CHECK (btrim(erp_code) <> ''),
    name                              text NOT NULL CHECK (btrim(name) <> ''),
    is_individual                     boolean NOT NULL,
    is_foreign_national               boolean NOT NULL DEFAULT false,
    address                           text,
    city_code                         text,
    district_code                     text,
    country_code                      text NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    currency_code                     text CHECK (currency_code ~ '^[A-Z]{3}$'),
    phone                             text,
    tax_number                        text,
    tax_office                        text,
    parent_tenant_id                  uuid,
    payment_ex_currency_type          text,
    payment_set_definition_id         uuid,
    usable_payment_set_definition_ids uuid[] NOT NULL DEFAULT '{}',
    customer_representative_ids       uuid[] NOT NULL DEFAULT '{}',
    version                           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                        timestamptz NOT NULL DEFAULT now(),
    updated_at                        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sub_dealers_code_key UNIQUE (code),
    CONSTRAINT sub_dealers_erp_code_key UNIQUE (erp_code),
    CHECK (is_individual OR (tax_number IS NOT NULL AND tax_office IS NOT NULL)),
    CHECK (payment_set_definition_id IS NULL OR payment_set_definition_id = ANY (usable_payment_set_definition_ids))
);

CREATE INDEX sub_dealers_main_dealer_idx ON sub_dealers (main_dealer_code, id);

--bun:split

CREATE TABLE sub_dealer_users (
    id                       uuid PRIMARY KEY,
    sub_dealer_id            uuid NOT NULL REFERENCES sub_dealers (id) ON DELETE CASCADE,
    position                 integer NOT NULL,
    code                     text NOT NULL CHECK (btrim(code) <> ''),
    name                     text NOT NULL CHECK (btrim(name) <> ''),
    surname                  text NOT NULL CHECK (btrim(surname) <> ''),
    email                    text NOT NULL,
    gsm                      text NOT NULL,
    title                    text,
    description              text,
    erp_code                 text,
    is_active                boolean NOT NULL DEFAULT true,
    is_individual            boolean,
    is_foreign_national      boolean,
    payment_ex_currency_type text,
    roles                    uuid[] NOT NULL DEFAULT '{}',
    rule_names               text[] NOT NULL DEFAULT '{}',
    tax_number               text,
    tax_office               text,
    can_use_mobile           boolean NOT NULL DEFAULT false,
    user_type                integer,
    CONSTRAINT sub_dealer_users_code_key UNIQUE (code) DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX sub_dealer_users_sub_dealer_idx ON sub_dealer_users (sub_dealer_id, position);
