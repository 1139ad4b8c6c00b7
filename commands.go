package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/config"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/demo"
	"github.com/payplat/paygql/internal/devenv"
)

// schemaSDL is the API's contract, the file gqlgen generates the server from, so what
// `paygql schema` prints is what the binary serves.
//
//go:embed schema.graphqls
var schemaSDL string

// command is a subcommand: a one-line summary for the overview and its full usage.
type command struct {
	name, summary, usage string
}

var commands = []command{
	{"serve", "serve the API (the default; development mode when DATABASE_URL is unset)", `usage: paygql [serve]

Serves GraphQL at /query on HOST:PORT, with /healthz, /readyz and /metrics.

Without DATABASE_URL this is development mode: it starts a private PostgreSQL in DATA_DIR,
migrates, loads the demo data once, listens on 127.0.0.1 (HOST overrides), serves the
playground at / and prints the database URL and an admin token. One server per DATA_DIR; a
second is refused with the pid of the first.
`},
	{"migrate", "apply, roll back or list the database migrations", `usage: paygql migrate up | down [--dry-run] [--force] | status

  up      apply every pending migration
  down    roll back the last migration applied, one per run, and print the tables it
          dropped with their row counts. It refuses, changing nothing, when a table it
          would drop holds rows, naming the tables and their counts:
            --force    drop them anyway (back them up first)
            --dry-run  print what it would roll back and drop, change nothing
  status  list every migration and whether it is applied, and migrations applied by a
          newer release that this binary does not know

Uses DATABASE_URL, else development mode's database in DATA_DIR: that of the server running
on DATA_DIR when one runs, else a private server started for the command.
`},
	{"seed", "migrate, then load the demo records into an empty database", `usage: paygql seed

Migrates, then loads the demo records (connector configurations, sub-dealers, ...) when the
database holds none; otherwise it changes nothing. Same database as migrate.
`},
	{"schema", "print the GraphQL schema (SDL)", `usage: paygql schema

Prints the GraphQL schema the server serves, with every description, e.g. for a client
generator: paygql schema > schema.graphqls
`},
	{"token", "mint an HS256 token for a role: token --sub S --roles R", ""}, // usage from its flags
	{"rotate-secrets", "re-seal every stored secret with SECRETS_KEY", `usage: paygql rotate-secrets [--batch 500]

Re-seals every stored secret with SECRETS_KEY: values sealed with a key in SECRETS_KEY_PREVIOUS
(or with no key id, from before key rotation existed) are opened and sealed again, --batch rows
per transaction. Prints what it did per table; running it again re-seals nothing. Same
database as migrate.
`},
}

// run runs the subcommand named by args[0] (serve when there is none). Help goes to stdout,
// logs to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if isHelp(name) {
		if len(args) > 0 && !isHelp(args[0]) {
			return printUsage(stdout, args[0])
		}
		return printOverview(stdout)
	}
	if !slices.ContainsFunc(commands, func(c command) bool { return c.name == name }) {
		return fmt.Errorf("unknown command %q; run paygql --help for the list", name)
	}
	if slices.ContainsFunc(args, isHelpFlag) || len(args) > 0 && args[0] == "help" {
		return printUsage(stdout, name)
	}
	if name == "schema" {
		if len(args) > 0 {
			return errors.New("schema takes no arguments")
		}
		_, err := io.WriteString(stdout, schemaSDL)
		return err
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(logger)
	switch name {
	case "serve":
		if len(args) > 0 {
			return fmt.Errorf("serve takes no arguments (configuration comes from the environment; see paygql --help)")
		}
		return serve(ctx, cfg, logger, stdout)
	case "migrate":
		return migrateCmd(ctx, cfg, logger, args, stdout)
	case "seed":
		return seedCmd(ctx, cfg, logger, args, stdout)
	case "rotate-secrets":
		return rotateSecretsCmd(ctx, cfg, logger, args, stdout)
	default: // token
		return tokenCmd(cfg, args, stdout)
	}
}

func isHelp(arg string) bool {
	return arg == "help" || isHelpFlag(arg)
}

func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// printOverview lists the subcommands and every environment variable, one line each.
func printOverview(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "paygql serves the payment-configuration GraphQL API.\n\n")
	fmt.Fprint(tw, "usage: paygql [command] [arguments]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	fmt.Fprint(tw, "  help\tthis text; paygql <command> --help shows a command's usage\n")
	fmt.Fprint(tw, "\nenvironment (a bad value stops start-up with a message naming the variable):\n")
	for _, v := range config.Variables {
		def := ""
		if v.Default != "" {
			def = " (default: " + v.Default + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", v.Name, v.Meaning, def)
	}
	fmt.Fprint(tw, "\nREADME.md explains each in full.\n")
	return tw.Flush()
}

// printUsage prints the usage of the named subcommand.
func printUsage(w io.Writer, name string) error {
	if name == "token" {
		fs, _ := tokenFlags()
		fs.SetOutput(w)
		fs.Usage()
		return nil
	}
	for _, c := range commands {
		if c.name == name {
			_, err := io.WriteString(w, c.usage)
			return err
		}
	}
	return fmt.Errorf("unknown command %q; run paygql --help for the list", name)
}

func seedCmd(ctx context.Context, cfg *config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return errors.New("seed takes no arguments")
	}
	return withDatabase(ctx, cfg, logger, "seed", func(db *bun.DB, _ *devenv.Database) error {
		if _, err := database.Migrate(ctx, db); err != nil {
			return err
		}
		store, err := newStore(cfg, db)
		if err != nil {
			return err
		}
		loaded, err := demo.Load(ctx, store)
		if err != nil {
			return err
		}
		if loaded {
			fmt.Fprintln(stdout, "demo data loaded")
		} else {
			fmt.Fprintln(stdout, "database not empty: nothing loaded")
		}
		return nil
	})
}

// rotateSecretsCmd re-seals every stored secret with SECRETS_KEY and prints what it did per
// table.
func rotateSecretsCmd(ctx context.Context, cfg *config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("rotate-secrets", flag.ContinueOnError)
	fs.SetOutput(stdout)
	batch := fs.Int("batch", 500, "rows per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withDatabase(ctx, cfg, logger, "rotate-secrets", func(db *bun.DB, _ *devenv.Database) error {
		store, err := newStore(cfg, db)
		if err != nil {
			return err
		}
		counts, err := store.RotateSecrets(ctx, *batch)
		for _, c := range counts {
			fmt.Fprintf(stdout, "%s: %d rows with secrets, %d values re-sealed, %d already current\n", c.Table, c.Rows, c.Resealed, c.Current)
		}
		if err != nil {
			return fmt.Errorf("rotate-secrets: %w (the tables above are done; fix SECRETS_KEY_PREVIOUS and run it again)", err)
		}
		fmt.Fprintf(stdout, "every secret is sealed with key %s (SECRETS_KEY)\n", store.Secrets.KeyID())
		return nil
	})
}

func migrateCmd(ctx context.Context, cfg *config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	const usage = "usage: paygql migrate up | down [--dry-run] [--force] | status"
	if len(args) == 0 || !slices.Contains([]string{"up", "down", "status"}, args[0]) {
		return errors.New(usage)
	}
	var opt database.RollbackOptions
	fs := flag.NewFlagSet("migrate "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if args[0] == "down" {
		fs.BoolVar(&opt.Force, "force", false, "")
		fs.BoolVar(&opt.DryRun, "dry-run", false, "")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("migrate %s: %w (%s)", args[0], err, usage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate %s: unexpected argument %q (%s)", args[0], fs.Arg(0), usage)
	}
	return withDatabase(ctx, cfg, logger, "migrate", func(db *bun.DB, _ *devenv.Database) error {
		m := database.Migrator(db)
		if err := m.Init(ctx); err != nil {
			return err
		}
		switch args[0] {
		case "up":
			g, err := database.Migrate(ctx, db)
			if err != nil {
				return err
			}
			if g.IsZero() {
				fmt.Fprintln(stdout, "nothing to migrate")
			} else {
				fmt.Fprintf(stdout, "migrated to %s\n", g)
			}
			return nil
		case "down":
			return migrateDown(ctx, db, opt, stdout)
		default:
			return migrateStatus(ctx, db, m, stdout)
		}
	})
}

// migrateDown rolls back the last migration applied and says what it dropped.
func migrateDown(ctx context.Context, db *bun.DB, opt database.RollbackOptions, stdout io.Writer) error {
	var r *database.Rollback
	err := database.WithMigrationLock(ctx, db, func(ctx context.Context) error {
		var err error
		r, err = database.RollbackLast(ctx, db, opt)
		return err
	})
	if refused := (*database.TablesHoldRowsError)(nil); errors.As(err, &refused) {
		return fmt.Errorf("migrate down: %w. Back them up if they matter, then run paygql migrate down --force to drop them", refused)
	}
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	if r.Migration == "" {
		fmt.Fprintln(stdout, "nothing to roll back")
		return nil
	}
	drops := "dropping no table"
	if len(r.Dropped) > 0 {
		drops = "dropping " + r.Dropped.String()
	}
	if opt.DryRun {
		if !opt.Force && slices.ContainsFunc(r.Dropped, func(t database.Table) bool { return t.Rows > 0 }) {
			drops += ", which it refuses without --force"
		}
		fmt.Fprintf(stdout, "would roll back %s, %s; nothing was changed (dry run)\n", r.Migration, drops)
		return nil
	}
	fmt.Fprintf(stdout, "rolled back %s, %s; %d migrations still applied\n", r.Migration, drops, r.Remaining)
	return nil
}

// migrateStatus lists every migration this binary has, applied or pending, then those the
// database has and this binary does not know.
func migrateStatus(ctx context.Context, db *bun.DB, m *migrate.Migrator, stdout io.Writer) error {
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return err
	}
	for _, mig := range ms {
		state := "pending"
		if mig.IsApplied() {
			state = fmt.Sprintf("applied (group %d)", mig.GroupID)
		}
		fmt.Fprintf(stdout, "%s  %s\n", mig, state)
	}
	unknown, err := database.UnknownMigrations(ctx, db)
	if err != nil {
		return err
	}
	for _, name := range unknown {
		fmt.Fprintf(stdout, "%s  applied, unknown to this binary (a newer release applied it)\n", name)
	}
	return nil
}

// tokenOptions are the flags of the token subcommand.
type tokenOptions struct {
	sub, roles, customers, dealers string
	ttl                            time.Duration
}

func tokenFlags() (*flag.FlagSet, *tokenOptions) {
	var o tokenOptions
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.StringVar(&o.sub, "sub", "", "subject, the actor recorded in history (required)")
	fs.StringVar(&o.roles, "roles", "", "comma-separated roles, of "+strings.Join(auth.AllRoles, ", ")+" (required)")
	fs.StringVar(&o.customers, "customer-ids", "", "comma-separated customer ids (the scope of gateway-admin)")
	fs.StringVar(&o.dealers, "dealer-codes", "", "comma-separated dealer codes (the scope of dealer-admin)")
	fs.DurationVar(&o.ttl, "ttl", time.Hour, "lifetime, more than 0")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: paygql token --sub S --roles R [--customer-ids ID,...] [--dealer-codes CODE,...] [--ttl 1h]

Prints an HS256 token signed with AUTH_HS256_SECRET (in development, the secret kept in DATA_DIR).

`)
		fs.PrintDefaults()
	}
	return fs, &o
}

func tokenCmd(cfg *config.Config, args []string, stdout io.Writer) error {
	fs, o := tokenFlags()
	fs.SetOutput(io.Discard) // run prints the usage for --help; errors carry their own text
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("token: %w (see paygql token --help)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token: unexpected argument %q (see paygql token --help)", fs.Arg(0))
	}
	if o.sub == "" || o.roles == "" {
		return errors.New("token: --sub and --roles are required (see paygql token --help)")
	}
	if o.ttl <= 0 {
		// A token that is born expired only ever gets 401.
		return fmt.Errorf("token: --ttl must be positive, such as 1h or 30m; got %s", o.ttl)
	}
	roles := split(o.roles)
	for _, r := range roles {
		if !slices.Contains(auth.AllRoles, r) {
			return fmt.Errorf("token: unknown role %q (want one or more of %s)", r, strings.Join(auth.AllRoles, ", "))
		}
	}
	if cfg.HS256Secret == nil {
		if cfg.Production {
			return errors.New("token: AUTH_HS256_SECRET is not set")
		}
		if err := devSecrets(cfg); err != nil {
			return err
		}
	}
	token, err := auth.MintHS256(cfg.HS256Secret, auth.Claims{
		Subject: o.sub, Roles: roles, CustomerIDs: split(o.customers), DealerCodes: split(o.dealers),
		TTL: o.ttl, Issuer: cfg.Issuer, Audience: cfg.Audience,
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}

func split(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
