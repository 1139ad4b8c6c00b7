package graph_test

import (
	"fmt"
	"testing"

	"github.com/payplat/paygql/internal/database"
)

// updateRoundTrips is how many round trips to PostgreSQL every entity's update takes: BEGIN
// with the lock-and-read and the child lists the update needs, then the writes, the audit row
// and COMMIT.
const updateRoundTrips = 2

// sentBy returns the round trips and statements the store's pool sends while fn runs.
func (e *env) sentBy(fn func()) (roundTrips, statements int64) {
	e.t.Helper()
	c := database.Sent(e.db.DB)
	if c == nil {
		e.t.Fatal("the store's pool counts nothing")
	}
	r0, s0 := c.RoundTrips.Load(), c.Statements.Load()
	fn()
	return c.RoundTrips.Load() - r0, c.Statements.Load() - s0
}

// TestUpdateRoundTrips counts the round trips of each entity's update, directly and behind
// PgBouncer in transaction mode with default_query_exec_mode=exec and simple_protocol: each
// takes updateRoundTrips and commits (its version rises by one).
func TestUpdateRoundTrips(t *testing.T) {
	for _, setup := range []struct {
		name string
		env  func(t *testing.T) *env
	}{
		{"direct", newEnv},
		{"pgbouncer exec", func(t *testing.T) *env { return newPooledEnv(t, "default_query_exec_mode", "exec") }},
		{"pgbouncer simple_protocol", func(t *testing.T) *env {
			return newPooledEnv(t, "default_query_exec_mode", "simple_protocol")
		}},
	} {
		t.Run(setup.name, func(t *testing.T) {
			e := setup.env(t)
			for _, c := range contendedEntities {
				key, _ := c.create(e)
				// Two updates warm the pool's connection up: they prepare the statements of
				// their shapes (the columns a change writes), once per connection.
				for i := range 2 {
					if o, err := e.tryUpdate(c, key, c.change(i)); err != nil || len(o.userErrors) > 0 || o.response.Status != 200 {
						t.Fatalf("%s: warm-up update: %v %v %s", c.name, err, o.userErrors, o.response.Body)
					}
				}
				var o updateOutcome
				var err error
				trips, statements := e.sentBy(func() { o, err = e.tryUpdate(c, key, c.change(2)) })
				if err != nil || len(o.userErrors) > 0 || len(o.response.Errors) > 0 {
					t.Fatalf("%s: update: %v %v %s", c.name, err, o.userErrors, o.response.Body)
				}
				t.Logf("%s: %d round trips, %d statements", c.name, trips, statements)
				if trips != updateRoundTrips {
					t.Errorf("%s: %d round trips, want %d", c.name, trips, updateRoundTrips)
				}
				if _, history := e.read(c, key); history[0] != o.version() || o.version() != 4 {
					t.Errorf("%s: version %d, history %v: want the update committed as version 4", c.name, o.version(), history)
				}
			}
		})
	}
}

// TestPipelinedWriteFailureRollsBack makes the second round trip of an update fail (a
// constraint the writes break only in the database): the update answers as before,
// nothing of it is written, and the connection serves the next update.
func TestPipelinedWriteFailureRollsBack(t *testing.T) {
	e := newEnv(t)
	c := contendedEntities[0]
	key, _ := c.create(e)
	// A trigger that refuses the audit row of version 3: the record's UPDATE, in the same
	// batch before it, has run by then and must be rolled back with it.
	if _, err := e.db.Exec(`CREATE FUNCTION refuse_v3() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.version = 3 THEN RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_v3 BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_v3()`); err != nil {
		t.Fatal(err)
	}
	if o, err := e.tryUpdate(c, key, c.change(1)); err != nil || o.version() != 2 {
		t.Fatalf("update to version 2: %v %s", err, o.response.Body)
	}
	var o updateOutcome
	var err error
	trips, _ := e.sentBy(func() { o, err = e.tryUpdate(c, key, map[string]any{"name": "never"}) })
	if err != nil {
		t.Fatal(err)
	}
	if code := o.response.codeOf(); code != "INTERNAL_SERVER_ERROR" || o.record != nil {
		t.Errorf("failed write: code %q, record %v; want INTERNAL_SERVER_ERROR and none: %s", code, o.record, o.response.Body)
	}
	if contains(o.response.Body, "refused") || contains(o.response.Body, "audit_log") {
		t.Errorf("the failure leaks SQL: %s", o.response.Body)
	}
	// BEGIN with the read, the writes with COMMIT, then the ROLLBACK of the aborted
	// transaction.
	if trips != 3 {
		t.Errorf("%d round trips, want 3", trips)
	}
	rec, history := e.read(c, key)
	if rec["name"] != "config-1" || fmt.Sprint(history) != "[2 1]" {
		t.Errorf("after the failed write: name %v, history %v; want config-1 at version 2", rec["name"], history)
	}
	var stored string
	if err := e.db.NewRaw("SELECT name FROM connector_configurations WHERE id = ?", key["id"]).Scan(t.Context(), &stored); err != nil || stored != "config-1" {
		t.Errorf("stored name %q (%v), want config-1", stored, err)
	}
	if _, err := e.db.Exec("DROP TRIGGER refuse_v3 ON audit_log"); err != nil {
		t.Fatal(err)
	}
	if o, err := e.tryUpdate(c, key, c.change(3)); err != nil || len(o.userErrors) > 0 || o.version() != 3 {
		t.Errorf("next update: %v %v %s", err, o.userErrors, o.response.Body)
	}
}
