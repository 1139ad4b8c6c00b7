-- The audit log is the change feed: every committed change of the four entities already writes
-- exactly one audit row in its own transaction (none for a dry run, a refused input or a replayed
-- idempotency key), so subscriptions and webhooks read audit rows as events.
--
-- tx is the id of the transaction that wrote the row. A reader orders events by (tx, id) and reads
-- only rows whose transaction is older than every transaction still running
-- (tx < pg_snapshot_xmin(pg_current_snapshot())): such a row is final, and no row can appear later
-- before it in that order, so a cursor (tx, id) misses nothing. A mutation takes its transaction id
-- when it locks the record, so a record's versions follow each other in this order too.
ALTER TABLE audit_log ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();

COMMENT ON COLUMN audit_log.tx IS
    'the writing transaction''s id: events are read in (tx, id) order, once tx is older than every running transaction';

CREATE INDEX audit_log_feed_idx ON audit_log (tx, id);

-- One notification per transaction that wrote audit rows, delivered at commit, wakes the readers
-- of every instance (LISTEN audit_log); they poll too, so a missed notification only delays.
CREATE FUNCTION audit_log_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('audit_log', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_log_notify AFTER INSERT ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_notify();
