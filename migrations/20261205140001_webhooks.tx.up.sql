-- Webhook endpoints that partners manage by mutation, and one delivery row per event and
-- endpoint, written by whichever instance holds the dispatch cursor and sent through the same
-- claim / send / record cycle as the mail outbox (internal/webhooks).
CREATE TABLE webhook_endpoints (
    id                 uuid PRIMARY KEY,
    url                text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    description        text CHECK (char_length(description) <= 500),
    entity_types       text[] NOT NULL CHECK (cardinality(entity_types) > 0),
    -- Optional filters: {"dealerCode": …, "mainDealerCode": …, "customerId": …, "connectorId": …}.
    filters            jsonb NOT NULL DEFAULT '{}',
    -- The scope of the caller who created or last changed the endpoint: an event about a record
    -- outside it is never delivered.
    owner              text NOT NULL,
    scope_admin        boolean NOT NULL,
    scope_customer_ids text[] NOT NULL DEFAULT '{}',
    scope_dealer_codes text[] NOT NULL DEFAULT '{}',
    -- The signing secret, sealed with SECRETS_KEY (internal/secrets).
    secret             bytea NOT NULL,
    -- Events of transactions up to this one are not for this endpoint: it hears of changes
    -- made after it was created.
    after_tx           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    disabled_at        timestamptz,
    disabled_reason    text
);

-- The dispatch cursor: the last event turned into deliveries. One row, locked FOR UPDATE SKIP
-- LOCKED by the instance that dispatches, advanced in the transaction that writes the
-- deliveries, so that each event reaches each endpoint once whichever instances run.
CREATE TABLE webhook_dispatch (
    id       integer PRIMARY KEY CHECK (id = 1),
    tx       xid8 NOT NULL,
    audit_id bigint NOT NULL
);

-- The row is written by the first dispatch (internal/webhooks), at the newest final event:
-- history from before webhooks ran is not dispatched.

CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         bigint NOT NULL,          -- the audit row
    event_tx         xid8 NOT NULL,
    webhook_id       text NOT NULL,            -- Standard Webhooks' webhook-id: the event's stable id
    event_type       text NOT NULL,            -- e.g. devicePurchaseOrder.updated
    entity_type      text NOT NULL,
    entity_id        text NOT NULL,
    version          integer NOT NULL,
    payload          text NOT NULL,            -- the exact body sent, the same on every attempt
    created_at       timestamptz NOT NULL DEFAULT now(),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    claimed_at       timestamptz,              -- an attempt is under way
    delivered_at     timestamptz,
    retry_since      timestamptz,              -- the first failure since the endpoint was (re-)enabled
    last_attempt_at  timestamptz,
    last_status      integer,
    last_error       text,
    last_response    text,                     -- the receiver's answer, truncated
    last_duration_ms integer,
    UNIQUE (endpoint_id, event_id)
);

COMMENT ON COLUMN webhook_deliveries.next_attempt_at IS
    'when the delivery is next due; while an attempt is under way, the end of its lease';

CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
-- A delivery waits while an earlier version of its record is undelivered to its endpoint.
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (endpoint_id, entity_id, version) WHERE delivered_at IS NULL;
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, id DESC);
