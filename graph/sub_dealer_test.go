package graph_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/outbox"
	"github.com/payplat/paygql/internal/smtptest"
)

const sdFields = `id mainDealerCode code erpCode name isIndividual isForeignNational address cityCode
	districtCode countryCode currencyCode phone taxNumber taxOffice parentTenantId paymentExCurrencyType
	paymentSetDefinitionId usablePaymentSetDefinitionIds customerRepresentativeIds version
	users { id code name surname email gsm title description erpCode isActive isIndividual isForeignNational
		paymentExCurrencyType roles ruleNames taxNumber taxOffice canUseMobile userType }`

const createSD = `mutation($in: CreateSubDealerInput!) { createSubDealer(input: $in) {
	subDealer { ` + sdFields + ` } userErrors { field code message } warnings { field code message } clientMutationId } }`

const updateSD = `mutation($in: UpdateSubDealerInput!) { updateSubDealer(input: $in) {
	subDealer { ` + sdFields + ` } userErrors { field code message } warnings { field code message } clientMutationId } }`

const readSD = `query($code: String!) { subDealer(code: $code) { ` + sdFields + `
	history { at actor action version changes } } }`

const (
	mainDealer = "NT65126658"
	otherMain  = "NT00000001"
	paySetA    = "eb8628f3-f5ee-8785-455c-d2ca1edb8c30"
	paySetB    = "9104fd8e-b13f-54ba-004b-a5b6453231bc"
	roleID     = "2d37006c-6000-4315-90fe-2dc2fe1fb184"
)

type sdUser struct {
	ID                    string   `json:"id"`
	Code                  string   `json:"code"`
	Name                  string   `json:"name"`
	Surname               string   `json:"surname"`
	Email                 string   `json:"email"`
	Gsm                   string   `json:"gsm"`
	Title                 *string  `json:"title"`
	Description           *string  `json:"description"`
	ErpCode               *string  `json:"erpCode"`
	IsActive              bool     `json:"isActive"`
	IsIndividual          *bool    `json:"isIndividual"`
	IsForeignNational     *bool    `json:"isForeignNational"`
	PaymentExCurrencyType *string  `json:"paymentExCurrencyType"`
	Roles                 []string `json:"roles"`
	RuleNames             []string `json:"ruleNames"`
	TaxNumber             *string  `json:"taxNumber"`
	TaxOffice             *string  `json:"taxOffice"`
	CanUseMobile          bool     `json:"canUseMobile"`
	UserType              *int     `json:"userType"`
}

type subDealer struct {
	ID                            string       `json:"id"`
	MainDealerCode                string       `json:"mainDealerCode"`
	Code                          string       `json:"code"`
	ErpCode                       string       `json:"erpCode"`
	Name                          string       `json:"name"`
	IsIndividual                  bool         `json:"isIndividual"`
	IsForeignNational             bool         `json:"isForeignNational"`
	Address                       *string      `json:"address"`
	CityCode                      *string      `json:"cityCode"`
	DistrictCode                  *string      `json:"districtCode"`
	CountryCode                   string       `json:"countryCode"`
	CurrencyCode                  *string      `json:"currencyCode"`
	Phone                         *string      `json:"phone"`
	TaxNumber                     *string      `json:"taxNumber"`
	TaxOffice                     *string      `json:"taxOffice"`
	ParentTenantID                *string      `json:"parentTenantId"`
	PaymentExCurrencyType         *string      `json:"paymentExCurrencyType"`
	PaymentSetDefinitionID        *string      `json:"paymentSetDefinitionId"`
	UsablePaymentSetDefinitionIDs []string     `json:"usablePaymentSetDefinitionIds"`
	CustomerRepresentativeIDs     []string     `json:"customerRepresentativeIds"`
	Version                       int          `json:"version"`
	Users                         []sdUser     `json:"users"`
	History                       []auditEntry `json:"history"`
}

type sdPayload struct {
	SubDealer        *subDealer  `json:"subDealer"`
	UserErrors       []userError `json:"userErrors"`
	Warnings         []userError `json:"warnings"`
	ClientMutationID *string     `json:"clientMutationId"`
}

// corporateSubDealer is a valid create input: a company with two users.
func corporateSubDealer(code string) map[string]any {
	return map[string]any{
		"mainDealerCode": mainDealer, "code": code, "erpCode": "ERP-" + code, "name": "Kadıköy Bayi " + code,
		"isIndividual": false, "countryCode": "TR", "currencyCode": "TRY", "cityCode": "34", "districtCode": "494",
		"taxNumber": "1234567890", "taxOffice": "Kadıköy", "phone": "02165550000",
		"usablePaymentSetDefinitionIds": []any{paySetA, paySetB}, "paymentSetDefinitionId": paySetA,
		"users": []any{
			map[string]any{"code": code + "-u1", "name": "Ayşe", "surname": "Yılmaz", "email": "ayse@example.com", "gsm": "+905321234567", "roles": []any{roleID}},
			map[string]any{"code": code + "-u2", "name": "Mehmet", "surname": "Demir", "email": "mehmet@example.com", "gsm": "05331234567"},
		},
	}
}

func (e *env) createSubDealer(token string, in map[string]any) sdPayload {
	e.t.Helper()
	var out struct{ CreateSubDealer sdPayload }
	e.doAs(token, createSD, map[string]any{"in": in}, &out)
	return out.CreateSubDealer
}

func (e *env) mustCreateSubDealer(in map[string]any) *subDealer {
	e.t.Helper()
	p := e.createSubDealer(e.admin, in)
	if len(p.UserErrors) > 0 || p.SubDealer == nil {
		e.t.Fatalf("create refused: %v", p.UserErrors)
	}
	return p.SubDealer
}

func (e *env) updateSubDealer(token string, in map[string]any) sdPayload {
	e.t.Helper()
	var out struct{ UpdateSubDealer sdPayload }
	e.doAs(token, updateSD, map[string]any{"in": in}, &out)
	return out.UpdateSubDealer
}

func (e *env) readSubDealer(token, code string) *subDealer {
	e.t.Helper()
	var out struct{ SubDealer *subDealer }
	e.doAs(token, readSD, map[string]any{"code": code}, &out)
	return out.SubDealer
}

func TestCreateSubDealer(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreateSubDealer(corporateSubDealer("742"))
	if d.Version != 1 || d.Code != "742" || d.IsIndividual || len(d.Users) != 2 || d.Users[0].Code != "742-u1" ||
		!d.Users[0].IsActive || !slices.Equal(d.Users[0].Roles, []string{roleID}) || d.Users[1].Roles == nil {
		t.Errorf("created = %+v", d)
	}
	got := e.readSubDealer(e.admin, "742")
	if mustJSON(t, got.Users) != mustJSON(t, d.Users) || len(got.History) != 1 || got.History[0].Action != "create" {
		t.Errorf("read back = %+v", got)
	}
	for field, c := range got.History[0].Changes {
		if c := c.(map[string]any); c["from"] != nil || c["to"] == nil {
			t.Errorf("create's history of %s = %v, want from null", field, c)
		}
	}
	p := e.createSubDealer(e.admin, map[string]any{"mainDealerCode": mainDealer})
	want := []string{"isIndividual:REQUIRED", "code:REQUIRED", "erpCode:REQUIRED", "name:REQUIRED", "countryCode:REQUIRED",
		"taxNumber:REQUIRED", "taxOffice:REQUIRED"} // isIndividual left out is false: a company
	if !slices.Equal(keys(p.UserErrors), want) || p.SubDealer != nil {
		t.Errorf("empty create: %v, want %v", keys(p.UserErrors), want)
	}
}

// TestSubDealerSeedSample replays the vendor page's sample body, translated to GraphQL: the
// seed's isCompany false is isIndividual true, districtCode is text, sendMail is
// sendRegisterMail, and the user is matched by its id.
func TestSubDealerSeedSample(t *testing.T) {
	e := newEnv(t)
	in := corporateSubDealer("742")
	in["users"] = []any{map[string]any{"code": "7423", "name": "test", "surname": "kullanıcısı", "email": "old@example.com", "gsm": "5000000000"}}
	stored := e.mustCreateSubDealer(in)
	p := e.updateSubDealer(e.admin, map[string]any{
		"updateCode": "742", "code": "742", "phone": "5000000000", "countryCode": "TR", "cityCode": "10",
		"districtCode": "494", "currencyCode": "TRY", "erpCode": "742", "address": "TEST ADRESİ Güncelleme11",
		"taxNumber": "00000000000", "customerRepresentativeIds": []any{"8fc535a7-3a0c-4994-b19b-0f3c4da748a5"},
		"isForeignNational": false, "isIndividual": true, "name": "TEST VENDOR ALT BAYİSİ",
		"parentTenantId": "7c394922-d312-4f91-8a9a-31e349d94380", "paymentExCurrencyType": "string",
		"usablePaymentSetDefinitionIds": []any{paySetA, paySetB},
		"users": []any{map[string]any{
			"id": stored.Users[0].ID, "canUseMobile": false, "description": "test", "email": "test@example.com",
			"code": "7423", "gsm": "5000000000", "isActive": true, "name": "test", "surname": "kullanıcısı",
			"roles": []any{roleID}, "sendRegisterMail": false, "userType": 8248,
		}},
		"mainDealerCode": mainDealer,
	})
	if len(p.UserErrors) != 0 {
		t.Fatalf("userErrors = %v", p.UserErrors)
	}
	d := p.SubDealer
	if d.Version != 2 || !d.IsIndividual || *d.TaxNumber != "00000000000" || *d.DistrictCode != "494" || d.ErpCode != "742" ||
		len(d.Users) != 1 || d.Users[0].ID != stored.Users[0].ID || d.Users[0].Email != "test@example.com" || *d.Users[0].UserType != 8248 {
		t.Errorf("after the seed's update: %+v", d)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings = %v", p.Warnings)
	}
	// The sample's gsm "5000000000" is a Turkish mobile number in national form, stored in
	// international form, as the schema documents.
	if d.Users[0].Gsm != "+905000000000" || stored.Users[0].Gsm != "+905000000000" {
		t.Errorf("gsm stored as %q on create, %q on update; want +905000000000", stored.Users[0].Gsm, d.Users[0].Gsm)
	}
}

func TestUpdateSubDealerPartial(t *testing.T) {
	e := newEnv(t)
	before := e.mustCreateSubDealer(corporateSubDealer("S1"))
	p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "S1", "name": "New name", "expectedVersion": 1, "clientMutationId": "m-1"})
	if len(p.UserErrors) != 0 || *p.ClientMutationID != "m-1" {
		t.Fatalf("update: %v", p.UserErrors)
	}
	after := *p.SubDealer
	want := *before
	want.Name, want.Version = "New name", 2
	if mustJSON(t, after) != mustJSON(t, want) {
		t.Errorf("one-field update changed more:\n got %s\nwant %s", mustJSON(t, after), mustJSON(t, want))
	}
	// null clears a nullable field; null on a required one is REQUIRED.
	p = e.updateSubDealer(e.admin, map[string]any{"updateCode": "S1", "address": nil, "cityCode": nil})
	if len(p.UserErrors) != 0 || p.SubDealer.CityCode != nil {
		t.Errorf("clear: %v %+v", p.UserErrors, p.SubDealer)
	}
	p = e.updateSubDealer(e.admin, map[string]any{"updateCode": "S1", "name": nil})
	if !slices.Equal(keys(p.UserErrors), []string{"name:REQUIRED"}) {
		t.Errorf("null name: %v", keys(p.UserErrors))
	}
	p = e.updateSubDealer(e.admin, map[string]any{"updateCode": "S1", "name": "x", "expectedVersion": 1})
	if !slices.Equal(keys(p.UserErrors), []string{"expectedVersion:VERSION_CONFLICT"}) {
		t.Errorf("stale version: %v", keys(p.UserErrors))
	}
	p = e.updateSubDealer(e.admin, map[string]any{"updateCode": "nope", "name": "x"})
	if !slices.Equal(keys(p.UserErrors), []string{"updateCode:NOT_FOUND"}) {
		t.Errorf("unknown code: %v", keys(p.UserErrors))
	}
}

func TestRenameSubDealer(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreateSubDealer(corporateSubDealer("OLD"))
	p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "OLD", "code": "NEW"})
	if len(p.UserErrors) != 0 || p.SubDealer.Code != "NEW" || p.SubDealer.ID != d.ID {
		t.Fatalf("rename: %v %+v", p.UserErrors, p.SubDealer)
	}
	if got := e.readSubDealer(e.admin, "OLD"); got != nil {
		t.Errorf("the old code still finds %+v", got)
	}
	got := e.readSubDealer(e.admin, "NEW")
	if got == nil || got.ID != d.ID || len(got.History) != 2 || got.History[0].Changes["code"] == nil || got.History[1].Action != "create" {
		t.Fatalf("after rename: %+v", got)
	}
	if c := got.History[0].Changes["code"].(map[string]any); c["from"] != "OLD" || c["to"] != "NEW" {
		t.Errorf("history of the rename: %v", c)
	}
	if p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "OLD", "name": "x"}); !slices.Equal(keys(p.UserErrors), []string{"updateCode:NOT_FOUND"}) {
		t.Errorf("update under the old code: %v", keys(p.UserErrors))
	}
}

func TestSubDealerUniqueness(t *testing.T) {
	e := newEnv(t)
	e.mustCreateSubDealer(corporateSubDealer("A"))
	e.mustCreateSubDealer(corporateSubDealer("B"))
	p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "B", "code": "A", "erpCode": "ERP-A", "name": ""})
	want := []string{"name:REQUIRED", "code:DUPLICATE", "erpCode:DUPLICATE"}
	if !slices.Equal(keys(p.UserErrors), want) {
		t.Errorf("duplicates: %v, want %v", keys(p.UserErrors), want)
	}
	p = e.updateSubDealer(e.admin, map[string]any{"updateCode": "B", "users": []any{
		map[string]any{"code": "A-u1", "name": "X", "surname": "Y", "email": "x@example.com", "gsm": "+905321234567"},
		map[string]any{"code": "N1", "name": "X", "surname": "Y", "email": "x@example.com", "gsm": "+905321234567"},
		map[string]any{"code": "N1", "name": "Z", "surname": "Y", "email": "z@example.com", "gsm": "+905321234567"},
	}})
	want = []string{"users.1.code:DUPLICATE", "users.2.code:DUPLICATE", "users.0.code:DUPLICATE"}
	if !slices.Equal(keys(p.UserErrors), want) {
		t.Errorf("user duplicates: %v, want %v", keys(p.UserErrors), want)
	}
}

// TestSubDealerCodeRace has requests race for one new code: one wins, the others get
// DUPLICATE at code, never an internal error, also when the pre-check cannot see the winner.
func TestSubDealerCodeRace(t *testing.T) {
	e := newEnv(t)
	const n = 8
	for i := range n {
		e.mustCreateSubDealer(corporateSubDealer(fmt.Sprint("R", i)))
	}
	results := make([]sdPayload, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = e.updateSubDealer(e.admin, map[string]any{"updateCode": fmt.Sprint("R", i), "code": "WINNER"})
		})
	}
	wg.Wait()
	won := 0
	for _, p := range results {
		switch {
		case len(p.UserErrors) == 0:
			won++
		case !slices.Equal(keys(p.UserErrors), []string{"code:DUPLICATE"}):
			t.Errorf("loser got %v", p.UserErrors)
		}
	}
	if won != 1 {
		t.Errorf("%d requests renamed to one code, want 1", won)
	}
	results = make([]sdPayload, n)
	for i := range n {
		wg.Go(func() {
			in := corporateSubDealer(fmt.Sprint("C", i))
			in["erpCode"] = "SAME-ERP"
			results[i] = e.createSubDealer(e.admin, in)
		})
	}
	wg.Wait()
	won = 0
	for _, p := range results {
		switch {
		case len(p.UserErrors) == 0:
			won++
		case !slices.Equal(keys(p.UserErrors), []string{"erpCode:DUPLICATE"}):
			t.Errorf("loser got %v", p.UserErrors)
		}
	}
	if won != 1 {
		t.Errorf("%d creates with one erpCode, want 1", won)
	}
}

func TestSubDealerRules(t *testing.T) {
	e := newEnv(t)
	e.mustCreateSubDealer(corporateSubDealer("S"))
	tests := []struct {
		name string
		in   map[string]any
		want []string
	}{
		{"a company loses its tax office", map[string]any{"taxOffice": nil}, []string{"taxOffice:REQUIRED"}},
		{"an individual may drop both", map[string]any{"isIndividual": true, "taxOffice": nil, "taxNumber": nil}, []string{}},
		{"becoming a company needs both", map[string]any{"isIndividual": false, "taxNumber": nil, "taxOffice": nil},
			[]string{"taxNumber:REQUIRED", "taxOffice:REQUIRED"}},
		{"usable list shrinks below the chosen set", map[string]any{"usablePaymentSetDefinitionIds": []any{paySetB}},
			[]string{"paymentSetDefinitionId:INVALID"}},
		{"chosen set not usable", map[string]any{"paymentSetDefinitionId": "00000000-0000-4000-8000-000000000000"},
			[]string{"paymentSetDefinitionId:INVALID"}},
		{"codes and formats, all together", map[string]any{"countryCode": "TUR", "currencyCode": "TL", "users": []any{
			map[string]any{"code": "S-u1", "email": "not-an-address", "gsm": "12"},
			map[string]any{"code": "S-new", "name": "New"},
		}}, []string{"users.0.email:INVALID", "users.0.gsm:INVALID", "users.1.surname:REQUIRED", "users.1.email:REQUIRED",
			"users.1.gsm:REQUIRED", "countryCode:INVALID", "currencyCode:INVALID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.readSubDealer(e.admin, "S")
			in := map[string]any{"updateCode": "S", "dryRun": true}
			for k, v := range tt.in {
				in[k] = v
			}
			p := e.updateSubDealer(e.admin, in)
			if got := keys(p.UserErrors); !slices.Equal(got, tt.want) {
				t.Errorf("userErrors = %v, want %v", got, tt.want)
			}
			if after := e.readSubDealer(e.admin, "S"); mustJSON(t, after) != mustJSON(t, before) {
				t.Errorf("a dry run or refused request changed the sub-dealer")
			}
		})
	}
}

func TestSubDealerTaxNumberWarning(t *testing.T) {
	e := newEnv(t)
	e.mustCreateSubDealer(corporateSubDealer("W"))
	p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "W", "taxNumber": "12345"})
	if len(p.UserErrors) != 0 || p.SubDealer == nil || *p.SubDealer.TaxNumber != "12345" ||
		!slices.Equal(keys(p.Warnings), []string{"taxNumber:TAX_NUMBER_FORMAT"}) {
		t.Errorf("warning: errors %v warnings %v", p.UserErrors, p.Warnings)
	}
}

func TestSubDealerUsers(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreateSubDealer(corporateSubDealer("U"))
	other := e.mustCreateSubDealer(corporateSubDealer("V"))
	u1, u2 := d.Users[0], d.Users[1]
	p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "U",
		"users": []any{
			map[string]any{"id": u1.ID, "title": "Manager"},        // by id
			map[string]any{"code": "U-u2", "gsm": "+905559998877"}, // by code
			map[string]any{"code": "U-u3", "name": "Zeynep", "surname": "Kaya", "email": "zeynep@example.com", "gsm": "+905551112233", "ruleNames": []any{"orders.read"}},
		}})
	if len(p.UserErrors) != 0 {
		t.Fatalf("upsert: %v", p.UserErrors)
	}
	users := p.SubDealer.Users
	if len(users) != 3 || users[0].ID != u1.ID || *users[0].Title != "Manager" || users[0].Name != u1.Name ||
		users[1].ID != u2.ID || users[1].Gsm != "+905559998877" || users[1].Email != u2.Email ||
		users[2].Code != "U-u3" || !users[2].IsActive || !slices.Equal(users[2].RuleNames, []string{"orders.read"}) {
		t.Fatalf("users = %+v", users)
	}
	// Users not sent are untouched; removals delete; another sub-dealer's user is not found.
	p = e.updateSubDealer(e.admin, map[string]any{"updateCode": "U", "removeUserIds": []any{u2.ID, other.Users[0].ID}})
	if !slices.Equal(keys(p.UserErrors), []string{"removeUserIds.1:NOT_FOUND"}) {
		t.Errorf("foreign removal: %v", keys(p.UserErrors))
	}
	p = e.updateSubDealer(e.admin, map[string]any{"updateCode": "U", "removeUserIds": []any{u2.ID},
		"users": []any{map[string]any{"id": other.Users[0].ID, "name": "Hijack"}}})
	if !slices.Equal(keys(p.UserErrors), []string{"users.0.id:NOT_FOUND"}) {
		t.Errorf("foreign user by id: %v", keys(p.UserErrors))
	}
	p = e.updateSubDealer(e.admin, map[string]any{"updateCode": "U", "removeUserIds": []any{u2.ID}})
	if len(p.UserErrors) != 0 || len(p.SubDealer.Users) != 2 || p.SubDealer.Users[0].ID != u1.ID || p.SubDealer.Users[1].Code != "U-u3" {
		t.Errorf("removal: %v %+v", p.UserErrors, p.SubDealer.Users)
	}
	if got := e.readSubDealer(e.admin, "V"); mustJSON(t, got.Users) != mustJSON(t, other.Users) {
		t.Errorf("the other sub-dealer's users changed: %+v", got.Users)
	}
	// History shows only the users a request touched.
	h := e.readSubDealer(e.admin, "U").History
	removed, upserted := h[0].Changes["users"].(map[string]any), h[1].Changes["users"].(map[string]any)
	if len(removed["from"].([]any)) != 1 || len(removed["to"].([]any)) != 0 ||
		len(upserted["from"].([]any)) != 2 || len(upserted["to"].([]any)) != 3 {
		t.Errorf("history of users: %v / %v", removed, upserted)
	}
}

// TestRejectedSubDealerUpdateChangesNothing sends a valid change to the sub-dealer and its
// users beside one broken rule: nothing moves.
func TestRejectedSubDealerUpdateChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.mustCreateSubDealer(corporateSubDealer("R"))
	before := e.readSubDealer(e.admin, "R")
	p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "R", "name": "Changed", "code": "R2",
		"removeUserIds": []any{before.Users[1].ID},
		"users": []any{
			map[string]any{"id": before.Users[0].ID, "email": "changed@example.com", "sendRegisterMail": true},
			map[string]any{"code": "R-new", "name": "N", "surname": "S", "email": "n@example.com", "gsm": "+905551112233"},
		},
		"taxOffice": nil})
	if !slices.Equal(keys(p.UserErrors), []string{"taxOffice:REQUIRED"}) || p.SubDealer != nil {
		t.Fatalf("userErrors = %v", keys(p.UserErrors))
	}
	if after := e.readSubDealer(e.admin, "R"); mustJSON(t, after) != mustJSON(t, before) {
		t.Errorf("refused update changed the record:\n%s\n%s", mustJSON(t, before), mustJSON(t, after))
	}
	var mails int
	if err := e.db.NewRaw("SELECT count(*) FROM mail_outbox").Scan(t.Context(), &mails); err != nil || mails != 0 {
		t.Errorf("refused update queued %d mails (%v)", mails, err)
	}
}

func TestSubDealerRegistrationMailQueued(t *testing.T) {
	e := newEnv(t)
	in := corporateSubDealer("M")
	in["users"].([]any)[0].(map[string]any)["sendRegisterMail"] = true
	d := e.mustCreateSubDealer(in)
	// A dry run queues nothing; a request that only asks for the mail is a change of its own.
	e.updateSubDealer(e.admin, map[string]any{"updateCode": "M", "dryRun": true, "users": []any{map[string]any{"id": d.Users[1].ID, "sendRegisterMail": true}}})
	p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "M", "users": []any{map[string]any{"id": d.Users[1].ID, "sendRegisterMail": true}}})
	if len(p.UserErrors) != 0 || p.SubDealer.Version != 2 {
		t.Fatalf("mail request: %v %+v", p.UserErrors, p.SubDealer)
	}
	var rows []struct {
		Recipient string
		Subject   string
		Body      string
	}
	if err := e.db.NewRaw("SELECT recipient, subject, body FROM mail_outbox ORDER BY id").Scan(t.Context(), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Recipient != "ayse@example.com" || rows[1].Recipient != "mehmet@example.com" ||
		rows[1].Subject != "Kadıköy Bayi M hesabınız" {
		t.Fatalf("outbox = %+v", rows)
	}
	// A sub-dealer in TR gets the mail in Turkish.
	for _, want := range []string{"Sayın Mehmet Demir,", "Kadıköy Bayi M (M) alt bayisinde", "Kullanıcı kodu: M-u2", "Şifremi unuttum"} {
		if !contains(rows[1].Body, want) {
			t.Errorf("mail body lacks %q:\n%s", want, rows[1].Body)
		}
	}
	// One in another country gets it in English.
	de := corporateSubDealer("DE")
	de["countryCode"], de["currencyCode"], de["taxNumber"] = "DE", "EUR", "DE123456789"
	de["users"] = []any{map[string]any{"code": "DE-u1", "name": "Jonas", "surname": "Weber", "email": "jonas@example.com",
		"gsm": "+4915112345678", "sendRegisterMail": true}}
	e.mustCreateSubDealer(de)
	var mail struct{ Subject, Body string }
	if err := e.db.NewRaw("SELECT subject, body FROM mail_outbox WHERE recipient = 'jonas@example.com'").Scan(t.Context(), &mail); err != nil {
		t.Fatal(err)
	}
	if mail.Subject != "Your account at Kadıköy Bayi DE" {
		t.Errorf("subject of the mail to DE = %q", mail.Subject)
	}
	for _, want := range []string{"Dear Jonas Weber,", "sub-dealer Kadıköy Bayi DE (DE)", "User code: DE-u1", "Forgot password"} {
		if !contains(mail.Body, want) {
			t.Errorf("mail body to DE lacks %q:\n%s", want, mail.Body)
		}
	}
}

func TestSubDealerScope(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreateSubDealer(corporateSubDealer("SC"))
	in := corporateSubDealer("OTHER")
	in["mainDealerCode"] = otherMain
	e.mustCreateSubDealer(in)
	mine := e.token(auth.Claims{Subject: "dealer-1", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{mainDealer}})
	theirs := e.token(auth.Claims{Subject: "dealer-2", Roles: []string{auth.RoleDealerAdmin}, DealerCodes: []string{otherMain}})
	if got := e.readSubDealer(theirs, "SC"); got != nil {
		t.Errorf("another dealer's sub-dealer is visible")
	}
	outside := e.updateSubDealer(theirs, map[string]any{"updateCode": "SC", "name": "x"})
	missing := e.updateSubDealer(theirs, map[string]any{"updateCode": "NOPE", "name": "x"})
	if !slices.Equal(keys(outside.UserErrors), []string{"updateCode:NOT_FOUND"}) ||
		replaceAll(outside.UserErrors[0].Message, `"SC"`, `"NOPE"`) != missing.UserErrors[0].Message {
		t.Errorf("outside %v vs missing %v", outside.UserErrors, missing.UserErrors)
	}
	if p := e.updateSubDealer(mine, map[string]any{"updateCode": "SC", "mainDealerCode": otherMain}); !slices.Equal(keys(p.UserErrors), []string{"mainDealerCode:NOT_FOUND"}) {
		t.Errorf("move out of scope: %v", keys(p.UserErrors))
	}
	if p := e.createSubDealer(mine, in); !slices.Equal(keys(p.UserErrors), []string{"mainDealerCode:NOT_FOUND"}) {
		t.Errorf("create out of scope: %v", keys(p.UserErrors))
	}
	if p := e.updateSubDealer(mine, map[string]any{"updateCode": "SC", "name": "Mine"}); len(p.UserErrors) != 0 {
		t.Errorf("in-scope update refused: %v", p.UserErrors)
	}
	var list struct {
		SubDealers struct{ Nodes []struct{ Code string } }
	}
	e.doAs(mine, `{ subDealers { nodes { code } } }`, nil, &list)
	if len(list.SubDealers.Nodes) != 1 || list.SubDealers.Nodes[0].Code != d.Code {
		t.Errorf("own list = %+v", list.SubDealers.Nodes)
	}
	e.doAs(mine, `query($m: String) { subDealers(mainDealerCode: $m) { nodes { code } } }`, map[string]any{"m": otherMain}, &list)
	if len(list.SubDealers.Nodes) != 0 {
		t.Errorf("filtered list outside scope = %+v", list.SubDealers.Nodes)
	}
	gatewayAdmin := e.token(auth.Claims{Subject: "g", Roles: []string{auth.RoleGatewayAdmin}})
	if res := e.post(gatewayAdmin, readSD, map[string]any{"code": "SC"}); res.codeOf() != "FORBIDDEN" {
		t.Errorf("gateway-admin read a sub-dealer: %s", res.Body)
	}
}

// TestSubDealerListStatements pins the reads of a list query: one statement for the page,
// one for all users, one for all histories.
func TestSubDealerListStatements(t *testing.T) {
	e := newEnv(t)
	for i := range 30 {
		e.mustCreateSubDealer(corporateSubDealer(fmt.Sprint("L", i)))
	}
	counter := &queryCounter{}
	e.db.AddQueryHook(counter)
	var out struct {
		SubDealers struct {
			Nodes []subDealer
		}
	}
	e.do(`{ subDealers(first: 50) { nodes { `+sdFields+` history { at actor action version changes } } } }`, nil, &out)
	if n := counter.n.Load(); n != 3 {
		t.Errorf("%d statements, want 3", n)
	}
	if len(out.SubDealers.Nodes) != 30 || len(out.SubDealers.Nodes[29].Users) != 2 || len(out.SubDealers.Nodes[29].History) != 1 {
		t.Errorf("list = %d nodes", len(out.SubDealers.Nodes))
	}
}

// TestSubDealerRegistrationMailDelivered follows a registration mail from the mutation to an
// SMTP server: two delivery workers on the database, one mail, with the user's address,
// subject and body.
func TestSubDealerRegistrationMailDelivered(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreateSubDealer(corporateSubDealer("D"))
	ms := smtptest.Start(t)
	cfg, err := outbox.ParseSMTPURL("smtp://" + ms.Addr + "?from=portal@pay.example")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := outbox.NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		w := outbox.NewWorker(e.db, sender, slog.New(slog.NewTextHandler(io.Discard, nil)), outbox.Options{PollInterval: 20 * time.Millisecond})
		wg.Go(func() { w.Run(ctx) })
	}
	defer func() { cancel(); wg.Wait() }()

	p := e.updateSubDealer(e.admin, map[string]any{"updateCode": "D", "users": []any{
		map[string]any{"id": d.Users[1].ID, "sendRegisterMail": true},
	}})
	if len(p.UserErrors) != 0 {
		t.Fatalf("update: %v", p.UserErrors)
	}
	for deadline := time.Now().Add(10 * time.Second); len(ms.Received()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no mail arrived")
		}
	}
	time.Sleep(200 * time.Millisecond) // room for a second, wrong delivery
	got := ms.Received()
	if len(got) != 1 || !slices.Equal(got[0].To, []string{"mehmet@example.com"}) {
		t.Fatalf("received %d mails: %+v", len(got), got)
	}
	h, subject, body := smtptest.Parse(t, got[0].Data)
	if subject != "Kadıköy Bayi D hesabınız" || !contains(h.Get("To"), "mehmet@example.com") ||
		!contains(body, "Kullanıcı kodu: D-u2") || !contains(body, "Sayın Mehmet Demir") {
		t.Errorf("mail: subject %q, to %q, body:\n%s", subject, h.Get("To"), body)
	}
}
