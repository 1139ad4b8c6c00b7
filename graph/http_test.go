package graph_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBodyLimitWithoutLength sends a body over 1 MiB without Content-Length (chunked): it is
// refused with 413, as one that announces its length is.
func TestBodyLimitWithoutLength(t *testing.T) {
	e := newEnv(t)
	body := `{"query": "{ connectors { id } }", "variables": {"pad": "` + strings.Repeat("x", 1<<20) + `"}}`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL, io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if req.ContentLength != 0 || res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), "REQUEST_TOO_LARGE") {
		t.Errorf("length %d: status %d %s", req.ContentLength, res.StatusCode, raw)
	}
}

// TestAccessLog checks the access log line of a request: its operation, outcome and duration in
// milliseconds, and no token.
func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	e.do(`query ListConnectors { connectors { id } }`, nil, nil)
	var line map[string]any
	for _, l := range e.logs.lines() {
		if l["msg"] == "request" {
			line = l
		}
	}
	d, ok := line["duration_ms"].(float64)
	if line == nil || !ok || d <= 0 || line["operation"] != "query ListConnectors" || line["outcome"] != "ok" || line["status"] != float64(200) {
		t.Errorf("access log line = %v", line)
	}
	for _, l := range e.logs.lines() {
		for _, v := range l {
			if s, ok := v.(string); ok && strings.Contains(s, e.admin[:20]) {
				t.Errorf("the token is in the log: %v", l)
			}
		}
	}
}
