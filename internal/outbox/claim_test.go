package outbox

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/pgserver"
	"github.com/payplat/paygql/internal/smtptest"
)

// welcome returns n registration mails to distinct recipients.
func welcome(n int) []*Message {
	msgs := make([]*Message, n)
	for i := range msgs {
		msgs[i] = &Message{Kind: "register", Recipient: fmt.Sprintf("user%02d@example.com", i), Subject: "Welcome", Body: "Hello"}
	}
	return msgs
}

// perMessageID counts the mails the server accepted by their Message-ID header.
func perMessageID(t *testing.T, ms *smtptest.Server) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, r := range ms.Received() {
		h, _, _ := smtptest.Parse(t, r.Data)
		counts[h.Get("Message-Id")]++
	}
	return counts
}

// messageID is the Message-ID header the outbox gives the row id.
func messageID(t *testing.T, db *bun.DB, id int64) string {
	t.Helper()
	m := load(t, db, id)
	return fmt.Sprintf("<outbox-%d-%d@localhost>", m.ID, m.CreatedAt.UnixMilli())
}

// TestWorkerRecordsEachMailWhenAccepted holds the third of five mails at the SMTP server, before
// its 250: the two before it are recorded as sent already, the third is claimed (its attempt
// counted, leased, under way), the rest are untouched; a second worker meanwhile delivers those
// and leaves the claimed mail alone.
func TestWorkerRecordsEachMailWhenAccepted(t *testing.T) {
	db, ms := newDB(t), smtptest.Start(t)
	var datas atomic.Int32
	held, release := make(chan struct{}), make(chan struct{})
	ms.BeforeData = func() {
		if datas.Add(1) == 3 {
			close(held)
			<-release
		}
	}
	ids := enqueue(t, db, welcome(5)...)
	stop := start(NewWorker(db, smtpSender(t, ms, "", ""), quiet, Options{PollInterval: 10 * time.Millisecond}))
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the third mail never reached the server")
	}

	for i, id := range ids {
		m := load(t, db, id)
		switch {
		case i < 2 && (m.SentAt == nil || m.Attempts != 1 || m.ClaimedAt != nil):
			t.Errorf("mail %d, accepted before the held one: %+v; want sent, attempt 1, not under way", i, m)
		case i == 2 && (m.SentAt != nil || m.Attempts != 1 || m.ClaimedAt == nil || time.Until(m.NextAttemptAt) < DefaultLease-time.Minute):
			t.Errorf("held mail: %+v; want not sent, attempt 1 counted, under way, leased for about %v", m, DefaultLease)
		case i > 2 && (m.SentAt != nil || m.Attempts != 0):
			t.Errorf("mail %d, after the held one: %+v; want untouched", i, m)
		}
	}
	other := NewWorker(db, smtpSender(t, ms, "", ""), quiet, Options{})
	if n, err := other.deliverDue(t.Context()); n != 2 || err != nil {
		t.Errorf("a second worker claimed %d mails (%v), want the 2 not claimed", n, err)
	}
	close(release)
	waitFor(t, "all five mails to be recorded", func() bool { return sentCount(t, db) == 5 })
	stop()

	counts := perMessageID(t, ms)
	if len(counts) != 5 || len(ms.Received()) != 5 {
		t.Errorf("server received %d mails with %d Message-IDs, want 5 and 5: %v", len(ms.Received()), len(counts), counts)
	}
	if m := load(t, db, ids[2]); m.Attempts != 1 || m.ClaimedAt != nil || m.LastError != nil {
		t.Errorf("held mail after its 250: %+v", m)
	}
}

// TestInterruptedAttemptRepeatsOnlyThatMail lets a worker claim and send a mail and die before
// recording it (as kill -9 between the server's 250 and the record would): the lease keeps
// other workers off that mail while they deliver the rest, and when it ends the mail is sent
// once more, with the same Message-ID, its attempts and last_error showing the interrupted try.
func TestInterruptedAttemptRepeatsOnlyThatMail(t *testing.T) {
	db, ms := newDB(t), smtptest.Start(t)
	ids := enqueue(t, db, welcome(3)...)
	opts := Options{PollInterval: 10 * time.Millisecond, Lease: time.Second}
	crashed := NewWorker(db, smtpSender(t, ms, "", ""), quiet, opts)
	m, _, err := crashed.claim(t.Context())
	if err != nil || m == nil || m.ID != ids[0] {
		t.Fatalf("claim: %+v, %v", m, err)
	}
	if err := crashed.sender.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	claimedAt := time.Now()

	var logs bytes.Buffer
	stop := start(NewWorker(db, smtpSender(t, ms, "", ""), slog.New(slog.NewJSONHandler(&logs, nil)), opts))
	defer stop()
	waitFor(t, "the two other mails", func() bool { return sentCount(t, db) == 2 })
	if load(t, db, ids[0]).SentAt != nil && time.Since(claimedAt) < opts.Lease {
		t.Fatal("the interrupted mail was taken again before its lease ended")
	}
	waitFor(t, "the interrupted mail to be sent again", func() bool { return sentCount(t, db) == 3 })
	stop()

	counts := perMessageID(t, ms)
	want := messageID(t, db, ids[0])
	if len(ms.Received()) != 4 || len(counts) != 3 || counts[want] != 2 {
		t.Errorf("server received %d mails %v; want 4: %s twice, the two others once", len(ms.Received()), counts, want)
	}
	got := load(t, db, ids[0])
	if got.Attempts != 2 || got.ClaimedAt != nil || got.SentAt == nil || got.LastError == nil ||
		!strings.HasPrefix(*got.LastError, "attempt 1 was interrupted before its outcome was recorded") {
		t.Errorf("repeated mail: %+v, last error %q; want attempt 2 sent, attempt 1 noted as interrupted", got, deref(got.LastError))
	}
	for _, id := range ids[1:] {
		if m := load(t, db, id); m.Attempts != 1 || m.LastError != nil {
			t.Errorf("mail %d: %+v", id, m)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"mail attempt interrupted earlier, trying again"`) {
		t.Errorf("no warning about the interrupted attempt:\n%s", logs.String())
	}
}

// TestWorkerRecordsThroughDatabaseRestart stops PostgreSQL while the SMTP server holds a mail
// and starts it again half a second later: the worker, told 250 by then, keeps trying to record
// the mail until the database answers, so nothing is sent twice.
func TestWorkerRecordsThroughDatabaseRestart(t *testing.T) {
	dataDir := filepath.Join(reachableDir(t), "pg")
	pg, err := pgserver.Start(t.Context(), pgserver.Options{DataDir: dataDir, Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	db, err := database.Open(t.Context(), pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := database.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	ids := enqueue(t, db, welcome(3)...)

	ms := smtptest.Start(t)
	var datas atomic.Int32
	restarted := make(chan error, 1)
	ms.BeforeData = func() {
		if datas.Add(1) != 2 {
			return
		}
		if err := pg.Stop(); err != nil {
			restarted <- err
			return
		}
		go func() {
			time.Sleep(500 * time.Millisecond)
			var err error
			pg, err = pgserver.Start(context.Background(), pgserver.Options{DataDir: dataDir, Port: pg.Port(), Ephemeral: true})
			restarted <- err
		}()
	}
	var logs bytes.Buffer
	stop := start(NewWorker(db, smtpSender(t, ms, "", ""), slog.New(slog.NewJSONHandler(&logs, nil)), Options{PollInterval: 10 * time.Millisecond}))
	defer stop()
	select {
	case err := <-restarted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("PostgreSQL was not restarted")
	}
	waitFor(t, "all three mails to be recorded", func() bool {
		n, err := db.NewSelect().Model((*Message)(nil)).Where("sent_at IS NOT NULL").Count(context.Background())
		return err == nil && n == 3
	})
	stop()

	if counts := perMessageID(t, ms); len(ms.Received()) != 3 || len(counts) != 3 {
		t.Errorf("server received %d mails %v, want 3 distinct", len(ms.Received()), counts)
	}
	for _, id := range ids {
		if m := load(t, db, id); m.Attempts != 1 || m.LastError != nil || m.ClaimedAt != nil {
			t.Errorf("mail %d: %+v", id, m)
		}
	}
	if l := logs.String(); strings.Count(l, `"msg":"mail outcome not recorded yet, retrying until the lease ends"`) != 1 ||
		strings.Contains(l, "mail outcome not recorded:") {
		t.Errorf("want one retry warning and no give-up:\n%s", l)
	}
}

func TestLeaseOutlastsTheSend(t *testing.T) {
	for _, tt := range []struct {
		timeout string
		want    time.Duration
	}{
		{"", DefaultLease},
		{"&timeout=2m", 16 * time.Minute},
	} {
		cfg, err := ParseSMTPURL("smtp://127.0.0.1:2525?from=a@example.com" + tt.timeout)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSMTPSender(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := NewWorker(nil, s, quiet, Options{}).opts.Lease; got != tt.want {
			t.Errorf("lease with timeout %q: %v, want %v", tt.timeout, got, tt.want)
		}
	}
	if got := NewWorker(nil, &DirSender{}, quiet, Options{Lease: time.Second}).opts.Lease; got != time.Second {
		t.Errorf("lease set in Options: %v", got)
	}
}

// reachableDir returns a new temporary directory that the postgres OS user can enter too,
// which a private PostgreSQL needs when the tests run as root.
func reachableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
