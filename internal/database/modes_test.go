package database

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/payplat/paygql/internal/pgbouncer"
	"github.com/payplat/paygql/internal/pgtest"
)

// TestHotStatementModes checks that the hot statements run in the mode DATABASE_URL names,
// and as named prepared statements from pgx's cache when it names none: it counts the
// prepared statements of the session that ran one.
func TestHotStatementModes(t *testing.T) {
	dbURL := pgtest.EmptyURL(t)
	for _, c := range []struct {
		mode  string
		named int // named prepared statements a hot statement leaves in its session
	}{
		{"", 1},
		{"cache_statement", 1},
		{"cache_describe", 0},
		{"describe_exec", 0},
		{"exec", 0},
		{"simple_protocol", 0},
	} {
		t.Run("mode="+c.mode, func(t *testing.T) {
			u := dbURL
			if c.mode != "" {
				u = withParams(t, dbURL, "default_query_exec_mode", c.mode)
			}
			db, err := Open(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			id := uuid.New()
			var got uuid.UUID
			var n int
			var p Params
			if err := conn.NewRaw("SELECT ?::uuid, ?::int /* hotmarker */", p.Arg(id), p.Arg(7)).Conn(p.Conn(conn)).Scan(ctx, &got, &n); err != nil {
				t.Fatal(err)
			}
			if got != id || n != 7 {
				t.Errorf("hot statement read back %s, %d; want %s, 7", got, n, id)
			}
			// The argument types of the hot paths: UUID lists, text lists, JSON as text.
			ids := []uuid.UUID{uuid.New(), id}
			var count int
			var second uuid.UUID
			var name string
			var lists Params
			idList := lists.Arg(ids) // written twice, bound once
			if err := conn.NewRaw("SELECT cardinality(?::uuid[]) + cardinality(?::text[]), (?::uuid[])[2], (jsonb_array_elements(?::jsonb))->>'n'",
				idList, lists.Arg([]string{"a", "b"}), idList, lists.Arg(`[{"n":"x"}]`)).
				Conn(lists.Conn(conn)).Scan(ctx, &count, &second, &name); err != nil {
				t.Fatal(err)
			}
			if count != 4 || second != id || name != "x" {
				t.Errorf("lists read back %d, %s, %q; want 4, %s, x", count, second, name, id)
			}
			// A text statement: its bytes as PostgreSQL sent them, NULL as nil, two rows
			// each read before the next; a binary column is refused.
			var text Params
			rows, err := conn.NewSelect().ColumnExpr("?::uuid::text", text.Arg(id)).ColumnExpr(`(array[g::text, NULL, 'a "b"'])::text`).
				ColumnExpr("NULL::text").TableExpr("generate_series(1, 2) g").Conn(text.TextConn(conn)).Rows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got3 []string
			for rows.Next() {
				var a, b, null sql.RawBytes
				if err := rows.Scan(&a, &b, &null); err != nil {
					t.Fatal(err)
				}
				if null != nil {
					t.Errorf("NULL read as %q", null)
				}
				got3 = append(got3, string(a)+" "+string(b))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if want := []string{id.String() + ` {1,NULL,"a \"b\""}`, id.String() + ` {2,NULL,"a \"b\""}`}; !slices.Equal(got3, want) {
				t.Errorf("text statement read %q, want %q", got3, want)
			}
			if c.mode == "" {
				var binary Params
				var n int
				err := conn.NewRaw("SELECT ?::int", binary.Arg(1)).Conn(binary.TextConn(conn)).Scan(ctx, &n)
				if err == nil || !strings.Contains(err.Error(), "not text") {
					t.Errorf("a binary column in a text statement: %v, want an error", err)
				}
			}
			var named int
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE strpos(statement, 'hot' || 'marker') > 0").Scan(&named); err != nil {
				t.Fatal(err)
			}
			if named != c.named {
				t.Errorf("%d named prepared statements in the session, want %d", named, c.named)
			}
		})
	}
}

// TestHotStatementsBehindPgBouncer runs transactions of hot statements from several clients
// at once through PgBouncer in transaction mode (1.18's defaults: no prepared statement
// tracking): in the modes a transaction pooler needs, every statement succeeds. With the
// default mode, a second client's named prepared statement meets the first's on the server
// connection PgBouncer lends both, and fails, which shows the test can tell.
func TestHotStatementsBehindPgBouncer(t *testing.T) {
	direct := pgtest.EmptyURL(t)
	through := pgbouncer.URL(t, direct)
	setup, err := Open(context.Background(), direct)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if _, err := setup.Exec("CREATE TABLE hot_counter (id uuid PRIMARY KEY, n int NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	hot := func(db *bun.DB, id uuid.UUID) error {
		return db.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
			var n int
			var p Params
			if err := tx.NewRaw("SELECT n FROM hot_counter WHERE id = ? FOR UPDATE", p.Arg(id)).Conn(p.Conn(tx)).Scan(ctx, &n); err != nil {
				return err
			}
			var q Params
			_, err := q.Exec(ctx, tx, "UPDATE hot_counter SET n = ? WHERE id = ?", q.Args(n+1, id)...)
			return err
		})
	}
	t.Run("default mode fails", func(t *testing.T) {
		id := uuid.New()
		if _, err := setup.Exec("INSERT INTO hot_counter VALUES (?, 0)", id); err != nil {
			t.Fatal(err)
		}
		var errs []error
		for range 2 { // two clients, one after the other: PgBouncer lends both its one server connection
			db, err := Open(context.Background(), through)
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, hot(db, id))
			db.Close()
		}
		var pgErr *pgconn.PgError
		if errs[0] != nil || !errors.As(errs[1], &pgErr) || pgErr.Code != "42P05" {
			t.Errorf("two clients' prepared statements through PgBouncer: %v; want nil, then 42P05", errs)
		}
	})
	const clients, txs = 8, 40
	for _, mode := range []string{"exec", "simple_protocol"} {
		t.Run("mode="+mode, func(t *testing.T) {
			db, err := Open(context.Background(), withParams(t, through, "default_query_exec_mode", mode))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			id := uuid.New()
			if _, err := setup.Exec("INSERT INTO hot_counter VALUES (?, 0)", id); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			commits, failures := 0, map[string]int{}
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for range txs {
						err := hot(db, id)
						mu.Lock()
						if err == nil {
							commits++
						} else {
							var pgErr *pgconn.PgError
							code := "other"
							if errors.As(err, &pgErr) {
								code = pgErr.Code
							}
							failures[code]++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			var n int
			if err := setup.QueryRow("SELECT n FROM hot_counter WHERE id = ?", id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d transactions: %d committed, failures by SQLSTATE %v; counter %d", clients*txs, commits, failures, n)
			if n != commits {
				t.Errorf("counter %d, want the %d commits", n, commits)
			}
			if commits != clients*txs {
				t.Errorf("%d of %d transactions committed, failures %v", commits, clients*txs, failures)
			}
		})
	}
}

// TestHotStatementOnOtherPool runs a hot statement on a pgx pool that Open did not make: it
// runs in that pool's own mode.
func TestHotStatementOnOtherPool(t *testing.T) {
	sqldb, err := sql.Open("pgx", pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	defer db.Close()
	id := uuid.New()
	var got uuid.UUID
	var p Params
	if err := db.NewRaw("SELECT ?::uuid", p.Arg(id)).Conn(p.Conn(db)).Scan(context.Background(), &got); err != nil || got != id {
		t.Errorf("read back %s, %v; want %s", got, err, id)
	}
	// A hot statement whose values were written into its text is refused.
	var none Params
	if _, err := db.NewRaw("SELECT ?::uuid", id).Conn(none.Conn(db)).Exec(context.Background()); err == nil {
		t.Error("a hot statement that binds no value ran")
	}
}
