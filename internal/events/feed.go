package events

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/database"
)

// Defaults of a Feed.
const (
	// DefaultPoll is how often a Feed reads the feed without being woken: the longest a change
	// waits when a notification is lost (LISTEN through a pooler in transaction mode, a
	// reconnect).
	DefaultPoll = time.Second
	// batch is how many events one read returns.
	batch = 500
	// inboxSize bounds the events a subscription holds for its consumer; past it, the
	// subscription drops them and catches up from the database at its own pace.
	inboxSize = 256
)

// Feed follows the change feed for one instance and hands every event to its subscriptions.
type Feed struct {
	db        *bun.DB
	listenURL string
	poll      time.Duration
	log       *slog.Logger

	ready   chan struct{} // closed once head is read
	changed chan struct{} // wakes Run when the number of wakeful subscriptions reaches or leaves 0
	mu      sync.Mutex
	head    Cursor
	subs    map[*Subscription]struct{}
	wakeful int   // subscriptions that commits should wake at once (Subscription.Wake)
	err     error // why Run stopped
}

// listenerName is the application_name of a feed's LISTEN connection. While a session of that
// name is open on the database, the server's transactions ask for notifications of their audit
// rows (database.NotifyCommits); otherwise they send none, and the feed learns of commits
// by polling.
const listenerName = "paygql-changes"

// NewFeed returns a feed that reads through db. listenURL is a PostgreSQL URL on which the
// feed LISTENs for commits (a direct connection: a pooler in transaction mode does not keep
// LISTEN); when it is empty, or the connection fails, the feed polls every poll interval only.
func NewFeed(db *bun.DB, listenURL string, poll time.Duration, log *slog.Logger) *Feed {
	if poll <= 0 {
		poll = DefaultPoll
	}
	return &Feed{db: db, listenURL: listenURL, poll: poll, log: log,
		ready: make(chan struct{}), changed: make(chan struct{}, 1), subs: map[*Subscription]struct{}{}}
}

// Run follows the feed until ctx ends.
func (f *Feed) Run(ctx context.Context) error {
	for {
		head, err := Head(ctx, f.db)
		if err == nil {
			f.mu.Lock()
			f.head = head
			f.mu.Unlock()
			close(f.ready)
			break
		}
		f.log.Warn("change feed: cannot read its head; retrying", "error", err)
		select {
		case <-ctx.Done():
			return f.stop(ctx.Err())
		case <-time.After(f.poll):
		}
	}
	wake := make(chan struct{}, 1)
	// The feed LISTENs only while a subscription wants to be woken by commits: a notification
	// costs every writer (see database.NotifyCommits).
	var stopListening context.CancelFunc
	defer func() {
		if stopListening != nil {
			stopListening()
		}
	}()
	tick := time.NewTicker(f.poll)
	defer tick.Stop()
	for {
		if err := f.advance(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("change feed: read failed; retrying", "error", err)
		}
		f.mu.Lock()
		wanted := f.wakeful > 0 && f.listenURL != ""
		f.mu.Unlock()
		switch {
		case wanted && stopListening == nil:
			stopListening = f.startListening(ctx, wake)
		case !wanted && stopListening != nil:
			stopListening()
			stopListening = nil
		}
		select {
		case <-ctx.Done():
			return f.stop(ctx.Err())
		case <-wake:
		case <-f.changed:
		case <-tick.C:
			f.followed(ctx)
		}
	}
}

// followed tells the pool's transactions whether to notify their commits: whether any
// instance's feed LISTENs on this database.
func (f *Feed) followed(ctx context.Context) {
	var any bool
	err := f.db.NewRaw("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?)",
		listenerName).Scan(ctx, &any)
	if err == nil {
		database.NotifyCommits(f.db.DB, any)
	}
}

// stop ends every subscription with err.
func (f *Feed) stop(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
	for s := range f.subs {
		s.push(nil, err)
	}
	return err
}

// advance reads every final event after head and hands each to the subscriptions.
func (f *Feed) advance(ctx context.Context) error {
	for {
		f.mu.Lock()
		head := f.head
		f.mu.Unlock()
		evs, err := Read(ctx, f.db, head, batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		f.mu.Lock()
		f.head = evs[len(evs)-1].Cursor
		for s := range f.subs {
			s.push(evs, nil)
		}
		f.mu.Unlock()
		if len(evs) < batch {
			return nil
		}
	}
}

// startListening runs listen until the returned function is called.
func (f *Feed) startListening(ctx context.Context, wake chan<- struct{}) context.CancelFunc {
	ctx, cancel := context.WithCancel(ctx)
	go f.listen(ctx, wake)
	return cancel
}

// listen wakes the feed on every notification of a commit that wrote audit rows, reconnecting
// after a failure.
func (f *Feed) listen(ctx context.Context, wake chan<- struct{}) {
	if f.listenURL == "" {
		return
	}
	for ctx.Err() == nil {
		err := f.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		f.log.Warn("change feed: LISTEN connection lost; polling until it is back", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(f.poll):
		}
	}
}

func (f *Feed) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	cfg, err := pgx.ParseConfig(f.listenURL)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN audit_log"); err != nil {
		return err
	}
	// This instance's commits notify from now on; the others' once their feed's next poll
	// sees this connection.
	database.NotifyCommits(f.db.DB, true)
	// Commits between the last read and LISTEN were not notified.
	select {
	case wake <- struct{}{}:
	default:
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// Subscribe starts a subscription to the events after the cursor, or, when after is nil, to the
// events that become final from now on. It waits for the feed to start.
func (f *Feed) Subscribe(ctx context.Context, after *Cursor) (*Subscription, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.ready:
	}
	out := make(chan Event)
	s := &Subscription{C: out, out: out, feed: f, wake: make(chan struct{}, 1), done: make(chan struct{})}
	ctx, s.cancel = context.WithCancel(ctx)
	f.mu.Lock()
	if f.err != nil {
		f.mu.Unlock()
		s.cancel()
		return nil, f.err
	}
	f.subs[s] = struct{}{}
	s.wakeful = true
	f.addWakeful(1)
	catchUp := after != nil
	if after != nil {
		s.cursor = *after
	} else {
		s.cursor = f.head
	}
	f.mu.Unlock()
	go s.run(ctx, catchUp)
	return s, nil
}

// Subscription is one consumer's view of the feed: C yields every event after its cursor, in
// feed order, once each, until Close or the feed stops (then C is closed and Err says why).
type Subscription struct {
	C <-chan Event

	out    chan Event
	feed   *Feed
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	inbox []Event
	lost  bool // the inbox overflowed: catch up from the database
	err   error
	wake  chan struct{}

	cursor Cursor // owned by run

	wakeful bool // guarded by the feed's lock
}

// Wake tells whether commits should wake s at once (the default) or may wait for the feed's
// next poll. A feed with no wakeful subscription does not LISTEN, and a database no feed
// LISTENs on is written without notifications, which saves every writer their cost.
func (s *Subscription) Wake(on bool) {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.subs[s]; !ok || s.wakeful == on {
		return
	}
	s.wakeful = on
	if on {
		f.addWakeful(1)
	} else {
		f.addWakeful(-1)
	}
}

// addWakeful counts wakeful subscriptions, and wakes Run when there come to be some or none;
// called with f.mu held.
func (f *Feed) addWakeful(n int) {
	before := f.wakeful
	f.wakeful += n
	if (before == 0) != (f.wakeful == 0) {
		select {
		case f.changed <- struct{}{}:
		default:
		}
	}
}

// push hands events (or the feed's end) to s; called with the feed's lock held.
func (s *Subscription) push(evs []Event, err error) {
	s.mu.Lock()
	switch {
	case err != nil:
		s.err = err
	case s.lost:
	case len(s.inbox)+len(evs) > inboxSize:
		s.lost, s.inbox = true, nil
	default:
		s.inbox = append(s.inbox, evs...)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.cancel()
	<-s.done
}

// Err says why C was closed: nil after Close, the feed's or the database's error otherwise.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(s.err, context.Canceled) {
		return nil
	}
	return s.err
}

func (s *Subscription) run(ctx context.Context, catchUp bool) {
	defer close(s.done)
	defer close(s.out)
	defer func() {
		s.feed.mu.Lock()
		delete(s.feed.subs, s)
		if s.wakeful {
			s.feed.addWakeful(-1)
		}
		s.feed.mu.Unlock()
	}()
	fail := func(err error) {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
	for {
		if catchUp {
			evs, err := Read(ctx, s.feed.db, s.cursor, batch)
			if err != nil {
				fail(err)
				return
			}
			if !s.deliver(ctx, evs) {
				fail(ctx.Err())
				return
			}
			if len(evs) == batch {
				continue
			}
			s.mu.Lock()
			catchUp, s.lost = s.lost, false
			if catchUp {
				s.inbox = nil
			}
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		evs, lost, err := s.inbox, s.lost, s.err
		s.inbox, s.lost = nil, false
		s.mu.Unlock()
		switch {
		case err != nil:
			return
		case lost:
			catchUp = true
			continue
		case !s.deliver(ctx, evs):
			fail(ctx.Err())
			return
		case len(evs) > 0:
			continue
		}
		select {
		case <-ctx.Done():
			fail(ctx.Err())
			return
		case <-s.wake:
		}
	}
}

// deliver sends the events after s's cursor to the consumer; false when ctx ended first.
func (s *Subscription) deliver(ctx context.Context, evs []Event) bool {
	for _, e := range evs {
		if !e.Cursor.After(s.cursor) {
			continue
		}
		select {
		case <-ctx.Done():
			return false
		case s.out <- e:
			s.cursor = e.Cursor
		}
	}
	return true
}
