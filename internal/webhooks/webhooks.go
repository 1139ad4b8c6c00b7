// Package webhooks delivers the change feed (internal/events) to the partners' webhook
// endpoints, signed as the Standard Webhooks specification says.
//
// Two steps, each decided in the database so that any number of instances can run them:
//
//  1. dispatch: whichever instance locks the one-row dispatch cursor (FOR UPDATE SKIP LOCKED,
//     a transaction's lock: nothing outlives it behind PgBouncer) reads the events after it,
//     writes one delivery row per event and endpoint that hears of it (unique per endpoint and
//     event), and moves the cursor, in one transaction: each event reaches each endpoint once;
//  2. deliver: a worker claims one due delivery with a lease and commits, POSTs it with no
//     transaction open, and records the outcome at once, as the mail outbox does
//     (internal/outbox): a crash repeats at most the delivery in flight, with the same
//     webhook-id. A delivery waits while an earlier version of its record is undelivered to
//     its endpoint, so that each endpoint hears of a record's changes in order.
//
// A failed delivery is retried with exponential backoff and jitter; when one has failed for
// the whole retry window, its endpoint is disabled with a reason that the API shows.
package webhooks

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/events"
	"github.com/payplat/paygql/internal/netguard"
	"github.com/payplat/paygql/internal/secrets"
)

// Options tune the webhooks. Zero fields take the defaults shown.
type Options struct {
	// Policy says which addresses may be dialled (the zero Policy: public https only).
	Policy netguard.Policy
	// Timeout bounds one delivery: connecting, sending and reading the answer; 10s.
	Timeout time.Duration
	// RetryWindow is how long a delivery is retried before its endpoint is disabled; 72h.
	RetryWindow time.Duration
	// MinBackoff is the wait after a first failure, doubled after each further one up to
	// MaxBackoff, then drawn from its upper half; 30s and 1h.
	MinBackoff, MaxBackoff time.Duration
	// Poll is how often the dispatcher and the workers look for work without being woken; 1s.
	Poll time.Duration
	// Workers is how many deliveries one instance sends at once; 4.
	Workers int
	// Lease is how long a claimed delivery is kept from other workers; 2×Timeout + 30s.
	Lease time.Duration
	// MaxResponse is how much of a receiver's answer is read and kept; 4 KiB.
	MaxResponse int
	// TLS, when set, is the client's TLS configuration (tests trust their receiver's CA);
	// otherwise the system's roots, which SSL_CERT_FILE and SSL_CERT_DIR extend.
	TLS *tls.Config
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 10*time.Second)
	def(&o.RetryWindow, 72*time.Hour)
	def(&o.MinBackoff, 30*time.Second)
	def(&o.MaxBackoff, time.Hour)
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	def(&o.Poll, time.Second)
	def(&o.Lease, 2*o.Timeout+30*time.Second)
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MaxResponse <= 0 {
		o.MaxResponse = 4 << 10
	}
	return o
}

// Service dispatches and delivers webhooks for one instance.
type Service struct {
	db     *bun.DB
	box    *secrets.Box
	feed   *events.Feed
	log    *slog.Logger
	opts   Options
	client *http.Client
	work   chan struct{} // wakes the workers after a dispatch
	// noEndpoints: the last dispatch found no enabled endpoint, so commits wake no dispatch.
	noEndpoints atomic.Bool
}

// New returns the webhook service of an instance. feed, when not nil, wakes the dispatcher as
// soon as a change commits; without it the dispatcher polls.
func New(db *bun.DB, box *secrets.Box, feed *events.Feed, log *slog.Logger, opts Options) *Service {
	opts = opts.withDefaults()
	if log == nil {
		log = slog.Default()
	}
	transport := &http.Transport{
		// No proxy from the environment: it would dial the receiver's address in our stead,
		// past the dialer's check.
		Proxy:                 nil,
		DialContext:           opts.Policy.DialContext(opts.Timeout),
		TLSClientConfig:       opts.TLS,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   opts.Timeout,
		// A redirect is not followed: it is a failed delivery (it could point anywhere).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Service{db: db, box: box, feed: feed, log: log, opts: opts, client: client, work: make(chan struct{}, 1)}
}

// Run dispatches and delivers until ctx ends; a delivery under way is finished and recorded.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.runDispatcher(ctx) })
	for range s.opts.Workers {
		wg.Go(func() { s.runWorker(ctx) })
	}
	wg.Wait()
}

// runDispatcher dispatches whenever the feed hears of a commit, and every poll interval.
func (s *Service) runDispatcher(ctx context.Context) {
	var wake <-chan events.Event
	var sub *events.Subscription
	if s.feed != nil {
		var err error
		if sub, err = s.feed.Subscribe(ctx, nil); err == nil {
			defer sub.Close()
			wake = sub.C
		} else {
			s.log.Warn("webhooks: cannot follow the change feed; polling", "error", err)
		}
	}
	tick := time.NewTicker(s.opts.Poll)
	defer tick.Stop()
	cursor := false
	skip := false
	ticks := 0
	for {
		for !skip {
			if !cursor {
				if err := s.ensureCursor(ctx); err != nil {
					if ctx.Err() == nil {
						s.log.Warn("webhooks: dispatch failed; retrying", "error", err)
					}
					break
				}
				cursor = true
			}
			n, err := s.dispatch(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("webhooks: dispatch failed; retrying", "error", err)
				}
				break
			}
			if n > 0 {
				s.wakeWorkers()
			}
			if n < dispatchBatch {
				break
			}
		}
		if sub != nil {
			// Without an enabled endpoint, commits need not wake the dispatcher: nor, unless
			// a subscription is open, notify at all.
			sub.Wake(!s.noEndpoints.Load())
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-wake:
			if !ok {
				wake = nil
			}
			drain(wake)
			// Without an enabled endpoint a commit needs no dispatch: the next tick moves the
			// cursor (an endpoint hears only of changes after its creation, after_tx), so a
			// deployment without webhooks pays nothing per commit.
			skip = s.noEndpoints.Load()
		case <-tick.C:
			// Without an enabled endpoint, a tick asks whether one was created (one small
			// statement) and moves the cursor only once a minute.
			ticks++
			skip = s.noEndpoints.Load() && ticks%60 != 0 && !s.anyEndpoint(ctx)
		}
	}
}

// anyEndpoint tells whether an enabled endpoint exists (true when it cannot tell).
func (s *Service) anyEndpoint(ctx context.Context) bool {
	var ok bool
	if err := s.db.NewRaw("SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE disabled_at IS NULL)").Scan(ctx, &ok); err != nil {
		return true
	}
	return ok
}

// drain takes the events waiting in c: one dispatch reads them all.
func drain(c <-chan events.Event) {
	for range cap(c) + 64 {
		select {
		case <-c:
		default:
			return
		}
	}
}

func (s *Service) wakeWorkers() {
	select {
	case s.work <- struct{}{}:
	default:
	}
}

// runWorker delivers due deliveries one at a time until ctx ends.
func (s *Service) runWorker(ctx context.Context) {
	tick := time.NewTicker(s.opts.Poll)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			d, err := s.claim(context.WithoutCancel(ctx))
			if err != nil {
				s.log.Warn("webhooks: claim failed", "error", err)
				break
			}
			if d == nil {
				break
			}
			// Another worker may find the next one while this one sends.
			s.wakeWorkers()
			s.deliver(ctx, d)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.work:
		case <-tick.C:
		}
	}
}
