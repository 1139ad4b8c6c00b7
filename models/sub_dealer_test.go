package models

import (
	"slices"
	"testing"

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
