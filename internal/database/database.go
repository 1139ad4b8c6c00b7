// Package database opens the PostgreSQL connection pool and runs the migrations.
package database

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/migrate"

	"github.com/payplat/paygql/migrations"
)

// Bounds on waiting for the database. Each of the first two is a PostgreSQL setting of every
// session, which a DATABASE_URL parameter of the same name overrides
// (`?statement_timeout=30s&lock_timeout=2s`); connect_timeout in the URL overrides the third.
const (
	// StatementTimeout bounds every statement, so that a runaway query cannot hold a
	// connection.
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
func Open(ctx context.Context, url string) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// Bun sends its queries with the values already in the SQL text, so every query text is
	// new: the simple protocol runs each in one round trip where preparing would take two and
	// fill the statement cache with one-off statements.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	for name, d := range map[string]time.Duration{"statement_timeout": StatementTimeout, "lock_timeout": LockTimeout} {
		if _, ok := cfg.RuntimeParams[name]; !ok {
			cfg.RuntimeParams[name] = fmt.Sprint(d.Milliseconds())
		}
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	sent.Instrument(cfg, QueryTracer)
	sqldb := stdlib.OpenDB(*cfg)
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
	return db, nil
}

// Migrator returns the migrator of the embedded migrations.
func Migrator(db *bun.DB) *migrate.Migrator {
	return migrate.NewMigrator(db, migrations.Migrations)
}

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
// process holds it. The lock is a session-level advisory lock rather than bun's lock row: a
// second process waits for it instead of failing, and a process that dies while holding it
// cannot leave it behind, since it ends with the session.
func WithMigrationLock(ctx context.Context, db *bun.DB, fn func(context.Context) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer conn.Close()
	// pg_try_advisory_lock in a loop rather than pg_advisory_lock: the wait must not count
	// against the session's statement_timeout or lock_timeout.
	for {
		var locked bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?)", migrationLock).Scan(&locked); err != nil {
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
	err = fn(ctx)
	if _, unlockErr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLock); unlockErr != nil {
		// A session that may still hold the lock must not go back to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}
