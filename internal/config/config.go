// Package config reads the server's configuration from the environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/netguard"
	"github.com/payplat/paygql/internal/outbox"
	"github.com/payplat/paygql/internal/secrets"
)

// Config is the server's configuration. Zero values of optional settings mean "development
// default", filled in by the caller that owns them (the dev database, the dev secrets).
type Config struct {
	Port        int
	Host        string // the address to listen on; "" is every interface
	DataDir     string
	DatabaseURL string
	Production  bool
	HS256Secret []byte
	JWKSURL     string
	Issuer      string
	Audience    string
	SecretsKey  []byte
	// SecretsPreviousKeys open secrets sealed before SECRETS_KEY was rotated; nothing is
	// sealed with them.
	SecretsPreviousKeys [][]byte
	SMTP                *outbox.SMTPConfig // nil (development only): mail goes to .eml files under DataDir/mail
	LogLevel            slog.Level
	Playground          bool
	Introspection       bool
	// CORSAllowedOrigins are the browser origins allowed to call /query from another origin;
	// empty allows none.
	CORSAllowedOrigins []string
	// CORSAllowedHeaders are the request headers those origins may send (lower case), besides
	// the CORS-safelisted ones; ["*"] allows any. Authorization and Content-Type are always
	// among them.
	CORSAllowedHeaders []string
	// Tracing says whether the standard OTEL_* variables ask for traces (see tracingOn).
	Tracing bool
	// ResponseGzipMinBytes is the size from which answers of /query are gzip-compressed
	// for clients that accept it; 0 turns compression off.
	ResponseGzipMinBytes int
	// EventsListenURL is where the change feed LISTENs for commits: "" is the database in use
	// (DATABASE_URL or development mode's), "none" polls only. Behind PgBouncer in transaction
	// mode LISTEN hears nothing: give a direct URL to PostgreSQL, or "none".
	EventsListenURL string
	// EventsPollInterval is how often the change feed reads new events unwoken.
	EventsPollInterval time.Duration
	// SubscriptionMaxConnections bounds one token subject's WebSocket connections per instance.
	SubscriptionMaxConnections int
	// SubscriptionMaxPerSubject bounds one token subject's running subscriptions per instance.
	SubscriptionMaxPerSubject int
	// Webhooks tunes webhook delivery (WEBHOOK_*).
	Webhooks Webhooks
}

// Webhooks is the configuration of webhook delivery.
type Webhooks struct {
	// Policy: https only and public addresses only in production; development allows http
	// and private addresses (WEBHOOK_ALLOW_PRIVATE overrides the latter).
	Policy      netguard.Policy
	Timeout     time.Duration // one delivery; 10s
	RetryWindow time.Duration // before the endpoint is disabled; 72h, at least 24h in production
	MinBackoff  time.Duration // after a first failure, doubled per further one up to 1h; 30s
	Workers     int           // deliveries sent at once per instance; 4
}

// DefaultResponseGzipMinBytes is RESPONSE_GZIP_MIN_BYTES unless set: an answer of a few
// KiB (one record with its lists) already shrinks several times, while below that the
// bytes saved are fewer than a network packet holds.
const DefaultResponseGzipMinBytes = 4096

// maxResponseGzipMinBytes bounds RESPONSE_GZIP_MIN_BYTES: an answer is held in memory until
// it reaches the threshold.
const maxResponseGzipMinBytes = 64 << 20

// Defaults of the change feed and subscriptions.
const (
	DefaultEventsPollInterval         = time.Second
	DefaultSubscriptionMaxConnections = 16
	DefaultSubscriptionMaxPerSubject  = 64
)

// DevCORSOrigins are the origins allowed in development mode when CORS_ALLOWED_ORIGINS is
// unset: front-end dev servers on this machine, on any port.
var DevCORSOrigins = []string{"http://localhost:*", "http://127.0.0.1:*"}

// DefaultCORSHeaders are the request headers browser apps may send when
// CORS_ALLOWED_HEADERS is unset: the token and the body's type, which every request needs,
// Accept (GraphQL over HTTP's media types), this API's request id, W3C Trace Context and
// Baggage (OpenTelemetry's browser instrumentation), and what Apollo Client sends
// (apollographql-client-name and -version, the CSRF-prevention apollo-require-preflight and
// x-apollo-operation-name).
var DefaultCORSHeaders = []string{
	"authorization", "content-type", "accept", "x-request-id",
	"traceparent", "tracestate", "baggage",
	"apollographql-client-name", "apollographql-client-version", "apollo-require-preflight", "x-apollo-operation-name",
}

// requiredCORSHeaders are allowed whatever CORS_ALLOWED_HEADERS says: no request to /query
// works without them.
var requiredCORSHeaders = []string{"authorization", "content-type"}

// Load reads the configuration from getenv (os.Getenv in production). A bad value is an error
// that names its variable.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{Port: 8080, DataDir: "./.data", LogLevel: slog.LevelInfo, Tracing: tracingOn(getenv),
		ResponseGzipMinBytes: DefaultResponseGzipMinBytes}
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
	if v := getenv("SECRETS_KEY_PREVIOUS"); v != "" {
		for i, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			key, err := secrets.ParseKey(part)
			if err != nil {
				// The position, never the value: it is a key.
				bad("SECRETS_KEY_PREVIOUS", "key %d: %v (want comma-separated base64 keys of %d bytes)", i+1, err, secrets.KeySize)
				continue
			}
			c.SecretsPreviousKeys = append(c.SecretsPreviousKeys, key)
		}
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
	if !c.Production {
		c.CORSAllowedOrigins = DevCORSOrigins
	}
	if v := getenv("CORS_ALLOWED_ORIGINS"); v != "" {
		origins, err := parseOrigins(v)
		if err != nil {
			bad("CORS_ALLOWED_ORIGINS", "%v", err)
		}
		c.CORSAllowedOrigins = origins
	}
	c.CORSAllowedHeaders = DefaultCORSHeaders
	if v := getenv("CORS_ALLOWED_HEADERS"); v != "" {
		headers, err := parseHeaderNames(v)
		if err != nil {
			bad("CORS_ALLOWED_HEADERS", "%v", err)
		}
		c.CORSAllowedHeaders = headers
	}
	if v := getenv("RESPONSE_GZIP_MIN_BYTES"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > maxResponseGzipMinBytes {
			bad("RESPONSE_GZIP_MIN_BYTES", "%q is not a number of bytes from 0 (compression off) to %d", v, maxResponseGzipMinBytes)
		}
		c.ResponseGzipMinBytes = n
	}
	c.EventsListenURL = getenv("EVENTS_LISTEN_URL")
	if v := c.EventsListenURL; v != "" && v != "none" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
		bad("EVENTS_LISTEN_URL", "must be a postgres:// URL, or none to poll only")
	}
	c.EventsPollInterval = DefaultEventsPollInterval
	if v := getenv("EVENTS_POLL_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > time.Minute {
			bad("EVENTS_POLL_INTERVAL", "%q is not a duration from 10ms to 1m, such as 1s or 250ms", v)
		}
		c.EventsPollInterval = d
	}
	c.SubscriptionMaxConnections = DefaultSubscriptionMaxConnections
	c.SubscriptionMaxPerSubject = DefaultSubscriptionMaxPerSubject
	for name, dst := range map[string]*int{"SUBSCRIPTION_MAX_CONNECTIONS": &c.SubscriptionMaxConnections, "SUBSCRIPTION_MAX_PER_SUBJECT": &c.SubscriptionMaxPerSubject} {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100000 {
				bad(name, "%q is not a number from 1 to 100000", v)
			}
			*dst = n
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
		switch {
		case c.SMTP == nil && getenv("SMTP_URL") == "":
			// Without it mail would go to .eml files on one instance's disk: no user would
			// ever get a registration mail.
			bad("SMTP_URL", "is required when APP_ENV=production (without it no mail is sent)")
		case c.SMTP != nil && c.SMTP.From == "":
			// Relays refuse the development sender noreply@localhost.
			bad("SMTP_URL", "needs ?from=address when APP_ENV=production")
		}
	}
	c.Webhooks = loadWebhooks(getenv, c.Production, bad)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// loadWebhooks reads the WEBHOOK_* variables.
func loadWebhooks(getenv func(string) string, production bool, bad func(name, format string, args ...any)) Webhooks {
	w := Webhooks{
		Policy:  netguard.Policy{AllowHTTP: !production, AllowPrivate: !production},
		Timeout: 10 * time.Second, RetryWindow: 72 * time.Hour, MinBackoff: 30 * time.Second, Workers: 4,
	}
	duration := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				bad(name, "%q is not a positive duration such as 10s or 72h", v)
				return
			}
			*dst = d
		}
	}
	duration("WEBHOOK_TIMEOUT", &w.Timeout)
	duration("WEBHOOK_RETRY_WINDOW", &w.RetryWindow)
	duration("WEBHOOK_MIN_BACKOFF", &w.MinBackoff)
	if production && w.RetryWindow < 24*time.Hour {
		bad("WEBHOOK_RETRY_WINDOW", "must be at least 24h when APP_ENV=production")
	}
	if v := getenv("WEBHOOK_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			bad("WEBHOOK_WORKERS", "%q is not a number from 1 to 64", v)
		}
		w.Workers = n
	}
	if v := getenv("WEBHOOK_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("WEBHOOK_ALLOW_PRIVATE", "%q is not true or false", v)
		}
		w.Policy.AllowPrivate = b
	}
	return w
}

// parseOrigins parses a comma-separated list of origins as browsers send them in the Origin
// header: scheme://host[:port], nothing after. One "*" may stand for a part of an origin
// ("https://*.example.com", "http://localhost:*"), and "*" alone allows every origin.
func parseOrigins(list string) ([]string, error) {
	var origins []string
	for _, o := range strings.Split(list, ",") {
		o = strings.ToLower(strings.TrimSpace(o))
		if o == "" || o == "*" {
			if o == "*" {
				origins = append(origins, o)
			}
			continue
		}
		if strings.Count(o, "*") > 1 {
			return nil, fmt.Errorf("%q: at most one * per origin", o)
		}
		// An origin is exactly scheme://host[:port]. url.Parse refuses "*" as a port, so check
		// the origin with a stand-in.
		stand := strings.Replace(o, "*", "0", 1)
		u, err := url.Parse(stand)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Scheme+"://"+u.Host != stand {
			return nil, fmt.Errorf("%q is not an origin like https://app.example.com or http://localhost:3000 (no path, not even a trailing /)", o)
		}
		origins = append(origins, o)
	}
	switch {
	case len(origins) == 0:
		return nil, errors.New("no origin in the list")
	case len(origins) > 1 && slices.Contains(origins, "*"):
		return nil, errors.New(`"*" allows every origin, so it must stand alone`)
	}
	return origins, nil
}

// parseHeaderNames parses a comma-separated list of request header names, any case, or "*"
// alone for every header. Authorization and Content-Type are added when missing.
func parseHeaderNames(list string) ([]string, error) {
	var names []string
	for _, h := range strings.Split(list, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
		case h == "*":
			names = append(names, h)
		case !httpguts.ValidHeaderFieldName(h):
			return nil, fmt.Errorf("%q is not a header name such as traceparent or X-Client-Version", h)
		case !slices.Contains(names, h):
			names = append(names, h)
		}
	}
	switch {
	case len(names) == 0:
		return nil, errors.New("no header name in the list")
	case slices.Contains(names, "*"):
		if len(names) > 1 {
			return nil, errors.New(`"*" allows every header, so it must stand alone`)
		}
		return names, nil
	}
	for _, h := range slices.Backward(requiredCORSHeaders) {
		if !slices.Contains(names, h) {
			names = slices.Insert(names, 0, h)
		}
	}
	return names, nil
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

// tracingOn reports whether the standard OpenTelemetry variables ask for traces: an OTLP
// endpoint or a traces exporter other than "none", unless the SDK is disabled. The SDK reads
// the other OTEL_* variables (service name, protocol, headers, sampler) itself.
func tracingOn(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	if e := getenv("OTEL_TRACES_EXPORTER"); e != "" {
		return e != "none"
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}
