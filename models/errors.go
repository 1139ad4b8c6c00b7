package models

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrNotFound reports a record that does not exist or lies outside the caller's scope; the two
// are deliberately indistinguishable.
var ErrNotFound = errors.New("not found")

// UserErrorCode is the machine-readable reason of a UserError.
type UserErrorCode string

// The codes of UserErrorCode.
const (
	CodeNotFound        UserErrorCode = "NOT_FOUND"
	CodeRequired        UserErrorCode = "REQUIRED"
	CodeInvalid         UserErrorCode = "INVALID"
	CodeOutOfRange      UserErrorCode = "OUT_OF_RANGE"
	CodeDuplicate       UserErrorCode = "DUPLICATE"
	CodeVersionConflict UserErrorCode = "VERSION_CONFLICT"
	CodeNotEditable     UserErrorCode = "NOT_EDITABLE"
)

var userErrorCodes = map[UserErrorCode]bool{
	CodeNotFound: true, CodeRequired: true, CodeInvalid: true, CodeOutOfRange: true,
	CodeDuplicate: true, CodeVersionConflict: true, CodeNotEditable: true,
}

// UnmarshalGQL reads a UserErrorCode from GraphQL.
func (c *UserErrorCode) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !userErrorCodes[UserErrorCode(s)] {
		return inputErrorf("%v is not a UserErrorCode", v)
	}
	*c = UserErrorCode(s)
	return nil
}

// MarshalGQL writes c to GraphQL.
func (c UserErrorCode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UserError is one rule a mutation's input broke, at a path inside the input.
type UserError struct {
	Field   []string      `json:"field"`
	Code    UserErrorCode `json:"code"`
	Message string        `json:"message"`
}

// UserWarning is something worth knowing about an accepted input.
type UserWarning struct {
	Field   []string `json:"field"`
	Code    string   `json:"code"`
	Message string   `json:"message"`
}

// Path is where a field sits inside a mutation's input, list indexes as strings.
type Path []string

// At returns the path extended by names, without sharing p's backing array.
func (p Path) At(names ...string) Path {
	out := make(Path, 0, len(p)+len(names))
	return append(append(out, p...), names...)
}

// key is p as one string, for sets of paths.
func (p Path) key() string { return strings.Join(p, "\x00") }

// Index returns the path extended by a list index.
func (p Path) Index(i int) Path { return p.At(strconv.Itoa(i)) }

// Violations collects every rule a request breaks, so that all are reported together.
type Violations struct {
	Errors   []UserError
	Warnings []UserWarning
	// sent holds the input paths the request sent (see patch.sent), so that a rule over
	// several fields can name one the client wrote; nil where no patch merged the record.
	sent map[string]bool
}

// blame returns where to report a rule that holds between several fields: the first of
// paths that the request sent, so that the error points at a value the client wrote and not
// at a stored one it left alone; the first of paths when it sent none of them.
func (v *Violations) blame(paths ...Path) Path {
	for _, p := range paths {
		if v.sent[p.key()] {
			return p
		}
	}
	return paths[0]
}

// Add records a violation at path.
func (v *Violations) Add(path Path, code UserErrorCode, format string, args ...any) {
	field := []string(path)
	if field == nil {
		field = []string{}
	}
	v.Errors = append(v.Errors, UserError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Warn records a warning at path; warnings never stop a mutation.
func (v *Violations) Warn(path Path, code, format string, args ...any) {
	field := []string(path)
	if field == nil {
		field = []string{}
	}
	v.Warnings = append(v.Warnings, UserWarning{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Failed reports whether any violation was recorded.
func (v *Violations) Failed() bool { return len(v.Errors) > 0 }
