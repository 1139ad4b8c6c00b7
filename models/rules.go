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

// The longest text each kind of field may hold, in characters (README, "Limits"). Every stored
// string has one, checked by text and backed by a CHECK constraint on its column.
const (
	// maxCodeLen bounds codes: member and ERP codes, bank, city and tax codes, payment types.
	maxCodeLen = 50
	// maxIdentifierLen bounds ids that other systems assign: terminal, store, merchant and
	// product ids.
	maxIdentifierLen = 100
	// maxNameLen bounds names and short texts: names, titles, tax offices, cities, rule names.
	maxNameLen        = 200
	maxAddressLen     = 500
	maxDescriptionLen = 1000
	maxPhoneLen       = 32
	maxPostalCodeLen  = 20
	// maxURLLen is the longest URL that browsers and proxies reliably carry.
	maxURLLen = 2048
	// maxSecretLen bounds a write-only secret before it is sealed.
	maxSecretLen = 4096
)

// maxLen refuses a string longer than n characters.
func maxLen(v *Violations, path Path, s *string, n int) {
	if s != nil && utf8.RuneCountInString(*s) > n {
		v.Add(path, CodeOutOfRange, "%s must be at most %d characters", path[len(path)-1], n)
	}
}

// text refuses a set string that is longer than n characters or that PostgreSQL text cannot
// hold: one with a NUL character (U+0000) or that is not UTF-8. Every other character, control
// characters and markup included, is stored and returned as sent.
func text(v *Violations, path Path, s *string, n int) {
	if s == nil {
		return
	}
	switch {
	case !utf8.ValidString(*s):
		v.Add(path, CodeInvalid, "%s is not valid UTF-8", path[len(path)-1])
	case strings.IndexByte(*s, 0) >= 0:
		v.Add(path, CodeInvalid, "%s must not contain NUL characters (U+0000)", path[len(path)-1])
	default:
		maxLen(v, path, s, n)
	}
}

// argument refuses a query's code argument that no record can have, with the rules of text:
// as the client's mistake (BAD_USER_INPUT naming it), before it reaches SQL.
func argument(name string, s *string) error {
	var v Violations
	if text(&v, Path{name}, s, maxCodeLen); v.Failed() {
		return &InputError{msg: v.Errors[0].Message}
	}
	return nil
}

// texts applies text to every string of a list.
func texts(v *Violations, path Path, list []string, n int) {
	for i := range list {
		text(v, path.Index(i), &list[i], n)
	}
}

// maxJSONDepth bounds how deeply a JSONObject may nest objects and arrays.
const maxJSONDepth = 32

// jsonObject refuses a JSON object that nests deeper than maxJSONDepth or holds a NUL
// character in a key or string (jsonb cannot store one).
func jsonObject(v *Violations, path Path, o JSONObject) {
	depth, nul := jsonShape(map[string]any(o), 1)
	switch {
	case nul:
		v.Add(path, CodeInvalid, "%s must not contain NUL characters (U+0000)", path[len(path)-1])
	case depth > maxJSONDepth:
		v.Add(path, CodeOutOfRange, "%s must nest at most %d levels of objects and arrays", path[len(path)-1], maxJSONDepth)
	}
}

// jsonShape returns how deeply value nests, counting depth for itself when it is an object or
// an array, and whether it holds a NUL character. It stops descending past maxJSONDepth.
func jsonShape(value any, depth int) (int, bool) {
	switch x := value.(type) {
	case string:
		return depth - 1, strings.IndexByte(x, 0) >= 0 // a string adds no level
	case JSONObject:
		return jsonShape(map[string]any(x), depth)
	case map[string]any, []any:
	default:
		return depth - 1, false // nor does a number, boolean or null
	}
	if depth > maxJSONDepth {
		return depth, false
	}
	deepest := depth
	descend := func(child any) bool {
		d, nul := jsonShape(child, depth+1)
		deepest = max(deepest, d)
		return nul
	}
	switch x := value.(type) {
	case map[string]any:
		for k, child := range x {
			if strings.IndexByte(k, 0) >= 0 || descend(child) {
				return deepest, true
			}
		}
	case []any:
		for _, child := range x {
			if descend(child) {
				return deepest, true
			}
		}
	}
	return deepest, false
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
	if len(*s) > maxEmailLen {
		v.Add(path, CodeOutOfRange, "%s must be at most %d characters", path[len(path)-1], maxEmailLen)
		return
	}
	a, err := mail.ParseAddress(*s)
	if err != nil || a.Address != *s {
		v.Add(path, CodeInvalid, "%s %s is not an e-mail address", path[len(path)-1], quote(*s))
	}
}

// countryCode refuses a set string that is not an ISO 3166-1 alpha-2 country code in capitals.
func countryCode(v *Violations, path Path, s *string) {
	if s == nil {
		return
	}
	r, err := language.ParseRegion(*s)
	if len(*s) != 2 || *s != strings.ToUpper(*s) || err != nil || !r.IsCountry() {
		v.Add(path, CodeInvalid, "%s %s is not an ISO 3166-1 alpha-2 country code such as \"TR\"", path[len(path)-1], quote(*s))
	}
}

// currencyCode refuses a set string that is not an ISO 4217 currency code in capitals.
func currencyCode(v *Violations, path Path, s *string) {
	if s == nil {
		return
	}
	if _, err := currency.ParseISO(*s); len(*s) != 3 || *s != strings.ToUpper(*s) || err != nil {
		v.Add(path, CodeInvalid, "%s %s is not an ISO 4217 currency code such as \"TRY\"", path[len(path)-1], quote(*s))
	}
}

// gsmPattern is a mobile number in international form: a plus sign, then 8 to 15 digits
// (E.164), or a Turkish mobile number in national form: 10 digits starting with 5, with or
// without a leading 0. Numbers are stored in international form (see internationalGsm), but
// rows stored before that may still hold a national form, which stays valid.
var gsmPattern = regexp.MustCompile(`^(\+[1-9][0-9]{7,14}|0?5[0-9]{9})$`)

// turkishMobile is a Turkish mobile number in national form; its group is the number
// without the leading 0.
var turkishMobile = regexp.MustCompile(`^0?(5[0-9]{9})$`)

// gsm refuses a set string that is not a mobile number.
func gsm(v *Violations, path Path, s *string) {
	if s != nil && !gsmPattern.MatchString(*s) {
		v.Add(path, CodeInvalid, "%s %s is not a mobile number: use +905321234567, 05321234567 or 5321234567", path[len(path)-1], quote(*s))
	}
}

// internationalGsm returns a Turkish mobile number in national form (05321234567, or
// 5321234567 as the vendor's sample sends it) in international form (+905321234567), so that
// one number is stored one way whichever form was sent. Anything else comes back as it is,
// for the gsm rule to judge.
func internationalGsm(s string) string {
	if m := turkishMobile.FindStringSubmatch(s); m != nil {
		return "+90" + m[1]
	}
	return s
}
