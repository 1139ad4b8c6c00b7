package playground

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

const assetsPrefix = "/playground/assets/"

// newServer mounts the page and the assets the way a real server would.
func newServer(t *testing.T, opts ...Option) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", Handler("PayGQL", "/query", assetsPrefix, opts...))
	mux.Handle(assetsPrefix, Assets(assetsPrefix))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

var (
	tagRE  = regexp.MustCompile(`(?s)<(script|link)\b([^>]*)>`)
	attrRE = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

// resource is a script or stylesheet referenced by the page.
type resource struct {
	tag, rel, url, integrity, crossorigin string
}

// resources extracts the external resources of page. Inline scripts have
// no src and are skipped.
func resources(page string) []resource {
	var rs []resource
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		attrs := make(map[string]string)
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		u := attrs["src"]
		if m[1] == "link" {
			u = attrs["href"]
		}
		if u == "" {
			continue
		}
		rs = append(rs, resource{m[1], attrs["rel"], u, attrs["integrity"], attrs["crossorigin"]})
	}
	return rs
}

func TestPageLoadsOnlyLocalAssets(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d", resp.StatusCode)
	}
	page := string(body)

	// The endpoint is relative, so no absolute URL of any kind should be
	// left in the page.
	for _, s := range []string{"http://", "https://", "cdn."} {
		if strings.Contains(page, s) {
			t.Errorf("page contains %q", s)
		}
	}

	rs := resources(page)
	want := map[string]string{
		assetsPrefix + graphiqlJS:  "text/javascript; charset=utf-8",
		assetsPrefix + graphiqlCSS: "text/css; charset=utf-8",
		assetsPrefix + reactJS:     "text/javascript; charset=utf-8",
		assetsPrefix + reactDOMJS:  "text/javascript; charset=utf-8",
		assetsPrefix + favicon:     "image/svg+xml",
	}
	if len(rs) != len(want) {
		t.Errorf("page references %d resources, want %d: %+v", len(rs), len(want), rs)
	}
	for _, r := range rs {
		ct, ok := want[r.url]
		if !ok {
			t.Errorf("unexpected %s resource %q", r.tag, r.url)
			continue
		}
		delete(want, r.url)
		if !strings.HasPrefix(r.url, "/") || strings.HasPrefix(r.url, "//") {
			t.Errorf("%s %q is not a same-origin path", r.tag, r.url)
		}
		resp, body := get(t, srv.URL+r.url)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", r.url, resp.StatusCode)
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != ct {
			t.Errorf("GET %s: Content-Type %q, want %q", r.url, got, ct)
		}
		if r.rel == "icon" {
			continue // browsers check no integrity on icons
		}
		// Scripts and the stylesheet are checked against their hashes, and loaded with
		// crossorigin="anonymous" as the browser test exercises it.
		if r.crossorigin != "anonymous" {
			t.Errorf("%s: crossorigin=%q", r.url, r.crossorigin)
		}
		sum := sha512.Sum384(body)
		if got := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); r.integrity != got {
			t.Errorf("%s: integrity %q, served bytes hash to %q", r.url, r.integrity, got)
		}
		t.Logf("%-6s %-60s %8d bytes  %s", r.tag, r.url, len(body), r.integrity[:20]+"…")
	}
	for u := range want {
		t.Errorf("page does not reference %s", u)
	}
}

// TestAssetsMatchUpstream pins the embedded files to the bytes gqlgen
// v0.17.98 expects from the CDN, using the sha256 SRI values in its
// playground.Handler. A mismatch means the files were not copied verbatim
// from the npm tarballs.
func TestAssetsMatchUpstream(t *testing.T) {
	upstream := map[string]string{
		graphiqlJS:  "sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs=",
		graphiqlCSS: "sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU=",
		reactJS:     "sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY=",
		reactDOMJS:  "sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc=",
	}
	for name, want := range upstream {
		b, err := fs.ReadFile(assetsFS, name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: %s, gqlgen expects %s", name, got, want)
		}
	}
}

func TestAssetsLicensesShipped(t *testing.T) {
	for _, dir := range []string{"graphiql-4.1.2", "react-18.2.0", "react-dom-18.2.0"} {
		b, err := fs.ReadFile(assetsFS, dir+"/LICENSE")
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		if !strings.HasPrefix(string(b), "MIT License") {
			t.Errorf("%s/LICENSE does not start with \"MIT License\"", dir)
		}
	}
	srv := newServer(t)
	resp, _ := get(t, srv.URL+assetsPrefix+"react-18.2.0/LICENSE")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("LICENSE: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestAssetsHeaders(t *testing.T) {
	srv := newServer(t)
	u := srv.URL + assetsPrefix + graphiqlJS
	resp, _ := get(t, u)
	if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
		t.Errorf("Cache-Control %q", got)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", got)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp, body := get(t, u, "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("conditional GET: status %d, %d bytes; want 304, 0", resp.StatusCode, len(body))
	}
}

func TestAssetsNotFound(t *testing.T) {
	srv := newServer(t)
	for _, p := range []string{
		assetsPrefix,                     // no directory listing
		assetsPrefix + "graphiql-4.1.2/", // nor of a subdirectory
		assetsPrefix + "graphiql-4.1.2",  // nor a redirect to one
		assetsPrefix + "missing.js",      // unknown file
		assetsPrefix + "graphiql-4.1.2/index.umd.js.map",
	} {
		resp, _ := get(t, srv.URL+p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "" {
			t.Errorf("GET %s: 404 carries Cache-Control %q", p, cc)
		}
	}
}

func TestAssetsPathWithoutSlash(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", Handler("PayGQL", "/query", "/static"))
	mux.Handle("/static/", Assets("/static"))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	_, body := get(t, srv.URL+"/")
	rs := resources(string(body))
	if len(rs) == 0 {
		t.Fatal("no resources in page")
	}
	for _, r := range rs {
		if !strings.HasPrefix(r.url, "/static/") {
			t.Errorf("%s not under /static/", r.url)
		}
		if resp, _ := get(t, srv.URL+r.url); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", r.url, resp.StatusCode)
		}
	}
}

func TestWithHeaders(t *testing.T) {
	srv := newServer(t, WithHeaders(map[string]string{"Authorization": "Bearer <token>"}))
	resp, body := get(t, srv.URL+"/")
	page := string(body)
	// html/template writes the JSON text as a JavaScript string, escaping < and > so the value
	// cannot close the script element.
	want := `const headers = "{\n  \"Authorization\": \"Bearer \u003ctoken\u003e\"\n}" || undefined;`
	if !strings.Contains(page, want) {
		t.Errorf("page lacks %s", want)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}

	_, body = get(t, newServer(t).URL+"/")
	if !strings.Contains(string(body), `const headers = "" || undefined;`) || strings.Contains(string(body), "Bearer") {
		t.Error("headers pre-filled without WithHeaders")
	}
}

// TestWithTabs checks that the tabs are read at each load of the page, written as JSON that
// cannot close the script element, and that the default query replaces GraphiQL's.
func TestWithTabs(t *testing.T) {
	loads := 0
	srv := newServer(t, WithDefaultQuery("# This API\n{ a }"), WithTabs(func(ctx context.Context) []Tab {
		loads++
		return []Tab{{Query: fmt.Sprintf("# load %d </script>\nquery A { a }", loads), Variables: `{"id": "x"}`}}
	}))
	for load := 1; load <= 2; load++ {
		_, body := get(t, srv.URL+"/")
		page := string(body)
		want := fmt.Sprintf(`const tabs = ([{"query":"# load %d \u003c/script\u003e\nquery A { a }","variables":"{\"id\": \"x\"}"}] || [])`, load)
		if !strings.Contains(page, want) {
			t.Errorf("load %d: page lacks %s", load, want)
		}
		if !strings.Contains(page, `defaultQuery: "# This API\n{ a }" || undefined,`) {
			t.Errorf("load %d: page lacks the default query", load)
		}
	}

	_, body := get(t, newServer(t).URL+"/")
	if !strings.Contains(string(body), `const tabs = ( null  || [])`) || !strings.Contains(string(body), `defaultQuery: "" || undefined,`) {
		t.Error("tabs or a default query without WithTabs and WithDefaultQuery")
	}
}
