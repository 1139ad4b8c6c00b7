// Package bench measures the update path against the floor that PostgreSQL itself allows.
//
//	go test -run '^$' -bench . -benchtime 3000x ./bench/
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/models"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var actor = &auth.Principal{Subject: "bench", Roles: []string{auth.RoleAdmin}}

// BenchmarkUpdateConnectorConfiguration changes two columns of one configuration per
// operation: through raw pgx (the floor: BEGIN, SELECT … FOR UPDATE, UPDATE, audit INSERT,
// COMMIT over pgx's statement cache), through models.Store, and through the whole GraphQL
// HTTP handler.
func BenchmarkUpdateConnectorConfiguration(b *testing.B) {
	ctx := context.Background()
	store, url := testenv.New(b)
	created, err := store.CreateConnectorConfiguration(ctx, actor, models.CreateConnectorConfigurationInput{
		ConnectorID: uuid.MustParse("0b1e0000-0000-4000-8000-000000000001"),
		ConnectorConfigurationFields: models.ConnectorConfigurationFields{
			Name: str("bench"), APIKey: str("sk_bench_123456789"), APIEndpointURL: str("https://bank.example/api"),
		},
	})
	if err != nil || len(created.UserErrors) > 0 {
		b.Fatal(err, created.UserErrors)
	}
	id := created.ConnectorConfiguration.ID

	b.Run("raw-pgx", func(b *testing.B) {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		i := 0
		for b.Loop() {
			i++
			if err := rawUpdate(ctx, conn, id, i); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("store", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			res, err := store.UpdateConnectorConfiguration(ctx, actor, models.UpdateConnectorConfigurationInput{
				ID: id, ConnectorConfigurationFields: models.ConnectorConfigurationFields{
					Name: str(fmt.Sprintf("store %d", i)), Priority: graphql.OmittableOf(&i),
				},
			})
			if err != nil || len(res.UserErrors) > 0 {
				b.Fatal(err, res.UserErrors)
			}
		}
	})

	b.Run("graphql-http", func(b *testing.B) {
		secret := []byte("bench-signing-secret-of-32-bytes-or-more")
		verifier, err := auth.NewVerifier(auth.Config{HS256Secret: secret})
		if err != nil {
			b.Fatal(err)
		}
		token, err := auth.MintHS256(secret, auth.Claims{Subject: "bench", Roles: []string{auth.RoleAdmin}})
		if err != nil {
			b.Fatal(err)
		}
		logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
		h := graph.NewHandler(&graph.Resolver{Store: store, Logger: logger}, graph.DefaultOptions)
		srv := httptest.NewServer(middleware.Log(logger, "/query", verifier.Middleware(h)))
		defer srv.Close()
		const q = `mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) {
			connectorConfiguration { id name priority version updatedAt } userErrors { field code message } } }`
		i := 0
		for b.Loop() {
			i++
			body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{
				"in": map[string]any{"id": id, "name": fmt.Sprintf("http %d", i), "priority": i},
			}})
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) || !bytes.Contains(out, []byte(`"userErrors":[]`)) {
				b.Fatalf("%d %s", res.StatusCode, out)
			}
		}
	})
}

// rawUpdate is the update path written by hand: the floor the store is measured against.
func rawUpdate(ctx context.Context, conn *pgx.Conn, id uuid.UUID, i int) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	var name *string
	var priority, version int
	err = tx.QueryRow(ctx, `SELECT cc.name, cc.priority, cc.version, c.code FROM connector_configurations cc
		JOIN connectors c ON c.id = cc.connector_id WHERE cc.id = $1 FOR UPDATE OF cc`, id).Scan(&name, &priority, &version, new(string))
	if err != nil {
		return err
	}
	newName := fmt.Sprintf("raw %d", i)
	if _, err := tx.Exec(ctx, `UPDATE connector_configurations SET name = $2, priority = $3, version = $4, updated_at = now() WHERE id = $1`,
		id, newName, i, version+1); err != nil {
		return err
	}
	changes, _ := json.Marshal(map[string]any{"name": map[string]any{"from": name, "to": newName}, "priority": map[string]any{"from": priority, "to": i}})
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (entity_type, entity_id, version, action, actor, changes) VALUES ($1, $2, $3, 'update', 'bench', $4)`,
		"ConnectorConfiguration", id.String(), version+1, changes); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func str(s string) graphql.Omittable[*string] { return graphql.OmittableOf(&s) }
