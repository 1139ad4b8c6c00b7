package models

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// nonBlank refuses a set string that holds only white space: null is the way to clear.
func nonBlank(v *Violations, path Path, s *string) {
	if s != nil && strings.TrimSpace(*s) == "" {
		v.Add(path, CodeRequired, "%s must not be empty; send null to clear it", path[len(path)-1])
	}
}

// requiredText refuses a missing or blank string.
func requiredText(v *Violations, path Path, s string) {
	if strings.TrimSpace(s) == "" {
		v.Add(path, CodeRequired, "%s is required", path[len(path)-1])
	}
}

// maxLen refuses a string longer than n characters.
func maxLen(v *Violations, path Path, s *string, n int) {
	if s != nil && utf8.RuneCountInString(*s) > n {
		v.Add(path, CodeOutOfRange, "%s must be at most %d characters", path[len(path)-1], n)
	}
}

// absoluteURL refuses a URL that is not absolute https, or http when allowHTTP.
func absoluteURL(v *Violations, path Path, s *string, allowHTTP bool) {
	if s == nil {
		return
	}
	u, err := url.Parse(*s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		v.Add(path, CodeInvalid, "%s must be an absolute URL", path[len(path)-1])
		return
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		v.Add(path, CodeInvalid, "%s must use https outside TEST mode", path[len(path)-1])
	default:
		v.Add(path, CodeInvalid, "%s must be an https URL", path[len(path)-1])
	}
}

// nonNegative refuses a negative amount.
func nonNegative(v *Violations, path Path, d *Decimal) {
	if d != nil && d.IsNegative() {
		v.Add(path, CodeOutOfRange, "%s must be 0 or more", path[len(path)-1])
	}
}

// maxEmailLen is the longest address SMTP carries (RFC 5321).
const maxEmailLen = 254

// email refuses a set string that is not a plain e-mail address (no display name).
func email(v *Violations, path Path, s *string) {
	if s == nil {
		return
	}
	a, err := mail.ParseAddress(*s)
	if err != nil || a.Address != *s || len(*s) > maxEmailLen {
		v.Add(path, CodeInvalid, "%s %q is not an e-mail address", path[len(path)-1], *s)
	}
}

// countryCode refuses a set string that is not an ISO 3166-1 alpha-2 country code in capitals.
func countryCode(v *Violations, path Path, s *string) {
	if s == nil {
		return
	}
	r, err := language.ParseRegion(*s)
	if len(*s) != 2 || *s != strings.ToUpper(*s) || err != nil || !r.IsCountry() {
		v.Add(path, CodeInvalid, "%s %q is not an ISO 3166-1 alpha-2 country code such as \"TR\"", path[len(path)-1], *s)
	}
}

// currencyCode refuses a set string that is not an ISO 4217 currency code in capitals.
func currencyCode(v *Violations, path Path, s *string) {
	if s == nil {
		return
	}
	if _, err := currency.ParseISO(*s); len(*s) != 3 || *s != strings.ToUpper(*s) || err != nil {
		v.Add(path, CodeInvalid, "%s %q is not an ISO 4217 currency code such as \"TRY\"", path[len(path)-1], *s)
	}
}

// gsmPattern is a mobile number in international form: a plus sign, then 8 to 15 digits
// (E.164), or a national number of 10 or 11 digits starting with 0 or 5.
var gsmPattern = regexp.MustCompile(`^(\+[1-9][0-9]{7,14}|0?5[0-9]{9})$`)

// gsm refuses a set string that is not a mobile number.
func gsm(v *Violations, path Path, s *string) {
	if s != nil && !gsmPattern.MatchString(*s) {
		v.Add(path, CodeInvalid, "%s %q is not a mobile number: use +905321234567 or 05321234567", path[len(path)-1], *s)
	}
}
