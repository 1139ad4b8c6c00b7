package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/pgtest"
	"github.com/payplat/paygql/internal/secrets"
	"github.com/payplat/paygql/internal/smtptest"
)

// TestSeveralInstances runs three server processes on one database, as replicas behind a
// load balancer run, and spreads racing requests over them: no update is lost, expectedVersion
// lets one writer win per version, a unique code goes to one request, and every registration
// mail is delivered once although every instance runs a delivery worker.
func TestSeveralInstances(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.EmptyURL(t) // the instances migrate it themselves, starting together
	mail := smtptest.Start(t)
	const secret = "several-instances-secret-of-32-bytes-at-least"
	env := func() map[string]string {
		return map[string]string{
			"DATABASE_URL": dbURL, "AUTH_HS256_SECRET": secret, "SECRETS_KEY": sharedKey,
			"SMTP_URL": "smtp://" + mail.Addr + "?from=portal@pay.example",
		}
	}
	instances := make([]*instance, 3)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() { instances[i] = startInstance(t, fmt.Sprint("instance ", i), env()) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	token := must(auth.MintHS256([]byte(secret), auth.Claims{Subject: "ops", Roles: []string{auth.RoleAdmin}}))
	r := &replicas{t: t, instances: instances, token: token}

	// One connector configuration, 60 updates without expectedVersion: every one applies.
	var created struct{ ConnectorConfiguration record }
	mustGraphQL(t, instances[0].base, token, "createConnectorConfiguration", createConfigQ,
		map[string]any{"in": map[string]any{"connectorId": garanti, "name": "shared"}}, &created)
	cc := created.ConnectorConfiguration
	outs := r.spread(60, updateConfigQ, "updateConnectorConfiguration", "connectorConfiguration", func(i int) map[string]any {
		return map[string]any{"in": map[string]any{"id": cc.ID, "name": fmt.Sprint("name-", i)}}
	})
	versions := map[int]bool{}
	for i, o := range outs {
		if len(o.errs) > 0 || versions[o.rec.Version] {
			t.Errorf("update %d: %v, version %d", i, o.errs, o.rec.Version)
		}
		versions[o.rec.Version] = true
	}
	stored := r.readConfig(cc.ID)
	if stored.Version != 61 || len(stored.History) != 61 {
		t.Errorf("after 60 updates: version %d, %d history entries; want 61 and 61", stored.Version, len(stored.History))
	}

	// 30 updates with expectedVersion 61…65: one winner per version, in a row from 61.
	outs = r.spread(30, updateConfigQ, "updateConnectorConfiguration", "connectorConfiguration", func(i int) map[string]any {
		return map[string]any{"in": map[string]any{"id": cc.ID, "name": fmt.Sprint("guarded-", i), "expectedVersion": 61 + i%5}}
	})
	winners := map[int]int{}
	for i, o := range outs {
		switch {
		case len(o.errs) == 0:
			winners[61+i%5]++
			if o.rec.Version != 62+i%5 {
				t.Errorf("guarded update %d expected %d and made %d", i, 61+i%5, o.rec.Version)
			}
		case !slices.Equal(o.errs, []string{"expectedVersion:VERSION_CONFLICT"}):
			t.Errorf("guarded update %d: %v", i, o.errs)
		}
	}
	for v := 61; v < 61+len(winners); v++ {
		if winners[v] != 1 {
			t.Errorf("winners per expected version: %v", winners)
		}
	}
	if stored = r.readConfig(cc.ID); stored.Version != 61+len(winners) || len(stored.History) != stored.Version {
		t.Errorf("after the guarded updates: version %d with %d history entries, want %d", stored.Version, len(stored.History), 61+len(winners))
	}

	// Nine renames to one code and nine creates with one erpCode: one success each.
	for i := range 9 {
		mustGraphQL(t, instances[i%3].base, token, "createSubDealer", createSubDealer, map[string]any{"in": subDealerInput(fmt.Sprint("R", i))}, nil)
	}
	renames := r.spread(9, updateSubDealerQ, "updateSubDealer", "subDealer", func(i int) map[string]any {
		return map[string]any{"in": map[string]any{"updateCode": fmt.Sprint("R", i), "code": "WINNER"}}
	})
	creates := r.spread(9, createSubDealer, "createSubDealer", "subDealer", func(i int) map[string]any {
		in := subDealerInput(fmt.Sprint("C", i))
		in["erpCode"] = "SAME-ERP"
		return map[string]any{"in": in}
	})
	for what, race := range map[string]struct {
		outs []mutationOutcome
		want string
	}{"rename to one code": {renames, "code:DUPLICATE"}, "create with one erpCode": {creates, "erpCode:DUPLICATE"}} {
		won := 0
		for i, o := range race.outs {
			switch {
			case len(o.errs) == 0:
				won++
			case !slices.Equal(o.errs, []string{race.want}):
				t.Errorf("%s %d: %v", what, i, o.errs)
			}
		}
		if won != 1 {
			t.Errorf("%s: %d successes, want 1", what, won)
		}
	}

	// 30 updates of one sub-dealer, each adding a user with a registration mail.
	const mails = 30
	mustGraphQL(t, instances[0].base, token, "createSubDealer", createSubDealer, map[string]any{"in": subDealerInput("MAIL")}, nil)
	outs = r.spread(mails, updateSubDealerQ, "updateSubDealer", "subDealer", func(i int) map[string]any {
		return map[string]any{"in": map[string]any{"updateCode": "MAIL", "users": []any{map[string]any{
			"code": fmt.Sprint("MAIL-", i), "name": "User", "surname": fmt.Sprint(i), "email": fmt.Sprintf("user%d@example.com", i),
			"gsm": "+905321234567", "sendRegisterMail": true,
		}}}}
	})
	for i, o := range outs {
		if len(o.errs) > 0 {
			t.Errorf("mail update %d: %v", i, o.errs)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); len(mail.Received()) < mails && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for a second, wrong delivery
	recipients := map[string]int{}
	for _, m := range mail.Received() {
		recipients[strings.Join(m.To, ",")]++
	}
	for i := range mails {
		if n := recipients[fmt.Sprintf("user%d@example.com", i)]; n != 1 {
			t.Errorf("user%d@example.com got %d mails, want 1", i, n)
		}
	}
	if got := len(mail.Received()); got != mails {
		t.Errorf("%d mails delivered, want %d", got, mails)
	}
	db := must(database.Open(context.Background(), dbURL))
	defer db.Close()
	var sent, once int
	if err := db.QueryRow("SELECT count(sent_at), count(*) FILTER (WHERE attempts = 1) FROM mail_outbox").Scan(&sent, &once); err != nil {
		t.Fatal(err)
	}
	if sent != mails || once != mails {
		t.Errorf("outbox: %d sent, %d at one attempt; want %d and %d", sent, once, mails, mails)
	}

	// Every instance drains and exits cleanly.
	perInstance := make([]int, len(instances))
	for i, in := range instances {
		in.terminate(t)
		if code := in.wait(20 * time.Second); code != 0 {
			t.Errorf("%s exited with %d", in.name, code)
		}
		perInstance[i] = in.logCount("mail sent")
	}
	t.Logf("3 instances, %d requests; mails sent per instance %v; migrated by %d instance(s)", r.requests, perInstance,
		instances[0].logCount("migrated")+instances[1].logCount("migrated")+instances[2].logCount("migrated"))
}

// sharedKey is the SECRETS_KEY every instance of TestSeveralInstances gets.
var sharedKey = secrets.NewKey()

// replicas sends requests spread over several instances.
type replicas struct {
	t         *testing.T
	instances []*instance
	token     string
	requests  int
}

// mutationOutcome is a mutation's record and user errors ("path:CODE").
type mutationOutcome struct {
	rec  record
	errs []string
}

// spread sends n requests of query at once, the i-th with vars(i) to instance i%3, and
// returns each payload's record (at recordField) and user errors.
func (r *replicas) spread(n int, query, field, recordField string, vars func(i int) map[string]any) []mutationOutcome {
	r.t.Helper()
	outs := make([]mutationOutcome, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := postGraphQL(http.DefaultClient, r.instances[i%len(r.instances)].base, r.token, query, vars(i))
			if err == nil && (res.Status != http.StatusOK || len(res.Errors) > 0) {
				err = fmt.Errorf("status %d: %s", res.Status, res.Body)
			}
			var p map[string]json.RawMessage
			if err == nil {
				err = res.payload(field, &p)
			}
			var userErrors []struct {
				Field []string
				Code  string
			}
			if err == nil {
				err = json.Unmarshal(p["userErrors"], &userErrors)
			}
			for _, u := range userErrors {
				outs[i].errs = append(outs[i].errs, strings.Join(u.Field, ".")+":"+u.Code)
			}
			if err == nil && string(p[recordField]) != "null" {
				err = json.Unmarshal(p[recordField], &outs[i].rec)
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	r.requests += n
	for i, err := range errs {
		if err != nil {
			r.t.Fatalf("%s %d: %v", field, i, err)
		}
	}
	return outs
}

func (r *replicas) readConfig(id string) record {
	r.t.Helper()
	res, err := postGraphQL(http.DefaultClient, r.instances[0].base, r.token, readConfigQ, map[string]any{"id": id})
	var rec record
	if err != nil || res.payload("connectorConfiguration", &rec) != nil {
		r.t.Fatalf("read: %v %s", err, res.Body)
	}
	return rec
}
