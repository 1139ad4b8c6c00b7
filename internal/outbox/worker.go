package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// DefaultLease is the least time a claimed mail stays reserved for the worker that claimed it.
const DefaultLease = 5 * time.Minute

// Options tune a Worker. Zero fields take the defaults shown.
type Options struct {
	PollInterval time.Duration // pause between looks for due mail once none is left; 5s
	MaxAttempts  int           // failed attempts before a mail is given up (failed_at); 10
	MinBackoff   time.Duration // wait after the first failure, doubled after each further one; 30s
	MaxBackoff   time.Duration // cap on that wait; 1h
	// Lease is how long a claimed mail is kept from other workers while its send is under
	// way; a mail whose worker died is tried again when it ends. It must outlast any send:
	// DefaultLease, or twice the sender's MaxSendDuration when that is longer.
	Lease time.Duration
}

// boundedSender is a Sender that knows how long one send can take at most.
type boundedSender interface {
	MaxSendDuration() time.Duration
}

func (o Options) withDefaults(sender Sender) Options {
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(time.Hour, o.MinBackoff)
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
		if s, ok := sender.(boundedSender); ok {
			o.Lease = max(o.Lease, 2*s.MaxSendDuration())
		}
	}
	return o
}

// recordGrace bounds how long a worker that is being stopped keeps trying to record the
// outcome of its last send while the database does not answer.
const recordGrace = 5 * time.Second

// firstRecordRetry is the pause before recording an outcome again, doubled up to 2s.
const firstRecordRetry = 50 * time.Millisecond

// Worker delivers the outbox, one mail at a time, and holds no transaction or row lock while
// it talks to the mail server:
//
//  1. claim: one statement takes the first due mail with FOR UPDATE SKIP LOCKED, counts the
//     attempt, marks it under way (claimed_at) and moves next_attempt_at to the end of a lease,
//     and commits, so that no other worker, in this process or another, takes it meanwhile;
//  2. send it;
//  3. record: one statement sets sent_at as soon as the server has accepted the mail (or the
//     error and the next attempt's time), retried while the database does not answer.
//
// So a crash (kill -9, a lost database) repeats at most the one mail in flight, when its lease
// ends, with the same Message-ID; the repeat's claim notes the interrupted attempt in
// last_error, and attempts counts it.
type Worker struct {
	db     *bun.DB
	sender Sender
	logger *slog.Logger
	opts   Options
}

// NewWorker returns a worker delivering the outbox of db through sender; a nil logger means
// slog.Default().
func NewWorker(db *bun.DB, sender Sender, logger *slog.Logger, opts Options) *Worker {
	if logger == nil {
		logger = slog.Default()
	}
	return &Worker{db: db, sender: sender, logger: logger, opts: opts.withDefaults(sender)}
}

// Run delivers due mail at once and then every poll interval until ctx ends. It stops between
// mails: a send under way when ctx ends is finished and recorded, the next one is not begun.
// Database errors are logged and retried at the next poll.
func (w *Worker) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if _, err := w.deliverDue(ctx); err != nil {
			w.logger.Warn("mail outbox: poll failed", "error", err)
		}
		timer.Reset(w.opts.PollInterval)
	}
}

// deliverDue sends due mails one by one until none is due or ctx ends, and returns how many
// it claimed.
func (w *Worker) deliverDue(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		m, leaseEnd, err := w.claim(context.WithoutCancel(ctx))
		if err != nil || m == nil {
			return n, err
		}
		n++
		w.deliver(ctx, m, leaseEnd)
	}
	return n, nil
}

// claimed is a claimed mail and whether its previous attempt was interrupted.
type claimed struct {
	Message     `bun:",extend"`
	Interrupted bool `bun:"interrupted"`
}

// claim takes the first due mail for this worker, counting the attempt, and commits; nil when
// none is due. leaseEnd is, on this machine's clock, no later than the lease's end.
func (w *Worker) claim(ctx context.Context) (m *Message, leaseEnd time.Time, err error) {
	began := time.Now()
	var c claimed
	err = w.db.NewRaw(`
		WITH next AS (
			SELECT id, claimed_at IS NOT NULL AS interrupted FROM mail_outbox
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
		)
		UPDATE mail_outbox AS m SET
			attempts = m.attempts + 1,
			claimed_at = clock_timestamp(),
			next_attempt_at = clock_timestamp() + ? * interval '1 millisecond',
			last_error = CASE WHEN next.interrupted
				THEN format('attempt %s was interrupted before its outcome was recorded (the worker stopped or lost the database); the mail may have gone out', m.attempts)
				ELSE m.last_error END
		FROM next WHERE m.id = next.id
		RETURNING m.*, next.interrupted`, w.opts.Lease.Milliseconds()).Scan(ctx, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("claim mail: %w", err)
	}
	if c.Interrupted {
		w.logger.Warn("mail attempt interrupted earlier, trying again", "id", c.ID, "kind", c.Kind, "attempt", c.Attempts)
	}
	return &c.Message, began.Add(w.opts.Lease), nil
}

// deliver sends the claimed mail m and records the outcome. Neither stops when ctx ends: a
// send under way is finished, and its outcome recorded, so that it is not repeated.
func (w *Worker) deliver(ctx context.Context, m *Message, leaseEnd time.Time) {
	sendErr := w.sender.Send(context.WithoutCancel(ctx), m)
	if !w.recordRetrying(ctx, m, sendErr, leaseEnd) {
		return
	}
	switch {
	case sendErr == nil:
		w.logger.Info("mail sent", "id", m.ID, "kind", m.Kind, "recipient_domain", domain(m.Recipient), "attempt", m.Attempts)
	case m.Attempts >= w.opts.MaxAttempts:
		w.logger.Error("mail given up", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "error", shortError(sendErr))
	default:
		w.logger.Warn("mail delivery failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "error", shortError(sendErr))
	}
}

// recordRetrying records the outcome of m's attempt, trying again while the database does not
// answer (a restart, a lost connection), until the lease ends or, once ctx has ended, for
// recordGrace more. It reports whether the outcome was recorded.
func (w *Worker) recordRetrying(ctx context.Context, m *Message, sendErr error, leaseEnd time.Time) bool {
	rctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), leaseEnd)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(recordGrace, cancel) })
	defer stop()
	for wait := firstRecordRetry; ; wait = min(2*wait, 2*time.Second) {
		recorded, err := w.record(rctx, m, sendErr)
		switch {
		case err == nil && !recorded:
			// The lease ended during the send and another worker claimed the mail again.
			w.logger.Warn("mail outcome not recorded: the lease ended during the send", "id", m.ID, "attempt", m.Attempts, "sent", sendErr == nil)
			return false
		case err == nil:
			return true
		case wait == firstRecordRetry:
			w.logger.Warn("mail outcome not recorded yet, retrying until the lease ends", "id", m.ID, "attempt", m.Attempts, "sent", sendErr == nil, "error", err)
		}
		select {
		case <-rctx.Done():
			w.logger.Error("mail outcome not recorded: the database did not answer; the mail is tried again when its lease ends",
				"id", m.ID, "attempt", m.Attempts, "sent", sendErr == nil, "error", err)
			return false
		case <-time.After(wait):
		}
	}
}

// record writes the outcome of m's attempt, unless another worker has claimed m since (the
// attempt counter is the fence), and reports whether it did.
func (w *Worker) record(ctx context.Context, m *Message, sendErr error) (bool, error) {
	q := w.db.NewUpdate().Model((*Message)(nil)).
		Where("id = ? AND attempts = ? AND sent_at IS NULL", m.ID, m.Attempts).
		Set("claimed_at = NULL")
	if sendErr == nil {
		q = q.Set("sent_at = clock_timestamp()")
	} else {
		q = q.Set("last_error = ?", shortError(sendErr))
		if m.Attempts >= w.opts.MaxAttempts {
			q = q.Set("failed_at = clock_timestamp()")
		} else {
			q = q.Set("next_attempt_at = clock_timestamp() + ? * interval '1 millisecond'", w.backoff(m.Attempts).Milliseconds())
		}
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("record mail %d: %w", m.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// backoff is the wait after the attempt-th failure: MinBackoff doubled per earlier failure,
// capped at MaxBackoff, then drawn from its upper half so that mails failed together spread.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opts.MinBackoff
	for i := 1; i < attempt && d < w.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.opts.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// shortError is err on one line, at most 300 bytes: enough to tell a refused login from a full
// mailbox, small enough for a column and a log line.
func shortError(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:297], "") + "..."
	}
	return s
}
