package database

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/pgbouncer"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestOpenTimeouts checks that every transaction runs under statement_timeout and
// lock_timeout, the defaults or the URL's, directly and behind PgBouncer in transaction mode,
// which refuses them as startup parameters; and that a value PostgreSQL would refuse stops
// Open with a message naming it.
func TestOpenTimeouts(t *testing.T) {
	direct := pgtest.URL(t, migrations.Migrations, migrations.FS)
	for name, dbURL := range map[string]string{"direct": direct, "pgbouncer": pgbouncer.URL(t, direct)} {
		t.Run(name, func(t *testing.T) {
			show := func(rawURL string) (lock, stmt string) {
				t.Helper()
				db, err := Open(context.Background(), rawURL)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				err = db.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
					return tx.QueryRowContext(ctx, "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')").Scan(&lock, &stmt)
				})
				if err != nil {
					t.Fatal(err)
				}
				return lock, stmt
			}
			if lock, stmt := show(dbURL); lock != "5s" || stmt != "10s" {
				t.Errorf("lock_timeout, statement_timeout = %s, %s; want 5s, 10s", lock, stmt)
			}
			if lock, stmt := show(withParams(t, dbURL, "lock_timeout", "250ms", "statement_timeout", "1min")); lock != "250ms" || stmt != "1min" {
				t.Errorf("from the URL: lock_timeout, statement_timeout = %s, %s; want 250ms, 1min", lock, stmt)
			}
			// Outside a transaction the statement timeout is the statement's deadline.
			db, err := Open(context.Background(), withParams(t, dbURL, "statement_timeout", "0.3s"))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = db.ExecContext(context.Background(), "SELECT pg_sleep(5)")
			if took := time.Since(start); err == nil || took > 3*time.Second {
				t.Errorf("a 5 s read outside a transaction: %v after %v, want an error after 0.3 s", err, took)
			}
			var one int
			if err := db.QueryRowContext(context.Background(), "SELECT 1 FROM pg_sleep(0.1)").Scan(&one); err != nil || one != 1 {
				t.Errorf("a read within the timeout: %v", err)
			}
			db.Close()
			for _, bad := range []struct{ value, want string }{
				{"5sec", `lock_timeout="5sec" in the database url: want a duration such as 10s`},
				{"1';drop_table_x;--", `lock_timeout="1';drop_table_x;--" in the database url`},
				{"99999999999s", `invalid value for parameter "lock_timeout"`},
			} {
				db, err := Open(context.Background(), withParams(t, dbURL, "lock_timeout", bad.value))
				if err == nil {
					db.Close()
					t.Errorf("lock_timeout=%s: Open succeeded", bad.value)
				} else if !strings.Contains(err.Error(), bad.want) || strings.Contains(err.Error(), "pgtdbpass") {
					t.Errorf("lock_timeout=%s: %v; want it to say %q and not the password", bad.value, err, bad.want)
				}
			}
		})
	}
}

// withParams returns rawURL with the query parameters of kv (name, value, …) set.
func withParams(t *testing.T, rawURL string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}
