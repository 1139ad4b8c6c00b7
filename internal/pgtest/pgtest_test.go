package pgtest

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/peterldowns/pgtestdb"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

func TestMain(m *testing.M) { Main(m) }

// testFS is a two-step migration set in bun's file naming scheme.
var testFS = fstest.MapFS{
	"20240101000000_widgets.up.sql": {Data: []byte(
		"CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE)")},
	"20240101000000_widgets.down.sql": {Data: []byte("DROP TABLE widgets")},
	"20240102000000_seed.tx.up.sql": {Data: []byte(
		"INSERT INTO widgets (name) VALUES ('seed')")},
}

func testMigrations(t testing.TB) *migrate.Migrations {
	t.Helper()
	migs := migrate.NewMigrations()
	if err := migs.Discover(testFS); err != nil {
		t.Fatal(err)
	}
	return migs
}

func countWidgets(t testing.TB, db *bun.DB) int64 {
	t.Helper()
	n, err := db.NewSelect().Table("widgets").Count(context.Background())
	if err != nil {
		t.Fatalf("count widgets: %v", err)
	}
	return n
}

// TestIsolation runs two tests at once and checks that each sees the
// migrated schema and only its own writes.
func TestIsolation(t *testing.T) {
	var (
		inserted sync.WaitGroup
		mu       sync.Mutex
		dbNames  = map[string]bool{}
	)
	inserted.Add(2)
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			begin := time.Now()
			db := New(t, testMigrations(t), testFS)
			t.Logf("New took %s", time.Since(begin).Round(time.Millisecond))
			ctx := context.Background()

			var dbName string
			if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&dbName); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			dbNames[dbName] = true
			mu.Unlock()

			if n := countWidgets(t, db); n != 1 {
				t.Errorf("widgets after migration = %d, want 1 (the seed row)", n)
			}
			_, err := db.ExecContext(ctx, "INSERT INTO widgets (name) VALUES (?)", name)
			inserted.Done()
			if err != nil {
				t.Fatal(err)
			}
			// Count only once the other test has written too, so a shared
			// database would show up as an extra row.
			waitTimeout(t, &inserted, 30*time.Second)
			if n := countWidgets(t, db); n != 2 {
				t.Errorf("widgets = %d, want 2 (seed and own row only)", n)
			}
			applied, err := db.NewSelect().Table("bun_migrations").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if applied != 2 {
				t.Errorf("bun_migrations rows = %d, want 2", applied)
			}
		})
	}
	t.Cleanup(func() {
		if len(dbNames) != 2 {
			t.Errorf("databases used: %v, want two distinct ones", dbNames)
		}
	})
}

func waitTimeout(t *testing.T, wg *sync.WaitGroup, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal("timed out waiting for the other test")
	}
}

// TestURLConfig checks the TEST_DATABASE_URL path against the private
// server's URL.
func TestURLConfig(t *testing.T) {
	if _, err := setup(); err != nil {
		t.Fatal(err)
	}
	if server == nil {
		t.Skipf("%s is set; the URL path is exercised by every test", URLEnv)
	}
	conf, err := configFromURL(server.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	sqldb := pgtestdb.New(t, conf, bunMigrator{migs: testMigrations(t), fsys: testFS})
	var n int
	if err := sqldb.QueryRow("SELECT count(*) FROM widgets").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("widgets = %d, want 1", n)
	}
}

func TestConfigFromURL(t *testing.T) {
	conf, err := configFromURL("postgresql://app:p%40ss:w@[::1]/appdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	want := "postgres://app:p%40ss%3Aw@[::1]:5432/appdb?sslmode=disable"
	if got := conf.URL(); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if _, err := configFromURL("mysql://x"); err == nil {
		t.Error("accepted a mysql:// URL")
	}
}

func TestHash(t *testing.T) {
	migs := testMigrations(t)
	h1, err := bunMigrator{migs: migs, fsys: testFS}.Hash()
	if err != nil {
		t.Fatal(err)
	}
	changed := fstest.MapFS{}
	for k, v := range testFS {
		changed[k] = v
	}
	changed["20240102000000_seed.tx.up.sql"] = &fstest.MapFile{Data: []byte("INSERT INTO widgets (name) VALUES ('other')")}
	h2, err := bunMigrator{migs: migs, fsys: changed}.Hash()
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("hash did not change with a migration's contents")
	}
	h3, _ := bunMigrator{migs: migs, fsys: testFS}.Hash()
	if h1 != h3 {
		t.Error("hash is not stable")
	}
}
