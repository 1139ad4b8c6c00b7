package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/internal/testenv"
	"github.com/payplat/paygql/models"
)

// A value in the format every secret had before key rotation existed (no key id), and its key:
// the same vector as internal/secrets' tests.
const (
	legacyKey    = "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk="
	legacySealed = "AQ9YGQ5p6GI/QRTmjhmiJE0IKRwvboegNg5o+ToiqNM+WTkto2eOx0T4E2NSJrIs"
	legacyPlain  = "sk_live_legacy_4242"
)

func mustParseKey(t *testing.T, s string) []byte {
	t.Helper()
	k, err := secrets.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRotateSecrets seals secrets with an old key (and one in the format before key ids),
// rotates with the new key current and the old ones previous, and then opens every secret
// with the new key alone.
func TestRotateSecrets(t *testing.T) {
	store, dbURL := testenv.New(t)
	oldKey, newKey := secrets.NewKey(), secrets.NewKey()
	oldBox, err := secrets.NewBox(mustParseKey(t, oldKey))
	if err != nil {
		t.Fatal(err)
	}
	store.Secrets = oldBox
	api := newAPI(t, store)

	// Secrets written through the API with the old key: want maps "table/id/column" to the
	// plaintext.
	want := map[string]string{}
	for i := range 3 {
		in := map[string]any{"connectorId": "0b1e0000-0000-4000-8000-000000000001", "name": fmt.Sprint("c", i),
			"apiKey": fmt.Sprint("api-key-000", i), "secretKey": fmt.Sprint("secret-key-000", i),
			"password": fmt.Sprint("password-000", i), "extraCredentials": fmt.Sprint(`{"user":"u`, i, `"}`)}
		id := api.create(t, "createConnectorConfiguration", "CreateConnectorConfigurationInput", "connectorConfiguration", in)
		for _, col := range []string{"apiKey", "secretKey", "password", "extraCredentials"} {
			want["connector_configurations/"+id+"/"+snake(col)] = in[col].(string)
		}
	}
	api.create(t, "createConnectorConfiguration", "CreateConnectorConfigurationInput", "connectorConfiguration",
		map[string]any{"connectorId": "0b1e0000-0000-4000-8000-000000000002", "name": "no secrets"})
	for i, in := range []map[string]any{
		{"customerId": "6f1c0000-0000-4000-8000-00000000000a", "displayName": "g0", "merchantKey": "merchant-key-0000", "merchantPin": "1234"},
		{"customerId": "6f1c0000-0000-4000-8000-00000000000b", "displayName": "g1", "merchantKey": "merchant-key-0001"},
	} {
		id := api.create(t, "createCustomerPaymentGateway", "CreateCustomerPaymentGatewayInput", "customerPaymentGateway", in)
		want["customer_payment_gateways/"+id+"/merchant_key"] = in["merchantKey"].(string)
		if i == 0 {
			want["customer_payment_gateways/"+id+"/merchant_pin"] = "1234"
		}
	}
	// One value as stored before key ids existed.
	legacy, _ := base64.StdEncoding.DecodeString(legacySealed)
	var legacyID string
	if err := store.DB.NewRaw("UPDATE connector_configurations SET api_key = ? WHERE id = (SELECT id FROM connector_configurations WHERE api_key IS NOT NULL ORDER BY id LIMIT 1) RETURNING id", legacy).Scan(t.Context(), &legacyID); err != nil {
		t.Fatal(err)
	}
	want["connector_configurations/"+legacyID+"/api_key"] = legacyPlain
	before := snapshot(t, store)

	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("DATA_DIR", t.TempDir())
	t.Setenv("SECRETS_KEY", newKey)
	t.Setenv("SECRETS_KEY_PREVIOUS", oldKey+", "+legacyKey)
	rotate := func(wantLines ...string) {
		t.Helper()
		var out bytes.Buffer
		if err := run(t.Context(), []string{"rotate-secrets", "--batch", "2"}, os.Getenv, &out, io.Discard); err != nil {
			t.Fatalf("rotate-secrets: %v\n%s", err, out.String())
		}
		for _, l := range wantLines {
			if !strings.Contains(out.String(), l+"\n") {
				t.Errorf("rotate-secrets printed\n%s\nwant the line %q", out.String(), l)
			}
		}
	}
	rotate("connector_configurations: 3 rows with secrets, 12 values re-sealed, 0 already current",
		"customer_payment_gateways: 2 rows with secrets, 3 values re-sealed, 0 already current")
	// Idempotent: a second run finds everything current.
	rotate("connector_configurations: 3 rows with secrets, 0 values re-sealed, 12 already current",
		"customer_payment_gateways: 2 rows with secrets, 0 values re-sealed, 3 already current")

	// The new key alone opens every secret.
	onlyNew, err := secrets.NewBox(mustParseKey(t, newKey))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range models.SecretColumns {
		var rows []struct {
			ID    string
			Value []byte
		}
		if err := store.DB.NewRaw("SELECT id::text AS id, ? AS value FROM ? WHERE ? IS NOT NULL",
			bun.Ident(c.Column), bun.Ident(c.Table), bun.Ident(c.Column)).Scan(t.Context(), &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			plain, err := onlyNew.Open(r.Value)
			if err != nil {
				t.Errorf("%s/%s/%s does not open with the new key: %v", c.Table, r.ID, c.Column, err)
			}
			got[c.Table+"/"+r.ID+"/"+c.Column] = plain
		}
	}
	if mustMarshal(t, got) != mustMarshal(t, want) {
		t.Errorf("secrets after rotation:\n got %v\nwant %v", got, want)
	}
	// Through the API, with only the new key, the masks are the same as before.
	store.Secrets = onlyNew
	masks := newAPI(t, store).read(t, `{ connectorConfigurations { nodes { apiKey secretKey password extraCredentials } } }`)
	if !strings.Contains(masks, `"apiKey":"••••4242"`) || !strings.Contains(masks, `"secretKey":"••••0002"`) {
		t.Errorf("masks with the new key: %s", masks)
	}
	// Re-sealing is no change: versions, updatedAt and the audit log are as they were.
	if after := snapshot(t, store); after != before {
		t.Errorf("rotation changed records:\n%s\nwas\n%s", after, before)
	}

	// A key that is neither current nor previous stops the rotation, naming the row and
	// never the value.
	t.Setenv("SECRETS_KEY", secrets.NewKey())
	t.Setenv("SECRETS_KEY_PREVIOUS", "")
	var out bytes.Buffer
	err = run(t.Context(), []string{"rotate-secrets"}, os.Getenv, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "connector_configurations") || !strings.Contains(err.Error(), "column api_key") {
		t.Errorf("rotate-secrets without the key: %v, want an error naming the table, row and column", err)
	}
	for _, plain := range want {
		if err != nil && len(plain) >= 8 && strings.Contains(err.Error()+out.String(), plain) {
			t.Errorf("the error shows a secret: %v", err)
		}
	}
}

// TestSecretColumnsAreAllByteaColumns keeps models.SecretColumns complete: every bytea column
// of the schema holds a sealed secret, and rotate-secrets must know it, but for the ones
// listed here, which hold no secret.
func TestSecretColumnsAreAllByteaColumns(t *testing.T) {
	store, _ := testenv.New(t)
	var cols []string
	err := store.DB.NewRaw(`SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'bytea' ORDER BY 1`).Scan(t.Context(), &cols)
	if err != nil {
		t.Fatal(err)
	}
	notSecret := []string{"idempotency_keys.request_hash"} // a SHA-256 of a request
	cols = slices.DeleteFunc(cols, func(c string) bool { return slices.Contains(notSecret, c) })
	var known []string
	for _, c := range models.SecretColumns {
		known = append(known, c.Table+"."+c.Column)
	}
	slices.Sort(known)
	if !slices.Equal(cols, known) {
		t.Errorf("bytea columns %v, models.SecretColumns %v: add new secret columns to models.SecretColumns", cols, known)
	}
}

// api drives routes() on a store as an admin.
type api struct {
	url, token string
}

func newAPI(t *testing.T, store *models.Store) *api {
	t.Helper()
	cfg := &config.Config{HS256Secret: []byte("a-rotation-test-secret-of-32-bytes-at-least"), Introspection: true}
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: cfg.HS256Secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(routes(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), store.DB, store, verifier, ""))
	t.Cleanup(srv.Close)
	token, err := auth.MintHS256(cfg.HS256Secret, auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	return &api{url: srv.URL + "/query", token: token}
}

func (a *api) read(t *testing.T, query string) string {
	t.Helper()
	return a.post(t, query, nil)
}

// create runs a create mutation and returns the new record's id.
func (a *api) create(t *testing.T, op, inputType, entity string, in map[string]any) string {
	t.Helper()
	q := fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { %s { id } userErrors { field code } } }`, inputType, op, entity)
	body := a.post(t, q, map[string]any{"in": in})
	var raw struct {
		Data map[string]map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	var rec struct{ ID string }
	if err := json.Unmarshal(raw.Data[op][entity], &rec); err != nil || rec.ID == "" {
		t.Fatalf("%s: %s", op, body)
	}
	return rec.ID
}

func (a *api) post(t *testing.T, query string, vars map[string]any) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
		t.Fatalf("%d %s", res.StatusCode, out)
	}
	return string(out)
}

// snapshot renders what rotation must not change: every secret-holding record's version and
// updatedAt, and the audit log's size.
func snapshot(t *testing.T, store *models.Store) string {
	t.Helper()
	var rows []string
	err := store.DB.NewRaw(`SELECT id::text || ' v' || version || ' ' || updated_at::text FROM connector_configurations
		UNION ALL SELECT id::text || ' v' || version || ' ' || updated_at::text FROM customer_payment_gateways
		UNION ALL SELECT 'audit rows ' || count(*) FROM audit_log ORDER BY 1`).Scan(t.Context(), &rows)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
