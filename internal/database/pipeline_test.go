package database

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/pgbouncer"
	"github.com/payplat/paygql/internal/pgtest"
)

// typed is a row of every kind of column the models read.
type typed struct {
	bun.BaseModel `bun:"table:typed,alias:t"`
	ID            uuid.UUID      `bun:"id,pk,type:uuid"`
	Flag          bool           `bun:"flag"`
	N             int            `bun:"n"`
	Big           int64          `bun:"big"`
	Amount        string         `bun:"amount"`
	Doc           map[string]any `bun:"doc,type:jsonb"`
	Blob          []byte         `bun:"blob"`
	At            time.Time      `bun:"at"`
	Tags          []string       `bun:"tags,array"`
	Note          *string        `bun:"note"`
	Ratio         float64        `bun:"ratio"`
}

const typedTable = `CREATE TABLE typed (id uuid PRIMARY KEY, flag bool NOT NULL, n int NOT NULL, big bigint NOT NULL,
	amount numeric(18,2) NOT NULL CHECK (amount >= 0), doc jsonb NOT NULL, blob bytea, at timestamptz NOT NULL,
	tags text[] NOT NULL, note text, ratio float8 NOT NULL)`

// TestPipelinedTransactions runs pipelined transactions in every mode a URL may name: in
// those that batch (the default, cache_statement, exec, simple_protocol, directly and behind
// PgBouncer) BEGIN goes with the first read and the writes with COMMIT, two round trips, and
// the statements sent ahead with the read answer the next reads in its round trip (with
// pgx's statement cache, the default, as prepared statements); with describe_exec the
// transaction is sent statement by statement. Either way every column
// reads back as outside a pipeline, the timeouts hold, and a write that fails at COMMIT rolls
// the whole transaction back and leaves the connection usable.
func TestPipelinedTransactions(t *testing.T) {
	direct := pgtest.EmptyURL(t)
	setup, err := Open(context.Background(), direct)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if _, err := setup.Exec(typedTable); err != nil {
		t.Fatal(err)
	}
	through := pgbouncer.URL(t, direct)
	for _, c := range []struct {
		name, url, mode string
		pipelined       bool
	}{
		{"direct default", direct, "", true},
		{"direct exec", direct, "exec", true},
		{"direct simple_protocol", direct, "simple_protocol", true},
		{"direct cache_statement", direct, "cache_statement", true},
		{"direct describe_exec", direct, "describe_exec", false},
		{"pgbouncer exec", through, "exec", true},
		{"pgbouncer simple_protocol", through, "simple_protocol", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := c.url
			if c.mode != "" {
				u = withParams(t, u, "default_query_exec_mode", c.mode)
			}
			db, err := Open(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1) // one connection: what a failure leaves on it, the next transaction meets
			pipelinedTransactions(t, db, setup, c.mode, c.pipelined)
		})
	}
}

func pipelinedTransactions(t *testing.T, db, setup *bun.DB, mode string, pipelined bool) {
	ctx := context.Background()
	note := "a note, with 'quotes'"
	row := &typed{ID: uuid.New(), Flag: true, N: 7, Big: 1 << 40, Amount: "149.90", Doc: map[string]any{"k": "v", "n": 1.5},
		Blob: []byte{0, 1, 254}, At: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC), Tags: []string{"a", "b c", `d"e`},
		Note: &note, Ratio: 0.25}
	if _, err := setup.NewInsert().Model(row).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var plain typed
	if err := db.NewSelect().Model(&plain).Where("id = ?", row.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	counters := Sent(db.DB)
	sent := func() (int64, int64) { return counters.RoundTrips.Load(), counters.Statements.Load() }
	// Warm the connection up (a describing mode prepares its statements once per connection).
	warm := func(ctx context.Context, tx bun.Conn) error {
		var got typed
		var p Params
		return tx.NewSelect().Model(&got).Where("id = ?", p.Arg(row.ID)).For("UPDATE").Conn(p.Conn(tx)).Scan(ctx)
	}
	if err := RunInTx(Pipeline(ctx), db, nil, warm); err != nil {
		t.Fatal(err)
	}

	// BEGIN with the lock-and-read and a list sent ahead; a write; COMMIT. Twice: the first
	// prepares the statements in a describing mode.
	var locked, ahead typed
	var lockTimeout string
	tx := func(ctx context.Context, tx bun.Conn) error {
		var next Params
		read := tx.NewSelect().Model(&ahead).Where("id = ?", next.Arg(row.ID)).Conn(next.Conn(tx))
		stmt, err := next.Statement(read)
		if err != nil {
			return err
		}
		var p Params
		if err := tx.NewSelect().Model(&locked).Where("id = ?", p.Arg(row.ID)).For("UPDATE").Conn(p.Conn(tx)).
			Scan(Ahead(ctx, stmt)); err != nil {
			return err
		}
		if err := read.Scan(ctx); err != nil {
			return err
		}
		var w Params
		_, err = w.Exec(ctx, tx, "UPDATE typed SET n = ? WHERE id = ?", w.Args(8, row.ID)...)
		return err
	}
	if err := RunInTx(Pipeline(ctx), db, nil, tx); err != nil {
		t.Fatal(err)
	}
	plain.N = 8 // the write of the first
	r0, s0 := sent()
	err := RunInTx(Pipeline(ctx), db, nil, tx)
	if err != nil {
		t.Fatal(err)
	}
	trips, statements := sent()
	trips, statements = trips-r0, statements-s0
	t.Logf("a transaction of a lock-and-read, a read ahead, a write: %d round trips, %d statements", trips, statements)
	if pipelined && trips != 2 {
		t.Errorf("%d round trips, want 2: BEGIN with the reads, the write with COMMIT", trips)
	}
	if !pipelined && trips < 4 {
		t.Errorf("%d round trips: not pipelined, want at least 4", trips)
	}
	var prepared int
	if err := db.NewRaw("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FOR UPDATE%'").Scan(ctx, &prepared); err != nil {
		t.Fatal(err)
	}
	if want := pipelined && (mode == "" || mode == "cache_statement"); want != (prepared > 0) {
		t.Errorf("%d prepared lock-and-reads in the session: want them prepared %v", prepared, want)
	}
	for name, got := range map[string]typed{"locked": locked, "ahead": ahead} {
		if !equalTyped(got, plain) {
			t.Errorf("%s row read back as\n%+v\nnot as outside a pipeline\n%+v", name, got, plain)
		}
	}

	// The timeouts hold in a pipelined transaction.
	err = RunInTx(Pipeline(ctx), db, nil, func(ctx context.Context, tx bun.Conn) error {
		return tx.NewRaw("SELECT current_setting('lock_timeout')").Scan(ctx, &lockTimeout)
	})
	if err != nil || lockTimeout != "5s" {
		t.Errorf("lock_timeout %q (%v), want 5s", lockTimeout, err)
	}

	// Read ahead but not read in that order: the reads still get their own rows.
	var first, second typed
	err = RunInTx(Pipeline(ctx), db, nil, func(ctx context.Context, tx bun.Conn) error {
		var a Params
		stmt, err := a.Statement(tx.NewSelect().Model(&second).Where("n = ?", a.Arg(-1)).Conn(a.Conn(tx)))
		if err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&first).Where("id = ?", row.ID).Scan(Ahead(ctx, stmt)); err != nil {
			return err
		}
		var p Params
		return tx.NewSelect().Model(&second).Where("id = ?", p.Arg(row.ID)).Conn(p.Conn(tx)).Scan(ctx)
	})
	if err != nil || first.N != 8 || second.N != 8 {
		t.Errorf("reads after an unread statement ahead: n = %d, %d (%v); want 8, 8", first.N, second.N, err)
	}

	// A write held after the read ahead was sent comes before a read of what it wrote: the
	// read is sent again, after it.
	var after typed
	err = RunInTx(Pipeline(ctx), db, nil, func(ctx context.Context, tx bun.Conn) error {
		var a Params
		read := tx.NewSelect().Model(&after).Where("id = ?", a.Arg(row.ID)).Conn(a.Conn(tx))
		stmt, err := a.Statement(read)
		if err != nil {
			return err
		}
		if err := warm(Ahead(ctx, stmt), tx); err != nil {
			return err
		}
		var w Params
		if _, err := w.Exec(ctx, tx, "UPDATE typed SET n = ? WHERE id = ?", w.Args(100, row.ID)...); err != nil {
			return err
		}
		if err := read.Scan(ctx); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil || err.Error() != "roll back" || after.N != 100 {
		t.Errorf("a read after a held write: n = %d (%v); want 100, the write's", after.N, err)
	}

	// A write that fails with COMMIT: nothing of the transaction stays, the error is
	// PostgreSQL's, and the connection serves the next transaction.
	err = RunInTx(Pipeline(ctx), db, nil, func(ctx context.Context, tx bun.Conn) error {
		if err := warm(ctx, tx); err != nil {
			return err
		}
		var a, b Params
		if _, err := a.Exec(ctx, tx, "UPDATE typed SET n = ? WHERE id = ?", a.Args(9, row.ID)...); err != nil {
			return err
		}
		_, err := b.Exec(ctx, tx, "UPDATE typed SET amount = ?::numeric WHERE id = ?", b.Args("-1", row.ID)...)
		return err
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
		t.Errorf("a write against a check constraint: %v, want SQLSTATE 23514", err)
	}
	var n int
	if err := RunInTx(Pipeline(ctx), db, nil, func(ctx context.Context, tx bun.Conn) error {
		return tx.NewRaw("SELECT n FROM typed WHERE id = ?", row.ID).Scan(ctx, &n)
	}); err != nil || n != 8 {
		t.Errorf("after the failed transaction: n = %d (%v), want 8 and a usable connection", n, err)
	}

	// A transaction that reads and writes nothing sends nothing.
	r0, _ = sent()
	if err := RunInTx(Pipeline(ctx), db, nil, func(context.Context, bun.Conn) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if r, _ := sent(); pipelined && r != r0 {
		t.Errorf("an empty pipelined transaction took %d round trips, want 0", r-r0)
	}
}

// equalTyped compares rows column by column.
func equalTyped(a, b typed) bool {
	return a.ID == b.ID && a.Flag == b.Flag && a.N == b.N && a.Big == b.Big && a.Amount == b.Amount &&
		a.Doc["k"] == b.Doc["k"] && a.Doc["n"] == b.Doc["n"] && string(a.Blob) == string(b.Blob) &&
		a.At.Equal(b.At) && len(a.Tags) == len(b.Tags) && a.Tags[0] == b.Tags[0] && a.Tags[1] == b.Tags[1] &&
		a.Tags[2] == b.Tags[2] && *a.Note == *b.Note && a.Ratio == b.Ratio
}
