package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/common"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/migrate"
)

// bunMigrator is a pgtestdb.Migrator that applies bun migrations to the
// template database.
type bunMigrator struct {
	migs *migrate.Migrations
	fsys fs.FS // migration sources to hash; may be nil
}

var _ pgtestdb.Migrator = bunMigrator{}

// Hash identifies the schema the migrations produce: pgtestdb reuses a
// template database whose hash matches, which matters on a long-lived
// TEST_DATABASE_URL server. Go migration bodies cannot be hashed, so their
// names stand in for them, and every file of fsys is hashed by path and
// content.
func (m bunMigrator) Hash() (string, error) {
	h := common.NewRecursiveHash()
	for _, mig := range m.migs.Sorted() {
		h.AddField("Migration", mig.String())
	}
	if m.fsys == nil {
		return h.String(), nil
	}
	// WalkDir visits files in lexical order, so the hash is stable.
	err := fs.WalkDir(m.fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(m.fsys, path)
		if err != nil {
			return err
		}
		h.AddField("File", path)
		h.Add(data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("pgtest: hash migrations: %w", err)
	}
	return h.String(), nil
}

// Migrate runs all migrations on the fresh template database.
func (m bunMigrator) Migrate(ctx context.Context, sqldb *sql.DB, _ pgtestdb.Config) error {
	// Not closed here: pgtestdb owns sqldb and closes it.
	db := bun.NewDB(sqldb, pgdialect.New())
	migrator := migrate.NewMigrator(db, m.migs)
	if err := migrator.Init(ctx); err != nil {
		return fmt.Errorf("pgtest: create migration tables: %w", err)
	}
	if _, err := migrator.Migrate(ctx); err != nil {
		return fmt.Errorf("pgtest: migrate: %w", err)
	}
	return nil
}
