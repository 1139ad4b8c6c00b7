-- A notification serializes the commits of every session that sends one: PostgreSQL queues
-- notifications under one lock, held from the commit's start to its end. Most of the time no
-- instance follows the change feed (no subscription open, no webhook endpoint enabled), and
-- then a notification only slows every write down. So the audit log notifies only in a
-- transaction that asks for it, which the server's transactions do while some instance
-- LISTENs (set_config('paygql.notify', 'on', true) with their timeouts). A change written
-- without it (psql, another tool, a server that has not yet seen the listener) reaches the
-- feed at its next poll.
CREATE OR REPLACE FUNCTION audit_log_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('paygql.notify', true) = 'on' THEN
        PERFORM pg_notify('audit_log', '');
    END IF;
    RETURN NULL;
END
$$;
