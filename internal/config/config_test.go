package config

import (
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
		{map[string]string{"APP_ENV": "production"}, []string{"DATABASE_URL", "AUTH_JWKS_URL", "SECRETS_KEY"}},
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
	}
}

func TestLoadProduction(t *testing.T) {
	c, err := Load(env(map[string]string{
		"APP_ENV": "production", "DATABASE_URL": "postgres://u@db/app", "AUTH_JWKS_URL": "https://kc/certs",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "INTROSPECTION": "true", "LOG_LEVEL": "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Production || c.Playground || !c.Introspection || len(c.SecretsKey) != 32 || c.LogLevel.String() != "DEBUG" {
		t.Errorf("production config = %+v", c)
	}
}
