// Package pgtest gives each test its own freshly migrated PostgreSQL
// database, so tests need no running server and cannot see each other's
// data.
//
// The databases live on the server named by $TEST_DATABASE_URL when it is
// set, and otherwise on a private throw-away server (see package pgserver)
// started on first use, one per test binary. A package that uses New should
// stop that server from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without it the server still shuts down when the test binary exits, but
// its temporary directory is left behind.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/peterldowns/pgtestdb"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/migrate"

	"github.com/payplat/paygql/internal/pgserver"
)

// URLEnv names the environment variable that points the tests at an
// existing server instead of a private one. Its user must be allowed to
// create roles and databases.
const URLEnv = "TEST_DATABASE_URL"

// The base connection, set up once per test binary.
var (
	setupOnce sync.Once
	baseConf  pgtestdb.Config
	setupErr  error
	server    *pgserver.Server // nil unless we started a private server
	serverDir string           // temporary directory of the private server
)

// URL returns the URL of a fresh database that has migs applied. The
// database is a clone of a template migrated once per test binary (or once
// per server and migration set, see fsForHash), so URL is cheap to call in
// every test. At test end, if the test passed, the database is dropped; a
// failed test's database is kept for inspection and its URL is in the test
// log. Close every connection to it in a t.Cleanup registered after URL.
//
// fsForHash should hold the migration sources (such as an embedded
// migrations directory): its contents decide when a server that outlives
// the test run, as with $TEST_DATABASE_URL, needs a new template. It may be
// nil, and then only the migration names count.
func URL(t testing.TB, migs *migrate.Migrations, fsForHash fs.FS) string {
	t.Helper()
	conf, err := setup()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return pgtestdb.Custom(t, conf, bunMigrator{migs: migs, fsys: fsForHash}).URL()
}

// EmptyURL returns the URL of a fresh database without the tables of any real migration,
// for tests of migrating itself. bun refuses to migrate an empty set, so its template gets
// one migration that does nothing, named to sort before every real one.
func EmptyURL(t testing.TB) string {
	t.Helper()
	migs := migrate.NewMigrations()
	migs.Add(migrate.Migration{Name: "00000000000000", Comment: "empty",
		Up: func(context.Context, *migrate.Migrator, *migrate.Migration) error { return nil }})
	return URL(t, migs, nil)
}

// New returns a bun database (pgx's database/sql driver) on a database made
// by URL, closed at test end.
func New(t testing.TB, migs *migrate.Migrations, fsForHash fs.FS) *bun.DB {
	t.Helper()
	url := URL(t, migs, fsForHash)
	sqldb, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", url, err)
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	// Registered after pgtestdb's cleanup, so it runs first: the database
	// cannot be dropped while we hold connections to it.
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("pgtest: close %s: %v", url, err)
		}
	})
	return db
}

// Main runs the tests, stops the private server if one was started, and
// exits with the tests' status. Call it from TestMain with its *testing.M,
// or with a wrapper of it that cleans up after Run.
func Main(m interface{ Run() int }) {
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// setup returns the base connection config, starting the private server on
// first use.
func setup() (pgtestdb.Config, error) {
	setupOnce.Do(func() {
		if u := os.Getenv(URLEnv); u != "" {
			baseConf, setupErr = configFromURL(u)
			return
		}
		baseConf, setupErr = startServer(context.Background())
	})
	return baseConf, setupErr
}

// startServer starts the private server in a new temporary directory.
func startServer(ctx context.Context) (pgtestdb.Config, error) {
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return pgtestdb.Config{}, fmt.Errorf("create server dir: %w", err)
	}
	// MkdirTemp makes the directory 0700, but when we are root the server
	// runs as the postgres user, who must be able to reach the data
	// directory inside. The directory is ours, so opening it is harmless;
	// if TMPDIR itself is out of the server user's reach, pgserver keeps
	// the cluster elsewhere.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return pgtestdb.Config{}, fmt.Errorf("chmod server dir: %w", err)
	}
	s, err := pgserver.Start(ctx, pgserver.Options{
		DataDir:   filepath.Join(dir, "pg"),
		Ephemeral: true,
	})
	if err != nil {
		_ = pgserver.Remove(filepath.Join(dir, "pg"))
		os.RemoveAll(dir)
		return pgtestdb.Config{}, fmt.Errorf("start private server (or set %s): %w", URLEnv, err)
	}
	server, serverDir = s, dir
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       "127.0.0.1",
		Port:       strconv.Itoa(s.Port()),
		User:       "postgres",
		Database:   "postgres",
		Options:    "sslmode=disable",
	}, nil
}

// shutdown stops the private server, if any, and removes its directory.
func shutdown() error {
	// Waits for a setup still in progress, and keeps a later New from
	// starting a new server.
	setupOnce.Do(func() { setupErr = errors.New("pgtest: New called after Main finished") })
	if server == nil {
		return nil
	}
	err := server.Stop()
	// Remove follows the data directory to where pgserver placed the
	// cluster when the server user could not reach the temporary directory
	// (a TMPDIR under /root, say).
	if rmErr := pgserver.Remove(filepath.Join(serverDir, "pg")); rmErr != nil && err == nil {
		err = rmErr
	}
	if rmErr := os.RemoveAll(serverDir); rmErr != nil && err == nil {
		err = rmErr
	}
	if err != nil {
		return fmt.Errorf("pgtest: shut down private server: %w", err)
	}
	return nil
}

// configFromURL turns a postgres:// URL into a pgtestdb config.
func configFromURL(s string) (pgtestdb.Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return pgtestdb.Config{}, fmt.Errorf("parse %s: %w", URLEnv, err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return pgtestdb.Config{}, fmt.Errorf("%s must be a postgres:// URL, got scheme %q", URLEnv, u.Scheme)
	}
	conf := pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		Database:   strings.TrimPrefix(u.Path, "/"),
		Options:    u.RawQuery,
	}
	if strings.Contains(conf.Host, ":") {
		conf.Host = "[" + conf.Host + "]" // IPv6 literal
	}
	if conf.Host == "" {
		conf.Host = "localhost"
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	if conf.Database == "" {
		conf.Database = "postgres"
	}
	if u.User != nil {
		// pgtestdb pastes user and password into a URL as they are, so
		// keep them in their escaped form. The escaped user holds no
		// colon, so the first one separates the password.
		conf.User, conf.Password, _ = strings.Cut(u.User.String(), ":")
	}
	return conf, nil
}
