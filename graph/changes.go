package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/payplat/paygql/internal/events"
	"github.com/payplat/paygql/models"
)

// ChangeOptions bounds what the change subscriptions of one instance hold.
type ChangeOptions struct {
	// MaxConnections bounds the open WebSocket connections of one token subject.
	MaxConnections int
	// MaxSubscriptions bounds the running subscriptions of one token subject, over all of its
	// connections.
	MaxSubscriptions int
}

// DefaultChangeOptions are the limits used unless configured otherwise.
var DefaultChangeOptions = ChangeOptions{MaxConnections: 16, MaxSubscriptions: 64}

// Error codes of change subscriptions.
const (
	codeTooManySubscriptions = "TOO_MANY_SUBSCRIPTIONS"
	codeFeedUnavailable      = "SERVICE_UNAVAILABLE"
)

// errNoSubscriptions answers a subscription on a handler built without Changes.
var errNoSubscriptions = errors.New("subscriptions are not served here: connect by WebSocket to /query")

// recordCacheSize bounds the records Changes keeps for subscribers that deliver the same event.
const recordCacheSize = 1024

// recordReadTimeout bounds one read of a changed record, which subscribers share.
const recordReadTimeout = 10 * time.Second

// Changes serves the change subscriptions of one instance: one events.Feed for all of them,
// each changed record read once per event and shared by the subscribers that deliver it, and
// the limits per token subject.
type Changes struct {
	feed  *events.Feed
	store *models.Store
	log   *slog.Logger
	opt   ChangeOptions

	mu       sync.Mutex
	records  map[events.Cursor]*sharedRecord
	fifo     []events.Cursor // records in the order they were read, to evict the oldest
	conns    map[string]int  // open connections by token subject
	subs     map[string]int  // running subscriptions by token subject
	open     map[*stream]struct{}
	stopping bool
}

// sharedRecord is one read of a changed record, done once for every subscriber.
type sharedRecord struct {
	done chan struct{}
	rec  any
	err  error
}

// NewChanges returns the change subscriptions of an instance, reading events from feed and
// records through store.
func NewChanges(feed *events.Feed, store *models.Store, log *slog.Logger, opt ChangeOptions) *Changes {
	if opt.MaxConnections <= 0 {
		opt.MaxConnections = DefaultChangeOptions.MaxConnections
	}
	if opt.MaxSubscriptions <= 0 {
		opt.MaxSubscriptions = DefaultChangeOptions.MaxSubscriptions
	}
	if log == nil {
		log = slog.Default()
	}
	return &Changes{feed: feed, store: store, log: log, opt: opt,
		records: map[events.Cursor]*sharedRecord{}, conns: map[string]int{}, subs: map[string]int{},
		open: map[*stream]struct{}{}}
}

// record returns the record that e changed, read once for all the subscribers that deliver e.
func (c *Changes) record(ctx context.Context, e events.Event) (any, error) {
	c.mu.Lock()
	r := c.records[e.Cursor]
	if r == nil {
		r = &sharedRecord{done: make(chan struct{})}
		c.records[e.Cursor] = r
		c.fifo = append(c.fifo, e.Cursor)
		if len(c.fifo) > recordCacheSize {
			delete(c.records, c.fifo[0])
			c.fifo = slices.Delete(c.fifo, 0, 1)
		}
		c.mu.Unlock()
		go c.read(r, e)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-r.done:
		return r.rec, r.err
	}
}

// read reads e's record into r, on its own deadline: a subscriber that leaves must not fail
// the read for the others. A failed read is forgotten, so the next subscriber tries again.
func (c *Changes) read(r *sharedRecord, e events.Event) {
	defer close(r.done)
	id, err := uuid.Parse(e.EntityID)
	if err != nil {
		r.err = fmt.Errorf("event %s: entity id %q: %w", e.Cursor, e.EntityID, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordReadTimeout)
	defer cancel()
	r.rec, r.err = c.store.ChangedRecord(ctx, e.EntityType, id)
	if r.err != nil && !errors.Is(r.err, models.ErrNotFound) {
		c.mu.Lock()
		if c.records[e.Cursor] == r {
			delete(c.records, e.Cursor)
		}
		c.mu.Unlock()
	}
}

// acquire counts a subscription of subject, or refuses it over the limit.
func (c *Changes) acquire(subject string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs[subject] >= c.opt.MaxSubscriptions {
		return limitError(codeTooManySubscriptions,
			"too many subscriptions: this token's subject already runs %d on this server, the most it may; complete one first",
			c.opt.MaxSubscriptions)
	}
	c.subs[subject]++
	return nil
}

func (c *Changes) release(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs[subject]--; c.subs[subject] <= 0 {
		delete(c.subs, subject)
	}
}

// eventOf is what a subscriber hears of e besides the record.
func eventOf(e events.Event) models.ChangeEvent {
	ev := models.ChangeEvent{
		Cursor: e.Cursor.String(), Action: models.ActionOf(e.Action), Version: e.Version,
		ChangedFields: changedFields(e), At: e.At.UTC(),
	}
	if e.Actor != "" {
		ev.Actor = &e.Actor
	}
	return ev
}

// watch runs a subscription to the changes of entity (only the record id, when given) after
// the cursor after (from now on when nil). For each change, deliver gets the record as read on
// delivery and returns the payload, or nil when the caller may not hear of it (scope, filters).
func watch[R any, P any](ctx context.Context, c *Changes, entity string, id *uuid.UUID, after *string,
	deliver func(models.ChangeEvent, R) *P,
) (<-chan *P, error) {
	p, err := authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNoSubscriptions
	}
	var from *events.Cursor
	if after != nil {
		cur, err := events.ParseCursor(*after)
		if err != nil {
			return nil, models.BadArgument("after", err)
		}
		from = &cur
	}
	if err := c.acquire(p.Subject); err != nil {
		return nil, err
	}
	sub, err := c.feed.Subscribe(ctx, from)
	if err != nil {
		c.release(p.Subject)
		return nil, err
	}
	out := make(chan *P)
	go func() {
		defer c.release(p.Subject)
		defer close(out)
		defer sub.Close()
		for e := range sub.C {
			if e.EntityType != entity || id != nil && e.EntityID != id.String() {
				continue
			}
			rec, err := c.record(ctx, e)
			switch {
			case errors.Is(err, models.ErrNotFound):
				continue
			case err != nil:
				c.fail(ctx, err)
				return
			}
			r, ok := rec.(R)
			if !ok {
				continue
			}
			payload := deliver(eventOf(e), r)
			if payload == nil {
				continue
			}
			select {
			case out <- payload:
			case <-ctx.Done():
				return
			}
		}
		if err := sub.Err(); err != nil && ctx.Err() == nil {
			c.fail(ctx, err)
		}
	}()
	return out, nil
}

// fail ends a subscription with an error the client may retry after, logging the cause.
func (c *Changes) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	c.log.WarnContext(ctx, "change subscription ended", "error", err)
	transport.AddSubscriptionError(ctx, &gqlerror.Error{
		Message:    "the change feed is unavailable: subscribe again with `after` set to the last cursor you saw",
		Extensions: map[string]any{"code": codeFeedUnavailable, "retryable": true},
	})
}

// changedFields are the paths e's changes name, in order.
func changedFields(e events.Event) []string {
	var changes map[string]json.RawMessage
	if err := json.Unmarshal(e.Changes, &changes); err != nil {
		return []string{}
	}
	return slices.Sorted(maps.Keys(changes))
}
