package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/uptrace/bun"
)

// Idempotency keys make retries safe. A mutation whose input carries idempotencyKey claims the
// key for its caller (the token's sub) in its own transaction, before it reads anything:
//
//   - a new key is inserted, and the mutation's result is stored under it in the same
//     transaction, so the key and the write commit or roll back together;
//   - a concurrent request with the same key waits on the key's primary key until the first
//     one ends, so two identical requests write once, also across server instances;
//   - a key already committed with the same operation and input returns the stored result
//     and writes nothing; with another input the request is refused with INVALID at
//     ["idempotencyKey"], a user error rather than a GraphQL error so that the other
//     mutations of the same request keep their payloads;
//   - a key past its expiry is ignored (taken over as new), and every claim deletes a few
//     expired keys.
//
// Only a committed result is kept: a refused input, a failed transaction or a dry run leaves
// the key free (a refused request may be corrected and sent again with the same key; a dry
// run writes nothing, so it ignores the key).

// DefaultIdempotencyTTL is how long an idempotency key and its result are kept.
const DefaultIdempotencyTTL = 24 * time.Hour

// maxKeyLen bounds idempotencyKey and clientMutationId.
const maxKeyLen = 255

// purgeBatch is how many expired keys one claim deletes at most.
const purgeBatch = 100

// idempotencyKey is one mutation's claim on its idempotency key.
type idempotencyKey struct {
	actor, key, operation string
	hash                  []byte
	ttl                   time.Duration
}

// storedResult is what a key keeps of a mutation's result: the payload besides its (empty)
// user errors.
type storedResult struct {
	Record           json.RawMessage `json:"record"`
	Warnings         []UserWarning   `json:"warnings"`
	ClientMutationID *string         `json:"clientMutationId"`
}

// newIdempotencyKey returns the claim of a mutation whose input carries a key, or nil when it
// carries none or is a dry run. operation names the mutation; input is everything it was sent.
func (s *Store) newIdempotencyKey(actor string, in MutationInput, operation string, input map[string]any) (*idempotencyKey, error) {
	key := in.IdempotencyKey.Value()
	if key == nil || in.dryRun() {
		return nil, nil
	}
	hash, err := requestHash(operation, input)
	if err != nil {
		return nil, fmt.Errorf("hash %s input: %w", operation, err)
	}
	ttl := s.IdempotencyTTL
	if ttl <= 0 {
		ttl = DefaultIdempotencyTTL
	}
	return &idempotencyKey{actor: actor, key: *key, operation: operation, hash: hash, ttl: ttl}, nil
}

// requestHash is the SHA-256 of an operation and its input in canonical form: the same input
// hashes the same however it was written (inline or in variables, "1.5" or "1.50").
func requestHash(operation string, input map[string]any) ([]byte, error) {
	b, err := json.Marshal(canonical(reflect.ValueOf(input)))
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write([]byte(operation))
	h.Write([]byte{0})
	h.Write(b)
	return h.Sum(nil), nil
}

// omittable is graphql.Omittable of any type.
type omittable interface{ IsSet() bool }

// canonical turns an input into plain values for hashing: a struct becomes an object of its
// exported fields by Go name, embedded structs merged in; a field left out (an Omittable that
// is not set) is left out, one sent as null is null; a Decimal is its exact value as a
// fraction, whatever its scale; other values with their own JSON form (UUID, time) keep it. MutationInput's dryRun and idempotencyKey are not part of the input:
// a request with a key is never a dry run, and the key is the key.
func canonical(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return canonical(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = canonical(v.Index(i))
		}
		return out
	case reflect.Map:
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			out[fmt.Sprint(it.Key().Interface())] = canonical(it.Value())
		}
		return out
	case reflect.Struct:
		if o, ok := v.Interface().(omittable); ok {
			if !o.IsSet() {
				return omitted{}
			}
			return canonical(v.MethodByName("Value").Call(nil)[0])
		}
		if d, ok := v.Interface().(Decimal); ok {
			return "decimal:" + d.Rat().RatString() // 149.9 and 149.90 are one amount
		}
		if _, ok := v.Interface().(json.Marshaler); ok {
			return v.Interface()
		}
		out := map[string]any{}
		canonicalFields(v, out)
		return out
	default:
		return v.Interface()
	}
}

var mutationInputType = reflect.TypeOf(MutationInput{})

// omitted marks a field left out, which canonicalFields drops.
type omitted struct{}

// canonicalFields adds v's exported fields to out, and those of its embedded structs.
func canonicalFields(v reflect.Value, out map[string]any) {
	for i := range v.NumField() {
		f := v.Type().Field(i)
		fv := v.Field(i)
		switch {
		case f.Anonymous:
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				canonicalFields(fv, out)
			}
		case !f.IsExported(), v.Type() == mutationInputType && (f.Name == "DryRun" || f.Name == "IdempotencyKey"):
		default:
			if c := canonical(fv); c != (omitted{}) {
				out[f.Name] = c
			}
		}
	}
}

// claim takes k for the transaction db, waiting while a concurrent transaction holds it. It
// returns the result stored by an earlier request with the same key and input; a key stored
// with another operation or input is a violation in p. A nil k claims nothing.
func (k *idempotencyKey) claim(ctx context.Context, db bun.IDB, p *patch) (*storedResult, error) {
	if k == nil {
		return nil, nil
	}
	// A key can vanish between the two statements only when it expired and another claim
	// purged it; then the next round takes it as new.
	for range 3 {
		var took bool
		err := db.NewRaw(`INSERT INTO idempotency_keys AS k (actor, idempotency_key, operation, request_hash, expires_at)
			VALUES (?, ?, ?, ?, now() + make_interval(secs => ?))
			ON CONFLICT (actor, idempotency_key) DO UPDATE
			SET operation = excluded.operation, request_hash = excluded.request_hash, result = NULL,
				created_at = now(), expires_at = excluded.expires_at
			WHERE k.expires_at <= now()
			RETURNING true`, k.actor, k.key, k.operation, k.hash, k.ttl.Seconds()).Scan(ctx, &took)
		if err == nil {
			return nil, k.purge(ctx, db)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		var row struct {
			Operation   string
			RequestHash []byte
			Result      []byte
		}
		err = db.NewRaw(`SELECT operation, request_hash, result FROM idempotency_keys
			WHERE actor = ? AND idempotency_key = ?`, k.actor, k.key).Scan(ctx, &row)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read idempotency key: %w", err)
		}
		if row.Operation != k.operation || !bytes.Equal(row.RequestHash, k.hash) || row.Result == nil {
			p.Add(Path{"idempotencyKey"}, CodeInvalid,
				"idempotencyKey %s was already used for another request (%s with a different input) within the last %s: send a new key with a new request",
				quote(k.key), row.Operation, duration(k.ttl))
			return nil, nil
		}
		stored := new(storedResult)
		if err := json.Unmarshal(row.Result, stored); err != nil {
			return nil, fmt.Errorf("read idempotency result: %w", err)
		}
		return stored, nil
	}
	return nil, errors.New("claim idempotency key: the key kept changing")
}

// duration says d in words for a message: "24 hours" rather than "24h0m0s".
func duration(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// purge deletes a few expired keys, skipping those another transaction holds.
func (k *idempotencyKey) purge(ctx context.Context, db bun.IDB) error {
	_, err := db.NewRaw(`DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
		SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT ? FOR UPDATE SKIP LOCKED))`, purgeBatch).Exec(ctx)
	if err != nil {
		return fmt.Errorf("purge idempotency keys: %w", err)
	}
	return nil
}

// save stores the result of the mutation under k, in the mutation's transaction db.
func (k *idempotencyKey) save(ctx context.Context, db bun.IDB, record any, out Outcome) error {
	rec, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("encode idempotency result: %w", err)
	}
	res, err := json.Marshal(storedResult{Record: rec, Warnings: out.Warnings, ClientMutationID: out.ClientMutationID})
	if err != nil {
		return fmt.Errorf("encode idempotency result: %w", err)
	}
	_, err = db.NewRaw(`UPDATE idempotency_keys SET result = ? WHERE actor = ? AND idempotency_key = ?`,
		string(res), k.actor, k.key).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save idempotency result: %w", err)
	}
	return nil
}

// decodeRecord reads a record stored by save into r, numbers in JSON objects kept exact.
func decodeRecord[R record](b []byte, r *R) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(r); err != nil {
		return fmt.Errorf("decode idempotency result: %w", err)
	}
	return nil
}

// restoreItems puts back the parent id and position of a stored list's items.
func restoreItems[T listItem](parent *Record, items []T) {
	for i, it := range items {
		place(it, parent.ID, i)
	}
}
