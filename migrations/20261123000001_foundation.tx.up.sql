-- Connectors: the banks' virtual-POS integrations (reference data).
CREATE TABLE connectors (
    id   uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL
);

INSERT INTO connectors (id, code, name) VALUES
    ('0b1e0000-0000-4000-8000-000000000001', 'GARANTI',   'Garanti BBVA'),
    ('0b1e0000-0000-4000-8000-000000000002', 'AKBANK',    'Akbank'),
    ('0b1e0000-0000-4000-8000-000000000003', 'ISBANK',    'Türkiye İş Bankası'),
    ('0b1e0000-0000-4000-8000-000000000004', 'YAPIKREDI', 'Yapı Kredi'),
    ('0b1e0000-0000-4000-8000-000000000005', 'ZIRAAT',    'Ziraat Bankası'),
    ('0b1e0000-0000-4000-8000-000000000006', 'HALKBANK',  'Halkbank'),
    ('0b1e0000-0000-4000-8000-000000000007', 'VAKIFBANK', 'VakıfBank'),
    ('0b1e0000-0000-4000-8000-000000000008', 'QNB',       'QNB'),
    ('0b1e0000-0000-4000-8000-000000000009', 'DENIZBANK', 'DenizBank');

--bun:split

-- Secrets (api_key, secret_key, password, extra_credentials) hold AES-256-GCM ciphertext.
CREATE TABLE connector_configurations (
    id                          uuid PRIMARY KEY,
    connector_id                uuid NOT NULL REFERENCES connectors (id),
    name                        text CHECK (char_length(name) BETWEEN 1 AND 200),
    mode                        text NOT NULL DEFAULT 'TEST' CHECK (mode IN ('TEST', 'PRODUCTION')),
    api_key                     bytea,
    secret_key                  bytea,
    username                    text,
    password                    bytea,
    terminal_id                 text,
    store_id                    text,
    api_endpoint_url            text,
    three_d_secure_endpoint_url text,
    extra_credentials           bytea,
    bank_code                   text,
    priority                    integer NOT NULL DEFAULT 0 CHECK (priority >= 0),
    is_active                   boolean NOT NULL DEFAULT true,
    extra_properties_dict       jsonb NOT NULL DEFAULT '{}'
                                CHECK (jsonb_typeof(extra_properties_dict) = 'object'),
    version                     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX connector_configurations_connector_id_idx ON connector_configurations (connector_id, id);

--bun:split

-- One row per committed change of any record; changes never hold secrets.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    entity_type text NOT NULL,
    entity_id   text NOT NULL,
    version     integer NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    changes     jsonb NOT NULL
);

CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, version DESC);
