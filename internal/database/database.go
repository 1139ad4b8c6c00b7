// Package database opens the PostgreSQL connection pool and runs the migrations.
package database

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/migrate"

	"github.com/payplat/paygql/migrations"
)

// Bounds on waiting for the database. The first two are PostgreSQL settings that every
// transaction sets for itself (see conn.go), which a DATABASE_URL parameter of the same name
// overrides (`?statement_timeout=30s&lock_timeout=2s`); connect_timeout in the URL overrides
// the third.
const (
	// StatementTimeout bounds every statement of a transaction, so that a runaway query
	// cannot hold a connection.
	StatementTimeout = 10 * time.Second
	// LockTimeout bounds a statement's wait for a lock another transaction holds, such as
	// the row lock of a record another mutation is changing: a stuck transaction then gives
	// a retryable LOCK_TIMEOUT error instead of a hung request.
	LockTimeout = 5 * time.Second
	// ConnectTimeout bounds opening a connection, so that requests fail fast while the
	// database is unreachable.
	ConnectTimeout = 3 * time.Second
	// ConnMaxLifetime retires connections after a while, so that a pool does not keep
	// sessions forever (after a failover, say).
	ConnMaxLifetime = 30 * time.Minute
)

// Open returns a bun.DB over a pgx pool for url and checks that the database answers.
//
// Statements run in pgx's default_query_exec_mode when the URL names one (`exec` or
// `simple_protocol` behind PgBouncer in transaction mode before 1.21). When it names none,
// Bun's queries use the simple protocol and the hot statements (prepared.go) pgx's statement
// cache, the pool's mode. The timeouts are never startup parameters: each transaction sets them locally.
func Open(ctx context.Context, url string) (*bun.DB, error) {
	// pgconn's parse tells whether the URL names a mode: pgx's leaves its default in place.
	pcfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	_, modeSet := pcfg.RuntimeParams["default_query_exec_mode"]
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// plain is the mode of the statements that are not hot, when it differs from the pool's.
	var plain pgx.QueryExecMode
	if !modeSet {
		// Bun sends its queries with the values already in the SQL text, so every query text
		// is new: the simple protocol runs each in one round trip where preparing would take
		// two and fill the statement cache with one-off statements. The hot ones run from
		// pgx's statement cache, the pool's mode, which a pipelined transaction's batches
		// take (pipeline.go).
		cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
		plain = pgx.QueryExecModeSimpleProtocol
	}
	hot := cfg.DefaultQueryExecMode
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	timeouts, setTimeouts, statementTimeout, err := beginTimeouts(cfg.RuntimeParams)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	pool := new(Counters)
	instrument(cfg, QueryTracer, &sent, pool)
	c := &connector{Connector: stdlib.GetConnector(*cfg), timeouts: timeouts, setTimeouts: setTimeouts,
		pipeline: canPipeline(cfg.DefaultQueryExecMode), hot: hot, plain: plain, statementTimeout: statementTimeout, sent: pool}
	sqldb := sql.OpenDB(c)
	pools.Store(sqldb, c)
	sqldb.SetMaxOpenConns(20)
	sqldb.SetMaxIdleConns(20)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	// A connection the server dropped (a restart, a failover) is found out before reuse:
	// pgx's stdlib driver pings one idle for over a second as it leaves the pool, and
	// database/sql then opens a new one, so the first requests after an outage succeed.
	// Beside that, connections retire after ConnMaxLifetime.
	sqldb.SetConnMaxLifetime(ConnMaxLifetime)
	db := bun.NewDB(sqldb, pgdialect.New())
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	// A timeout PostgreSQL refuses (out of range, say) would fail every transaction: one
	// transaction now names it at start-up.
	if err := db.RunInTx(pingCtx, nil, func(context.Context, bun.Tx) error { return nil }); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("set the timeouts of the database url: %w", err)
	}
	return db, nil
}

// Migrator returns the migrator of the embedded migrations.
func Migrator(db *bun.DB) *migrate.Migrator {
	return migrate.NewMigrator(db, migrations.Migrations, migratorOptions...)
}

// migratorOptions: a migration is recorded as applied (or rolled back) once it has run.
// bun's default records it first, so a migration that fails (a lock_timeout behind a busy
// table, say) would stay recorded as applied and never run again. What remains is a process
// dying between a migration's commit and its record (two statements apart): the next start
// runs that file again and fails on what it made, naming it.
var migratorOptions = []migrate.MigratorOption{migrate.WithMarkAppliedOnSuccess(true)}

// migrationLock names the PostgreSQL advisory lock that lets one process at a time migrate a
// database (the bytes of "paygql").
const migrationLock = 0x70617967716c

// Migrate applies every pending migration and returns the group applied (empty when none).
// Several instances may start at once on one database: each takes the migration lock first,
// so one migrates while the others wait and then find nothing left to do.
func Migrate(ctx context.Context, db *bun.DB) (*migrate.MigrationGroup, error) {
	var g *migrate.MigrationGroup
	err := WithMigrationLock(ctx, db, func(ctx context.Context) error {
		m := Migrator(db)
		if err := m.Init(ctx); err != nil {
			return fmt.Errorf("init migrations: %w", err)
		}
		var err error
		if g, err = m.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	})
	return g, err
}

// WithMigrationLock runs fn holding the migration lock, waiting (until ctx ends) while another
// process holds it. The lock is a transaction-level advisory lock, taken in a transaction of
// its own that stays open while fn runs on other connections and ends when fn returns: it
// holds through a transaction pooler (PgBouncer keeps the transaction on one server
// connection and a session lock would stay there after it), a second process waits for it
// instead of failing as with bun's lock row, and a process that dies while holding it cannot
// leave it behind, since its transaction ends with its connection.
//
// fn's migrations are not part of that transaction: bun/migrate runs each *.tx.up.sql in a
// transaction of its own and records it as applied in the same one, so a process that dies
// midway leaves the files before applied and recorded, and the next holder of the lock goes
// on from the first file left.
func WithMigrationLock(ctx context.Context, db *bun.DB, fn func(context.Context) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	// Rolling back ends the transaction and so releases the lock; a failed rollback breaks
	// the connection, which ends it too.
	defer func() { _ = tx.Rollback() }()
	// The transaction is idle while fn runs: a server-wide idle_in_transaction_session_timeout
	// must not end it and hand the lock to another process in the middle.
	if _, err := tx.ExecContext(ctx, "SET LOCAL idle_in_transaction_session_timeout = 0"); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	// pg_try_advisory_xact_lock in a loop rather than pg_advisory_xact_lock: the wait must not
	// count against statement_timeout or lock_timeout.
	for {
		var locked bool
		if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock(?)", migrationLock).Scan(&locked); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		if locked {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lock migrations: another process is migrating: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fn(ctx)
}
