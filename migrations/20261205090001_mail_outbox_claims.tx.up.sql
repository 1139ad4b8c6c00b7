-- Each mail is claimed on its own before it is sent, and its outcome recorded on its own as soon
-- as the SMTP server answers, so that a crash repeats at most the one mail in flight. A claim
-- counts the attempt at once and moves next_attempt_at to the end of a lease, which keeps other
-- workers off the mail while no row lock is held during the SMTP session; claimed_at marks the
-- attempt as under way until its outcome is recorded.
ALTER TABLE mail_outbox ADD COLUMN claimed_at timestamptz;

COMMENT ON COLUMN mail_outbox.claimed_at IS
    'when the attempt under way began; NULL when no attempt is under way. Still set when the mail is claimed again: that attempt was interrupted (its outcome unknown, the mail may have gone out)';
COMMENT ON COLUMN mail_outbox.attempts IS
    'attempts begun, counted when the mail is claimed: an attempt a crash interrupted counts too';
COMMENT ON COLUMN mail_outbox.next_attempt_at IS
    'when the mail is next due; while an attempt is under way, the end of its lease';
