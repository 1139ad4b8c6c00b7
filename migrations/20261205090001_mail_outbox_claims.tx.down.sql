COMMENT ON COLUMN mail_outbox.next_attempt_at IS NULL;
COMMENT ON COLUMN mail_outbox.attempts IS NULL;
ALTER TABLE mail_outbox DROP COLUMN claimed_at;
