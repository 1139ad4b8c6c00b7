package demo

import (
	"bytes"
	"testing"

	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/migrations"
	"github.com/payplat/paygql/models"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestLoadRunsOnce(t *testing.T) {
	db, err := database.Open(t.Context(), pgtest.URL(t, migrations.Migrations, migrations.FS))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secrets.NewBox(bytes.Repeat([]byte{3}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s := &models.Store{DB: db, Secrets: box}
	for i, want := range []bool{true, false} {
		loaded, err := Load(t.Context(), s)
		if err != nil || loaded != want {
			t.Fatalf("Load #%d = %v, %v; want %v", i+1, loaded, err, want)
		}
	}
	page, err := s.ConnectorConfigurations(t.Context(), models.ConnectorConfigurationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(page.Nodes); n != 3 {
		t.Errorf("demo configurations = %d, want 3", n)
	}
}
