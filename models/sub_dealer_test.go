package models

import (
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
)

func TestSubDealerValidate(t *testing.T) {
	setA, setB := uuid.New(), uuid.New()
	valid := func() *SubDealer {
		return &SubDealer{
			MainDealerCode: "NT1", Code: "742", ErpCode: "E742", Name: "Bayi", CountryCode: "TR",
			CurrencyCode: ptr("TRY"), TaxNumber: ptr("1234567890"), TaxOffice: ptr("Kadıköy"),
			PaymentSetDefinitionID: &setA, UsablePaymentSetDefinitionIDs: []uuid.UUID{setA, setB},
		}
	}
	tests := []struct {
		name         string
		change       func(d *SubDealer)
		want, warned []string
	}{
		{"valid company", func(*SubDealer) {}, nil, nil},
		{"company without tax office", func(d *SubDealer) { d.TaxOffice = nil }, []string{"taxOffice:REQUIRED"}, nil},
		{"individual without tax data", func(d *SubDealer) { d.IsIndividual, d.TaxNumber, d.TaxOffice = true, nil, nil }, nil, nil},
		{"chosen set not usable", func(d *SubDealer) { d.UsablePaymentSetDefinitionIDs = []uuid.UUID{setB} }, []string{"paymentSetDefinitionId:INVALID"}, nil},
		{"no chosen set", func(d *SubDealer) { d.PaymentSetDefinitionID, d.UsablePaymentSetDefinitionIDs = nil, nil }, nil, nil},
		{"codes", func(d *SubDealer) { d.CountryCode, d.CurrencyCode = "Turkey", ptr("TL") }, []string{"countryCode:INVALID", "currencyCode:INVALID"}, nil},
		{"blank required and set fields", func(d *SubDealer) { d.Name, d.CityCode = " ", ptr("") }, []string{"name:REQUIRED", "cityCode:REQUIRED"}, nil},
		{"Turkish company tax number of 11 digits warns", func(d *SubDealer) { d.TaxNumber = ptr("12345678901") }, nil, []string{"taxNumber:TAX_NUMBER_FORMAT"}},
		{"Turkish individual needs 11 digits", func(d *SubDealer) { d.IsIndividual = true }, nil, []string{"taxNumber:TAX_NUMBER_FORMAT"}},
		{"foreign tax numbers are not checked", func(d *SubDealer) { d.CountryCode, d.TaxNumber = "DE", ptr("DE123") }, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.change(d)
			var v Violations
			d.Validate(&v)
			if got := violationKeys(v); !slices.Equal(got, tt.want) {
				t.Errorf("violations = %v, want %v", got, tt.want)
			}
			var warned []string
			for _, w := range v.Warnings {
				warned = append(warned, w.Field[0]+":"+w.Code)
			}
			if !slices.Equal(warned, tt.warned) {
				t.Errorf("warnings = %v, want %v", warned, tt.warned)
			}
		})
	}
}

func TestSubDealerUserValidate(t *testing.T) {
	u := &SubDealerUser{Code: "u1", Name: "Ayşe", Surname: "", Email: "ayse@", Gsm: "+905321234567", RuleNames: []string{"ok", " "}}
	var v Violations
	u.validate(&v, Path{"users", "3"})
	want := []string{"users.3.surname:REQUIRED", "users.3.email:INVALID", "users.3.ruleNames.1:REQUIRED"}
	if got := violationKeys(v); !slices.Equal(got, want) {
		t.Errorf("violations = %v, want %v", got, want)
	}
}

// TestMergeUserGsm merges a user's mobile number in each form a client may send: it is
// stored in international form, so that one number is stored one way.
func TestMergeUserGsm(t *testing.T) {
	tests := []struct {
		name, stored, sent, want string
		changed                  bool
		errors                   []string
	}{
		{"the vendor sample's form", "+905321234567", "5000000000", "+905000000000", true, nil},
		{"national form with 0", "+905321234567", "05001112233", "+905001112233", true, nil},
		{"international form", "+905321234567", "+905001112233", "+905001112233", true, nil},
		{"another country's number is kept", "+905321234567", "+4915112345678", "+4915112345678", true, nil},
		{"the stored number in national form is no change", "+905321234567", "05321234567", "+905321234567", false, nil},
		{"a number stored in national form moves to international form", "05321234567", "05321234567", "+905321234567", true, nil},
		{"spaces are refused, not guessed at", "+905321234567", "0532 123 45 67", "0532 123 45 67", true, []string{"users.0.gsm:INVALID"}},
		{"a national number that is not a mobile", "+905321234567", "4000000000", "4000000000", true, []string{"users.0.gsm:INVALID"}},
		{"12 digits without the plus", "+905321234567", "905321234567", "905321234567", true, []string{"users.0.gsm:INVALID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &SubDealerUser{Code: "u1", Name: "Ayşe", Surname: "Yılmaz", Email: "ayse@example.com", Gsm: tt.stored,
				Roles: []uuid.UUID{}, RuleNames: []string{}}
			c := &subDealerChange{sent: map[*SubDealerUser]Path{}, mail: map[*SubDealerUser]bool{}}
			p := newPatch().item(Path{"users", "0"})
			c.mergeUser(p, uuid.New(), &SubDealerUserInput{Gsm: graphql.OmittableOf(&tt.sent)}, u, false)
			if u.Gsm != tt.want {
				t.Errorf("gsm = %q, want %q", u.Gsm, tt.want)
			}
			if _, changed := p.changes["gsm"]; changed != tt.changed {
				t.Errorf("changed = %v, want %v (changes %v)", changed, tt.changed, p.changes)
			}
			if got := violationKeys(p.Violations); !slices.Equal(got, tt.errors) {
				t.Errorf("violations = %v, want %v", got, tt.errors)
			}
		})
	}
}
