package database

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payplat/paygql/internal/pgbouncer"
	"github.com/payplat/paygql/internal/pgtest"
)

// BenchmarkTxTimeouts measures what setting the timeouts costs a transaction shaped like a
// mutation's (begin, an update by key, commit), on one pgx connection, directly and through
// PgBouncer in transaction mode:
//
//	none:       no timeouts (what role or database settings cost per transaction)
//	set-local:  two SET LOCAL statements after BEGIN, each its own round trip
//	set-config: one SELECT set_config(…), set_config(…) after BEGIN
//	folded:     the SET LOCALs in BEGIN's own message (what Open's pools do)
//
// go test -run '^$' -bench TxTimeouts -benchtime 2000x ./internal/database/
//
// The variants take turns, and each reports its median time per transaction.
func BenchmarkTxTimeouts(b *testing.B) {
	direct := pgtest.EmptyURL(b)
	setup, err := pgx.Connect(context.Background(), direct)
	if err != nil {
		b.Fatal(err)
	}
	defer setup.Close(context.Background())
	if _, err := setup.Exec(context.Background(), "CREATE TABLE bench_counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO bench_counter VALUES (1, 0)"); err != nil {
		b.Fatal(err)
	}
	const sets = "; set local statement_timeout = '10000ms'; set local lock_timeout = '5000ms'"
	variants := []struct {
		name  string
		begin string
		after []string
	}{
		{"none", "begin", nil},
		{"set-local", "begin", []string{"set local statement_timeout = '10000ms'", "set local lock_timeout = '5000ms'"}},
		{"set-config", "begin", []string{"select set_config('statement_timeout', '10000ms', true), set_config('lock_timeout', '5000ms', true)"}},
		{"folded", "begin" + sets, nil},
	}
	// The variants take turns, one transaction each, and each reports its median: the machine's
	// drift (other work on its cores) falls on all alike.
	for _, where := range []string{"direct", "pgbouncer"} {
		dbURL := direct
		if where == "pgbouncer" {
			dbURL = pgbouncer.URL(b, direct) + "&default_query_exec_mode=exec"
		}
		b.Run(where, func(b *testing.B) {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, dbURL)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			took := make([][]time.Duration, len(variants))
			for b.Loop() {
				for i, v := range variants {
					start := time.Now()
					tx, err := conn.BeginTx(ctx, pgx.TxOptions{BeginQuery: v.begin})
					if err != nil {
						b.Fatal(err)
					}
					for _, q := range v.after {
						if _, err := tx.Exec(ctx, q); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := tx.Exec(ctx, "UPDATE bench_counter SET n = n + 1 WHERE id = $1", 1); err != nil {
						b.Fatal(err)
					}
					if err := tx.Commit(ctx); err != nil {
						b.Fatal(err)
					}
					took[i] = append(took[i], time.Since(start))
				}
			}
			for i, v := range variants {
				slices.Sort(took[i])
				b.ReportMetric(float64(took[i][len(took[i])/2].Microseconds()), "µs-median-"+v.name)
			}
		})
	}
}
