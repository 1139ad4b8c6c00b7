package database

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestOpenSessionSettings(t *testing.T) {
	dbURL := pgtest.URL(t, migrations.Migrations, migrations.FS)
	show := func(rawURL, setting string) string {
		t.Helper()
		db, err := Open(context.Background(), rawURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.QueryRow("SHOW " + setting).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := show(dbURL, "lock_timeout"); got != "5s" {
		t.Errorf("lock_timeout = %s, want 5s", got)
	}
	if got := show(dbURL, "statement_timeout"); got != "10s" {
		t.Errorf("statement_timeout = %s, want 10s", got)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("lock_timeout", "250ms")
	u.RawQuery = q.Encode()
	if got := show(u.String(), "lock_timeout"); got != "250ms" {
		t.Errorf("lock_timeout from the URL = %s, want 250ms", got)
	}
}

// TestMigrateConcurrently starts several migrations of one empty database at once, as
// several instances starting together do: one applies the migrations, the others wait for it
// and find nothing to do.
func TestMigrateConcurrently(t *testing.T) {
	dbURL := pgtest.EmptyURL(t)
	const n = 3
	applied := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			db, err := Open(context.Background(), dbURL)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			g, err := Migrate(context.Background(), db)
			if g != nil {
				applied[i] = len(g.Migrations)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("migration %d: %v", i, errs[i])
		}
		if applied[i] > 0 {
			winners++
			if want := len(migrations.Migrations.Sorted()); applied[i] != want {
				t.Errorf("migration %d applied %d migrations, want %d", i, applied[i], want)
			}
		}
	}
	if winners != 1 {
		t.Errorf("%d processes applied migrations, want 1 (applied: %v)", winners, applied)
	}
}
