package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/outbox"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/smtptest"
	"github.com/payplat/paygql/migrations"
)

// TestMailOnceAcrossKilledServers kills the server binary with SIGKILL five times while its
// mail worker delivers 40 registration mails through a slow SMTP server, and counts at the
// server what arrived per Message-ID. Three kills come while the server holds a mail before its
// 250 (the worst moment: the mail goes out, its sender never learns it), two at an arbitrary
// moment just after a 250. Each kill may repeat at most the one mail in flight, with the same
// Message-ID, once its lease has ended; attempts and last_error show the interrupted try.
func TestMailOnceAcrossKilledServers(t *testing.T) {
	t.Parallel()
	const mails, kills, heldKills = 40, 5, 3
	dbURL := pgtest.URL(t, migrations.Migrations, migrations.FS)
	db := must(database.Open(t.Context(), dbURL))
	defer db.Close()
	msgs := make([]*outbox.Message, mails)
	for i := range msgs {
		msgs[i] = &outbox.Message{Kind: "register", Recipient: fmt.Sprintf("user%02d@example.com", i), Subject: "Welcome", Body: "Hello"}
	}
	if err := outbox.Enqueue(t.Context(), db, msgs); err != nil {
		t.Fatal(err)
	}

	// The server is slow (10 ms per mail) and holds every 7th mail until the test lets go.
	mail := smtptest.Start(t)
	var datas atomic.Int32
	held := make(chan chan struct{})
	mail.BeforeData = func() {
		if n := datas.Add(1); n%7 == 4 && n <= 7*kills {
			release := make(chan struct{})
			held <- release
			<-release
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	env := func() map[string]string {
		return map[string]string{
			"DATABASE_URL": dbURL, "AUTH_HS256_SECRET": "mail-crash-test-secret-of-32-bytes-at-least",
			"SECRETS_KEY": sharedKey, "SMTP_URL": "smtp://" + mail.Addr + "?from=portal@pay.example",
		}
	}
	var heldIDs []string // Message-IDs of the mails held when the server was killed
	for k := range kills {
		in := startInstance(t, fmt.Sprint("instance ", k), env())
		var release chan struct{}
		select {
		case release = <-held:
		case <-time.After(20 * time.Second):
			t.Fatalf("kill %d: no mail reached the server", k)
		}
		before := len(mail.Received())
		if k < heldKills {
			kill(t, in)
			close(release) // the server accepts the mail; its 250 reaches no one
			waitUntil(t, "the held mail to be accepted", func() bool { return len(mail.Received()) > before })
			h, _, _ := smtptest.Parse(t, mail.Received()[before].Data)
			heldIDs = append(heldIDs, h.Get("Message-Id"))
		} else {
			close(release)
			time.Sleep(rand.N(30 * time.Millisecond)) // record, next claim, next send: anywhere
			kill(t, in)
		}
	}
	// Until their lease ends, the mails in flight at the kills wait: no repeat so far.
	if n, distinct := len(mail.Received()), len(perMessageID(t, mail)); n != distinct {
		t.Errorf("before the leases ended: %d mails received, %d distinct; a leased mail was sent again", n, distinct)
	}
	// Stand in for the leases' five minutes.
	res, err := db.ExecContext(t.Context(), `UPDATE mail_outbox SET next_attempt_at = now() WHERE sent_at IS NULL AND claimed_at IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	leased := must(res.RowsAffected())
	last := startInstance(t, "last instance", env())
	waitUntil(t, "every mail to be recorded as sent", func() bool {
		var n int
		return db.NewRaw(`SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL`).Scan(context.Background(), &n) == nil && n == mails
	})
	last.terminate(t)
	if code := last.wait(20 * time.Second); code != 0 {
		t.Errorf("last instance exited with %d", code)
	}

	counts := perMessageID(t, mail)
	var repeated []string
	for id, n := range counts {
		if n > 1 {
			repeated = append(repeated, id)
		}
		if n > 2 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	sort.Strings(repeated)
	t.Logf("%d mails, %d kills (%d held before the 250): %d deliveries, %d repeated %v, %d leases ended by the test",
		mails, kills, heldKills, len(mail.Received()), len(repeated), repeated, leased)
	if len(counts) != mails || len(repeated) > kills {
		t.Errorf("%d distinct Message-IDs (want %d), %d repeated (want at most one per kill, %d)", len(counts), mails, len(repeated), kills)
	}
	for _, id := range heldIDs {
		if counts[id] != 2 {
			t.Errorf("mail %s, held at a kill, delivered %d times; want twice", id, counts[id])
		}
	}
	type row struct {
		ID        int64
		CreatedAt time.Time
		Attempts  int
		LastError *string
	}
	var rows []row
	if err := db.NewRaw(`SELECT id, created_at, attempts, last_error FROM mail_outbox`).Scan(t.Context(), &rows); err != nil {
		t.Fatal(err)
	}
	interrupted := 0
	for _, r := range rows {
		id := fmt.Sprintf("<outbox-%d-%d@pay.example>", r.ID, r.CreatedAt.UnixMilli())
		isInterrupted := r.Attempts == 2 && r.LastError != nil && strings.HasPrefix(*r.LastError, "attempt 1 was interrupted")
		if isInterrupted {
			interrupted++
		}
		if (r.Attempts != 1 && !isInterrupted) || (counts[id] == 2 && !isInterrupted) {
			t.Errorf("mail %s delivered %d times: attempts %d, last error %q", id, counts[id], r.Attempts, derefString(r.LastError))
		}
	}
	if interrupted > kills || interrupted < len(repeated) {
		t.Errorf("%d rows show an interrupted attempt; want between %d repeated and %d kills", interrupted, len(repeated), kills)
	}
	if last.logCount("mail attempt interrupted earlier, trying again") != interrupted {
		t.Errorf("the last instance logged %d interrupted attempts, want %d", last.logCount("mail attempt interrupted earlier, trying again"), interrupted)
	}
}

// kill ends in with SIGKILL and waits for it to be gone.
func kill(t *testing.T, in *instance) {
	t.Helper()
	if err := in.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if in.wait(10*time.Second) != -1 {
		t.Fatalf("%s survived SIGKILL", in.name)
	}
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

// waitUntil polls cond for up to 20 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func derefString(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
