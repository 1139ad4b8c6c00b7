// Package config reads the server's configuration from the environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/outbox"
	"github.com/payplat/paygql/internal/secrets"
)

// Config is the server's configuration. Zero values of optional settings mean "development
// default", filled in by the caller that owns them (the dev database, the dev secrets).
type Config struct {
	Port          int
	Host          string // the address to listen on; "" is every interface
	DataDir       string
	DatabaseURL   string
	Production    bool
	HS256Secret   []byte
	JWKSURL       string
	Issuer        string
	Audience      string
	SecretsKey    []byte
	SMTP          *outbox.SMTPConfig // nil: mail goes to .eml files under DataDir/mail
	LogLevel      slog.Level
	Playground    bool
	Introspection bool
}

// Load reads the configuration from getenv (os.Getenv in production). A bad value is an error
// that names its variable.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{Port: 8080, DataDir: "./.data", LogLevel: slog.LevelInfo}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			bad("PORT", "%q is not a port number (1-65535)", v)
		}
		c.Port = p
	}
	if v := getenv("HOST"); v != "" {
		if !validHost(v) {
			bad("HOST", "%q is not an IP address or host name (no port: that is PORT)", v)
		}
		c.Host = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	}
	if v := getenv("DATA_DIR"); v != "" {
		c.DataDir = v
	}
	c.DatabaseURL = getenv("DATABASE_URL")
	if v := getenv("DATABASE_URL"); v != "" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
		bad("DATABASE_URL", "must be a postgres:// URL")
	}
	switch env := getenv("APP_ENV"); env {
	case "", "development", "dev":
	case "production", "prod":
		c.Production = true
	default:
		bad("APP_ENV", "%q is neither development nor production", env)
	}
	if v := getenv("AUTH_HS256_SECRET"); v != "" {
		if len(v) < auth.MinSecretLen {
			bad("AUTH_HS256_SECRET", "must be at least %d bytes", auth.MinSecretLen)
		}
		c.HS256Secret = []byte(v)
	}
	c.JWKSURL = getenv("AUTH_JWKS_URL")
	if v := c.JWKSURL; v != "" && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		bad("AUTH_JWKS_URL", "must be an http(s) URL")
	}
	c.Issuer = getenv("AUTH_ISSUER")
	c.Audience = getenv("AUTH_AUDIENCE")
	if v := getenv("SECRETS_KEY"); v != "" {
		key, err := secrets.ParseKey(v)
		if err != nil {
			bad("SECRETS_KEY", "%v (want base64 of %d random bytes)", err, secrets.KeySize)
		}
		c.SecretsKey = key
	}
	if v := getenv("SMTP_URL"); v != "" {
		smtp, err := outbox.ParseSMTPURL(v)
		if err != nil {
			bad("SMTP_URL", "%v", err)
		}
		c.SMTP = smtp
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			bad("LOG_LEVEL", "%q is not debug, info, warn or error", v)
		}
	}
	c.Playground, c.Introspection = !c.Production, !c.Production
	for name, dst := range map[string]*bool{"PLAYGROUND": &c.Playground, "INTROSPECTION": &c.Introspection} {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(name, "%q is not true or false", v)
			}
			*dst = b
		}
	}
	if getenv("HOST") == "" && !c.Production {
		// Development mode prints an admin token and serves demo data: keep it off the network
		// unless asked.
		c.Host = "127.0.0.1"
	}
	if c.Production {
		if c.DatabaseURL == "" {
			bad("DATABASE_URL", "is required when APP_ENV=production")
		}
		if c.HS256Secret == nil && c.JWKSURL == "" {
			bad("AUTH_JWKS_URL", "or AUTH_HS256_SECRET is required when APP_ENV=production")
		}
		if c.SecretsKey == nil {
			bad("SECRETS_KEY", "is required when APP_ENV=production")
		}
		if c.SMTP != nil && c.SMTP.From == "" {
			// Relays refuse the development sender noreply@localhost.
			bad("SMTP_URL", "needs ?from=address when APP_ENV=production")
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// validHost reports whether v names an address to listen on: an IP address (IPv6 with or
// without brackets) or a host name, without a port.
func validHost(v string) bool {
	if inner, ok := strings.CutPrefix(v, "["); ok {
		ip, ok := strings.CutSuffix(inner, "]")
		return ok && net.ParseIP(ip) != nil && strings.Contains(ip, ":")
	}
	if net.ParseIP(v) != nil {
		return true
	}
	if len(v) > 253 {
		return false
	}
	for _, label := range strings.Split(v, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
