package database

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/payplat/paygql/migrations"
)

// Table is a table a down migration drops, with the rows it held.
type Table struct {
	Name   string // schema-qualified unless in public
	Rows   int64
	quoted string // Name for SQL
}

func (t Table) String() string {
	if t.Rows == 1 {
		return t.Name + " (1 row)"
	}
	return fmt.Sprintf("%s (%d rows)", t.Name, t.Rows)
}

// Tables is a list of tables with their rows, printed as "a (2 rows), b (1 row)".
type Tables []Table

func (ts Tables) String() string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}

// Rollback says what RollbackLast rolled back, or would roll back.
type Rollback struct {
	// Migration is the migration rolled back, name_comment; "" when none was applied.
	Migration string
	// Dropped are the tables its down migration drops, by name.
	Dropped Tables
	// Remaining counts the migrations applied after the rollback.
	Remaining int
}

// RollbackOptions change what RollbackLast may do.
type RollbackOptions struct {
	Force  bool // drop tables even when they hold rows
	DryRun bool // find out what would be dropped, change nothing
}

// TablesHoldRowsError refuses a rollback that would drop tables holding rows.
type TablesHoldRowsError struct {
	Migration string
	Tables    Tables // only those holding rows
}

func (e *TablesHoldRowsError) Error() string {
	return fmt.Sprintf("rolling back %s would drop tables holding rows: %s; nothing was changed",
		e.Migration, e.Tables)
}

// UnknownMigrationError refuses to roll back a migration this binary has no files for.
type UnknownMigrationError struct{ Name string }

func (e *UnknownMigrationError) Error() string {
	return fmt.Sprintf("the last applied migration %s is unknown to this binary (a newer release applied it): roll it back with that release", e.Name)
}

// errProbed ends the probe's transaction once it knows what the down migration drops.
var errProbed = errors.New("probed")

// RollbackLast rolls back the last applied migration (the last of the last group), one
// migration, not bun's whole group, and returns what it dropped. Which tables a down
// migration drops is not read from its SQL but measured: the down migration first runs in a
// transaction that is rolled back, and the tables it dropped are those the catalog lost.
// Then it runs for real, in one transaction that also marks it unapplied: the tables it
// drops are locked and counted first, and when any holds rows and opt.Force is not set it
// refuses with a *TablesHoldRowsError, leaving everything as it was.
func RollbackLast(ctx context.Context, db *bun.DB, opt RollbackOptions) (*Rollback, error) {
	applied, err := Migrator(db).AppliedMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	if len(applied) == 0 {
		return &Rollback{}, nil
	}
	// bun's order: the last group first, and within a group the last name first.
	last := slices.MaxFunc(applied, func(a, b migrate.Migration) int {
		return cmp.Or(cmp.Compare(a.GroupID, b.GroupID), strings.Compare(a.Name, b.Name))
	})
	mig, err := downMigration(last)
	if err != nil {
		return nil, err
	}
	res := &Rollback{Migration: mig.String(), Remaining: len(applied) - 1}
	if res.Dropped, err = probeDrops(ctx, db, mig); err != nil {
		return nil, fmt.Errorf("%s: down: %w", res.Migration, err)
	}
	if opt.DryRun {
		for i := range res.Dropped {
			if err := countRows(ctx, db, &res.Dropped[i]); err != nil {
				return nil, err
			}
		}
		return res, nil
	}

	var before map[string]string
	run := migrate.NewMigrator(db, migrations.Migrations,
		migrate.BeforeMigration(func(ctx context.Context, tx bun.IConn, _ *migrate.Migration) (err error) {
			if err := lockAndCount(ctx, tx, res, opt.Force); err != nil {
				return err
			}
			before, err = tables(ctx, tx)
			return err
		}),
		migrate.AfterMigration(func(ctx context.Context, tx bun.IConn, _ *migrate.Migration) error {
			after, err := tables(ctx, tx)
			if err != nil {
				return err
			}
			if got := droppedTables(before, after); !slices.EqualFunc(got, res.Dropped, func(a, b Table) bool { return a.Name == b.Name }) {
				return fmt.Errorf("it dropped %s this time, not the %s counted: nothing was changed, try again",
					tableNames(got), tableNames(res.Dropped))
			}
			_, err = tx.ExecContext(ctx, "DELETE FROM bun_migrations WHERE id = ?", last.ID)
			return err
		}))
	if err := mig.Down(ctx, run, &mig); err != nil {
		var refused *TablesHoldRowsError
		if errors.As(err, &refused) {
			return nil, refused
		}
		return nil, fmt.Errorf("%s: down: %w", res.Migration, err)
	}
	return res, nil
}

// probeDrops runs the down migration mig in a transaction that it then rolls back, and
// returns the tables the catalog lost meanwhile, by name.
func probeDrops(ctx context.Context, db *bun.DB, mig migrate.Migration) (Tables, error) {
	var before, after map[string]string
	probe := migrate.NewMigrator(db, migrations.Migrations,
		migrate.BeforeMigration(func(ctx context.Context, tx bun.IConn, _ *migrate.Migration) (err error) {
			before, err = tables(ctx, tx)
			return err
		}),
		migrate.AfterMigration(func(ctx context.Context, tx bun.IConn, _ *migrate.Migration) (err error) {
			if after, err = tables(ctx, tx); err != nil {
				return err
			}
			return errProbed
		}))
	if err := mig.Down(ctx, probe, &mig); !errors.Is(err, errProbed) {
		return nil, err
	}
	return droppedTables(before, after), nil
}

// droppedTables returns the tables in before but not in after, by name.
func droppedTables(before, after map[string]string) Tables {
	var dropped Tables
	for name, quoted := range before {
		if _, ok := after[name]; !ok {
			dropped = append(dropped, Table{Name: name, quoted: quoted})
		}
	}
	slices.SortFunc(dropped, func(a, b Table) int { return strings.Compare(a.Name, b.Name) })
	return dropped
}

// tableNames lists the names of ts for a message.
func tableNames(ts Tables) string {
	if len(ts) == 0 {
		return "no table"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.Name
	}
	return strings.Join(s, ", ")
}

// downMigration returns the embedded migration of the applied one, checking that its down
// migration is an SQL file run in a transaction: RollbackLast's probe relies on that.
func downMigration(applied migrate.Migration) (migrate.Migration, error) {
	i := slices.IndexFunc(migrations.Migrations.Sorted(), func(m migrate.Migration) bool { return m.Name == applied.Name })
	if i < 0 {
		return migrate.Migration{}, &UnknownMigrationError{Name: applied.Name}
	}
	mig := migrations.Migrations.Sorted()[i]
	mig.ID, mig.GroupID = applied.ID, applied.GroupID
	if err := CheckDownFile(mig); err != nil {
		return migrate.Migration{}, err
	}
	return mig, nil
}

// CheckDownFile reports an error unless migration m has its down migration in an SQL file
// that runs in a transaction (name_comment.tx.down.sql): only such a file can be tried and
// undone, which is how RollbackLast finds out what it drops.
func CheckDownFile(m migrate.Migration) error {
	name := m.String() + ".tx.down.sql"
	if _, err := fs.Stat(migrations.FS, name); err != nil {
		return fmt.Errorf("migration %s has no %s, so migrate down cannot tell what it drops: roll it back by hand", m, name)
	}
	return nil
}

// lockAndCount locks the tables the probe found the down migration drops, so that no row
// arrives between the count and the drop, and counts their rows; with rows and without
// force it refuses.
func lockAndCount(ctx context.Context, tx bun.IConn, res *Rollback, force bool) error {
	if len(res.Dropped) == 0 {
		return nil
	}
	names := make([]string, len(res.Dropped))
	for i, t := range res.Dropped {
		names[i] = t.quoted
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("lock the tables to drop: %w", err)
	}
	var holding Tables
	for i := range res.Dropped {
		if err := countRows(ctx, tx, &res.Dropped[i]); err != nil {
			return err
		}
		if res.Dropped[i].Rows > 0 {
			holding = append(holding, res.Dropped[i])
		}
	}
	if len(holding) > 0 && !force {
		return &TablesHoldRowsError{Migration: res.Migration, Tables: holding}
	}
	return nil
}

func countRows(ctx context.Context, conn bun.IConn, t *Table) error {
	// ONLY: the rows of a partitioned table are its partitions', counted on their own.
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM ONLY "+t.quoted).Scan(&t.Rows); err != nil {
		return fmt.Errorf("count the rows of %s: %w", t.Name, err)
	}
	return nil
}

// tables returns the ordinary and partitioned tables of every schema but PostgreSQL's own:
// their names, schema-qualified unless in public, mapped to the names quoted for SQL.
func tables(ctx context.Context, conn bun.IConn) (map[string]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT
			CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
			format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, quoted string
		if err := rows.Scan(&name, &quoted); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out[name] = quoted
	}
	return out, rows.Err()
}

// UnknownMigrations returns the names of the migrations applied to the database that this
// binary does not embed, in name order: a newer release applied them. The migration tables
// must exist (Migrate or Init creates them).
func UnknownMigrations(ctx context.Context, db *bun.DB) ([]string, error) {
	missing, err := Migrator(db).MissingMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	names := map[string]bool{}
	for _, m := range missing {
		names[m.Name] = true
	}
	return slices.Sorted(maps.Keys(names)), nil
}
