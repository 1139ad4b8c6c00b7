package client

import (
	"context"
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/Khan/genqlient/graphql"
)

// NewClient returns a client of the API at endpoint (https://…/query) that sends its requests
// with doer, an *http.Client whose Transport adds the token (see Bearer). Its variables keep
// the three states of a partial update apart: a nil Optional or slice is left out, Null[T]()
// is sent as null, and an empty slice as []. genqlient's own graphql.NewClient would leave an
// empty slice out, as encoding/json's omitempty does.
func NewClient(endpoint string, doer graphql.Doer) graphql.Client {
	return variablesClient{graphql.NewClient(endpoint, doer)}
}

type variablesClient struct{ graphql.Client }

func (c variablesClient) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	if req.Variables != nil {
		raw, err := json.Marshal(plain(reflect.ValueOf(req.Variables)))
		if err != nil {
			return err
		}
		copied := *req
		copied.Variables = json.RawMessage(raw)
		req = &copied
	}
	return c.Client.MakeRequest(ctx, req, resp)
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// plain turns a generated variables struct into maps, slices and leaf values that
// encoding/json writes as the API expects: as json.Marshal would, except that a field tagged
// omitempty is left out only when it is nil (an Optional or a slice), so that an empty slice
// is sent as [].
func plain(v reflect.Value) any {
	if !v.IsValid() || (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return nil
	}
	if o, ok := v.Interface().(optional); ok {
		value, set := o.content()
		if !set {
			return nil
		}
		return plain(reflect.ValueOf(value))
	}
	if v.Type().Implements(jsonMarshaler) || v.Type().Implements(textMarshaler) {
		return v.Interface() // UUID, Decimal, time
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return plain(v.Elem())
	case reflect.Struct:
		return plainStruct(v)
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i))
		}
		return out
	}
	return v.Interface() // strings, numbers, booleans, JSONObject maps
}

func plainStruct(v reflect.Value) map[string]any {
	out := map[string]any{}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",omitempty,") && leftOut(v.Field(i)) {
			continue
		}
		out[name] = plain(v.Field(i))
	}
	return out
}

// leftOut reports whether a field tagged omitempty is left out: a nil Optional, slice or map,
// or, as encoding/json has it, a false, 0 or "".
func leftOut(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return v.IsNil()
	case reflect.Struct:
		return false
	}
	return v.IsZero()
}

// Bearer returns a RoundTripper that adds `Authorization: Bearer <token>` to every request
// before base (http.DefaultTransport when nil) sends it.
func Bearer(token string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return bearer{token: token, base: base}
}

type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}
