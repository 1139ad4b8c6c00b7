// Package playground serves gqlgen's GraphiQL page with its JavaScript and
// CSS embedded in the binary.
//
// gqlgen's own page loads GraphiQL, React and ReactDOM from a public CDN,
// which leaves a blank page on machines without internet access. This
// package renders the same page but points every script and stylesheet at
// [Assets], which serves byte-for-byte copies of the files the CDN would
// have returned.
//
// The files under assets/ come unmodified from the npm tarballs of
// graphiql@4.1.2, react@18.2.0 and react-dom@18.2.0 (the versions gqlgen
// v0.17.98 pins), together with each package's LICENSE. To update them,
// run "npm pack" for the versions the new gqlgen pins, copy the same files
// into a directory named after the new version, and change the paths below.
// The directories carry the version so that a changed file always has a new
// URL, which is what makes the immutable cache headers of [Assets] safe.
package playground

import (
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	gqlplayground "github.com/99designs/gqlgen/graphql/playground"
)

//go:embed assets
var embedded embed.FS

// assetsFS is the embedded tree with the "assets/" directory stripped, so
// that names match URL paths below the assets prefix.
var assetsFS = mustSub(embedded, "assets")

// Paths of the files gqlgen's page loads, relative to the assets prefix.
// The explorer plugin is not shipped: gqlgen only references it when
// WithGraphiqlEnablePluginExplorer(true) is passed.
const (
	graphiqlJS  = "graphiql-4.1.2/graphiql.min.js"
	graphiqlCSS = "graphiql-4.1.2/graphiql.min.css"
	reactJS     = "react-18.2.0/umd/react.production.min.js"
	reactDOMJS  = "react-dom-18.2.0/umd/react-dom.production.min.js"
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

// Option configures the page rendered by [Handler]. Any of gqlgen's
// playground options can be used, for example
// playground.WithGraphiqlFetcherHeaders or playground.WithStoragePrefix.
type Option = gqlplayground.GraphiqlConfigOption

// WithUIHeaders pre-fills GraphiQL's Headers tab with headers, encoded as a
// JSON object, for example {"Authorization": "Bearer <token>"}. The user can
// edit them before sending a request.
//
// The headers are written into the page's HTML, so pass placeholders or
// development tokens only, never credentials that the page's visitors must
// not see.
func WithUIHeaders(headers map[string]string) Option {
	return gqlplayground.WithGraphiqlUiHeaders(headers)
}

// Handler returns the GraphiQL page for endpoint, loading its scripts from
// assetsPath (e.g. "/playground/assets/") on this server instead of a CDN.
// assetsPath must be the prefix under which [Assets] is mounted; a missing
// trailing slash is added.
//
// opts are applied after the asset locations, so an option may override
// them.
func Handler(title, endpoint, assetsPath string, opts ...Option) http.HandlerFunc {
	base := withSlash(assetsPath)
	all := []Option{
		gqlplayground.WithGraphiqlVersion(
			base+graphiqlJS, base+graphiqlCSS,
			files[graphiqlJS].sri, files[graphiqlCSS].sri,
		),
		gqlplayground.WithGraphiqlReactVersion(
			base+reactJS, base+reactDOMJS,
			files[reactJS].sri, files[reactDOMJS].sri,
		),
	}
	all = append(all, opts...)
	return gqlplayground.Handler(title, endpoint, all...)
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
