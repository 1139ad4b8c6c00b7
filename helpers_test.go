package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// gqlResponse is a GraphQL response with its HTTP status.
type gqlResponse struct {
	Status int
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Body string
}

// code returns the extensions.code of the first error, or "".
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// payload decodes data[field] into out.
func (r gqlResponse) payload(field string, out any) error {
	raw, ok := r.Data[field]
	if !ok {
		return fmt.Errorf("no %s in %s", field, r.Body)
	}
	return json.Unmarshal(raw, out)
}

// postGraphQL sends a GraphQL request to base/query with a bearer token. It may run on any
// goroutine.
func postGraphQL(client *http.Client, base, token, query string, vars map[string]any) (gqlResponse, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return gqlResponse{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/query", bytes.NewReader(body))
	if err != nil {
		return gqlResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return gqlResponse{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return gqlResponse{}, err
	}
	out := gqlResponse{Status: res.StatusCode, Body: string(raw)}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("status %d, not JSON: %s", res.StatusCode, raw)
	}
	return out, nil
}

// mustGraphQL is postGraphQL that fails the test on any error or a refused payload
// (userErrors), and decodes data[field] into out.
func mustGraphQL(t *testing.T, base, token, field, query string, vars map[string]any, out any) {
	t.Helper()
	res, err := postGraphQL(http.DefaultClient, base, token, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		UserErrors []any `json:"userErrors"`
	}
	if res.Status != http.StatusOK || len(res.Errors) > 0 || res.payload(field, &p) != nil || len(p.UserErrors) > 0 {
		t.Fatalf("%s: status %d: %s", field, res.Status, res.Body)
	}
	if out != nil {
		if err := res.payload(field, out); err != nil {
			t.Fatal(err)
		}
	}
}

// getStatus returns the HTTP status of GET url, or 0 when the request fails.
func getStatus(url string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// reachableDir returns a new temporary directory that the postgres OS user can enter too,
// which a private PostgreSQL needs when the tests run as root.
func reachableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// subDealerInput is a valid createSubDealer input: a company with two users.
func subDealerInput(code string) map[string]any {
	return map[string]any{
		"mainDealerCode": "NT65126658", "code": code, "erpCode": "ERP-" + code, "name": "Bayi " + code,
		"isIndividual": false, "countryCode": "TR", "taxNumber": "1234567890", "taxOffice": "Kadıköy",
		"users": []any{
			map[string]any{"code": code + "-u1", "name": "Ayşe", "surname": "Yılmaz", "email": "ayse@example.com", "gsm": "+905321234567"},
			map[string]any{"code": code + "-u2", "name": "Mehmet", "surname": "Demir", "email": "mehmet@example.com", "gsm": "+905331234567"},
		},
	}
}

const (
	createConfigQ = `mutation($in: CreateConnectorConfigurationInput!) { createConnectorConfiguration(input: $in) {
		connectorConfiguration { id version } userErrors { field code } } }`
	updateConfigQ = `mutation($in: UpdateConnectorConfigurationInput!) { updateConnectorConfiguration(input: $in) {
		connectorConfiguration { id version name } userErrors { field code } } }`
	readConfigQ     = `query($id: UUID!) { connectorConfiguration(id: $id) { id version name history(first: 100) { version } } }`
	createSubDealer = `mutation($in: CreateSubDealerInput!) { createSubDealer(input: $in) {
		subDealer { id code version } userErrors { field code } } }`
	updateSubDealerQ = `mutation($in: UpdateSubDealerInput!) { updateSubDealer(input: $in) {
		subDealer { id code version } userErrors { field code } } }`
	readSubDealerQ = `query($code: String!) { subDealer(code: $code) { id code version users { code } } }`
)

// garanti is the Garanti BBVA connector, installed by a migration.
const garanti = "0b1e0000-0000-4000-8000-000000000001"

// record is the part of a record the process tests read.
type record struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Version int    `json:"version"`
	Name    string `json:"name"`
	History []struct {
		Version int `json:"version"`
	} `json:"history"`
	Users []struct {
		Code string `json:"code"`
	} `json:"users"`
}
