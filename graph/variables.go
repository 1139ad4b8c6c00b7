package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/payplat/paygql/models"
)

// Variables are checked twice. gqlparser's own coercion (run by gqlgen) stops at the first
// problem, which it picks in map order, says only "unknown field" for an unknown input field,
// and is looser than the GraphQL specification: it takes a JSON number for a String and a
// string for an Int or Boolean, which a literal in the query would not get away with. After
// gqlgen has validated the document, strictVariables walks every variable against its
// definition as the specification's input coercion does and reports every problem at once,
// each at its path in the request's variables, with hints (the field meant, the enum's values)
// when introspection is on.

// strictVariables wraps a transport so that its requests' variables are checked by
// checkVariables once gqlgen has read the operation.
type strictVariables struct {
	graphql.Transport
	schema *ast.Schema
	hints  bool
	// direct writes responses of data alone without json.Marshal (response.go).
	direct bool
}

func (t strictVariables) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	var direct *directWriter
	if t.direct {
		direct = &directWriter{ResponseWriter: w}
		w = direct
	}
	t.Transport.Do(w, r, variablesExecutor{GraphExecutor: exec, schema: t.schema, hints: t.hints, direct: direct})
}

// variablesExecutor is gqlgen's executor with the variables pass after its own.
type variablesExecutor struct {
	graphql.GraphExecutor
	schema *ast.Schema
	hints  bool
	direct *directWriter
}

func (e variablesExecutor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	if e.direct == nil {
		return e.GraphExecutor.DispatchOperation(ctx, oc)
	}
	h, ctx := e.GraphExecutor.DispatchOperation(withAdoption(ctx), oc)
	return writeDirectly(e.direct, h), ctx
}

func (e variablesExecutor) CreateOperationContext(ctx context.Context, p *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	oc, errs := e.GraphExecutor.CreateOperationContext(ctx, p)
	switch {
	case oc == nil || oc.Operation == nil:
		return oc, errs // refused before the operation was known: token, parse, validation
	case errs != nil && oc.Variables != nil:
		return oc, errs // refused after the variables were read: limits
	}
	if problems := checkVariables(e.schema, oc.Operation, p.Variables, e.hints); len(problems) > 0 {
		return oc, problems
	}
	return oc, errs
}

// variablesRoot heads the path of a problem in the variables: the request's JSON member.
const variablesRoot = "variables"

// checkVariables checks vars against op's variable definitions and returns one error for
// every problem, at most maxErrors of them (the last then counts the rest). Hints are only
// given when hints is true.
func checkVariables(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any, hints bool) gqlerror.List {
	c := &varCheck{schema: schema, hints: hints}
	for _, d := range op.VariableDefinitions {
		path := ast.Path{ast.PathName(variablesRoot), ast.PathName(d.Variable)}
		if schema.Types[d.Type.Name()] == nil {
			continue // validation has refused the document already
		}
		v, sent := vars[d.Variable]
		if !sent {
			if d.Type.NonNull && d.DefaultValue == nil {
				c.add(path, "variable $%s of required type %s was not provided", d.Variable, d.Type)
			}
			continue
		}
		c.value(path, d.Type, v)
	}
	if c.dropped > 0 {
		c.errs = append(c.errs, limitError(codeTooManyErrors,
			"%d more problems in the variables are left out: correct the ones above and send the request again", c.dropped))
	}
	return c.errs
}

// varCheck collects the problems of one request's variables.
type varCheck struct {
	schema  *ast.Schema
	hints   bool
	errs    gqlerror.List
	dropped int
}

// add reports a problem with the value at path, coded as gqlgen codes variable errors.
func (c *varCheck) add(path ast.Path, format string, args ...any) *gqlerror.Error {
	return c.addCoded(path, errcode.ValidationFailed, fmt.Sprintf(format, args...))
}

// addCoded reports a problem with the value at path; the message starts with the path. The
// returned error, nil once the bound is reached, takes hints.
func (c *varCheck) addCoded(path ast.Path, code, msg string) *gqlerror.Error {
	if len(c.errs) >= maxErrors-1 {
		c.dropped++
		return nil
	}
	err := &gqlerror.Error{
		Message:    pathString(path) + ": " + msg,
		Path:       slices.Clone(path),
		Extensions: map[string]any{"code": code},
	}
	c.errs = append(c.errs, err)
	return err
}

// pathString writes path as a client would name the value in its request:
// variables.input.users[0].code.
func pathString(path ast.Path) string {
	var b strings.Builder
	for i, p := range path {
		switch p := p.(type) {
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(p))
		case ast.PathName:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(p))
		}
	}
	return b.String()
}

// at returns path extended by one step, leaving path as it was.
func at(path ast.Path, step ast.PathElement) ast.Path {
	return append(slices.Clip(path), step)
}

// value checks v, sent for a value of type typ.
func (c *varCheck) value(path ast.Path, typ *ast.Type, v any) {
	if v == nil {
		if typ.NonNull {
			c.add(path, "null was sent where a value of type %s is required", typ)
		}
		return
	}
	if typ.Elem != nil {
		list := reflect.ValueOf(v)
		if list.Kind() != reflect.Slice { // a single value stands for a list of one
			c.value(path, typ.Elem, v)
			return
		}
		// gqlparser's coercion, run before, makes a single value a typed slice ([]string).
		for i := range list.Len() {
			c.value(at(path, ast.PathIndex(i)), typ.Elem, list.Index(i).Interface())
		}
		return
	}
	def := c.schema.Types[typ.NamedType]
	switch def.Kind {
	case ast.InputObject:
		c.object(path, def, v)
	case ast.Enum:
		c.enum(path, def, v)
	case ast.Scalar:
		c.scalar(path, def, v)
	}
}

// object checks an input object: every field it has, every required one it lacks, and every
// name it has that the type does not.
func (c *varCheck) object(path ast.Path, def *ast.Definition, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.add(path, "%s was sent where an object of type %s is expected", models.JSONKind(v), def.Name)
		return
	}
	for _, f := range def.Fields {
		fv, sent := m[f.Name]
		if !sent {
			if f.Type.NonNull && f.DefaultValue == nil {
				c.add(at(path, ast.PathName(f.Name)), "field %s.%s of required type %s was not provided", def.Name, f.Name, f.Type)
			}
			continue
		}
		c.value(at(path, ast.PathName(f.Name)), f.Type, fv)
	}
	var unknown []string
	for name := range m {
		// Clients that reuse a read record as input send __typename; gqlgen ignores it.
		if def.Fields.ForName(name) == nil && name != "__typename" {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		err := c.add(at(path, ast.PathName(cutName(name))), "field %s is not defined by type %s", quoteName(name), def.Name)
		if c.hints && err != nil {
			if hint := fieldHint(err, def, name); hint != "" {
				err.Message += "." + hint
			}
		}
	}
}

// enum checks an enum value: a string that names one of the enum's values, in its case.
func (c *varCheck) enum(path ast.Path, def *ast.Definition, v any) {
	s, ok := v.(string)
	if !ok {
		c.add(path, "%s was sent where a %s (one of its values, as a string) is expected", models.JSONKind(v), def.Name)
		return
	}
	if def.EnumValues.ForName(s) != nil {
		return
	}
	err := c.add(path, "%s is not a valid %s", quoteName(s), def.Name)
	if c.hints && err != nil {
		err.Message += "." + enumHint(err, def, s)
	}
}

// scalar checks a scalar: the built-in ones as the specification coerces them, the API's own
// by the functions that read them.
func (c *varCheck) scalar(path ast.Path, def *ast.Definition, v any) {
	var ok bool
	switch def.Name {
	case "String":
		_, ok = v.(string)
	case "Boolean":
		_, ok = v.(bool)
	case "Float":
		_, ok = number(v)
	case "ID":
		_, isString := v.(string)
		_, isInt := wholeNumber(v, math.MinInt64, math.MaxInt64)
		ok = isString || isInt
	case "Int":
		if _, isNumber := number(v); isNumber {
			if _, ok = wholeNumber(v, math.MinInt32, math.MaxInt32); !ok {
				c.add(path, "%s is not an Int: an Int is a whole number from %d to %d", numberText(v), math.MinInt32, math.MaxInt32)
				return
			}
		}
	default:
		if read := customScalars[def.Name]; read != nil {
			if err := read(v); err != nil {
				c.addCoded(path, codeBadUserInput, err.Error())
			}
		}
		return
	}
	if !ok {
		c.add(path, "%s was sent where %s is expected", models.JSONKind(v), scalarWanted[def.Name])
	}
}

// scalarWanted says what each built-in scalar takes in variables.
var scalarWanted = map[string]string{
	"String":  "a String",
	"Boolean": "a Boolean (true or false)",
	"Float":   "a Float (a number)",
	"ID":      "an ID (a string or a whole number)",
	"Int":     "an Int (a whole number)",
}

// customScalars read the API's own scalars, as gqlgen will when the operation runs.
var customScalars = map[string]func(any) error{
	"UUID":       func(v any) error { _, err := models.UnmarshalUUID(v); return err },
	"Decimal":    func(v any) error { _, err := models.UnmarshalDecimal(v); return err },
	"DateTime":   func(v any) error { _, err := models.UnmarshalDateTime(v); return err },
	"JSONObject": func(v any) error { _, err := models.UnmarshalJSONObject(v); return err },
}

// number returns v as a float64 when it is a JSON number: a json.Number as gqlgen decodes
// it, or the int64 and float64 that gqlparser's coercion turns some of them into.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}

// wholeNumber returns v as an int64 when it is a JSON number without a fractional part
// between lo and hi.
func wholeNumber(v any, lo, hi int64) (int64, bool) {
	var n int64
	switch v := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, false
		}
		n = i
	case int64:
		n = v
	case int:
		n = int64(v)
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return 0, false
		}
		n = int64(v)
	default:
		return 0, false
	}
	return n, n >= lo && n <= hi
}

// numberText writes a number sent in variables for a message, cut like a quoted value.
func numberText(v any) string {
	s := fmt.Sprint(v)
	if len(s) > maxQuotedName {
		s = s[:maxQuotedName] + "…"
	}
	return s
}
