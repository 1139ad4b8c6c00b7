-- Idempotency keys: the result of a mutation sent with `idempotencyKey`, kept per caller (the
-- token's sub) until expires_at, so that a retry with the same key and input gets the first
-- result again without writing twice (models/idempotency.go). A row is written in the
-- mutation's own transaction; concurrent requests with one key wait for each other on the
-- primary key, on whichever server instance they run. result is null only while the claiming
-- transaction is open. request_hash is the SHA-256 of the operation and its canonical input.
CREATE TABLE idempotency_keys (
    actor           text NOT NULL,
    idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
    operation       text NOT NULL,
    request_hash    bytea NOT NULL,
    result          json,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (actor, idempotency_key)
);

CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
