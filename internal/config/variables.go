package config

// Variable describes one environment variable for `paygql --help`.
type Variable struct {
	Name    string
	Default string // "" when unset means nothing
	Meaning string
}

// Variables lists every environment variable the server reads, in the order the README's
// table has them. A test checks that Load reads none that is missing here.
var Variables = []Variable{
	{"PORT", "8080", "HTTP port"},
	{"HOST", "127.0.0.1; in production every interface", "address to listen on; 0.0.0.0 or :: for every interface"},
	{"DATA_DIR", "./.data", "development mode's PostgreSQL cluster, secrets and .eml mail"},
	{"DATABASE_URL", "a private PostgreSQL in DATA_DIR", "postgres:// URL of the database to use"},
	{"APP_ENV", "development", "production requires DATABASE_URL, an auth config, SECRETS_KEY and SMTP_URL"},
	{"AUTH_HS256_SECRET", "development secret in DATA_DIR", "HS256 shared secret, at least 32 bytes"},
	{"AUTH_JWKS_URL", "", "JWKS URL for RS256 tokens (Keycloak realm certs)"},
	{"AUTH_ISSUER", "", "required iss claim"},
	{"AUTH_AUDIENCE", "", "required aud claim"},
	{"SECRETS_KEY", "development key in DATA_DIR", "base64 of 32 random bytes: AES-256-GCM key for secrets at rest"},
	{"SECRETS_KEY_PREVIOUS", "", "comma-separated former SECRETS_KEYs: they open old secrets, nothing is sealed with them"},
	{"SMTP_URL", ".eml files in DATA_DIR/mail; required in production", "smtp[s]://[user:pass@]host[:port][?from=…] where mail goes"},
	{"CORS_ALLOWED_ORIGINS", "localhost origins; none in production", "comma-separated origins browsers may call /query from, or *"},
	{"CORS_ALLOWED_HEADERS", "Authorization, Content-Type, Accept, X-Request-ID, OpenTelemetry's and Apollo's", "comma-separated request headers those origins may send, or *; Authorization and Content-Type always"},
	{"RESPONSE_GZIP_MIN_BYTES", "4096", "gzip answers of /query from this many bytes for clients that accept it; 0 turns it off"},
	{"EVENTS_LISTEN_URL", "the database in use", "postgres:// URL on which the change feed LISTENs (direct, not PgBouncer in transaction mode), or none to poll only"},
	{"EVENTS_POLL_INTERVAL", "1s", "how often the change feed reads new events when no notification wakes it"},
	{"SUBSCRIPTION_MAX_CONNECTIONS", "16", "WebSocket connections one token subject may hold per instance"},
	{"SUBSCRIPTION_MAX_PER_SUBJECT", "64", "subscriptions one token subject may run per instance"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"PLAYGROUND", "on, except in production", "true/false: serve the playground at /"},
	{"INTROSPECTION", "on, except in production", "true/false: answer schema introspection"},
	{"WEBHOOK_TIMEOUT", "10s", "how long one webhook delivery may take"},
	{"WEBHOOK_RETRY_WINDOW", "72h", "how long a failing delivery is retried before its endpoint is disabled; at least 24h in production"},
	{"WEBHOOK_MIN_BACKOFF", "30s", "wait after a delivery's first failure, doubled per further failure up to 1h, with jitter"},
	{"WEBHOOK_WORKERS", "4", "webhook deliveries one instance sends at once"},
	{"WEBHOOK_ALLOW_PRIVATE", "true in development, false in production", "true/false: allow webhook URLs on loopback, private and link-local addresses"},
	{"PG_BIN_DIR", "newest /usr/lib/postgresql/*/bin", "where development mode finds postgres and initdb"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP collector URL (http://host:4318): traces HTTP, resolvers and SQL; other OTEL_* apply"},
	{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "OTLP URL for traces only, instead of the one above"},
	{"OTEL_TRACES_EXPORTER", "off unless an OTLP endpoint is set", "otlp, console or none"},
	{"OTEL_SDK_DISABLED", "false", "true turns tracing off whatever else is set"},
	{"GOGC", "300", "Go garbage collector target, percent of the live heap; GOMEMLIMIT also applies"},
	{"GOMEMLIMIT", "36MiB, or twice the live heap and 16MiB when more", "soft limit of the Go runtime's memory (the executable's pages not included)"},
}
