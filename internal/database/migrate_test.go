package database

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/payplat/paygql/internal/pgbouncer"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/migrations"
)

// TestMigrateConcurrently starts three instances on one empty database at once, as server.go
// starts (Open, then Migrate), directly and behind PgBouncer in transaction mode: one applies
// the migrations, the others wait for it and find nothing to do, all serve within a few
// seconds, and no advisory lock is left on any server connection.
func TestMigrateConcurrently(t *testing.T) {
	for _, pooled := range []bool{false, true} {
		name := "direct"
		if pooled {
			name = "pgbouncer"
		}
		t.Run(name, func(t *testing.T) {
			direct := pgtest.EmptyURL(t)
			dbURL := direct
			if pooled {
				dbURL = pgbouncer.URL(t, direct)
			}
			const n = 3
			applied := make([]int, n)
			errs := make([]error, n)
			took := make([]time.Duration, n)
			start := time.Now()
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					db, err := Open(ctx, dbURL)
					if err != nil {
						errs[i] = err
						return
					}
					defer db.Close()
					g, err := Migrate(ctx, db)
					if err != nil {
						errs[i] = err
						return
					}
					applied[i] = len(g.Migrations)
					// Serving: a statement on a table the migrations made.
					var count int
					errs[i] = db.QueryRowContext(ctx, "SELECT count(*) FROM connectors").Scan(&count)
					took[i] = time.Since(start)
				})
			}
			wg.Wait()
			t.Logf("instances ready after %v, migrations applied by each %v", took, applied)
			winners := 0
			for i := range n {
				if errs[i] != nil {
					t.Errorf("instance %d: %v", i, errs[i])
				}
				if took[i] > 5*time.Second {
					t.Errorf("instance %d served after %v, want within 5 s", i, took[i])
				}
				if applied[i] > 0 {
					winners++
					if want := len(migrations.Migrations.Sorted()); applied[i] != want {
						t.Errorf("instance %d applied %d migrations, want %d", i, applied[i], want)
					}
				}
			}
			if winners != 1 {
				t.Errorf("%d instances applied migrations, want 1 (applied: %v)", winners, applied)
			}
			checkNoAdvisoryLocks(t, direct)
		})
	}
}

// checkNoAdvisoryLocks fails when any session of the server of dbURL holds an advisory lock.
func checkNoAdvisoryLocks(t *testing.T, dbURL string) {
	t.Helper()
	db, err := Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var locks int
	if err := db.QueryRow("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").Scan(&locks); err != nil {
		t.Fatal(err)
	}
	if locks != 0 {
		t.Errorf("%d advisory locks held after migrating", locks)
	}
}

// TestMigrationLockAcrossFiles runs migrations of three *.tx.up.sql files, each a transaction
// of its own, from three instances at once behind PgBouncer: the lock holds across the files
// (one instance applies all three, one after the other, and nobody else runs any). Then an
// instance whose second file fails keeps the first applied and recorded, leaves nothing of
// the second and does not record it, and releases the lock; the next instance applies the
// second and third.
func TestMigrationLockAcrossFiles(t *testing.T) {
	direct := pgtest.EmptyURL(t)
	through := pgbouncer.URL(t, direct)
	// Each file logs which instance (application_name) ran it and when, sleeping between; the
	// second fails for an instance named "x" (a division by zero at run time).
	logged := func(name, check string) string {
		return "INSERT INTO mig_log VALUES (current_setting('application_name'), '" + name + "', clock_timestamp());\n" +
			"SELECT pg_sleep(0.2);\n" + check +
			"UPDATE mig_log SET finished = clock_timestamp() WHERE name = '" + name + "';\n"
	}
	const failForX = "SELECT 1 / (length(current_setting('application_name')) - 1);\n"
	fsys := fstest.MapFS{
		"20260101000001_a.tx.up.sql": {Data: []byte("CREATE TABLE mig_log (app text, name text, started timestamptz, finished timestamptz);\n" + logged("a", ""))},
		"20260101000002_b.tx.up.sql": {Data: []byte(logged("b", failForX))},
		"20260101000003_c.tx.up.sql": {Data: []byte(logged("c", ""))},
	}
	for name := range fsys {
		fsys[strings.Replace(name, ".up.", ".down.", 1)] = &fstest.MapFile{Data: []byte("SELECT 1;\n")}
	}
	migs := migrate.NewMigrations()
	if err := migs.Discover(fsys); err != nil {
		t.Fatal(err)
	}
	run := func(app string) (int, error) {
		db, err := Open(context.Background(), withParams(t, through, "application_name", app))
		if err != nil {
			return 0, err
		}
		defer db.Close()
		n := 0
		err = WithMigrationLock(context.Background(), db, func(ctx context.Context) error {
			m := migrate.NewMigrator(db, migs, migratorOptions...)
			if err := m.Init(ctx); err != nil {
				return err
			}
			g, err := m.Migrate(ctx)
			n = len(g.Migrations)
			return err
		})
		return n, err
	}

	// "x" applies the first file and fails in the second.
	if n, err := run("x"); err == nil || !strings.Contains(err.Error(), "division by zero") || n != 2 {
		t.Fatalf("instance x: %d migrations, %v; want to fail at the second with a division by zero", n, err)
	}
	var wg sync.WaitGroup
	applied := map[string]int{}
	var mu sync.Mutex
	for _, app := range []string{"i1", "i2", "i3"} {
		wg.Go(func() {
			n, err := run(app)
			if err != nil {
				t.Errorf("instance %s: %v", app, err)
			}
			mu.Lock()
			applied[app] = n
			mu.Unlock()
		})
	}
	wg.Wait()
	db, err := Open(context.Background(), direct)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows []struct {
		App, Name         string
		Started, Finished time.Time
	}
	if err := db.NewSelect().Table("mig_log").Column("app", "name", "started", "finished").Order("started").Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	t.Logf("applied by instance: %v; log: %+v", applied, rows)
	// a by x; b (x's attempt rolled back with its transaction) and c by one other instance,
	// one after the other.
	if len(rows) != 3 || rows[0].App != "x" || rows[0].Name != "a" {
		t.Fatalf("files run: %+v; want a by x, then b and c by one instance", rows)
	}
	winner := rows[1].App
	for i, r := range rows[1:] {
		if r.App != winner || r.Name != string(rune('b'+i)) || r.Started.Before(rows[i].Finished) {
			t.Errorf("file %d: %+v; want %c by %s after the file before finished", i+1, r, 'b'+i, winner)
		}
	}
	if applied[winner] != 2 || len(applied) != 3 || applied["i1"]+applied["i2"]+applied["i3"] != 2 {
		t.Errorf("applied by instance %v, want 2 by %s and none by the others", applied, winner)
	}
	var recorded []string
	if err := db.NewSelect().Table("bun_migrations").Column("name").Order("name").Scan(context.Background(), &recorded); err != nil {
		t.Fatal(err)
	}
	if want := []string{"00000000000000", "20260101000001", "20260101000002", "20260101000003"}; !slices.Equal(recorded, want) {
		t.Errorf("recorded migrations %v, want %v (the empty template's and the three)", recorded, want)
	}
	checkNoAdvisoryLocks(t, direct)
}
