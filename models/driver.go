package models

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/secrets"
)

// Record holds what every stored entity has: a stable id (the audit trail's key, which
// survives renames of the entity's own key), its version and its timestamps.
type Record struct {
	ID        uuid.UUID `bun:"id,pk,type:uuid"`
	Version   int       `bun:"version"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
	// page is the page of a list the record was read on, if any.
	page *pageGroup `bun:"-"`
}

func (r *Record) record() *Record { return r }

// newRecord returns the Record of a record created now, at version 1.
func newRecord() Record {
	at := now()
	return Record{ID: newID(), Version: 1, CreatedAt: at, UpdatedAt: at}
}

// record is a stored entity as the mutation driver sees it.
type record interface {
	record() *Record
	// Validate checks every rule of the merged record that needs no database.
	Validate(v *Violations)
}

// MutationInput holds the input fields of every mutation.
type MutationInput struct {
	ClientMutationID graphql.Omittable[*string]
	DryRun           graphql.Omittable[*bool]
	// IdempotencyKey makes a retry return the first result (see idempotency.go).
	IdempotencyKey graphql.Omittable[*string]
}

func (in MutationInput) dryRun() bool {
	v := in.DryRun.Value()
	return v != nil && *v
}

// validate checks the fields every mutation input has.
func (in MutationInput) validate(v *Violations) {
	text(v, Path{"clientMutationId"}, in.ClientMutationID.Value(), maxKeyLen)
	if key, sent := in.IdempotencyKey.ValueOK(); sent && key != nil {
		if strings.TrimSpace(*key) == "" {
			v.Add(Path{"idempotencyKey"}, CodeRequired, "idempotencyKey must not be empty; leave it out to send none")
		}
		text(v, Path{"idempotencyKey"}, key, maxKeyLen)
	}
}

// UpdateInput holds the input fields of every update besides the record's key.
type UpdateInput struct {
	MutationInput
	ExpectedVersion graphql.Omittable[*int]
}

// Outcome holds the payload fields of every mutation besides the record.
type Outcome struct {
	UserErrors       []UserError
	Warnings         []UserWarning
	ClientMutationID *string
}

// writer writes one part of a mutation beside the record itself: a merged child list, or
// mail to send once the transaction commits.
type writer interface {
	write(ctx context.Context, db bun.IDB) error
}

// entity describes one record type to the mutation driver: R is the record, K the key that
// names it in an update input, F what a create or update input asks of it: its settable
// fields, and for sub-dealers and orders (subDealerChange, orderChange) what the hooks learn
// on the way. Each optional hook says which entities set it; the others every entity sets.
type entity[R record, K, F any] struct {
	// name names the record type in the audit log.
	name string
	// keyPath is where NOT_FOUND is reported when no record has the key.
	keyPath Path
	// notFound says that no record has the key.
	notFound func(key K) string
	// checkKey (optional: sub-dealers and orders, whose keys hold text) refuses a key that no
	// record can have, such as a code with a NUL character, before it reaches SQL.
	checkKey func(v *Violations, key K)
	// lock reads the record FOR UPDATE, or answers ErrNotFound.
	lock func(ctx context.Context, db bun.IDB, key K) (R, error)
	// scope (optional: all but connector configurations) returns nil when the caller may see
	// and change r, else the path of the field that puts it out of reach. Out of reach after
	// loading answers like a missing record.
	scope func(a *auth.Principal, r R) Path
	// editable (optional: orders) refuses an update, before any merge, of a record whose
	// state allows none.
	editable func(v *Violations, r R, f F)
	// prepare (optional: gateways, sub-dealers and orders) loads what an update's merge needs
	// beside the record, such as its child lists.
	prepare func(ctx context.Context, db bun.IDB, r R, f F) error
	// ahead (optional: with prepare) returns the statements prepare sends for the record named
	// by key, so that they go in the round trip of the lock-and-read (database.Ahead).
	ahead func(db bun.IDB, key K, f F) ([]database.Statement, error)
	// merge applies f to r through p and returns what to write beside r.
	merge func(f F, p *patch, box *secrets.Box, r R) []writer
	// derive (optional: orders' totals) sets the values the server computes from the merged
	// record.
	derive func(p *patch, r R)
	// check (optional: connector configurations' connector, sub-dealers' unique codes) runs
	// the rules that need the database, such as uniqueness ahead of the write.
	check func(ctx context.Context, db bun.IDB, p *patch, r R, f F) error
	// unique (optional: gateways and sub-dealers) maps a unique constraint to the input path
	// of the field it guards, so that a write that loses a race for a unique value is a
	// DUPLICATE there.
	unique map[string]Path
	// whole (optional: the entities with child lists) loads the child lists r does not hold
	// yet, so that a result kept under an idempotency key shows the whole record.
	whole func(ctx context.Context, db bun.IDB, r R) error
	// restore (optional: the entities with child lists) puts back what r's JSON form leaves
	// out (its items' parent ids and positions, and values derived from them, which the audit
	// trail wants left out) when a result kept under an idempotency key is read back.
	restore func(r R)
}

// creation is a create's new record before f is merged into it: its defaults, and the create
// input's fields outside F (its keys, named by input field), which the audit trail shows as
// set.
type creation[R record] struct {
	record R
	keys   map[string]any
}

// mutation is what tells a create from an update apart for mutate.
type mutation[R record] struct {
	// action is actionCreate or actionUpdate.
	action string
	// fingerprint identifies the request beside its fields, for its idempotency key.
	fingerprint map[string]any
	// lock (optional: updates) queues for the record before an idempotency key's claim takes
	// the transaction's id (see lockFirst).
	lock func(ctx context.Context, tx bun.IDB) error
	// start gets the record: a new one, or the stored one locked. loaded tells that there is
	// one (a refused dry run still shows it).
	start func(ctx context.Context, tx bun.IDB, p *patch) (r R, loaded bool, err error)
	// store writes the record, its child lists and its audit row, once every rule holds.
	store func(ctx context.Context, tx bun.IDB, p *patch, actor *auth.Principal, r R, lists []writer) error
}

// create stores the record c starts, f merged into it, with its child lists and audit row when
// every rule holds.
func create[R record, K, F any](ctx context.Context, s *Store, e *entity[R, K, F], actor *auth.Principal, in MutationInput, c creation[R], f F) (R, Outcome, error) {
	return mutate(ctx, s, e, actor, in, f, mutation[R]{
		action:      actionCreate,
		fingerprint: map[string]any{"keys": c.keys, "input": in},
		start: func(_ context.Context, _ bun.IDB, p *patch) (R, bool, error) {
			for field, v := range c.keys {
				p.record(field, "", nil, v)
			}
			return c.record, true, nil
		},
		store: e.insert,
	})
}

// update changes the record named by key: it loads it FOR UPDATE, merges f into it and writes
// what changed.
func update[R record, K, F any](ctx context.Context, s *Store, e *entity[R, K, F], actor *auth.Principal, key K, in UpdateInput, f F) (R, Outcome, error) {
	return mutate(ctx, s, e, actor, in.MutationInput, f, mutation[R]{
		action:      actionUpdate,
		fingerprint: map[string]any{"key": fmt.Sprintf("%v", key), "input": in},
		lock:        func(ctx context.Context, tx bun.IDB) error { return e.lockFirst(ctx, tx, key) },
		start: func(ctx context.Context, tx bun.IDB, p *patch) (R, bool, error) {
			return e.load(ctx, tx, p, actor, key, in.ExpectedVersion, f)
		},
		store: e.save,
	})
}

// mutate runs a create or an update in one transaction: it claims the idempotency key, gets
// the record (m.start), merges f into it, runs every rule on the merged record and, when all
// hold, writes it (m.store) and keeps the result under the key. A dry run or a refused input
// rolls back.
func mutate[R record, K, F any](ctx context.Context, s *Store, e *entity[R, K, F], actor *auth.Principal, in MutationInput, f F, m mutation[R]) (R, Outcome, error) {
	p := newPatch()
	var r R
	if in.validate(&p.Violations); p.Failed() {
		return e.result(p, in, r, false, nil)
	}
	m.fingerprint["fields"] = f
	ik, err := s.newIdempotencyKey(actor.Subject, in, m.action+e.name, m.fingerprint)
	if err != nil {
		return r, Outcome{}, err
	}
	var stored *storedResult
	loaded := false
	err = s.inTx(ctx, p, in.dryRun(), func(ctx context.Context, tx bun.IDB) error {
		if m.lock != nil && ik != nil {
			if err := m.lock(ctx, tx); err != nil {
				return err
			}
		}
		var err error
		if stored, err = ik.claim(ctx, tx, p); err != nil || stored != nil || p.Failed() {
			return err
		}
		if r, loaded, err = m.start(ctx, tx, p); err != nil || !loaded || p.Failed() {
			return err
		}
		lists := e.merge(f, p, s.Secrets, r)
		if err := e.rules(ctx, tx, p, actor, r, f); err != nil || p.Failed() {
			return err
		}
		if err := m.store(ctx, tx, p, actor, r, lists); err != nil {
			return err
		}
		return e.keep(ctx, tx, ik, p, in, r)
	})
	if stored != nil {
		return e.replay(p, actor, stored)
	}
	return e.result(p, in, r, loaded, err)
}

// lockFirst queues an update behind the other updates of the record named by key, before the
// update takes a transaction id. The change feed orders events by transaction id, so the
// updates of one record must take their ids in the order in which they lock it, or one could
// commit the next version under an older id and be read before the version it follows. Waiting
// for a row lock does not guarantee that (a transaction waiting on a row that another has
// updated may take its id before it waits), and an idempotency key's claim, which inserts a
// row, takes one before the record is locked. A transaction-level advisory lock on the key is
// waited for without an id and is released at commit, so the row lock and the claim that follow
// take their ids in queue order. An update without an idempotency key costs nothing more when
// uncontended: its lock-and-read takes the advisory lock without waiting (queued) and reads the
// record only if it got it; lockFirst runs only when that failed, or before an idempotency
// key's claim.
//
// lock_timeout bounds each wait for one holder, as it does a row lock's: a queue of updates
// that each hold the record briefly does not time out, one holder that keeps it too long does.
func (e *entity[R, K, F]) lockFirst(ctx context.Context, tx bun.IDB, key K) error {
	if e.checkKey != nil {
		var v Violations
		if e.checkKey(&v, key); v.Failed() {
			return nil // no record has it; load reports why
		}
	}
	k := queueKey(e.name, key)
	var free bool
	if err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(?)", k).Scan(ctx, &free); err != nil {
		return fmt.Errorf("queue for %s: %w", e.name, err)
	}
	holder := func() (pid int64) {
		_ = tx.NewRaw(`SELECT coalesce(max(pid), 0) FROM pg_locks WHERE locktype = 'advisory' AND granted
			AND classid = ? AND objid = ? AND objsubid = 1`, uint32(uint64(k)>>32), uint32(k)).Scan(ctx, &pid)
		return pid
	}
	for !free {
		before := holder()
		if _, err := tx.ExecContext(ctx, "SAVEPOINT queue"); err != nil {
			return fmt.Errorf("queue for %s: %w", e.name, err)
		}
		_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", k)
		if err == nil {
			_, err = tx.ExecContext(ctx, "RELEASE SAVEPOINT queue")
			return err
		}
		if database.FaultOf(err) != database.LockTimedOut {
			return fmt.Errorf("queue for %s: %w", e.name, err)
		}
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT queue"); rerr != nil {
			return fmt.Errorf("queue for %s: %w", e.name, rerr)
		}
		if after := holder(); after == before || after == 0 && before == 0 {
			return fmt.Errorf("queue for %s: %w", e.name, err) // one holder kept it all along
		}
	}
	return nil
}

// queueKey is the advisory lock key of the record of entity name with key.
func queueKey(name string, key any) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name + ":" + fmt.Sprint(key)))
	return int64(h.Sum64())
}

// queueCtxKey marks a lock-and-read that must take the record's advisory lock without waiting
// (its value: queueKey's).
type queueCtxKey struct{}

// queued makes a lock-and-read select the record only if it takes the record's advisory lock
// at once, when ctx asks for it (load): `AND pg_try_advisory_xact_lock(k)`, bound in p.
func queued(ctx context.Context, p *database.Params) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		if k, ok := ctx.Value(queueCtxKey{}).(int64); ok {
			return q.Where("pg_try_advisory_xact_lock(?)", p.Arg(k))
		}
		return q
	}
}

// load reads the record named by key FOR UPDATE and readies it for an update: a missing
// record, or one outside the caller's scope, is NOT_FOUND at the key; a stale expectedVersion
// or a state that allows no change refuses the update; prepare loads what merge needs. loaded
// tells whether the record was read.
func (e *entity[R, K, F]) load(ctx context.Context, tx bun.IDB, p *patch, actor *auth.Principal, key K, expected graphql.Omittable[*int], f F) (r R, loaded bool, err error) {
	if e.checkKey != nil {
		if e.checkKey(&p.Violations, key); p.Failed() {
			return r, false, nil
		}
	}
	lockCtx := ctx
	if e.ahead != nil {
		stmts, err := e.ahead(tx, key, f)
		if err != nil {
			return r, false, fmt.Errorf("load %s: %w", e.name, err)
		}
		lockCtx = database.Ahead(ctx, stmts...)
	}
	// The lock-and-read queues for the record too, without a wait: it reads the record only
	// when its advisory lock is free (see lockFirst), so that it never waits for the row with
	// a transaction id; when another update holds it, queue, then read.
	r, err = e.lock(context.WithValue(lockCtx, queueCtxKey{}, queueKey(e.name, key)), tx, key)
	if errors.Is(err, ErrNotFound) {
		if err = e.lockFirst(ctx, tx, key); err == nil {
			r, err = e.lock(ctx, tx, key)
		}
	}
	if err == nil && e.scope != nil && e.scope(actor, r) != nil {
		err = ErrNotFound // out of scope answers like missing
	}
	if errors.Is(err, ErrNotFound) {
		p.Add(e.keyPath, CodeNotFound, "%s", e.notFound(key))
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("load %s: %w", e.name, err)
	}
	if !checkVersion(p, expected, r.record().Version) {
		return r, true, nil
	}
	if e.editable != nil {
		if e.editable(&p.Violations, r, f); p.Failed() {
			return r, true, nil
		}
	}
	if e.prepare != nil {
		return r, true, e.prepare(ctx, tx, r, f)
	}
	return r, true, nil
}

// keep stores the result of a mutation that is about to commit under its idempotency key, when
// it has one.
func (e *entity[R, K, F]) keep(ctx context.Context, tx bun.IDB, ik *idempotencyKey, p *patch, in MutationInput, r R) error {
	if ik == nil || p.Failed() {
		return nil
	}
	if e.whole != nil {
		if err := e.whole(ctx, tx, r); err != nil {
			return err
		}
	}
	return ik.save(ctx, tx, r, Outcome{Warnings: p.Warnings, ClientMutationID: in.ClientMutationID.Value()})
}

// replay answers a retry with the result kept under its idempotency key. A record that has
// left the caller's scope since answers like a missing one.
func (e *entity[R, K, F]) replay(p *patch, actor *auth.Principal, stored *storedResult) (R, Outcome, error) {
	var none R
	r, err := e.decode(stored.Record)
	if err != nil {
		return none, Outcome{}, err
	}
	if e.scope != nil {
		if path := e.scope(actor, r); path != nil {
			p.Add(path, CodeNotFound, "%s is not in your scope", path[len(path)-1])
			return none, Outcome{UserErrors: p.Errors, ClientMutationID: stored.ClientMutationID}, nil
		}
	}
	return r, Outcome{UserErrors: p.Errors, Warnings: stored.Warnings, ClientMutationID: stored.ClientMutationID}, nil
}

// decode reads a record kept under an idempotency key back, with what its JSON leaves out.
func (e *entity[R, K, F]) decode(b []byte) (R, error) {
	var r R
	if err := decodeRecord(b, &r); err != nil {
		return r, err
	}
	if e.restore != nil {
		e.restore(r)
	}
	return r, nil
}

// rules derives the server's values and runs every rule on the merged record: the scope again
// (the merge may move the record out of it), Validate, and the checks that need the database.
func (e *entity[R, K, F]) rules(ctx context.Context, tx bun.IDB, p *patch, actor *auth.Principal, r R, f F) error {
	if e.derive != nil {
		e.derive(p, r)
	}
	if e.scope != nil {
		if path := e.scope(actor, r); path != nil {
			p.Add(path, CodeNotFound, "%s is not in your scope", path[len(path)-1])
			return nil
		}
	}
	r.Validate(&p.Violations)
	if e.check != nil {
		return e.check(ctx, tx, p, r, f)
	}
	return nil
}

// insert stores a created record, then its child lists and its audit row, in which every
// field comes from null.
func (e *entity[R, K, F]) insert(ctx context.Context, tx bun.IDB, p *patch, actor *auth.Principal, r R, lists []writer) error {
	if _, err := tx.NewInsert().Model(r).Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("insert %s: %w", e.name, err)
	}
	if err := writeLists(ctx, tx, lists); err != nil {
		return err
	}
	for field, c := range p.changes {
		p.changes[field] = Change{From: nil, To: c.To}
	}
	rec := r.record()
	return writeAudit(ctx, tx, e.name, rec.ID.String(), actor.Subject, actionCreate, rec.Version, rec.UpdatedAt, p)
}

// save writes an update that changes something: its child lists, then its changed columns
// with version and updatedAt bumped and its audit row, in one statement.
func (e *entity[R, K, F]) save(ctx context.Context, tx bun.IDB, p *patch, actor *auth.Principal, r R, lists []writer) error {
	if !p.changed() {
		return nil
	}
	rec := r.record()
	rec.Version++
	rec.UpdatedAt = now()
	if err := writeLists(ctx, tx, lists); err != nil {
		return err
	}
	return updateWithAudit(ctx, tx, e.name, r, p.columns, actor.Subject, p)
}

// writeLists writes what a merge returned beside the record; nil stands for nothing to write.
func writeLists(ctx context.Context, tx bun.IDB, lists []writer) error {
	for _, l := range lists {
		if l == nil {
			continue
		}
		if err := l.write(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// result makes the outcome of a mutation; loaded tells whether it got to a record. A write that
// lost a race for a unique value is a DUPLICATE at the field the constraint guards, not an
// error.
func (e *entity[R, K, F]) result(p *patch, in MutationInput, r R, loaded bool, err error) (R, Outcome, error) {
	var none R
	if path, ok := duplicateOf(err, e.unique); ok {
		p.Add(path, CodeDuplicate, "%s is already used by another record", describe(path))
		err = nil
	}
	if err != nil {
		return none, Outcome{}, err
	}
	out := Outcome{UserErrors: p.Errors, Warnings: p.Warnings, ClientMutationID: in.ClientMutationID.Value()}
	// A refused dry run still shows the would-be record beside its errors.
	if !p.Failed() || (in.dryRun() && loaded) {
		return r, out, nil
	}
	return none, out, nil
}

// uniqueViolation is PostgreSQL's SQLSTATE for a broken unique constraint.
const uniqueViolation = "23505"

// duplicateOf reports whether err is a unique violation, and the input path of the field the
// broken constraint guards (the whole input for a constraint not in unique).
func duplicateOf(err error, unique map[string]Path) (Path, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
		return nil, false
	}
	if path, ok := unique[pgErr.ConstraintName]; ok {
		return path, true
	}
	return Path{}, true
}

func describe(path Path) string {
	if len(path) == 0 {
		return "a unique value"
	}
	return path[len(path)-1]
}

// checkVersion refuses a stale expectedVersion; it reports whether the mutation may go on.
func checkVersion(p *patch, expected graphql.Omittable[*int], stored int) bool {
	if v := expected.Value(); v != nil && *v != stored {
		p.Add(Path{"expectedVersion"}, CodeVersionConflict,
			"the record is at version %d, not %d: reload it and apply the change again", stored, *v)
		return false
	}
	return true
}
