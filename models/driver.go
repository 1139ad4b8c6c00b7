package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/secrets"
)

// Record holds what every stored entity has: a stable id (the audit trail's key, which
// survives renames of the entity's own key), its version and its timestamps.
type Record struct {
	ID        uuid.UUID `bun:"id,pk,type:uuid"`
	Version   int       `bun:"version"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
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
// names it in an update input, F the settable fields its create and update inputs share.
// Optional hooks may be nil.
type entity[R record, K, F any] struct {
	// name names the record type in the audit log.
	name string
	// keyPath is where NOT_FOUND is reported when no record has the key.
	keyPath Path
	// notFound says that no record has the key.
	notFound func(key K) string
	// checkKey refuses a key that no record can have, such as a code with a NUL character,
	// before it reaches SQL. Sub-dealers and orders set it: their keys hold text.
	checkKey func(v *Violations, key K)
	// lock reads the record FOR UPDATE, or answers ErrNotFound.
	lock func(ctx context.Context, db bun.IDB, key K) (R, error)
	// scope returns nil when the caller may see and change r, else the path of the field
	// that puts it out of reach. Out of reach after loading answers like a missing record.
	scope func(a *auth.Principal, r R) Path
	// editable refuses an update, before any merge, of a record whose state allows none.
	editable func(v *Violations, r R, f F)
	// prepare loads what merge needs beside the record, such as its child lists.
	prepare func(ctx context.Context, db bun.IDB, r R, f F) error
	// merge applies the sent fields to r through p and returns what to write beside r.
	merge func(f F, p *patch, box *secrets.Box, r R) []writer
	// derive sets the values the server computes from the merged record.
	derive func(p *patch, r R)
	// check runs the rules that need the database, such as uniqueness ahead of the write.
	check func(ctx context.Context, db bun.IDB, p *patch, r R) error
	// unique maps a unique constraint to the input path of the field it guards, so that a
	// write that loses a race for a unique value is a DUPLICATE there.
	unique map[string]Path
	// whole loads the child lists r does not hold yet, so that a result kept under an
	// idempotency key shows the whole record.
	whole func(ctx context.Context, db bun.IDB, r R) error
}

// create merges f into r, a new record holding its defaults and the create input's fields
// outside F (keys, named by input field, for the audit trail), and stores it with its child
// lists and audit row when every rule holds.
func create[R record, K, F any](ctx context.Context, s *Store, e *entity[R, K, F], actor *auth.Principal, in MutationInput, r R, keys map[string]any, f F) (R, Outcome, error) {
	p := newPatch()
	for field, v := range keys {
		p.record(field, "", nil, v)
	}
	if in.validate(&p.Violations); p.Failed() {
		return e.result(p, in, r, false, nil)
	}
	ik, err := s.newIdempotencyKey(actor.Subject, in, actionCreate+e.name, map[string]any{"keys": keys, "input": in, "fields": f})
	if err != nil {
		return r, Outcome{}, err
	}
	var stored *storedResult
	err = s.inTx(ctx, p, in.dryRun(), func(ctx context.Context, tx bun.Tx) error {
		var err error
		if stored, err = ik.claim(ctx, tx, p); err != nil || stored != nil || p.Failed() {
			return err
		}
		lists := e.merge(f, p, s.Secrets, r)
		if err := e.finish(ctx, tx, p, actor, r, lists, actionCreate); err != nil {
			return err
		}
		return e.keep(ctx, tx, ik, p, in, r)
	})
	if stored != nil {
		return e.replay(p, actor, stored)
	}
	return e.result(p, in, r, true, err)
}

// update loads the record named by key FOR UPDATE, merges f into it and writes what changed,
// all in one transaction.
func update[R record, K, F any](ctx context.Context, s *Store, e *entity[R, K, F], actor *auth.Principal, key K, in UpdateInput, f F) (R, Outcome, error) {
	p := newPatch()
	var r R
	in.validate(&p.Violations)
	if e.checkKey != nil {
		e.checkKey(&p.Violations, key)
	}
	if p.Failed() {
		return e.result(p, in.MutationInput, r, false, nil)
	}
	ik, err := s.newIdempotencyKey(actor.Subject, in.MutationInput, actionUpdate+e.name,
		map[string]any{"key": fmt.Sprintf("%v", key), "input": in, "fields": f})
	if err != nil {
		return r, Outcome{}, err
	}
	var stored *storedResult
	found := false
	err = s.inTx(ctx, p, in.dryRun(), func(ctx context.Context, tx bun.Tx) error {
		var err error
		if stored, err = ik.claim(ctx, tx, p); err != nil || stored != nil || p.Failed() {
			return err
		}
		if r, found, err = e.change(ctx, tx, s.Secrets, p, actor, key, in, f); err != nil {
			return err
		}
		return e.keep(ctx, tx, ik, p, in.MutationInput, r)
	})
	if stored != nil {
		return e.replay(p, actor, stored)
	}
	return e.result(p, in.MutationInput, r, found, err)
}

// change is the body of an update's transaction: it loads the record named by key FOR UPDATE,
// merges f into it and writes what changed. found tells whether the record was loaded.
func (e *entity[R, K, F]) change(ctx context.Context, tx bun.Tx, box *secrets.Box, p *patch, actor *auth.Principal, key K, in UpdateInput, f F) (r R, found bool, err error) {
	r, err = e.lock(ctx, tx, key)
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
	if !checkVersion(p, in.ExpectedVersion, r.record().Version) {
		return r, true, nil
	}
	if e.editable != nil {
		if e.editable(&p.Violations, r, f); p.Failed() {
			return r, true, nil
		}
	}
	if e.prepare != nil {
		if err := e.prepare(ctx, tx, r, f); err != nil {
			return r, true, err
		}
	}
	lists := e.merge(f, p, box, r)
	return r, true, e.finish(ctx, tx, p, actor, r, lists, actionUpdate)
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
	var r, none R
	if err := decodeRecord(stored.Record, &r); err != nil {
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

// finish runs the rules on the merged record and, when all hold, writes it, its lists and
// its audit row.
func (e *entity[R, K, F]) finish(ctx context.Context, tx bun.IDB, p *patch, actor *auth.Principal, r R, lists []writer, action string) error {
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
		if err := e.check(ctx, tx, p, r); err != nil {
			return err
		}
	}
	if p.Failed() || (action == actionUpdate && !p.changed()) {
		return nil
	}
	rec := r.record()
	if action == actionCreate {
		if _, err := tx.NewInsert().Model(r).Returning("NULL").Exec(ctx); err != nil {
			return fmt.Errorf("insert %s: %w", e.name, err)
		}
	} else {
		rec.Version++
		rec.UpdatedAt = now()
	}
	for _, l := range lists {
		if l == nil {
			continue // nothing to write
		}
		if err := l.write(ctx, tx); err != nil {
			return err
		}
	}
	if action == actionUpdate {
		// The changed columns and the audit row: one statement, after the lists.
		return updateWithAudit(ctx, tx, e.name, r, p.columns, actor.Subject, p)
	}
	// Before a create there was nothing: every field comes from null.
	for field, c := range p.changes {
		p.changes[field] = Change{From: nil, To: c.To}
	}
	return writeAudit(ctx, tx, e.name, rec.ID.String(), actor.Subject, action, rec.Version, rec.UpdatedAt, p)
}

// result makes the outcome of a mutation. A write that lost a race for a unique value is a
// DUPLICATE at the field the constraint guards, not an error.
func (e *entity[R, K, F]) result(p *patch, in MutationInput, r R, found bool, err error) (R, Outcome, error) {
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
	if !p.Failed() || (in.dryRun() && found) {
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
