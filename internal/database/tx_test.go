package database

import (
	"context"
	"errors"
	"runtime/metrics"
	"testing"

	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/pgtest"
)

// TestRunInTx runs transactions on a pool of one connection, so that whatever a transaction
// leaves on it the next one meets: fn's writes are committed when it returns nil and rolled
// back when it fails or panics, the connection goes back to the pool either way, a context
// that can be cancelled is refused, and a transaction starts no goroutine, where database/sql's
// Tx starts one for itself and one for each query.
func TestRunInTx(t *testing.T) {
	db, err := Open(context.Background(), pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := Pipeline(context.Background())
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (n int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	insert := func(n int) func(context.Context, bun.Conn) error {
		return func(ctx context.Context, tx bun.Conn) error {
			var p Params
			_, err := p.Exec(ctx, tx, "INSERT INTO t VALUES (?)", p.Args(n)...)
			return err
		}
	}
	stored := func() (ns []int) {
		if err := db.NewRaw("SELECT n FROM t ORDER BY n").Scan(ctx, &ns); err != nil {
			t.Fatal(err)
		}
		return ns
	}

	if err := RunInTx(ctx, db, nil, insert(1)); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	err = RunInTx(ctx, db, nil, func(ctx context.Context, tx bun.Conn) error {
		if err := insert(2)(ctx, tx); err != nil {
			return err
		}
		return refused
	})
	if err != refused {
		t.Errorf("fn's error came back as %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not come through")
			}
		}()
		_ = RunInTx(ctx, db, nil, func(ctx context.Context, tx bun.Conn) error {
			if err := insert(3)(ctx, tx); err != nil {
				return err
			}
			var n int
			if err := tx.NewRaw("SELECT n FROM t WHERE n = 3").Scan(ctx, &n); err != nil || n != 3 {
				t.Errorf("the transaction does not see its own write: %d, %v", n, err)
			}
			panic("in the transaction")
		})
	}()
	// A write PostgreSQL refuses (a duplicate key) fails the transaction, at COMMIT when
	// pipelined.
	if err := RunInTx(ctx, db, nil, insert(1)); err == nil {
		t.Error("a duplicate key committed")
	}
	if got := stored(); len(got) != 1 || got[0] != 1 {
		t.Errorf("rows %v, want [1]: only the committed transaction's", got)
	}
	if s := db.Stats(); s.InUse != 0 || s.OpenConnections != 1 {
		t.Errorf("pool after the transactions: %d in use, %d open; want 0 and the one connection", s.InUse, s.OpenConnections)
	}

	cancellable, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := RunInTx(cancellable, db, nil, insert(4)); err == nil {
		t.Error("a context that can be cancelled was taken")
	}

	created := func() uint64 {
		s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	before := created()
	for n := 10; n < 30; n++ {
		err := RunInTx(ctx, db, nil, func(ctx context.Context, tx bun.Conn) error {
			var got int
			var p Params
			if err := tx.NewRaw("SELECT n FROM t WHERE n = ? FOR UPDATE", p.Arg(1)).Conn(p.Conn(tx)).Scan(ctx, &got); err != nil {
				return err
			}
			return insert(n)(ctx, tx)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := created() - before; n > 2 {
		t.Errorf("20 transactions started %d goroutines, want none", n)
	}
	if got := stored(); len(got) != 21 {
		t.Errorf("%d rows, want 21", len(got))
	}
}
