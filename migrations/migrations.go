// Package migrations holds the database schema as hand-written SQL files, embedded in the
// binary and run by bun/migrate.
package migrations

import (
	"embed"

	"github.com/uptrace/bun/migrate"
)

// FS holds the *.up.sql and *.down.sql files.
//
//go:embed *.sql
var FS embed.FS

// Migrations is the ordered set of migrations read from FS.
var Migrations = migrate.NewMigrations()

func init() {
	if err := Migrations.Discover(FS); err != nil {
		panic(err)
	}
}
