// Package playground serves a GraphiQL page with its JavaScript, CSS and icon embedded in
// the binary.
//
// gqlgen's own page loads GraphiQL, React and ReactDOM from a public CDN, which leaves a blank
// page on machines without internet access, and it stores the Headers tab in the browser, so a
// token served by the page loses to a stale one stored earlier (see the page's script). This
// package renders an equivalent page of its own that loads every script and stylesheet from
// [Assets], which serves byte-for-byte copies of the files the CDN would have returned.
//
// The files under assets/ come unmodified from the npm tarballs of graphiql@4.1.2,
// react@18.2.0 and react-dom@18.2.0 (the versions gqlgen v0.17.98 pins), together with each
// package's LICENSE; assets/paygql-1 holds this project's own icon. To update them, run
// "npm pack" for the new versions, copy the same files into a directory named after the new
// version, and change the paths below. The directories carry the version so that a changed
// file always has a new URL, which is what makes the immutable cache headers of [Assets] safe.
package playground

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var embedded embed.FS

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// assetsFS is the embedded tree with the "assets/" directory stripped, so
// that names match URL paths below the assets prefix.
var assetsFS = mustSub(embedded, "assets")

// Paths of the files the page loads, relative to the assets prefix.
const (
	graphiqlJS  = "graphiql-4.1.2/graphiql.min.js"
	graphiqlCSS = "graphiql-4.1.2/graphiql.min.css"
	reactJS     = "react-18.2.0/umd/react.production.min.js"
	reactDOMJS  = "react-dom-18.2.0/umd/react-dom.production.min.js"
	favicon     = "paygql-1/favicon.svg"
)

// file holds what Assets needs to answer for one embedded file.
type file struct {
	contentType string
	etag        string
	sri         string // Subresource Integrity value: "sha384-<base64>".
}

// files maps every embedded file name (relative to assetsFS) to its
// metadata. Computing it once at init keeps hashing off the request path
// and doubles as the allow-list of servable names.
var files = indexFiles(assetsFS)

// Option configures the page rendered by [Handler].
type Option func(*page)

// WithHeaders fills GraphiQL's Headers tab with headers, as a JSON object such as
// {"Authorization": "Bearer <token>"}, on every load and in every tab, whatever the browser
// kept from earlier visits. The user can edit them before sending a request.
//
// The headers are written into the page's HTML, so pass development tokens only, never
// credentials that the page's visitors must not see.
func WithHeaders(headers map[string]string) Option {
	return func(p *page) {
		// The text is shown as is in the Headers tab; html/template, not json, makes it safe
		// inside the script element.
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(headers); err != nil {
			panic("playground: headers: " + err.Error()) // a map[string]string always encodes
		}
		p.Headers = strings.TrimSuffix(b.String(), "\n")
	}
}

// Tab is a tab that GraphiQL opens on a first visit.
type Tab struct {
	// Query is the tab's GraphQL text: one or more operations, comments included.
	Query string `json:"query"`
	// Variables is the JSON text of its Variables tab; "" for none.
	Variables string `json:"variables,omitempty"`
}

// WithTabs makes GraphiQL open the tabs tabs returns when the browser has kept none of its
// own (a first visit, or after its storage was cleared); otherwise it reopens the kept ones.
// tabs is called at each load of the page, with the request's context; no tabs leaves one
// tab with the default query. The tabs get the headers of [WithHeaders].
func WithTabs(tabs func(context.Context) []Tab) Option {
	return func(p *page) { p.tabs = tabs }
}

// WithDefaultQuery sets the text of a tab that the user opens, and of the first tab when
// there are no others, instead of GraphiQL's welcome text.
func WithDefaultQuery(query string) Option {
	return func(p *page) { p.DefaultQuery = query }
}

// page is what the template needs.
type page struct {
	Title, Endpoint string
	// Headers is the JSON text for the Headers tab; empty leaves the tab empty.
	Headers string
	// DefaultQuery is the text of a new tab; empty is GraphiQL's own.
	DefaultQuery string
	// Tabs are the tabs of a first visit; nil is one tab with DefaultQuery.
	Tabs                                                     []Tab
	GraphiqlJS, GraphiqlCSS, ReactJS, ReactDOMJS, Favicon    string
	GraphiqlJSSRI, GraphiqlCSSSRI, ReactJSSRI, ReactDOMJSSRI string

	tabs func(context.Context) []Tab
}

// render returns the page's HTML.
func (p *page) render() string {
	var buf strings.Builder
	if err := pageTemplate.Execute(&buf, p); err != nil {
		panic("playground: " + err.Error()) // the template and its data are fixed
	}
	return buf.String()
}

// Handler returns the GraphiQL page for endpoint, loading its scripts from assetsPath (e.g.
// "/playground/assets/") on this server instead of a CDN. assetsPath must be the prefix under
// which [Assets] is mounted; a missing trailing slash is added.
func Handler(title, endpoint, assetsPath string, opts ...Option) http.HandlerFunc {
	base := withSlash(assetsPath)
	p := page{
		Title: title, Endpoint: endpoint,
		GraphiqlJS: base + graphiqlJS, GraphiqlJSSRI: files[graphiqlJS].sri,
		GraphiqlCSS: base + graphiqlCSS, GraphiqlCSSSRI: files[graphiqlCSS].sri,
		ReactJS: base + reactJS, ReactJSSRI: files[reactJS].sri,
		ReactDOMJS: base + reactDOMJS, ReactDOMJSSRI: files[reactDOMJS].sri,
		Favicon: base + favicon,
	}
	for _, opt := range opts {
		opt(&p)
	}
	static := p.render()
	return func(w http.ResponseWriter, r *http.Request) {
		html := static
		if p.tabs != nil {
			withTabs := p
			withTabs.Tabs = p.tabs(r.Context())
			html = withTabs.render()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The page may carry a development token: keep it out of shared caches.
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(html))
	}
}

// Assets serves the embedded files under prefix (e.g. "/playground/assets/").
// Mount it on a pattern that matches everything below prefix:
//
//	mux.Handle("/playground/assets/", playground.Assets("/playground/assets/"))
//
// Responses carry an explicit Content-Type, an ETag and a one-year immutable
// Cache-Control. Names that are not embedded files, including directories,
// get 404, so there are no directory listings.
func Assets(prefix string) http.Handler {
	fileServer := http.FileServerFS(assetsFS)
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		// Setting Content-Type here stops the file server from consulting
		// the system MIME tables, which on some hosts map .js to text/plain
		// and make browsers with X-Content-Type-Options refuse the script.
		h.Set("Content-Type", f.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		// The version is part of every path, so a URL's content never
		// changes and browsers need not revalidate.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		// Embedded files have no modification time, so the file server
		// cannot answer conditional requests without an ETag.
		h.Set("ETag", f.etag)
		// The page loads these files with crossorigin="anonymous". That
		// needs no CORS header when page and assets share an origin, but
		// this keeps the page working when they are served from
		// different origins; the files are public anyway.
		h.Set("Access-Control-Allow-Origin", "*")
		fileServer.ServeHTTP(w, r)
	})
	return http.StripPrefix(withSlash(prefix), serve)
}

// indexFiles hashes and types every regular file in fsys.
func indexFiles(fsys fs.FS) map[string]file {
	m := make(map[string]file)
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sri := sha512.Sum384(b)
		tag := sha256.Sum256(b)
		m[name] = file{
			contentType: contentType(name),
			etag:        `"` + hex.EncodeToString(tag[:16]) + `"`,
			sri:         "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
		}
		return nil
	})
	if err != nil {
		panic("playground: indexing embedded assets: " + err.Error())
	}
	return m
}

// contentType returns the media type for name. The set of embedded files is
// fixed, so a small table is clearer than relying on package mime, whose
// answers depend on the host's configuration.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	default: // LICENSE files.
		return "text/plain; charset=utf-8"
	}
}

func withSlash(p string) string {
	if !strings.HasSuffix(p, "/") {
		return p + "/"
	}
	return p
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic("playground: " + err.Error())
	}
	return sub
}
