DROP TRIGGER audit_log_notify ON audit_log;
DROP FUNCTION audit_log_notify();
DROP INDEX audit_log_feed_idx;
ALTER TABLE audit_log DROP COLUMN tx;
