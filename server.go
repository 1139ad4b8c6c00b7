// Command paygql serves the payment-configuration GraphQL API.
//
// Usage:
//
//	paygql [serve]               serve (development mode when DATABASE_URL is unset)
//	paygql migrate up|down|status
//	paygql seed                  migrate, then load the demo records into an empty database
//	paygql schema                print the GraphQL schema (SDL)
//	paygql token --sub S --roles R [--customer-ids ID,…] [--dealer-codes CODE,…] [--ttl 1h]
//	paygql help                  list the commands and environment variables
//
// Configuration comes from the environment; see README.md or paygql --help.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/demo"
	"github.com/payplat/paygql/internal/devenv"
	"github.com/payplat/paygql/internal/events"
	"github.com/payplat/paygql/internal/middleware"
	"github.com/payplat/paygql/internal/outbox"
	"github.com/payplat/paygql/internal/playground"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/internal/tracing"
	"github.com/payplat/paygql/internal/webhooks"
	"github.com/payplat/paygql/models"
)

// shutdownGrace is how long requests in flight may take to finish after SIGINT or SIGTERM.
const shutdownGrace = 20 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "paygql:", err)
		os.Exit(1)
	}
}

// withDatabase opens the configured database, or development mode's private one, runs fn and
// closes everything again. dev is nil unless the database is development mode's; command
// (serve, migrate, seed) decides whether a server already running on DATA_DIR is shared or
// refuses (see devenv.Open).
func withDatabase(ctx context.Context, cfg *config.Config, logger *slog.Logger, command string,
	fn func(db *bun.DB, dev *devenv.Database) error,
) error {
	url := cfg.DatabaseURL
	var dev *devenv.Database
	if url == "" {
		var err error
		dev, err = devenv.Open(ctx, cfg.DataDir, command, func(f string, a ...any) {
			logger.Info(fmt.Sprintf(f, a...))
		})
		var inUse *devenv.InUseError
		if errors.As(err, &inUse) {
			return err
		}
		if err != nil {
			return fmt.Errorf("start private postgres (set DATABASE_URL to use your own): %w", err)
		}
		defer func() {
			if err := dev.Close(); err != nil {
				logger.Warn("stop private postgres", "error", err)
			}
		}()
		url = dev.URL
	}
	db, err := database.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db, dev)
}

// devSecrets fills in the development signing secret and secrets key when unset.
func devSecrets(cfg *config.Config) error {
	if cfg.Production || (cfg.SecretsKey != nil && (cfg.HS256Secret != nil || cfg.JWKSURL != "")) {
		return nil
	}
	hs, key, err := devenv.Secrets(cfg.DataDir)
	if err != nil {
		return err
	}
	if cfg.HS256Secret == nil && cfg.JWKSURL == "" {
		cfg.HS256Secret = hs
	}
	if cfg.SecretsKey == nil {
		cfg.SecretsKey = key
	}
	return nil
}

func newStore(cfg *config.Config, db *bun.DB) (*models.Store, error) {
	if err := devSecrets(cfg); err != nil {
		return nil, err
	}
	box, err := secrets.NewBox(cfg.SecretsKey, cfg.SecretsPreviousKeys...)
	if err != nil {
		return nil, fmt.Errorf("SECRETS_KEY / SECRETS_KEY_PREVIOUS: %w", err)
	}
	return &models.Store{DB: db, Secrets: box, WebhookPolicy: cfg.Webhooks.Policy}, nil
}

func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger, stdout io.Writer) error {
	tr, err := tracing.Start(ctx, cfg.Tracing, "paygql")
	if err != nil {
		return err
	}
	defer stopTracing(tr, logger)
	database.QueryTracer = tr.SQL()
	return withDatabase(ctx, cfg, logger, "serve", func(db *bun.DB, dev *devenv.Database) error {
		if g, err := database.Migrate(ctx, db); err != nil {
			return err
		} else if !g.IsZero() {
			logger.Info("migrated", "group", g.String())
		}
		// A newer release may have migrated this database: serve anyway (a rolling deploy
		// runs both), but say so.
		if unknown, err := database.UnknownMigrations(ctx, db); err != nil {
			return err
		} else if len(unknown) > 0 {
			logger.Warn("the database has migrations this binary does not know: a newer release applied them", "migrations", unknown)
		}
		store, err := newStore(cfg, db)
		if err != nil {
			return err
		}
		if dev != nil {
			if loaded, err := demo.Load(ctx, store); err != nil {
				return err
			} else if loaded {
				logger.Info("demo data loaded")
			}
			// Migrated and seeded: migrate and seed may now use this database.
			if err := dev.Share(); err != nil {
				return err
			}
		}
		stopMail, err := startMail(ctx, cfg, db, logger)
		if err != nil {
			return err
		}
		// The worker stops between two mails as soon as ctx ends (SIGTERM); stopMail waits for
		// the mail in flight after the HTTP drain, before the database closes.
		defer stopMail()
		// One change feed per instance for subscriptions and webhooks. It outlives the HTTP
		// drain: subscriptions end with their connections, which Shutdown closes (1001, so
		// that clients reconnect elsewhere), and webhooks, like the mail worker, finish the
		// delivery in flight after the drain.
		feed, stopFeed := startFeed(cfg, db, databaseURL(dev, cfg), logger)
		defer stopFeed()
		stopWebhooks := startWebhooks(ctx, cfg, db, store, feed, logger)
		defer stopWebhooks()
		verifier, err := auth.NewVerifier(auth.Config{
			HS256Secret: cfg.HS256Secret, JWKSURL: cfg.JWKSURL,
			Issuer: cfg.Issuer, Audience: cfg.Audience, Logger: logger,
		})
		if err != nil {
			return fmt.Errorf("AUTH_HS256_SECRET / AUTH_JWKS_URL: %w", err)
		}
		defer verifier.Close()
		ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
		if err != nil {
			return fmt.Errorf("HOST/PORT: %w", err)
		}
		var devToken string
		if dev != nil {
			if devToken, err = devAdminToken(cfg); err != nil {
				return err
			}
			if err := printWelcome(stdout, cfg, ln.Addr().(*net.TCPAddr), dev.URL, devToken); err != nil {
				return err
			}
		}
		changes := graph.NewChanges(feed, store, logger, graph.ChangeOptions{
			MaxConnections: cfg.SubscriptionMaxConnections, MaxSubscriptions: cfg.SubscriptionMaxPerSubject,
		})
		logger.Info("serving", "addr", ln.Addr().String(), "development", dev != nil)
		return serveHTTP(ctx, ln, tracedRoutes(tr, cfg, logger, db, store, verifier, devToken, changes), logger, changes.Shutdown)
	})
}

// startMail starts the outbox worker: through SMTP_URL when set, else (development mode only:
// config.Load refuses production without SMTP_URL) into .eml files under DATA_DIR/mail.
// stop ends it and waits for the mail in flight.
func startMail(ctx context.Context, cfg *config.Config, db *bun.DB, logger *slog.Logger) (stop func(), err error) {
	var sender outbox.Sender
	if cfg.SMTP != nil {
		logger.Info("mail: sending through SMTP", "smtp", cfg.SMTP.String())
		sender, err = outbox.NewSMTPSender(cfg.SMTP)
	} else {
		dir := filepath.Join(cfg.DataDir, "mail")
		logger.Info("mail: no SMTP_URL, so mail is written to .eml files, not sent", "dir", dir)
		sender, err = outbox.NewDirSender(dir, outbox.DefaultFrom, logger)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { outbox.NewWorker(db, sender, logger, outbox.Options{}).Run(ctx) })
	return func() { cancel(); wg.Wait() }, nil
}

// startWebhooks dispatches and delivers webhooks from the change feed until ctx ends; stop
// waits for the delivery in flight.
func startWebhooks(ctx context.Context, cfg *config.Config, db *bun.DB, store *models.Store, feed *events.Feed, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	svc := webhooks.New(db, store.Secrets, feed, logger, webhooks.Options{
		Policy: cfg.Webhooks.Policy, Timeout: cfg.Webhooks.Timeout, RetryWindow: cfg.Webhooks.RetryWindow,
		MinBackoff: cfg.Webhooks.MinBackoff, Workers: cfg.Webhooks.Workers,
	})
	var wg sync.WaitGroup
	wg.Go(func() { svc.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}

// databaseURL is the URL of the database in use: DATABASE_URL, or development mode's.
func databaseURL(dev *devenv.Database, cfg *config.Config) string {
	if dev != nil {
		return dev.URL
	}
	return cfg.DatabaseURL
}

// startFeed starts the instance's change feed, which subscriptions and webhooks read,
// LISTENing on EVENTS_LISTEN_URL (the database in use when unset, nowhere when "none"). stop
// ends it and waits.
func startFeed(cfg *config.Config, db *bun.DB, databaseURL string, logger *slog.Logger) (*events.Feed, func()) {
	listen := cfg.EventsListenURL
	switch listen {
	case "":
		listen = databaseURL
	case "none":
		listen = ""
	}
	feed := events.NewFeed(db, listen, cfg.EventsPollInterval, logger)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = feed.Run(ctx) })
	return feed, func() { cancel(); wg.Wait() }
}

// routes wires the HTTP endpoints. devToken, minted in development mode only, fills the
// playground's Headers tab; elsewhere it is empty and so is the tab.
func routes(cfg *config.Config, logger *slog.Logger, db *bun.DB, store *models.Store, verifier *auth.Verifier, devToken string) http.Handler {
	return tracedRoutes(nil, cfg, logger, db, store, verifier, devToken, nil)
}

// tracedRoutes is routes with /query traced by tr (nil: not traced) and subscriptions served
// by changes (nil: refused).
func tracedRoutes(tr *tracing.Tracing, cfg *config.Config, logger *slog.Logger, db *bun.DB, store *models.Store, verifier *auth.Verifier, devToken string, changes *graph.Changes) http.Handler {
	opts := graph.DefaultOptions
	opts.Introspection = cfg.Introspection
	opts.Tracer = tr.GraphQL()
	resolver := &graph.Resolver{Store: store, Logger: logger, Changes: changes}
	api := graph.NewHandler(resolver, opts)
	// WebSocket connections skip the access log (one line per connection would say little)
	// and CORS, whose origin check the stream handler repeats before the upgrade.
	streams := graph.NewStreamHandler(resolver, opts, graph.StreamOptions{
		Verifier: verifier, AllowedOrigins: cfg.CORSAllowedOrigins,
	})

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registry.MustRegister(middleware.Collectors...)
	registry.MustRegister(database.Collectors(db.DB)...)

	mux := http.NewServeMux()
	// Compression inside the access log, so that its duration includes compressing.
	query := tr.HTTP("/query", middleware.Log(logger, "/query", middleware.Compress(cfg.ResponseGzipMinBytes,
		middleware.CORS(cfg.CORSAllowedOrigins, cfg.CORSAllowedHeaders, verifier.Middleware(api)))))
	mux.Handle("/query", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if graph.IsStream(r) {
			streams.ServeHTTP(w, r)
			return
		}
		query.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /readyz", readyz(db))
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	if cfg.Playground {
		opts := []playground.Option{playground.WithDefaultQuery(playgroundWelcome)}
		if devToken != "" {
			opts = append(opts, playground.WithHeaders(map[string]string{"Authorization": "Bearer " + devToken}),
				playground.WithTabs(func(ctx context.Context) []playground.Tab { return demo.PlaygroundTabs(ctx, db) }))
		}
		mux.Handle("GET /playground/assets/", playground.Assets("/playground/assets/"))
		mux.Handle("GET /{$}", playground.Handler("Payment configuration API", "/query", "/playground/assets/", opts...))
	}
	return mux
}

// playgroundWelcome is the text of a new playground tab, and of the first one when there are
// no demo tabs (outside development mode).
const playgroundWelcome = `# The payment-configuration API.
# Docs (the book icon) describes every
# type and field. Type an operation
# (Ctrl-Space suggests), press Run (▶).
# Every operation needs a token: an
# Authorization header, in Headers below.

query Connectors {
  connectors { id code name }
}
`

// readyz answers 200 while the database answers a ping within 2 s and 503 otherwise, so that
// a load balancer sends nothing to an instance that cannot reach it. A ping takes a fresh
// connection when the pooled one is dead, so it answers 200 again as soon as the database is
// back.
func readyz(db *bun.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
}

// serveHTTP serves until ctx ends, then lets requests in flight finish within shutdownGrace;
// onShutdown run then too (they close the WebSocket connections, which Shutdown leaves open).
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, onShutdown ...func()) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	for _, f := range onShutdown {
		srv.RegisterOnShutdown(f)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests in flight", "grace", shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stopTracing exports the spans still buffered, if tracing is on.
func stopTracing(tr *tracing.Tracing, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		logger.Warn("stop tracing", "error", err)
	}
}

// devAdminToken mints the development mode's admin token, for the welcome text and the
// playground.
func devAdminToken(cfg *config.Config) (string, error) {
	return auth.MintHS256(cfg.HS256Secret, auth.Claims{
		Subject: "dev-admin", Roles: []string{auth.RoleAdmin}, TTL: 24 * time.Hour,
		Issuer: cfg.Issuer, Audience: cfg.Audience,
	})
}

// printWelcome shows a developer where to go, the database URL for psql and the admin token,
// already in the playground's Headers tab. It goes to stdout, never to the log.
func printWelcome(w io.Writer, cfg *config.Config, addr *net.TCPAddr, databaseURL, token string) error {
	base := "http://" + browsable(addr)
	_, err := fmt.Fprintf(w, `
Payment configuration API (development mode)
  playground:   %[1]s/
  API:          %[1]s/query
  listening on: %[2]s (HOST sets the address)
  data:         %[3]s
  DATABASE_URL: %[4]s

Admin token (24 h), already in the playground's Headers tab; for other clients:
  Authorization: Bearer %[5]s

`, base, addr, cfg.DataDir, databaseURL, token)
	return err
}

// browsable returns host:port for a URL to addr: a wildcard address becomes localhost.
func browsable(addr *net.TCPAddr) string {
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, strconv.Itoa(addr.Port))
}
