package database

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/migrations"
)

// TestDownFilesAreTransactional: RollbackLast can only find out what a down migration drops
// by trying it in a transaction, so every migration needs a .tx.down.sql file.
func TestDownFilesAreTransactional(t *testing.T) {
	for _, m := range migrations.Migrations.Sorted() {
		if err := CheckDownFile(m); err != nil {
			t.Error(err)
		}
	}
}

// publicTables lists the tables of the public schema, from information_schema rather than
// the catalog query RollbackLast uses.
func publicTables(t *testing.T, db *bun.DB) []string {
	t.Helper()
	var names []string
	err := db.NewRaw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`).Scan(context.Background(), &names)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func rowCount(t *testing.T, db *bun.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.NewRaw("SELECT count(*) FROM ?", bun.Ident(table)).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRollbackLastStepByStep rolls a freshly migrated database back one migration at a time,
// newest first, down to nothing. Each step reports exactly the tables that disappear from
// information_schema (so a new down migration cannot drop a table unreported), refuses,
// changing nothing, where a table it drops holds rows (connectors holds the reference data
// the first migration installs), and at the end only bun's own tables are left and the
// migrations apply again.
func TestRollbackLastStepByStep(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.URL(t, migrations.Migrations, migrations.FS))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	all := migrations.Migrations.Sorted()
	for i := len(all) - 1; i >= 0; i-- {
		want := all[i].String()
		before := publicTables(t, db)
		r, err := RollbackLast(ctx, db, RollbackOptions{})
		var refused *TablesHoldRowsError
		if errors.As(err, &refused) {
			if refused.Migration != want || len(refused.Tables) == 0 {
				t.Fatalf("refusal %+v, want one for %s naming tables", refused, want)
			}
			for _, tb := range refused.Tables {
				if got := rowCount(t, db, tb.Name); got == 0 || got != tb.Rows {
					t.Errorf("%s: refused over %s with %d rows; it holds %d", want, tb.Name, tb.Rows, got)
				}
			}
			if got := publicTables(t, db); !slices.Equal(got, before) {
				t.Fatalf("%s: refused, yet the tables went from %v to %v", want, before, got)
			}
			if unknown := len(mustApplied(t, db)); unknown != i+1 {
				t.Fatalf("%s: refused, yet %d migrations are applied, want %d", want, unknown, i+1)
			}
			r, err = RollbackLast(ctx, db, RollbackOptions{Force: true})
		}
		if err != nil {
			t.Fatalf("roll back %s: %v", want, err)
		}
		if r.Migration != want || r.Remaining != i {
			t.Fatalf("rolled back %s with %d left, want %s with %d", r.Migration, r.Remaining, want, i)
		}
		after := publicTables(t, db)
		var gone []string
		for _, name := range before {
			if !slices.Contains(after, name) {
				gone = append(gone, name)
			}
		}
		var reported []string
		for _, tb := range r.Dropped {
			reported = append(reported, tb.Name)
		}
		if !slices.Equal(reported, gone) {
			t.Errorf("%s: reported dropping %v; the tables that went are %v", want, reported, gone)
		}
		if got := len(mustApplied(t, db)); got != i {
			t.Errorf("after rolling back %s: %d migrations applied, want %d", want, got, i)
		}
	}
	if got := publicTables(t, db); !slices.Equal(got, []string{"bun_migration_locks", "bun_migrations"}) {
		t.Errorf("rolled back completely, the tables left are %v", got)
	}
	if r, err := RollbackLast(ctx, db, RollbackOptions{}); err != nil || r.Migration != "" {
		t.Errorf("nothing left: %+v, %v; want nothing rolled back", r, err)
	}
	if g, err := Migrate(ctx, db); err != nil || len(g.Migrations) != len(all) {
		t.Errorf("migrate again: %v, %v", g, err)
	}
}

// TestRollbackLastDryRunAndUnknown: a dry run says what would go and changes nothing; a last
// migration this binary does not know is refused, and listed by UnknownMigrations.
func TestRollbackLastDryRunAndUnknown(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.URL(t, migrations.Migrations, migrations.FS))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `INSERT INTO idempotency_keys (actor, idempotency_key, operation, request_hash, expires_at)
		VALUES ('a', 'k1', 'op', '\x00', now()), ('a', 'k2', 'op', '\x00', now())`); err != nil {
		t.Fatal(err)
	}
	// The migrations after idempotency_keys' own add columns, triggers and indexes, or tables
	// that hold no rows here (webhooks): rolling them back without force drops none that holds
	// rows.
	sorted := migrations.Migrations.Sorted()
	keys := slices.IndexFunc(sorted, func(m migrate.Migration) bool { return m.Name == "20261125100002" })
	for range sorted[keys+1:] {
		if r, err := RollbackLast(ctx, db, RollbackOptions{}); err != nil || strings.Contains(r.Dropped.String(), "idempotency_keys") {
			t.Fatalf("rolling back %+v: %v; want no table with rows dropped", r, err)
		}
	}
	last := sorted[keys].String()
	r, err := RollbackLast(ctx, db, RollbackOptions{DryRun: true})
	if err != nil || r.Migration != last || r.Dropped.String() != "idempotency_keys (2 rows)" {
		t.Fatalf("dry run: %+v, %v; want %s dropping idempotency_keys (2 rows)", r, err, last)
	}
	if n := rowCount(t, db, "idempotency_keys"); n != 2 || len(mustApplied(t, db)) != keys+1 {
		t.Errorf("the dry run changed something: %d rows", n)
	}

	if _, err := db.ExecContext(ctx, `INSERT INTO bun_migrations (name, group_id) VALUES ('29990101000000', 99), ('29990101000001', 99)`); err != nil {
		t.Fatal(err)
	}
	unknown, err := UnknownMigrations(ctx, db)
	if err != nil || !slices.Equal(unknown, []string{"29990101000000", "29990101000001"}) {
		t.Errorf("UnknownMigrations = %v, %v", unknown, err)
	}
	var ue *UnknownMigrationError
	if _, err := RollbackLast(ctx, db, RollbackOptions{Force: true}); !errors.As(err, &ue) || ue.Name != "29990101000001" {
		t.Errorf("rolling back an unknown migration: %v, want an UnknownMigrationError naming 29990101000001", err)
	}
	if n := rowCount(t, db, "idempotency_keys"); n != 2 {
		t.Errorf("the refused rollback changed idempotency_keys: %d rows", n)
	}
}

func mustApplied(t *testing.T, db *bun.DB) []string {
	t.Helper()
	var names []string
	if err := db.NewRaw("SELECT name FROM bun_migrations ORDER BY name").Scan(context.Background(), &names); err != nil {
		t.Fatal(err)
	}
	return names
}
