package models

import (
	"fmt"
	"regexp"
	"slices"
)

// Limits of a sub-dealer and its users.
const (
	maxCodeLen    = 50
	maxNameLen    = 200
	maxAddressLen = 500
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
	maxLen(v, Path{"mainDealerCode"}, &d.MainDealerCode, maxCodeLen)
	maxLen(v, Path{"code"}, &d.Code, maxCodeLen)
	maxLen(v, Path{"erpCode"}, &d.ErpCode, maxCodeLen)
	maxLen(v, Path{"name"}, &d.Name, maxNameLen)
	maxLen(v, Path{"address"}, d.Address, maxAddressLen)
	for _, f := range []struct {
		name string
		s    *string
	}{
		{"address", d.Address}, {"cityCode", d.CityCode}, {"districtCode", d.DistrictCode}, {"phone", d.Phone},
		{"taxNumber", d.TaxNumber}, {"taxOffice", d.TaxOffice}, {"paymentExCurrencyType", d.PaymentExCurrencyType},
	} {
		nonBlank(v, Path{f.name}, f.s)
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
	maxLen(v, path.At("code"), &u.Code, maxCodeLen)
	maxLen(v, path.At("name"), &u.Name, maxNameLen)
	maxLen(v, path.At("surname"), &u.Surname, maxNameLen)
	if u.Email != "" {
		email(v, path.At("email"), &u.Email)
	}
	if u.Gsm != "" {
		gsm(v, path.At("gsm"), &u.Gsm)
	}
	for i, r := range u.RuleNames {
		requiredText(v, path.At("ruleNames", fmt.Sprint(i)), r)
	}
}
