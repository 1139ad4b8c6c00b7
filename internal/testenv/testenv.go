// Package testenv gives a test a models.Store on its own freshly migrated database, opened as
// the server opens it. Packages using it call pgtest.Main from TestMain.
package testenv

import (
	"context"
	"testing"

	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/migrations"
	"github.com/payplat/paygql/models"
)

// New returns a store on a new database with a random secrets key, and the database's URL;
// the database goes at test end.
func New(t testing.TB) (*models.Store, string) {
	t.Helper()
	url := pgtest.URL(t, migrations.Migrations, migrations.FS)
	return Open(t, url), url
}

// Open returns a store on the database at url (one from New, say, with other connection
// parameters), opened as the server opens it, with its own random secrets key; it is closed
// at test end.
func Open(t testing.TB, url string) *models.Store {
	t.Helper()
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	key, err := secrets.ParseKey(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return &models.Store{DB: db, Secrets: box}
}
