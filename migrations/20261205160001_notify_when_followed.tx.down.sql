CREATE OR REPLACE FUNCTION audit_log_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('audit_log', '');
    RETURN NULL;
END
$$;
