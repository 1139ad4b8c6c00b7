package webhooks

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// claimed is a delivery a worker has claimed, with what sending it needs.
type claimed struct {
	ID          int64      `bun:"id"`
	EndpointID  string     `bun:"endpoint_id"`
	WebhookID   string     `bun:"webhook_id"`
	Payload     string     `bun:"payload"`
	Attempts    int        `bun:"attempts"`
	RetrySince  *time.Time `bun:"retry_since"`
	URL         string     `bun:"url"`
	Secret      []byte     `bun:"secret"`
	Interrupted bool       `bun:"interrupted"`
}

// claim takes the first due delivery whose record has no earlier undelivered version for its
// endpoint, counts the attempt and leases it, and commits; nil when none is due.
func (s *Service) claim(ctx context.Context) (*claimed, error) {
	var c claimed
	err := s.db.NewRaw(`
		WITH next AS (
			SELECT d.id, d.claimed_at IS NOT NULL AS interrupted
			FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.delivered_at IS NULL AND d.next_attempt_at <= now() AND e.disabled_at IS NULL
			  AND NOT EXISTS (
				SELECT 1 FROM webhook_deliveries p
				WHERE p.endpoint_id = d.endpoint_id AND p.entity_id = d.entity_id
				  AND p.delivered_at IS NULL AND p.version < d.version)
			ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED
		)
		UPDATE webhook_deliveries AS d SET
			attempts = d.attempts + 1,
			claimed_at = clock_timestamp(),
			next_attempt_at = clock_timestamp() + ? * interval '1 millisecond',
			last_error = CASE WHEN next.interrupted
				THEN format('attempt %s was interrupted before its outcome was recorded (the server stopped or lost the database); the receiver may have had it', d.attempts)
				ELSE d.last_error END
		FROM next, webhook_endpoints e
		WHERE d.id = next.id AND e.id = d.endpoint_id
		RETURNING d.id, d.endpoint_id, d.webhook_id, d.payload, d.attempts, d.retry_since, e.url, e.secret, next.interrupted`,
		s.opts.Lease.Milliseconds()).Scan(ctx, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim a webhook delivery: %w", err)
	}
	if c.Interrupted {
		s.log.Warn("webhook attempt interrupted earlier, trying again", "delivery", c.ID, "attempt", c.Attempts)
	}
	return &c, nil
}

// outcome is what one attempt came to.
type outcome struct {
	at       time.Time
	status   int // 0 when no answer came
	err      error
	response string
	duration time.Duration
}

// deliver sends the claimed delivery and records the outcome; neither stops when ctx ends,
// so that a delivery under way is not repeated.
func (s *Service) deliver(ctx context.Context, d *claimed) {
	o := s.send(context.WithoutCancel(ctx), d)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.Lease/2)
	defer cancel()
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		err := s.record(rctx, d, o)
		if err == nil {
			break
		}
		if rctx.Err() != nil {
			s.log.Error("webhook outcome not recorded: the database did not answer; the delivery is tried again when its lease ends",
				"delivery", d.ID, "attempt", d.Attempts, "error", err)
			return
		}
		time.Sleep(wait)
	}
	if o.err != nil {
		s.log.Warn("webhook delivery failed", "delivery", d.ID, "endpoint", d.EndpointID, "attempt", d.Attempts,
			"status", o.status, "error", o.err.Error())
	} else {
		s.log.Debug("webhook delivered", "delivery", d.ID, "endpoint", d.EndpointID, "attempt", d.Attempts, "status", o.status)
	}
}

// send POSTs the delivery, signed, and reads the answer up to MaxResponse bytes.
func (s *Service) send(ctx context.Context, d *claimed) (o outcome) {
	o.at = time.Now()
	defer func() { o.duration = time.Since(o.at) }()
	secret, err := s.box.Open(d.Secret)
	if err != nil {
		o.err = errors.New("the endpoint's signing secret cannot be opened (SECRETS_KEY changed?)")
		return o
	}
	sig, err := Sign(secret, d.WebhookID, o.at, []byte(d.Payload))
	if err != nil {
		o.err = err
		return o
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader([]byte(d.Payload)))
	if err != nil {
		o.err = errors.New("the endpoint's url cannot be requested")
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paygql-webhooks/1")
	req.Header.Set(HeaderID, d.WebhookID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(o.at.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	res, err := s.client.Do(req)
	if err != nil {
		o.err = plainError(err)
		return o
	}
	defer res.Body.Close()
	o.status = res.StatusCode
	// A 2xx whose body breaks off still counts: the receiver has answered.
	raw, _ := io.ReadAll(io.LimitReader(res.Body, int64(s.opts.MaxResponse)+1))
	if len(raw) > s.opts.MaxResponse {
		raw = append(raw[:s.opts.MaxResponse], "…"...)
	}
	o.response = strings.ToValidUTF8(string(raw), "\uFFFD")
	switch {
	case res.StatusCode >= 300 && res.StatusCode < 400:
		o.err = fmt.Errorf("HTTP %d: redirects are not followed; give the endpoint its final URL", res.StatusCode)
	case res.StatusCode < 200 || res.StatusCode >= 300:
		o.err = fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return o
}

// plainError is a transport error without the URL, which may carry a partner's token in its
// query string.
func plainError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return errors.New("timed out")
	}
	return errors.New(short(err.Error(), 300))
}

// short cuts s to n bytes, on a rune boundary.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// record writes the outcome of an attempt, unless another worker has claimed the delivery
// since (the attempt counter is the fence). A failure past the retry window disables the
// endpoint, with the reason, in the same transaction.
func (s *Service) record(ctx context.Context, d *claimed, o outcome) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Table("webhook_deliveries").
			Where("id = ? AND attempts = ? AND delivered_at IS NULL", d.ID, d.Attempts).
			Set("claimed_at = NULL").
			Set("last_attempt_at = ?", o.at).
			Set("last_status = ?", nullInt(o.status)).
			Set("last_response = ?", o.response).
			Set("last_duration_ms = ?", o.duration.Milliseconds())
		if o.err == nil {
			_, err := q.Set("delivered_at = clock_timestamp()").Set("last_error = NULL").Exec(ctx)
			return err
		}
		since := o.at
		if d.RetrySince != nil {
			since = *d.RetrySince
		}
		res, err := q.Set("last_error = ?", short(o.err.Error(), 300)).
			Set("retry_since = ?", since).
			Set("next_attempt_at = clock_timestamp() + ? * interval '1 millisecond'", s.backoff(d.Attempts).Milliseconds()).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || time.Since(since) < s.opts.RetryWindow {
			return nil
		}
		reason := fmt.Sprintf("disabled after failing to deliver for %s (since %s, attempt %d); last error: %s",
			s.opts.RetryWindow, since.UTC().Format(time.RFC3339), d.Attempts, short(o.err.Error(), 300))
		_, err = tx.NewRaw(`UPDATE webhook_endpoints SET disabled_at = clock_timestamp(), disabled_reason = ?
			WHERE id = ? AND disabled_at IS NULL`, reason, d.EndpointID).Exec(ctx)
		if err == nil {
			s.log.Warn("webhook endpoint disabled", "endpoint", d.EndpointID, "reason", reason)
		}
		return err
	})
}

func nullInt(v int) *int {
	if v == 0 {
		return nil
	}
	return &v
}

// backoff is the wait after the attempt-th failure: MinBackoff doubled per earlier failure,
// capped at MaxBackoff, drawn from its upper half so that deliveries that failed together
// spread out.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.opts.MinBackoff
	for i := 1; i < attempt && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}
