package outbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/smtptest"
	"github.com/payplat/paygql/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newDB opens a fresh migrated database as the server does. It uses pgtest, not testenv, so
// that models may import this package without an import cycle in its tests.
func newDB(t *testing.T) *bun.DB {
	t.Helper()
	db, err := database.Open(t.Context(), pgtest.URL(t, migrations.Migrations, migrations.FS))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// enqueue adds msgs and returns their ids in order.
func enqueue(t *testing.T, db *bun.DB, msgs ...*Message) []int64 {
	t.Helper()
	if err := Enqueue(t.Context(), db, msgs); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	if err := db.NewSelect().Model((*Message)(nil)).Column("id").Order("id").Scan(t.Context(), &ids); err != nil {
		t.Fatal(err)
	}
	return ids[len(ids)-len(msgs):]
}

func load(t *testing.T, db *bun.DB, id int64) *Message {
	t.Helper()
	m := &Message{ID: id}
	if err := db.NewSelect().Model(m).WherePK().Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func sentCount(t *testing.T, db *bun.DB) int64 {
	t.Helper()
	n, err := db.NewSelect().Model((*Message)(nil)).Where("sent_at IS NOT NULL").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func smtpSender(t *testing.T, ms *smtptest.Server, userinfo, query string) *SMTPSender {
	t.Helper()
	cfg, err := ParseSMTPURL("smtp://" + userinfo + ms.Addr + "?" + query)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// start runs w until the returned stop, which waits for Run to return.
func start(w *Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}

func TestWorkerDeliversOnce(t *testing.T) {
	db, ms := newDB(t), smtptest.Start(t)
	id := enqueue(t, db, &Message{Kind: "register", Recipient: "ayse@bayi.example",
		Subject: "Hoş geldiniz, Ayşe", Body: "Merhaba Ayşe,\nhesabınız hazır: https://portal.example/activate?t=abc=1\n"})[0]
	var logs bytes.Buffer
	w := NewWorker(db, smtpSender(t, ms, "", "from=Pay+Platform+%3Cnoreply@pay.example%3E"),
		slog.New(slog.NewJSONHandler(&logs, nil)), Options{PollInterval: 10 * time.Millisecond})
	stop := start(w)
	waitFor(t, "the mail to be sent", func() bool { return sentCount(t, db) == 1 })
	time.Sleep(50 * time.Millisecond) // a few more polls, which must send nothing
	stop()

	got := ms.Received()
	if len(got) != 1 {
		t.Fatalf("server received %d mails, want 1", len(got))
	}
	if got[0].From != "noreply@pay.example" || len(got[0].To) != 1 || got[0].To[0] != "ayse@bayi.example" {
		t.Errorf("envelope from %q to %q", got[0].From, got[0].To)
	}
	h, subject, body := smtptest.Parse(t, got[0].Data)
	if h.Get("To") != "<ayse@bayi.example>" || h.Get("From") != `"Pay Platform" <noreply@pay.example>` ||
		!strings.HasPrefix(h.Get("Message-Id"), fmt.Sprintf("<outbox-%d-", id)) || h.Get("Date") == "" {
		t.Errorf("headers: %v", h)
	}
	if subject != "Hoş geldiniz, Ayşe" || body != "Merhaba Ayşe,\r\nhesabınız hazır: https://portal.example/activate?t=abc=1\r\n" {
		t.Errorf("subject %q, body %q", subject, body)
	}
	if m := load(t, db, id); m.Attempts != 1 || m.SentAt == nil || m.LastError != nil || m.FailedAt != nil {
		t.Errorf("row after delivery: %+v", m)
	}
	if l := logs.String(); !strings.Contains(l, `"msg":"mail sent"`) || !strings.Contains(l, `"recipient_domain":"bayi.example"`) ||
		strings.Contains(l, "ayse@") || strings.Contains(l, "Merhaba") {
		t.Errorf("log shows too little or too much:\n%s", l)
	}
}

func TestWorkersShareOutboxWithoutDuplicates(t *testing.T) {
	db, ms := newDB(t), smtptest.Start(t)
	ms.BeforeData = func() { time.Sleep(2 * time.Millisecond) } // keep the workers overlapping
	var msgs []*Message
	for i := range 30 {
		msgs = append(msgs, &Message{Kind: "register", Recipient: fmt.Sprintf("user%02d@example.com", i), Subject: "Welcome", Body: "Hello"})
	}
	enqueue(t, db, msgs...)
	var stops []func()
	for range 3 {
		w := NewWorker(db, smtpSender(t, ms, "", ""), quiet, Options{PollInterval: 10 * time.Millisecond})
		stops = append(stops, start(w))
	}
	waitFor(t, "30 mails to be sent", func() bool { return sentCount(t, db) == 30 })
	time.Sleep(50 * time.Millisecond)
	for _, stop := range stops {
		stop()
	}

	perRecipient := map[string]int{}
	for _, r := range ms.Received() {
		perRecipient[strings.Join(r.To, ",")]++
	}
	if len(perRecipient) != 30 || len(ms.Received()) != 30 {
		t.Fatalf("server received %d mails for %d recipients, want 30 and 30", len(ms.Received()), len(perRecipient))
	}
	for rcpt, n := range perRecipient {
		if n != 1 {
			t.Errorf("%s received %d mails", rcpt, n)
		}
	}
}

func TestWorkerBacksOffThenDelivers(t *testing.T) {
	db, ms := newDB(t), smtptest.Start(t)
	ms.RejectRcpt.Store(true)
	id := enqueue(t, db, &Message{Kind: "register", Recipient: "a@example.com", Subject: "Welcome", Body: "Hello"})[0]
	w := NewWorker(db, smtpSender(t, ms, "", ""), quiet, Options{
		PollInterval: 10 * time.Millisecond, MinBackoff: 300 * time.Millisecond, MaxBackoff: time.Second,
	})

	if n, err := w.deliverDue(t.Context()); n != 1 || err != nil {
		t.Fatalf("first batch: %d, %v", n, err)
	}
	failed := load(t, db, id)
	if failed.Attempts != 1 || failed.LastError == nil || !strings.Contains(*failed.LastError, "451") ||
		failed.SentAt != nil || failed.FailedAt != nil {
		t.Fatalf("row after a refused attempt: %+v", failed)
	}
	if wait := failed.NextAttemptAt.Sub(time.Now()); wait < 100*time.Millisecond || wait > 300*time.Millisecond {
		t.Errorf("next attempt in %v, want within [150ms, 300ms] of the attempt", wait)
	}
	if n, err := w.deliverDue(t.Context()); n != 0 || err != nil {
		t.Fatalf("a batch during the backoff claimed %d, %v", n, err)
	}

	ms.RejectRcpt.Store(false)
	stop := start(w)
	waitFor(t, "the retry", func() bool { return sentCount(t, db) == 1 })
	stop()
	sent := load(t, db, id)
	if sent.Attempts != 2 || sent.SentAt.Before(failed.NextAttemptAt) || len(ms.Received()) != 1 {
		t.Errorf("after recovery: %+v, %d received; want attempt 2 not before %v", sent, len(ms.Received()), failed.NextAttemptAt)
	}
}

func TestWorkerGivesUpAfterMaxAttempts(t *testing.T) {
	db := newDB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := &smtptest.Server{Addr: ln.Addr().String()}
	_ = ln.Close() // nothing listens there any more
	id := enqueue(t, db, &Message{Kind: "register", Recipient: "a@example.com", Subject: "Welcome", Body: "Hello"})[0]
	w := NewWorker(db, smtpSender(t, down, "", ""), quiet, Options{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})

	waitFor(t, "the mail to be given up", func() bool {
		if _, err := w.deliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		return load(t, db, id).FailedAt != nil
	})
	m := load(t, db, id)
	if m.Attempts != 3 || m.SentAt != nil || m.LastError == nil || !strings.Contains(*m.LastError, "connection refused") {
		t.Errorf("given-up row: %+v (last error %q)", m, deref(m.LastError))
	}
	time.Sleep(5 * time.Millisecond)
	if n, err := w.deliverDue(t.Context()); n != 0 || err != nil {
		t.Errorf("a given-up mail was claimed again: %d, %v", n, err)
	}
}

func TestWorkerLoginFailureKeepsPasswordOut(t *testing.T) {
	db, ms := newDB(t), smtptest.Start(t)
	ms.Password = "right-Pa55word"
	id := enqueue(t, db, &Message{Kind: "register", Recipient: "a@example.com", Subject: "Welcome", Body: "Hello"})[0]
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))

	w := NewWorker(db, smtpSender(t, ms, "mailer:wrong-Pa55word@", "auth=plain"), logger, Options{MinBackoff: 40 * time.Millisecond})
	if n, err := w.deliverDue(t.Context()); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	m := load(t, db, id)
	if m.LastError == nil || !strings.Contains(*m.LastError, "535") || strings.Contains(*m.LastError, "Pa55word") ||
		strings.Contains(logs.String(), "Pa55word") {
		t.Errorf("last error %q; log:\n%s", deref(m.LastError), logs.String())
	}

	time.Sleep(50 * time.Millisecond) // the backoff after one failure: 20–40 ms
	w = NewWorker(db, smtpSender(t, ms, "mailer:right-Pa55word@", "auth=plain"), logger, Options{})
	if _, err := w.deliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if m := load(t, db, id); m.SentAt == nil || len(ms.Received()) != 1 {
		t.Errorf("with the right password: %+v, %d received", m, len(ms.Received()))
	}
}

func TestRunFinishesTheMailInFlightThenStops(t *testing.T) {
	db, ms := newDB(t), smtptest.Start(t)
	inData, release := make(chan struct{}), make(chan struct{})
	ms.BeforeData = func() { inData <- struct{}{}; <-release }
	ids := enqueue(t, db,
		&Message{Kind: "register", Recipient: "first@example.com", Subject: "Welcome", Body: "Hello"},
		&Message{Kind: "register", Recipient: "second@example.com", Subject: "Welcome", Body: "Hello"})
	w := NewWorker(db, smtpSender(t, ms, "", ""), quiet, Options{PollInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()

	<-inData
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned in the middle of a send")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the send in flight")
	}
	if first, second := load(t, db, ids[0]), load(t, db, ids[1]); first.SentAt == nil || second.Attempts != 0 || second.SentAt != nil {
		t.Errorf("first %+v, second %+v: want the first sent and the second untouched", first, second)
	}
	if n := len(ms.Received()); n != 1 {
		t.Errorf("server received %d mails, want 1", n)
	}
}

func TestRunReturnsWhenCancelled(t *testing.T) {
	db := newDB(t)
	w := NewWorker(db, &DirSender{dir: t.TempDir(), from: DefaultFrom, logger: quiet}, quiet, Options{PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	time.Sleep(20 * time.Millisecond) // let it poll once and settle into its hour-long wait
	began := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run still running a second after cancel")
	}
	t.Logf("Run returned %v after cancel", time.Since(began))
}

func TestBackoff(t *testing.T) {
	w := NewWorker(nil, nil, quiet, Options{MinBackoff: time.Second, MaxBackoff: 10 * time.Second})
	for _, tt := range []struct {
		attempt int
		lo, hi  time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{5, 5 * time.Second, 10 * time.Second},
		{60, 5 * time.Second, 10 * time.Second},
	} {
		seen := map[time.Duration]bool{}
		for range 100 {
			d := w.backoff(tt.attempt)
			if d < tt.lo || d > tt.hi {
				t.Errorf("backoff(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.lo, tt.hi)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("backoff(%d) took only %d values in 100 draws: no jitter", tt.attempt, len(seen))
		}
	}
}

func TestShortError(t *testing.T) {
	if got := shortError(fmt.Errorf("send failed:\r\n  451 busy")); got != "send failed: 451 busy" {
		t.Errorf("shortError = %q", got)
	}
	if got := shortError(fmt.Errorf("%s", strings.Repeat("ş", 400))); len(got) > 300 || !strings.HasSuffix(got, "...") {
		t.Errorf("long error shortened to %d bytes: %q", len(got), got)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
