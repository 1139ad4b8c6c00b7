package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestProductionRoutes serves the real routes() with a production configuration: no
// playground and no introspection unless asked for, while the API itself works.
func TestProductionRoutes(t *testing.T) {
	const (
		schemaQ = `{"query":"{ __schema { queryType { name } types { name } } }"}`
		typeQ   = `{"query":"{ __type(name: \"ConnectorConfiguration\") { fields { name } } }"}`
		dataQ   = `{"query":"{ connectors { code } }"}`
	)
	prodURL, prodToken := serveRoutes(t, prodEnv)
	openURL, openToken := serveRoutes(t, with(with(prodEnv, "PLAYGROUND", "true"), "INTROSPECTION", "true"))
	devURL, devToken := serveRoutes(t, nil)

	tests := []struct {
		name, url, method, path, token, body string
		wantStatus                           int
		want, notWant                        string
	}{
		{"production: no playground", prodURL, "GET", "/", "", "", 404, "", "graphiql"},
		{"production: no playground assets", prodURL, "GET", "/playground/assets/graphiql-4.1.2/graphiql.min.js", "", "", 404, "", ""},
		{"production: no __schema", prodURL, "POST", "/query", prodToken, schemaQ, 200, "INTROSPECTION_DISABLED", `"queryType"`},
		{"production: no __type", prodURL, "POST", "/query", prodToken, typeQ, 200, "INTROSPECTION_DISABLED", `"fields"`},
		{"production: nothing at all without a token", prodURL, "POST", "/query", "", schemaQ, 401, "UNAUTHENTICATED", `"queryType"`},
		{"production: the API works", prodURL, "POST", "/query", prodToken, dataQ, 200, "GARANTI", ""},
		{"production: data needs a token", prodURL, "POST", "/query", "", dataQ, 401, "UNAUTHENTICATED", "GARANTI"},
		{"production, enabled: playground", openURL, "GET", "/", "", "", 200, "graphiql", ""},
		{"production, enabled: __schema", openURL, "POST", "/query", openToken, schemaQ, 200, `"queryType":{"name":"Query"}`, ""},
		{"development: playground", devURL, "GET", "/", "", "", 200, "graphiql", ""},
		{"development: __type", devURL, "POST", "/query", devToken, typeQ, 200, `"name":"apiKey"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, tt.url+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.want) ||
				tt.notWant != "" && strings.Contains(string(body), tt.notWant) {
				t.Errorf("%d %.300s; want %d with %q, without %q", res.StatusCode, body, tt.wantStatus, tt.want, tt.notWant)
			}
		})
	}
}

// TestProductionRefusesToStart runs the server in production mode without its required
// configuration: it stops before opening anything, naming every missing variable.
func TestProductionRefusesToStart(t *testing.T) {
	for _, k := range []string{"DATABASE_URL", "AUTH_HS256_SECRET", "AUTH_JWKS_URL", "SECRETS_KEY", "SECRETS_KEY_PREVIOUS", "SMTP_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("APP_ENV", "production")
	t.Setenv("DATA_DIR", t.TempDir())
	t.Setenv("PORT", "1") // were it to get that far, listening would fail too
	for _, args := range [][]string{nil, {"rotate-secrets"}, {"migrate", "up"}} {
		var out bytes.Buffer
		err := run(t.Context(), args, os.Getenv, &out, io.Discard)
		if err == nil {
			t.Fatalf("run %v in production without configuration succeeded", args)
		}
		for _, name := range []string{"DATABASE_URL", "AUTH_JWKS_URL", "SECRETS_KEY", "SMTP_URL"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("run %v: %v, want it to name %s", args, err, name)
			}
		}
		if !strings.HasPrefix(err.Error(), "configuration:") || out.Len() != 0 {
			t.Errorf("run %v: %v (printed %q), want a configuration error before anything else", args, err, out.String())
		}
	}
}

// TestProductionRequiresSMTP runs the binary in production with everything but SMTP_URL: it
// refuses to start, naming SMTP_URL alone, rather than write mail no user would ever get to
// .eml files.
func TestProductionRequiresSMTP(t *testing.T) {
	dataDir := t.TempDir()
	env := []string{"DATA_DIR=" + dataDir, "PORT=" + freePort(t)}
	for k, v := range prodEnv {
		if k != "SMTP_URL" {
			env = append(env, k+"="+v)
		}
	}
	out, errOut, code := paygql(t, env)
	if code != 1 || out != "" || !strings.Contains(errOut, "SMTP_URL: is required when APP_ENV=production") {
		t.Errorf("production without SMTP_URL: exit %d, stdout %q, stderr %q; want 1 and an error naming SMTP_URL", code, out, errOut)
	}
	for _, other := range []string{"DATABASE_URL", "AUTH_", "SECRETS_KEY"} {
		if strings.Contains(errOut, other) {
			t.Errorf("the refusal names %s, which is set: %s", other, errOut)
		}
	}
	if entries, _ := os.ReadDir(dataDir); len(entries) > 0 {
		t.Errorf("refused, yet it wrote into DATA_DIR: %v", entries)
	}
}
