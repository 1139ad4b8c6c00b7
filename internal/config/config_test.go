package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.DataDir != "./.data" || c.Production || !c.Playground || !c.Introspection || c.DatabaseURL != "" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"PORT": "eighty"}, []string{"PORT"}},
		{map[string]string{"PORT": "70000"}, []string{"PORT"}},
		{map[string]string{"APP_ENV": "staging"}, []string{"APP_ENV"}},
		{map[string]string{"SECRETS_KEY": "c2hvcnQ="}, []string{"SECRETS_KEY"}},
		{map[string]string{"AUTH_HS256_SECRET": "short"}, []string{"AUTH_HS256_SECRET"}},
		{map[string]string{"LOG_LEVEL": "loud"}, []string{"LOG_LEVEL"}},
		{map[string]string{"DATABASE_URL": "mysql://x"}, []string{"DATABASE_URL"}},
		{map[string]string{"PLAYGROUND": "maybe"}, []string{"PLAYGROUND"}},
		{map[string]string{"RESPONSE_GZIP_MIN_BYTES": "4KiB"}, []string{"RESPONSE_GZIP_MIN_BYTES", `"4KiB"`, "compression off"}},
		{map[string]string{"RESPONSE_GZIP_MIN_BYTES": "-1"}, []string{"RESPONSE_GZIP_MIN_BYTES"}},
		{map[string]string{"RESPONSE_GZIP_MIN_BYTES": "1000000000"}, []string{"RESPONSE_GZIP_MIN_BYTES"}},
		{map[string]string{"SMTP_URL": "mail.example.com:587"}, []string{"SMTP_URL", "smtp://"}},
		{map[string]string{"SMTP_URL": "smtp://u:hunter22@mail.example.com?form=a@example.com"}, []string{"SMTP_URL", "form"}},
		{map[string]string{"APP_ENV": "production"}, []string{"DATABASE_URL", "AUTH_JWKS_URL", "SECRETS_KEY", "SMTP_URL"}},
	}
	for _, tt := range tests {
		_, err := Load(env(tt.env))
		if err == nil {
			t.Errorf("Load(%v) succeeded", tt.env)
			continue
		}
		for _, name := range tt.want {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("Load(%v) = %q, want it to name %s", tt.env, err, name)
			}
		}
		if strings.Contains(err.Error(), "hunter22") {
			t.Errorf("Load(%v) = %q shows the SMTP password", tt.env, err)
		}
	}
}

func TestLoadProduction(t *testing.T) {
	c, err := Load(env(map[string]string{
		"APP_ENV": "production", "DATABASE_URL": "postgres://u@db/app", "AUTH_JWKS_URL": "https://kc/certs",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "INTROSPECTION": "true", "LOG_LEVEL": "debug",
		"SMTP_URL": "smtp://mail.example.com?from=noreply@pay.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Production || c.Playground || !c.Introspection || len(c.SecretsKey) != 32 || c.LogLevel.String() != "DEBUG" {
		t.Errorf("production config = %+v", c)
	}
}

func TestLoadSMTP(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.SMTP != nil {
		t.Fatalf("without SMTP_URL: %v, %v; want no SMTP (the .eml directory)", c.SMTP, err)
	}
	c, err = Load(env(map[string]string{"SMTP_URL": "smtp://mailer:hunter22@mail.example.com?from=noreply@pay.example"}))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.SMTP; s.Host != "mail.example.com" || s.Port != 587 || s.Username != "mailer" || s.Password != "hunter22" ||
		s.From != "<noreply@pay.example>" || s.TLS != "mandatory" {
		t.Errorf("SMTP = %+v", s)
	}
	if printed := fmt.Sprintf("%v %+v %v", c, c, *c.SMTP); strings.Contains(printed, "hunter22") {
		t.Errorf("printing the config shows the SMTP password: %s", printed)
	}
	_, err = Load(env(map[string]string{
		"APP_ENV": "production", "DATABASE_URL": "postgres://u@db/app", "AUTH_JWKS_URL": "https://kc/certs",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "SMTP_URL": "smtp://mailer:hunter22@mail.example.com",
	}))
	if err == nil || !strings.Contains(err.Error(), "SMTP_URL") || !strings.Contains(err.Error(), "from") {
		t.Errorf("production SMTP_URL without from: %v, want an error naming SMTP_URL and from", err)
	}
}

func TestLoadCORSAllowedOrigins(t *testing.T) {
	prod := map[string]string{
		"APP_ENV": "production", "DATABASE_URL": "postgres://u@db/app", "AUTH_JWKS_URL": "https://kc/certs",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"SMTP_URL":    "smtp://mail.example.com?from=noreply@pay.example",
	}
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{k: v}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{nil, []string{"http://localhost:*", "http://127.0.0.1:*"}},
		{prod, nil},
		{with(prod, "CORS_ALLOWED_ORIGINS", " https://App.example.com , http://localhost:3000,"),
			[]string{"https://app.example.com", "http://localhost:3000"}},
		{with(nil, "CORS_ALLOWED_ORIGINS", "https://*.example.com"), []string{"https://*.example.com"}},
		{with(prod, "CORS_ALLOWED_ORIGINS", "*"), []string{"*"}},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env))
		if err != nil {
			t.Errorf("Load(%v): %v", tt.env, err)
			continue
		}
		if fmt.Sprint(c.CORSAllowedOrigins) != fmt.Sprint(tt.want) {
			t.Errorf("Load(%v).CORSAllowedOrigins = %q, want %q", tt.env, c.CORSAllowedOrigins, tt.want)
		}
	}

	for _, v := range []string{
		"app.example.com",             // no scheme
		"https://app.example.com/",    // a path, even "/", never matches an Origin header
		"https://app.example.com/app", // path
		"ftp://app.example.com",       // not http(s)
		"https://app.example.com?x",   // query
		"https://u@app.example.com",   // user info
		"https://*.*.example.com",     // two wildcards
		"*, https://app.example.com",  // "*" must stand alone
		"null",                        // the opaque origin of sandboxed pages and files
		" , ",                         // nothing
	} {
		_, err := Load(env(map[string]string{"CORS_ALLOWED_ORIGINS": v}))
		if err == nil || !strings.Contains(err.Error(), "CORS_ALLOWED_ORIGINS") {
			t.Errorf("CORS_ALLOWED_ORIGINS=%q: err = %v, want one naming the variable", v, err)
		}
	}
}

func TestLoadCORSAllowedHeaders(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", DefaultCORSHeaders},
		// The token and the body's type stay allowed: no request works without them.
		{" X-Client-Version , traceparent,", []string{"authorization", "content-type", "x-client-version", "traceparent"}},
		{"Content-Type,Authorization,traceparent,TRACEPARENT", []string{"content-type", "authorization", "traceparent"}},
		{"*", []string{"*"}},
	}
	for _, tt := range tests {
		c, err := Load(env(map[string]string{"CORS_ALLOWED_HEADERS": tt.value}))
		if err != nil {
			t.Errorf("CORS_ALLOWED_HEADERS=%q: %v", tt.value, err)
			continue
		}
		if !slices.Equal(c.CORSAllowedHeaders, tt.want) {
			t.Errorf("CORS_ALLOWED_HEADERS=%q: %q, want %q", tt.value, c.CORSAllowedHeaders, tt.want)
		}
	}
	for _, v := range []string{
		"X Client",               // a space inside a name
		"traceparent;tracestate", // not the separator
		"x-client:1",             // a header line, not a name
		"*, traceparent",         // "*" must stand alone
		" , ",                    // nothing
	} {
		_, err := Load(env(map[string]string{"CORS_ALLOWED_HEADERS": v}))
		if err == nil || !strings.Contains(err.Error(), "CORS_ALLOWED_HEADERS") {
			t.Errorf("CORS_ALLOWED_HEADERS=%q: err = %v, want one naming the variable", v, err)
		}
	}
}

func TestHost(t *testing.T) {
	prod := map[string]string{
		"APP_ENV": "production", "DATABASE_URL": "postgres://u@db/app", "AUTH_JWKS_URL": "https://kc/certs",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"SMTP_URL":    "smtp://mail.example.com?from=noreply@pay.example",
	}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "127.0.0.1"},
		{map[string]string{"HOST": "0.0.0.0"}, "0.0.0.0"},
		{map[string]string{"HOST": "::"}, "::"},
		{map[string]string{"HOST": "[::1]"}, "::1"},
		{map[string]string{"HOST": "localhost"}, "localhost"},
		{map[string]string{"HOST": "api.internal.example"}, "api.internal.example"},
		{prod, ""},
		{with(prod, "HOST", "10.0.0.5"), "10.0.0.5"},
	} {
		c, err := Load(env(tt.env))
		if err != nil {
			t.Errorf("Load(%v): %v", tt.env, err)
			continue
		}
		if c.Host != tt.want {
			t.Errorf("Load(%v).Host = %q, want %q", tt.env, c.Host, tt.want)
		}
	}
	for _, v := range []string{"127.0.0.1:8080", "http://localhost", "a b", "-x", "[127.0.0.1]", "[::1", "x..y"} {
		_, err := Load(env(map[string]string{"HOST": v}))
		if err == nil || !strings.Contains(err.Error(), "HOST") {
			t.Errorf("HOST=%q: %v, want an error naming HOST", v, err)
		}
	}
}

func TestLoadResponseGzipMinBytes(t *testing.T) {
	for v, want := range map[string]int{"": DefaultResponseGzipMinBytes, "0": 0, "1400": 1400, " 65536 ": 65536} {
		c, err := Load(env(map[string]string{"RESPONSE_GZIP_MIN_BYTES": v}))
		if err != nil {
			t.Fatalf("RESPONSE_GZIP_MIN_BYTES=%q: %v", v, err)
		}
		if c.ResponseGzipMinBytes != want {
			t.Errorf("RESPONSE_GZIP_MIN_BYTES=%q gives %d, want %d", v, c.ResponseGzipMinBytes, want)
		}
	}
}

// TestVariablesListsEveryVariable keeps `paygql --help` complete: every variable Load reads
// has a line.
func TestVariablesListsEveryVariable(t *testing.T) {
	listed := map[string]bool{}
	for _, v := range Variables {
		if listed[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		listed[v.Name] = true
	}
	_, _ = Load(func(k string) string {
		if !listed[k] {
			t.Errorf("Load reads %s, which Variables does not list", k)
		}
		return ""
	})
}

// TestLoadProductionRequires names each missing requirement of production mode on its own.
func TestLoadProductionRequires(t *testing.T) {
	complete := map[string]string{
		"APP_ENV": "production", "DATABASE_URL": "postgres://u@db/app", "AUTH_JWKS_URL": "https://kc/certs",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"SMTP_URL":    "smtp://mail.example.com?from=noreply@pay.example",
	}
	if _, err := Load(env(complete)); err != nil {
		t.Fatalf("complete production config: %v", err)
	}
	for _, missing := range []string{"DATABASE_URL", "AUTH_JWKS_URL", "SECRETS_KEY", "SMTP_URL"} {
		m := map[string]string{}
		for k, v := range complete {
			if k != missing {
				m[k] = v
			}
		}
		_, err := Load(env(m))
		if err == nil || !strings.Contains(err.Error(), missing) || strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("production without %s: %v, want one error naming it", missing, err)
		}
	}
	// An HS256 secret is an auth config too.
	m := map[string]string{"AUTH_HS256_SECRET": "a-production-secret-of-32-bytes-at-least"}
	for k, v := range complete {
		if k != "AUTH_JWKS_URL" {
			m[k] = v
		}
	}
	c, err := Load(env(m))
	if err != nil {
		t.Fatalf("production with AUTH_HS256_SECRET: %v", err)
	}
	if c.Playground || c.Introspection {
		t.Errorf("production defaults: playground %v, introspection %v; want both off", c.Playground, c.Introspection)
	}
}

func TestLoadSecretsKeyPrevious(t *testing.T) {
	const (
		k1 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
		k2 = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
	)
	c, err := Load(env(map[string]string{"SECRETS_KEY": k1, "SECRETS_KEY_PREVIOUS": " " + k2 + " ," + k1 + ","}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SecretsPreviousKeys) != 2 || string(c.SecretsPreviousKeys[0]) != "fedcba9876543210fedcba9876543210" {
		t.Errorf("SecretsPreviousKeys = %q", c.SecretsPreviousKeys)
	}
	const bad = "c2hvcnQtYnV0LXNlY3JldA=="
	_, err = Load(env(map[string]string{"SECRETS_KEY_PREVIOUS": k2 + "," + bad}))
	if err == nil || !strings.Contains(err.Error(), "SECRETS_KEY_PREVIOUS") || !strings.Contains(err.Error(), "key 2") {
		t.Errorf("a short previous key: %v, want an error naming SECRETS_KEY_PREVIOUS and key 2", err)
	}
	if err != nil && (strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), k2)) {
		t.Errorf("the error shows a key: %v", err)
	}
}

func TestLoadWebhooks(t *testing.T) {
	prod := map[string]string{
		"APP_ENV": "production", "DATABASE_URL": "postgres://u@db/app", "AUTH_JWKS_URL": "https://kc/certs",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "SMTP_URL": "smtp://mail.example.com?from=noreply@pay.example",
	}
	c, err := Load(env(prod))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Webhooks; w.Policy.AllowHTTP || w.Policy.AllowPrivate || w.Timeout.String() != "10s" || w.RetryWindow.String() != "72h0m0s" || w.Workers != 4 {
		t.Errorf("production webhooks = %+v, want https and public addresses only, 10s, 72h, 4", w)
	}
	if c, _ := Load(env(nil)); !c.Webhooks.Policy.AllowHTTP || !c.Webhooks.Policy.AllowPrivate {
		t.Errorf("development webhooks = %+v, want http and private addresses allowed", c.Webhooks)
	}
	for name, v := range map[string]string{"WEBHOOK_TIMEOUT": "soon", "WEBHOOK_RETRY_WINDOW": "1h", "WEBHOOK_MIN_BACKOFF": "-1s",
		"WEBHOOK_WORKERS": "0", "WEBHOOK_ALLOW_PRIVATE": "perhaps"} {
		m := map[string]string{name: v}
		for k, pv := range prod {
			m[k] = pv
		}
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s in production: %v, want an error naming it", name, v, err)
		}
	}
	c, err = Load(env(map[string]string{"WEBHOOK_RETRY_WINDOW": "2s", "WEBHOOK_ALLOW_PRIVATE": "false", "WEBHOOK_WORKERS": "2"}))
	if err != nil || c.Webhooks.RetryWindow.String() != "2s" || c.Webhooks.Policy.AllowPrivate || c.Webhooks.Workers != 2 {
		t.Errorf("development with settings: %+v, %v", c.Webhooks, err)
	}
}
