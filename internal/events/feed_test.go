package events

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T) (*bun.DB, string) {
	url := pgtest.URL(t, migrations.Migrations, migrations.FS)
	sqldb, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	t.Cleanup(func() { db.Close() })
	return db, url
}

// change commits one audit row, as a mutation does, in a transaction of its own.
func change(t *testing.T, db bun.IDB, id string, version int) {
	t.Helper()
	_, err := db.ExecContext(context.Background(), `INSERT INTO audit_log (entity_type, entity_id, version, action, actor, changes)
		VALUES ('DevicePurchaseOrder', ?, ?, 'update', 'test', '{"status": {"from": "DRAFT", "to": "SUBMITTED"}}')`, id, version)
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
