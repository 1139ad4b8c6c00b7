package graph_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/pgbouncer"
	"github.com/payplat/paygql/internal/testenv"
)

// newPooledEnv serves the handler on a new database reached through PgBouncer in transaction
// mode (Debian's 1.18 with its defaults), with the DATABASE_URL parameters of kv (name, value, …).
func newPooledEnv(t *testing.T, kv ...string) *env {
	t.Helper()
	_, direct := testenv.New(t)
	u, err := url.Parse(pgbouncer.URL(t, direct))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return newEnvOn(t, testenv.Open(t, u.String()), graphDefaultOptions(), auth.Config{HS256Secret: testSecret})
}

// TestLoadBehindPgBouncer has several clients send a mix of updates of all four entities
// (and reads) through the real handler, on a server whose DATABASE_URL points at PgBouncer in
// transaction mode with `default_query_exec_mode=exec` (and `simple_protocol`): no request
// fails, and every update answered as committed is in the database (each record's version
// rose by exactly the updates of it that committed, with one history entry each).
func TestLoadBehindPgBouncer(t *testing.T) {
	for _, mode := range []string{"exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) { loadBehindPgBouncer(t, mode) })
	}
}

func loadBehindPgBouncer(t *testing.T, mode string) {
	e := newPooledEnv(t, "default_query_exec_mode", mode)
	keys := make([]map[string]any, len(contendedEntities))
	before := make([]int, len(contendedEntities))
	for i, c := range contendedEntities {
		keys[i], _ = c.create(e)
		_, history := e.read(c, keys[i])
		before[i] = history[0]
	}

	const clients, perClient = 8, 40
	var mu sync.Mutex
	requests, reads, commits := 0, 0, make([]int, len(contendedEntities))
	errorsByCode := map[string]int{}
	var wg sync.WaitGroup
	for client := range clients {
		wg.Go(func() {
			for j := range perClient {
				n := client*perClient + j
				k := n % len(contendedEntities)
				c := contendedEntities[k]
				var code string
				if j%5 == 4 { // every fifth request a read of the record
					res, err := e.send(e.admin, map[string]string{"Content-Type": "application/json"},
						mustJSON(t, map[string]any{"query": fmt.Sprintf(c.query, c.selection), "variables": readVars(keys[k])}))
					code = failureOf(res, err)
					mu.Lock()
					requests++
					reads++
					if code != "" {
						errorsByCode[code]++
					}
					mu.Unlock()
					continue
				}
				o, err := e.tryUpdate(c, keys[k], c.change(1000+n))
				code = failureOf(o.response, err)
				if code == "" && len(o.userErrors) > 0 {
					code = "userErrors:" + strings.Join(o.userErrors, ",")
				}
				mu.Lock()
				requests++
				if code == "" {
					commits[k]++
				} else {
					errorsByCode[code]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range commits {
		total += n
	}
	t.Logf("behind PgBouncer (transaction mode, default_query_exec_mode=%s): %d requests (%d updates, %d reads) from %d clients; %d updates committed %v by entity; errors by code %v",
		mode, requests, requests-reads, reads, clients, total, commits, errorsByCode)
	if len(errorsByCode) > 0 {
		t.Errorf("errors by code: %v, want none", errorsByCode)
	}
	if total != requests-reads {
		t.Errorf("%d of %d updates committed", total, requests-reads)
	}
	for i, c := range contendedEntities {
		_, history := e.read(c, keys[i])
		if history[0]-before[i] != commits[i] {
			t.Errorf("%s: version %d → %d, want %d updates more", c.name, before[i], history[0], commits[i])
		}
		checkHistory(t, history, history[0])
	}
}

// readVars turns an update key into the variables of the entity's query.
func readVars(key map[string]any) map[string]any {
	vars := map[string]any{}
	for k, v := range key {
		if k == "updateCode" {
			k = "code"
		}
		vars[k] = v
	}
	return vars
}

// failureOf is "" for a 200 answer without errors, else the first error's code (or what went
// wrong).
func failureOf(res response, err error) string {
	switch {
	case err != nil:
		return "transport: " + err.Error()
	case len(res.Errors) > 0:
		return res.codeOf()
	case res.Status != 200:
		return fmt.Sprint("HTTP ", res.Status)
	}
	return ""
}

// TestLockTimeoutBehindPgBouncer holds a record's row lock in another transaction behind
// PgBouncer: the update waits lock_timeout, which no startup parameter carries there, and
// fails with the retryable LOCK_TIMEOUT, writing nothing. With the production 5 s for one
// entity, and a URL's 300ms (the same mechanism: `set local` in each transaction) for all
// four.
func TestLockTimeoutBehindPgBouncer(t *testing.T) {
	for _, tc := range []struct {
		name          string
		params        []string
		entities      []contended
		least, within time.Duration
	}{
		{"default 5s", []string{"default_query_exec_mode", "exec"}, contendedEntities[:1], 5 * time.Second, 6500 * time.Millisecond},
		{"url 300ms", []string{"default_query_exec_mode", "exec", "lock_timeout", "300ms"}, contendedEntities, 300 * time.Millisecond, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPooledEnv(t, tc.params...)
			for _, c := range tc.entities {
				t.Run(c.name, func(t *testing.T) {
					e.t = t
					key, id := c.create(e)
					before, history := e.read(c, key)
					o, took := e.updateWhileLocked(c, key, id)
					res := o.response
					t.Logf("refused after %v: %s", took.Round(time.Millisecond), res.codeOf())
					if res.Status != 200 || res.codeOf() != "LOCK_TIMEOUT" || res.Errors[0].Extensions["retryable"] != true || o.record != nil {
						t.Errorf("update of a locked record: status %d, %s", res.Status, res.Body)
					}
					if took < tc.least || took > tc.within {
						t.Errorf("refused after %v, want between %v and %v", took, tc.least, tc.within)
					}
					after, afterHistory := e.read(c, key)
					if !slices.Equal(c.marks(after), c.marks(before)) || !slices.Equal(afterHistory, history) {
						t.Errorf("the refused update wrote: %v %v, was %v %v", c.marks(after), afterHistory, c.marks(before), history)
					}
				})
			}
		})
	}
}
