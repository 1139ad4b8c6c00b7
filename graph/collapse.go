package graph

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Bounds on the errors of one response, so that a small hostile document cannot make a large
// answer: 1,000 copies of one directive on one field made 999 errors (294 KB from 4 KB).
const (
	// maxErrors bounds the errors of a response; one more says how many were left out.
	maxErrors = 100
	// maxLocations bounds the locations one collapsed error lists.
	maxLocations = 10
)

// collapseErrors makes one error of the request errors (those without a path: parse,
// validation and limits) that say the same thing at several places, keeping the first
// maxLocations places, and keeps at most maxErrors errors. Errors with a path, which tell
// the fields of a response apart, are kept as they are.
func collapseErrors(errs gqlerror.List) gqlerror.List {
	if len(errs) < 2 {
		return errs
	}
	out := make(gqlerror.List, 0, min(len(errs), maxErrors+1))
	first := map[string]*gqlerror.Error{}
	dropped := 0
	for _, e := range errs {
		if len(e.Path) == 0 {
			key := fmt.Sprint(e.Message, e.Extensions)
			if f, ok := first[key]; ok {
				if len(f.Locations) < maxLocations {
					f.Locations = append(f.Locations, e.Locations...)
				}
				continue
			}
			first[key] = e
		}
		if len(out) == maxErrors {
			dropped++
			continue
		}
		out = append(out, e)
	}
	if dropped > 0 {
		out = append(out, limitError(codeTooManyErrors, "%d more errors are left out: correct the ones above and send the request again", dropped))
	}
	return out
}

// codeTooManyErrors marks the error that stands for those left out of a response.
const codeTooManyErrors = "TOO_MANY_ERRORS"

// withoutSuggestion removes gqlparser's "Did you mean …?" and an enum's " Allowed values: …"
// from a message, which would name fields, arguments, input fields, types and enum values of
// a schema that is not shown.
func withoutSuggestion(msg string) string {
	for _, hint := range []string{" Did you mean ", allowedValues} {
		if i := strings.Index(msg, hint); i >= 0 {
			msg = msg[:i]
		}
	}
	return msg
}
