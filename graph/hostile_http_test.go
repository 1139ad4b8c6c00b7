package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payplat/paygql/graph"
)

// TestBodyLimit sends bodies over 1 MiB with and without Content-Length: both are refused with
// 413, before the body is read whole, and one just under the limit is served.
func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	pad := func(n int) string {
		return `{"query": "{ connectors { id } }", "variables": {"pad": "` + strings.Repeat("x", n) + `"}}`
	}
	tests := []struct {
		name       string
		body       string
		withLength bool
		want       int
	}{
		{"over, with Content-Length", pad(1 << 20), true, http.StatusRequestEntityTooLarge},
		{"over, chunked", pad(1 << 20), false, http.StatusRequestEntityTooLarge},
		{"far over, chunked", pad(8 << 20), false, http.StatusRequestEntityTooLarge},
		{"just under, with Content-Length", pad(1<<20 - 100), true, http.StatusOK},
		{"just under, chunked", pad(1<<20 - 100), false, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if !tt.withLength {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			status, raw := e.request(http.MethodPost, "application/json", body)
			if status != tt.want {
				t.Errorf("status %d, want %d: %.200s", status, tt.want, raw)
			}
			if tt.want == http.StatusRequestEntityTooLarge && !strings.Contains(raw, "REQUEST_TOO_LARGE") {
				t.Errorf("no REQUEST_TOO_LARGE: %.200s", raw)
			}
		})
	}
}

// request sends any method and body with the admin token and returns its status and body.
func (e *env) request(method, contentType string, body io.Reader) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+e.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// TestContentTypes refuses bodies that are not JSON in UTF-8 with 415, and methods other than
// GET, POST and OPTIONS with 405, each with a message that says what to send.
func TestContentTypes(t *testing.T) {
	e := newEnv(t)
	const query = `{"query": "{ connectors { id } }"}`
	tests := []struct {
		method, contentType string
		want                int
		code, says          string
	}{
		{http.MethodPost, "application/json", http.StatusOK, "", ""},
		{http.MethodPost, "application/json; charset=utf-8", http.StatusOK, "", ""},
		{http.MethodPost, "Application/JSON; charset=UTF-8", http.StatusOK, "", ""},
		{http.MethodPost, "text/plain", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "text/plain is not supported"},
		{http.MethodPost, "text/plain;charset=UTF-8", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "application/json"},
		{http.MethodPost, "multipart/form-data; boundary=xyz", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "multipart uploads"},
		{http.MethodPost, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "form posts"},
		{http.MethodPost, "application/graphql", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "application/graphql is not supported"},
		{http.MethodPost, "application/xml", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "application/json"},
		{http.MethodPost, "application/" + strings.Repeat("x", 5000), http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "xxx…"},
		{http.MethodPost, "", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "no Content-Type"},
		{http.MethodPost, "application/json; charset=latin1", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "UTF-8"},
		{http.MethodPost, "application/json; charset=\"utf", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "cannot be read"},
		{http.MethodPut, "application/json", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "PUT is not allowed"},
		{http.MethodDelete, "", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "DELETE is not allowed"},
		{http.MethodPatch, "application/json", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.contentType, func(t *testing.T) {
			status, raw := e.request(tt.method, tt.contentType, strings.NewReader(query))
			if status != tt.want {
				t.Fatalf("status %d, want %d: %s", status, tt.want, raw)
			}
			if tt.code == "" {
				return
			}
			var res response
			if err := json.Unmarshal([]byte(raw), &res); err != nil {
				t.Fatalf("not JSON: %s", raw)
			}
			if res.codeOf() != tt.code || !strings.Contains(res.Errors[0].Message, tt.says) || len(raw) > 500 {
				t.Errorf("got %s, want code %s and a short message with %q", raw, tt.code, tt.says)
			}
		})
	}
}

// introspectionQuery reads one of graphql-js's introspection queries, as GraphiQL sends them.
func introspectionQuery(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIntrospectionIsBoundedButGraphiQLPasses runs GraphiQL's own introspection queries with
// the default limits, and refuses introspection that nests ofType chains or list fields past
// them.
func TestIntrospectionIsBoundedButGraphiQLPasses(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"introspection-graphiql.graphql", "introspection-full.graphql"} {
		t.Run(name, func(t *testing.T) {
			res := e.post("", introspectionQuery(t, name), nil)
			var data struct {
				Schema struct {
					Types []struct{ Name string } `json:"types"`
				} `json:"__schema"`
			}
			if res.Status != http.StatusOK || len(res.Errors) > 0 || json.Unmarshal(res.Data, &data) != nil || len(data.Schema.Types) < 50 {
				t.Fatalf("GraphiQL's introspection refused: %.500s", res.Body)
			}
		})
	}
	ofTypes := func(n int) string {
		return `{ __schema { types { ` + strings.Repeat("ofType { ", n) + "name" + strings.Repeat(" }", n) + " } } }"
	}
	tests := []struct {
		name, query, code, says string
	}{
		{"ofType chain within the cap", ofTypes(17), "", ""},
		{"ofType chain past the cap", ofTypes(30), "QUERY_TOO_DEEP", "introspection nests 33 levels deep; at most 20"},
		{"__type chain past the cap", `{ __type(name: "Query") { ` + strings.Repeat("ofType { ", 25) + "name" + strings.Repeat(" }", 25) + " } }",
			"QUERY_TOO_DEEP", "at most 20"},
		{"three nested lists", `{ __schema { types { fields { args { name } } } } }`, "", ""},
		// gqlparser's own rule (graphql-js's MaxIntrospectionDepthRule) counts fields,
		// inputFields, interfaces and possibleTypes; ours counts every list field.
		{"fields thrice", `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`,
			"GRAPHQL_VALIDATION_FAILED", "introspection depth"},
		{"four nested lists", `{ __schema { types { fields { args { type { fields { name } } } } } } }`,
			"QUERY_TOO_DEEP", "introspection nests 4 list fields"},
		{"lists through fragments", `{ __schema { ...S } } fragment S on __Schema { directives { args { type { ...F } } } } fragment F on __Type { enumValues { name } }`,
			"", ""},
		{"lists through fragments, one more", `{ __schema { types { ...F } } } fragment F on __Type { fields { args { type { enumValues { name } } } } }`,
			"QUERY_TOO_DEEP", "list fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.post("", tt.query, nil)
			if tt.code == "" {
				if len(res.Errors) > 0 {
					t.Errorf("refused: %.300s", res.Body)
				}
				return
			}
			if res.codeOf() != tt.code || !strings.Contains(res.Errors[0].Message, tt.says) || contains(res.Body, `"__schema":{`) {
				t.Errorf("got %.300s, want %s saying %q", res.Body, tt.code, tt.says)
			}
		})
	}
}

// TestQueryComplexity refuses queries whose pages multiply past the complexity limit, aliased
// copies and fragment bombs included, before any of them runs.
func TestQueryComplexity(t *testing.T) {
	e := newEnv(t)
	page := func(history int) string {
		return fmt.Sprintf(`connectorConfigurations(first: 100) { nodes { id history(first: %d) { at actor action version changes } } }`, history)
	}
	// A fragment that doubles its selection at every level: 2^24 fields once expanded.
	var bomb strings.Builder
	bomb.WriteString(`{ __type(name: "Query") { ...T24 } } fragment T0 on __Type { name }`)
	for i := 1; i <= 24; i++ {
		fmt.Fprintf(&bomb, " fragment T%d on __Type { a: ofType { ...T%d } b: ofType { ...T%d } }", i, i-1, i-1)
	}
	tests := []struct {
		name, query, code string
	}{
		// 1 + 100 × (1 + 1 + 20 × 5) = 10,201
		{"a page of 100 with history of 20", `{ ` + page(20) + ` }`, ""},
		{"a page of 100 with history of 100", `{ ` + page(100) + ` }`, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"two aliased pages of 100 with history of 20", `{ a: ` + page(20) + ` b: ` + page(20) + ` }`, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"a negative first costs one page", `{ connectorConfigurations(first: -1000000) { nodes { id } } }`, "BAD_USER_INPUT"},
		{"fragment bomb", bomb.String(), "COMPLEXITY_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := e.post(e.admin, tt.query, nil)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if got := res.codeOf(); got != tt.code {
				t.Errorf("code %q, want %q: %.300s", got, tt.code, res.Body)
			}
		})
	}
}

// TestTokenLimit refuses a query document of more tokens than the parser reads.
func TestTokenLimit(t *testing.T) {
	e := newEnv(t)
	query := "{ " + strings.Repeat("__typename ", graph.DefaultOptions.MaxTokens) + "}"
	res := e.post(e.admin, query, nil)
	if res.codeOf() != "GRAPHQL_PARSE_FAILED" || !strings.Contains(res.Errors[0].Message, "token limit") {
		t.Errorf("got %.300s", res.Body)
	}
}

// TestMutationFieldCap refuses a request with more mutation fields than the cap, aliases and
// fragments included, before any of them runs.
func TestMutationFieldCap(t *testing.T) {
	e := newEnv(t)
	field := func(i int) string {
		return fmt.Sprintf(`m%d: createConnectorConfiguration(input: {connectorId: %q, name: "cap %d"}) { connectorConfiguration { id } }`, i, garantiID, i)
	}
	fields := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(field(i) + " ")
		}
		return b.String()
	}
	tests := []struct {
		name, query string
		refused     bool
	}{
		{"at the cap", `mutation { ` + fields(10) + `}`, false},
		{"one over", `mutation { ` + fields(11) + `}`, true},
		{"over through a fragment", `mutation { ...M } fragment M on Mutation { ` + fields(11) + `}`, true},
		{"over through an inline fragment", `mutation { ... on Mutation { ` + fields(6) + `} ` + fields(5) + `}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before int
			if err := e.db.NewRaw("SELECT count(*) FROM connector_configurations").Scan(context.Background(), &before); err != nil {
				t.Fatal(err)
			}
			res := e.post(e.admin, tt.query, nil)
			var after int
			if err := e.db.NewRaw("SELECT count(*) FROM connector_configurations").Scan(context.Background(), &after); err != nil {
				t.Fatal(err)
			}
			if !tt.refused {
				if len(res.Errors) > 0 || after != before+10 {
					t.Errorf("refused or wrote %d: %.300s", after-before, res.Body)
				}
				return
			}
			if res.codeOf() != "TOO_MANY_MUTATIONS" || !strings.Contains(res.Errors[0].Message, "at most 10") || after != before {
				t.Errorf("wrote %d, got %.300s", after-before, res.Body)
			}
		})
	}
}

// TestMalformedBodies extends TestMalformedRequests with bodies that are JSON only in part.
func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, body string }{
		{"empty", ``},
		{"white space", "  \n "},
		{"trailing garbage", `{"query": "{ connectors { id } }"} {"query": "x"}`},
		{"byte order mark", "\ufeff" + `{"query": "{ connectors { id } }"}`},
		{"nested ten thousand deep", `{"query": "{ connectors { id } }", "variables": {"x": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`},
		{"truncated string", `{"query": "{ connectors { id } }`},
		{"variables a string", `{"query": "{ connectors { id } }", "variables": "{}"}`},
		{"operationName a number", `{"query": "{ connectors { id } }", "operationName": 1}`},
		{"null", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, raw := e.request(http.MethodPost, "application/json", bytes.NewReader([]byte(tt.body)))
			if status != http.StatusBadRequest || !strings.Contains(raw, "BAD_REQUEST") {
				t.Errorf("status %d: %.300s", status, raw)
			}
		})
	}
}
