package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Options tune a Worker. Zero fields take the defaults shown.
type Options struct {
	PollInterval time.Duration // pause between looks for due mail when the last found less than a batch; 5s
	BatchSize    int           // mails claimed per transaction; 10
	MaxAttempts  int           // failed attempts before a mail is given up (failed_at); 10
	MinBackoff   time.Duration // wait after the first failure, doubled after each further one; 30s
	MaxBackoff   time.Duration // cap on that wait; 1h
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10
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
	return o
}

// Worker delivers the outbox. Any number of workers, in one process or in several, may run on
// one database: each claims its rows with FOR UPDATE SKIP LOCKED and records the outcome in
// the same transaction, so a mail is sent by one worker only. Only a crash (or a lost
// database) between a send and its commit sends that mail again, with the same Message-ID.
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
	return &Worker{db: db, sender: sender, logger: logger, opts: opts.withDefaults()}
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
		for ctx.Err() == nil {
			n, err := w.deliverBatch(ctx)
			if err != nil {
				w.logger.Warn("mail outbox: poll failed", "error", err)
			}
			if err != nil || n < w.opts.BatchSize {
				break
			}
		}
		timer.Reset(w.opts.PollInterval)
	}
}

// deliverBatch claims up to BatchSize due mails, sends them and records each outcome, all in
// one transaction, and returns how many it claimed. The transaction does not end with ctx:
// rolling back after a send would forget that the mail went out.
func (w *Worker) deliverBatch(ctx context.Context) (int, error) {
	txCtx := context.WithoutCancel(ctx)
	var claimed int
	err := w.db.RunInTx(txCtx, nil, func(txCtx context.Context, tx bun.Tx) error {
		var msgs []*Message
		err := tx.NewSelect().Model(&msgs).
			Where("sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()").
			OrderExpr("id").Limit(int64(w.opts.BatchSize)).For("UPDATE SKIP LOCKED").
			Scan(txCtx)
		if err != nil {
			return fmt.Errorf("claim mail: %w", err)
		}
		claimed = len(msgs)
		for _, m := range msgs {
			if ctx.Err() != nil {
				return nil // the rest stay due, unlocked at commit
			}
			if err := w.deliver(txCtx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	return claimed, err
}

// deliver sends m and records the outcome in tx.
func (w *Worker) deliver(ctx context.Context, tx bun.Tx, m *Message) error {
	sendErr := w.sender.Send(ctx, m)
	attempt := m.Attempts + 1
	q := tx.NewUpdate().Model(m).WherePK().Set("attempts = ?", attempt)
	if sendErr == nil {
		q = q.Set("sent_at = clock_timestamp()")
	} else {
		q = q.Set("last_error = ?", shortError(sendErr))
		if attempt >= w.opts.MaxAttempts {
			q = q.Set("failed_at = clock_timestamp()")
		} else {
			q = q.Set("next_attempt_at = clock_timestamp() + ? * interval '1 millisecond'", w.backoff(attempt).Milliseconds())
		}
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("record mail %d: %w", m.ID, err)
	}
	switch {
	case sendErr == nil:
		w.logger.Info("mail sent", "id", m.ID, "kind", m.Kind, "recipient_domain", domain(m.Recipient), "attempt", attempt)
	case attempt >= w.opts.MaxAttempts:
		w.logger.Error("mail given up", "id", m.ID, "kind", m.Kind, "attempt", attempt, "error", shortError(sendErr))
	default:
		w.logger.Warn("mail delivery failed", "id", m.ID, "kind", m.Kind, "attempt", attempt, "error", shortError(sendErr))
	}
	return nil
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
