package models

import (
	"net/url"
	"strings"
	"unicode/utf8"
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
