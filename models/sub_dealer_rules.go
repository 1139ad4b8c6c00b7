package models

import (
	"fmt"
	"regexp"
	"slices"
)

// Warning codes of a sub-dealer.
const warnTaxNumberFormat = "TAX_NUMBER_FORMAT"

// Validate checks every rule of a sub-dealer on the merged record. Its users' rules run as
// they are merged (see mergeUser), where their input paths are known.
func (d *SubDealer) Validate(v *Violations) {
	requiredText(v, Path{"mainDealerCode"}, d.MainDealerCode)
	requiredText(v, Path{"code"}, d.Code)
	requiredText(v, Path{"erpCode"}, d.ErpCode)
	requiredText(v, Path{"name"}, d.Name)
	text(v, Path{"mainDealerCode"}, &d.MainDealerCode, maxCodeLen)
	text(v, Path{"code"}, &d.Code, maxCodeLen)
	text(v, Path{"erpCode"}, &d.ErpCode, maxCodeLen)
	text(v, Path{"name"}, &d.Name, maxNameLen)
	for _, f := range []struct {
		name string
		s    *string
		max  int
	}{
		{"address", d.Address, maxAddressLen}, {"cityCode", d.CityCode, maxCodeLen},
		{"districtCode", d.DistrictCode, maxCodeLen}, {"phone", d.Phone, maxPhoneLen},
		{"taxNumber", d.TaxNumber, maxCodeLen}, {"taxOffice", d.TaxOffice, maxNameLen},
		{"paymentExCurrencyType", d.PaymentExCurrencyType, maxCodeLen},
	} {
		nonBlank(v, Path{f.name}, f.s)
		text(v, Path{f.name}, f.s, f.max)
	}
	if d.CountryCode == "" {
		v.Add(Path{"countryCode"}, CodeRequired, "countryCode is required")
	} else {
		countryCode(v, Path{"countryCode"}, &d.CountryCode)
	}
	currencyCode(v, Path{"currencyCode"}, d.CurrencyCode)
	if !d.IsIndividual {
		for _, f := range []struct {
			name string
			s    *string
		}{{"taxNumber", d.TaxNumber}, {"taxOffice", d.TaxOffice}} {
			if f.s == nil {
				v.Add(Path{f.name}, CodeRequired, "%s is required for a corporate sub-dealer (isIndividual false)", f.name)
			}
		}
	}
	if id := d.PaymentSetDefinitionID; id != nil && !slices.Contains(d.UsablePaymentSetDefinitionIDs, *id) {
		v.Add(Path{"paymentSetDefinitionId"}, CodeInvalid,
			"paymentSetDefinitionId %s must be one of usablePaymentSetDefinitionIds", *id)
	}
	d.warnTaxNumber(v)
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// warnTaxNumber warns about a Turkish tax number of the wrong shape: 10 digits (VKN) for a
// company, 11 (TCKN) for an individual. Foreign records follow other rules, so it only warns.
func (d *SubDealer) warnTaxNumber(v *Violations) {
	if d.CountryCode != "TR" || d.TaxNumber == nil {
		return
	}
	want, kind := 10, "a corporate VKN"
	if d.IsIndividual {
		want, kind = 11, "an individual's TCKN"
	}
	if n := *d.TaxNumber; len(n) != want || !digits.MatchString(n) {
		v.Warn(Path{"taxNumber"}, warnTaxNumberFormat, "a Turkish tax number for %s has %d digits", kind, want)
	}
}

// validate checks one user, reported under path.
func (u *SubDealerUser) validate(v *Violations, path Path) {
	for _, f := range []struct {
		name string
		s    string
	}{{"code", u.Code}, {"name", u.Name}, {"surname", u.Surname}, {"email", u.Email}, {"gsm", u.Gsm}} {
		requiredText(v, path.At(f.name), f.s)
	}
	for _, f := range []struct {
		name string
		s    *string
		max  int
	}{
		{"code", &u.Code, maxCodeLen}, {"name", &u.Name, maxNameLen}, {"surname", &u.Surname, maxNameLen},
		{"title", u.Title, maxNameLen}, {"description", u.Description, maxDescriptionLen},
		{"erpCode", u.ErpCode, maxCodeLen}, {"paymentExCurrencyType", u.PaymentExCurrencyType, maxCodeLen},
		{"taxNumber", u.TaxNumber, maxCodeLen}, {"taxOffice", u.TaxOffice, maxNameLen},
	} {
		text(v, path.At(f.name), f.s, f.max)
	}
	if u.Email != "" {
		email(v, path.At("email"), &u.Email)
	}
	if u.Gsm != "" {
		gsm(v, path.At("gsm"), &u.Gsm)
	}
	for i, r := range u.RuleNames {
		requiredText(v, path.At("ruleNames", fmt.Sprint(i)), r)
	}
	texts(v, path.At("ruleNames"), u.RuleNames, maxNameLen)
}
