package events

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open returns a pool as the server opens it (its transactions notify their commits while a
// feed follows the database) and the database's URL.
func open(t *testing.T) (*bun.DB, string) {
	url := pgtest.URL(t, migrations.Migrations, migrations.FS)
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

// change commits one audit row, as a mutation does: in a transaction of its own when db is a
// pool, else in the transaction db.
func change(t *testing.T, db bun.IDB, id string, version int) {
	t.Helper()
	insert := func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (entity_type, entity_id, version, action, actor, changes)
		VALUES ('DevicePurchaseOrder', ?, ?, 'update', 'test', '{"status": {"from": "DRAFT", "to": "SUBMITTED"}}')`, id, version)
		return err
	}
	var err error
	if pool, ok := db.(*bun.DB); ok {
		err = pool.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error { return insert(ctx, tx) })
	} else {
		err = insert(context.Background(), db)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func startFeed(t *testing.T, db *bun.DB, listenURL string, poll time.Duration) *Feed {
	ctx, cancel := context.WithCancel(context.Background())
	f := NewFeed(db, listenURL, poll, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

func next(t *testing.T, s *Subscription, within time.Duration) Event {
	t.Helper()
	select {
	case e, ok := <-s.C:
		if !ok {
			t.Fatalf("subscription ended: %v", s.Err())
		}
		return e
	case <-time.After(within):
		t.Fatalf("no event within %s", within)
	}
	panic("unreachable")
}

func TestCursor(t *testing.T) {
	c := Cursor{Tx: 812, ID: 4411}
	got, err := ParseCursor(c.String())
	if err != nil || got != c || c.String() != "812.4411" {
		t.Fatalf("round trip of %v: %v, %v", c, got, err)
	}
	for _, bad := range []string{"", "812", "a.b", "1.-2", "1.2.3", "-1.2"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
	}
	if !(Cursor{2, 1}).After(Cursor{1, 9}) || !(Cursor{1, 2}).After(Cursor{1, 1}) || (Cursor{1, 1}).After(Cursor{1, 1}) {
		t.Error("After orders by transaction, then id")
	}
}

// A notification wakes the feed: with polling once a minute, a commit still reaches a
// subscriber at once; a second subscriber that resumes from the first event's cursor gets the
// rest, and one that starts from the zero cursor gets everything.
func TestFeedDeliversCommitsInOrder(t *testing.T) {
	db, url := open(t)
	f := startFeed(t, db, url, time.Minute)
	ctx := context.Background()
	live, err := f.Subscribe(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	time.Sleep(200 * time.Millisecond) // the LISTEN connection is up
	var seen []Event
	for v := 1; v <= 5; v++ {
		start := time.Now()
		change(t, db, "order-1", v)
		e := next(t, live, 2*time.Second)
		if e.Version != v || e.EntityID != "order-1" || e.EntityType != "DevicePurchaseOrder" || e.Action != "update" {
			t.Fatalf("event %d: %+v", v, e)
		}
		if string(e.Changes) == "" || e.Actor != "test" {
			t.Fatalf("event %d lacks changes or actor: %+v", v, e)
		}
		t.Logf("commit → subscriber: %s", time.Since(start))
		seen = append(seen, e)
	}
	resumed, err := f.Subscribe(ctx, &seen[0].Cursor)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	for _, want := range seen[1:] {
		if e := next(t, resumed, 2*time.Second); e.Cursor != want.Cursor {
			t.Fatalf("resumed: got %v, want %v", e.Cursor, want.Cursor)
		}
	}
	all, err := f.Subscribe(ctx, &Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	for _, want := range seen {
		if e := next(t, all, 2*time.Second); e.Cursor != want.Cursor {
			t.Fatalf("from the start: got %v, want %v", e.Cursor, want.Cursor)
		}
	}
	select {
	case e := <-all.C:
		t.Fatalf("an event twice or from nowhere: %+v", e)
	case <-time.After(100 * time.Millisecond):
	}
}

// A transaction that began writing before another but commits after it holds the feed back:
// nothing after it is delivered before it, so that a cursor never skips it.
func TestFeedWaitsForOlderTransactions(t *testing.T) {
	db, url := open(t)
	f := startFeed(t, db, url, 50*time.Millisecond)
	ctx := context.Background()
	s, err := f.Subscribe(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	older, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	change(t, older, "older", 1)
	change(t, db, "younger", 1)
	select {
	case e := <-s.C:
		t.Fatalf("delivered %s while an older transaction was open", e.EntityID)
	case <-time.After(300 * time.Millisecond):
	}
	if err := older.Commit(); err != nil {
		t.Fatal(err)
	}
	first, second := next(t, s, 2*time.Second), next(t, s, 2*time.Second)
	if first.EntityID != "older" || second.EntityID != "younger" {
		t.Fatalf("order: %s, %s", first.EntityID, second.EntityID)
	}
	// A rolled-back change is never an event.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	change(t, tx, "rolled back", 1)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	change(t, db, "after", 1)
	if e := next(t, s, 2*time.Second); e.EntityID != "after" {
		t.Fatalf("got %s", e.EntityID)
	}
}

// A consumer that does not read holds at most its inbox; when it reads again it gets every
// event, in order, read back from the database.
func TestSlowConsumerCatchesUp(t *testing.T) {
	db, url := open(t)
	f := startFeed(t, db, url, 20*time.Millisecond)
	ctx := context.Background()
	s, err := f.Subscribe(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 3 * inboxSize
	for i := range n {
		change(t, db, fmt.Sprint("r", i), 1)
	}
	time.Sleep(300 * time.Millisecond) // the feed has read them all, the consumer none
	s.mu.Lock()
	held, lost := len(s.inbox), s.lost
	s.mu.Unlock()
	if held > inboxSize || !lost {
		t.Fatalf("inbox holds %d events (bound %d), lost=%v", held, inboxSize, lost)
	}
	for i := range n {
		if e := next(t, s, 2*time.Second); e.EntityID != fmt.Sprint("r", i) {
			t.Fatalf("event %d: %s", i, e.EntityID)
		}
	}
}

// Without LISTEN (a pooler in transaction mode), polling alone delivers.
func TestFeedPollsWithoutListen(t *testing.T) {
	db, _ := open(t)
	f := startFeed(t, db, "", 50*time.Millisecond)
	s, err := f.Subscribe(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	change(t, db, "polled", 1)
	if e := next(t, s, 2*time.Second); e.EntityID != "polled" {
		t.Fatalf("got %s", e.EntityID)
	}
}

// Commits notify only while some feed LISTENs on the database, that is while one of its
// subscriptions wants to be woken: a notification costs every writer, so a database nobody
// follows is written without them (its events still come at the next poll).
func TestNotifiesOnlyWhileFollowed(t *testing.T) {
	db, url := open(t)
	other, err := database.Open(context.Background(), url) // a second instance's pool
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	const poll = 50 * time.Millisecond
	f := startFeed(t, db, url, poll)
	startFeed(t, other, url, poll)
	// An observer LISTENs under another name: it sees notifications without asking for them.
	ctx := context.Background()
	observer, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close(ctx)
	if _, err := observer.Exec(ctx, "LISTEN audit_log"); err != nil {
		t.Fatal(err)
	}
	within := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("not %s within 3s", what)
			}
		}
	}
	time.Sleep(3 * poll)
	if database.Notifying(db.DB) || database.Notifying(other.DB) {
		t.Fatal("notifying with no subscription")
	}
	change(t, db, "unfollowed", 1)
	change(t, other, "unfollowed", 2)
	if got := countNotifications(t, observer); got != 0 {
		t.Fatalf("%d notifications with no subscription", got)
	}

	s, err := f.Subscribe(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	within("notifying on the subscriber's instance", func() bool { return database.Notifying(db.DB) })
	within("notifying on the other instance", func() bool { return database.Notifying(other.DB) })
	change(t, db, "followed", 1)
	change(t, other, "followed", 2)
	if got := countNotifications(t, observer); got != 2 {
		t.Fatalf("%d notifications of 2 commits while followed", got)
	}
	for v := 1; v <= 2; v++ {
		if e := next(t, s, 2*time.Second); e.EntityID != "followed" || e.Version != v {
			t.Fatalf("got %s %d", e.EntityID, e.Version)
		}
	}

	s.Wake(false) // as the webhook dispatcher does without an enabled endpoint
	within("quiet on both instances", func() bool { return !database.Notifying(db.DB) && !database.Notifying(other.DB) })
	change(t, other, "quiet", 1)
	if got := countNotifications(t, observer); got != 0 {
		t.Fatalf("%d notifications after the subscription stopped asking", got)
	}
	if e := next(t, s, 2*time.Second); e.EntityID != "quiet" {
		t.Fatalf("the poll did not deliver: got %s", e.EntityID)
	}
}

// countNotifications returns how many notifications conn receives in the next 300 ms.
func countNotifications(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	n := 0
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() == nil {
				t.Fatal(err)
			}
			return n
		}
		n++
	}
}
