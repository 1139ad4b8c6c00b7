package graph

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// Hints tell a client which name it meant: the input field closest to an unknown one, the
// values an enum allows. They name parts of the schema, so they are given only when
// introspection is on; withoutSuggestion removes any that gqlparser adds by itself.

// renamed are the names the vendors' documents (and the REST bodies partners replay) use for
// input fields this API calls otherwise, with what a partner should know besides the name.
var renamed = map[string]struct{ to, note string }{
	"isCompany":                {"isIndividual", "with the opposite meaning: isCompany: true is isIndividual: false"},
	"sendMail":                 {"sendRegisterMail", ""},
	"userCode":                 {"code", ""},
	"ruleName":                 {"ruleNames", "a list of names"},
	"devicePurchaseOrderItems": {"items", ""},
	"Updatecode":               {"updateCode", ""},
	"ServiceSubscriberDealer":  {"dealerCode", "the REST path's dealer"},
	"devicePurchaseOrderUuid":  {"uuid", "the REST path's order"},
}

// closestField returns the field of def that a client sending name most likely meant, and a
// note, or "" when none is close: a documented rename first, then the same name in another
// case or spelled in snake_case (api_key, MerchantId), then the nearest by edit distance.
func closestField(def *ast.Definition, name string) (field, note string) {
	if len(name) > maxHinted {
		return "", ""
	}
	if r, ok := renamed[name]; ok && def.Fields.ForName(r.to) != nil {
		return r.to, r.note
	}
	names := make([]string, 0, len(def.Fields))
	for _, f := range def.Fields {
		if folded(f.Name) == folded(name) {
			return f.Name, ""
		}
		names = append(names, f.Name)
	}
	if s := core.SuggestionList(name, names); len(s) > 0 {
		return s[0], ""
	}
	return "", ""
}

// maxHinted bounds the length of a name or value that gets a hint: the edit distance takes
// time in the product of the lengths, and no name of the schema is near a longer one.
const maxHinted = 64

// folded is name in lower case without separators: api_key and apiKey fold alike.
func folded(name string) string { return strings.ToLower(separators.Replace(name)) }

var separators = strings.NewReplacer("_", "", "-", "")

// fieldHint says which field of def a client sending the unknown name meant (" Did you
// mean …?"), or "" when none is close; it also sets extensions.suggestion on err.
func fieldHint(err *gqlerror.Error, def *ast.Definition, name string) string {
	field, note := closestField(def, name)
	if field == "" {
		return ""
	}
	err.Extensions["suggestion"] = field
	hint := " Did you mean " + strconv.Quote(field) + "?"
	if note != "" {
		hint += " (" + note + ")"
	}
	return hint
}

// enumHint says which value of def a client sending s meant, if one is close, and which
// values def allows; it also sets extensions.suggestion and extensions.allowedValues on err.
func enumHint(err *gqlerror.Error, def *ast.Definition, s string) string {
	allowed := make([]string, len(def.EnumValues))
	for i, v := range def.EnumValues {
		allowed[i] = v.Name
	}
	var meant string
	for _, v := range allowed {
		if strings.EqualFold(v, s) {
			meant = v
		}
	}
	if meant == "" && len(s) <= maxHinted {
		if near := core.SuggestionList(s, allowed); len(near) > 0 {
			meant = near[0]
		}
	}
	var hint string
	if meant != "" {
		hint = " Did you mean " + strconv.Quote(meant) + "?"
		err.Extensions["suggestion"] = meant
	}
	err.Extensions["allowedValues"] = allowed
	return hint + allowedValues + strings.Join(allowed, ", ") + "."
}

// allowedValues introduces an enum's values in a message.
const allowedValues = " Allowed values: "

// maxQuotedName is how many characters of a name or value the client sent a message quotes:
// a key of a megabyte is not sent back whole.
const maxQuotedName = 40

// quoteName quotes s for a message, cut to maxQuotedName characters.
func quoteName(s string) string {
	if utf8.RuneCountInString(s) <= maxQuotedName {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:maxQuotedName])) + "…"
}

// cutName is s cut to maxQuotedName characters, marked with "…" when cut: an unknown name
// as it appears in an error's path.
func cutName(s string) string {
	if utf8.RuneCountInString(s) <= maxQuotedName {
		return s
	}
	return string([]rune(s)[:maxQuotedName]) + "…"
}

// validationRules are gqlparser's rules with ValuesOfCorrectType made as strict as the
// variables pass (an Int literal must fit 32 bits) and, with hints, as helpful: an unknown
// input field written in the query gets the same suggestion as one sent in variables (the
// documented renames included), and a wrong enum value the values allowed.
func validationRules(hints bool) func() *rules.Rules {
	return func() *rules.Rules {
		r := rules.NewDefaultRules()
		r.ReplaceRule(rules.ValuesOfCorrectTypeRule.Name, valuesOfCorrectType(hints))
		return r
	}
}

func valuesOfCorrectType(hints bool) core.RuleFunc {
	base := rules.ValuesOfCorrectTypeRuleWithoutSuggestions.RuleFunc
	if hints {
		base = rules.ValuesOfCorrectTypeRule.RuleFunc
	}
	return func(observers *core.Events, addError core.AddErrFunc) {
		// The walker calls this observer on each value just before the base rule's, so the
		// base rule's errors are about current.
		var current *ast.Value
		observers.OnValue(func(_ *core.Walker, v *ast.Value) {
			current = v
			if v.Kind == ast.IntValue && v.Definition != nil && v.Definition.Name == "Int" {
				_, err64 := strconv.ParseInt(v.Raw, 10, 64)
				if _, err32 := strconv.ParseInt(v.Raw, 10, 32); err64 == nil && err32 != nil {
					addError(core.Message("Int cannot represent non 32-bit signed integer value: %s", v.Raw), core.At(v.Position))
				}
			}
		})
		base(observers, func(opts ...core.ErrorOption) {
			if hints && current != nil {
				opts = append(opts, literalHint(current))
			}
			addError(opts...)
		})
	}
}

// literalHint rewrites the base rule's error about value v with the hints the variables pass
// gives: for an unknown field of an object literal, the field meant; for an enum, the values.
func literalHint(v *ast.Value) core.ErrorOption {
	return func(err *gqlerror.Error) {
		if v.Definition == nil || len(err.Locations) == 0 {
			return
		}
		if err.Extensions == nil {
			err.Extensions = map[string]any{}
		}
		switch {
		case v.Kind == ast.ObjectValue && v.Definition.Kind == ast.InputObject:
			loc := err.Locations[0]
			for _, child := range v.Children {
				if child.Position != nil && child.Position.Line == loc.Line && child.Position.Column == loc.Column &&
					v.Definition.Fields.ForName(child.Name) == nil {
					err.Message = "Field " + quoteName(child.Name) + " is not defined by type " +
						strconv.Quote(v.Definition.Name) + "." + fieldHint(err, v.Definition, child.Name)
					return
				}
			}
		case v.Definition.Kind == ast.Enum && v.Kind != ast.ListValue:
			err.Message = withoutSuggestion(err.Message) + enumHint(err, v.Definition, v.Raw)
		}
	}
}
