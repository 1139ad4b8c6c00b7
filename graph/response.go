package graph

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// gqlgen's transports write a response with json.Marshal, which re-scans the whole of its
// data (a json.RawMessage) to compact and escape it: for the list of 100 gateways, a megabyte
// scanned byte by byte after it was written. The data gqlgen and the fast list path write is
// compact already, so a response of data alone is written here directly, with only the
// escapes json.Marshal would add (<, >, & and U+2028/U+2029 as \u00XX), found with
// bytes.IndexByte. A response with anything besides data (errors, extensions, an incremental
// part) goes through json.Marshal as before.

// directWriter lets a response handler write the response itself; the transport's own copy
// that follows is then dropped.
type directWriter struct {
	http.ResponseWriter
	written bool
}

func (w *directWriter) Write(b []byte) (int, error) {
	if w.written {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *directWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeDirectly returns h, with responses of data alone written to w by writeData.
func writeDirectly(w *directWriter, h graphql.ResponseHandler) graphql.ResponseHandler {
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if w == nil || resp == nil || len(resp.Errors) > 0 || len(resp.Extensions) > 0 || resp.Label != "" ||
			resp.Path != nil || resp.HasNext != nil || len(resp.Data) == 0 {
			return resp
		}
		_, _ = w.Write([]byte(`{"data":`))
		writeData(w, resp.Data)
		_, _ = w.Write([]byte{'}'})
		w.written = true
		adoptionIn(ctx).release() // resp.Data may be an answer's buffer: written, it is free
		return &graphql.Response{}
	}
}

// escaped are the bytes appendData looks for: 0xE2 begins U+2028 and U+2029 (and others).
var escaped = [...]byte{'<', '>', '&', 0xE2}

// writeData writes data, compact JSON, escaped as json.Marshal escapes a json.RawMessage:
// the runs between escapes as they are, without a copy. Each byte of escaped is searched for
// with bytes.IndexByte, once per occurrence.
func writeData(w io.Writer, data []byte) {
	var next [len(escaped)]int
	for k, c := range escaped {
		next[k] = indexFrom(data, 0, c)
	}
	start := 0
	var esc []byte
	for {
		k := -1
		for j, i := range next {
			if i >= 0 && (k < 0 || i < next[k]) {
				k = j
			}
		}
		if k < 0 {
			_, _ = w.Write(data[start:])
			return
		}
		i := next[k]
		_, _ = w.Write(data[start:i])
		start = i + 1
		switch c := data[i]; c {
		case '<', '>', '&':
			esc = append(append(esc[:0], `\u00`...), hexDigits[c>>4], hexDigits[c&0xf])
		default:
			if r, n := utf8.DecodeRune(data[i:]); r == '\u2028' || r == '\u2029' {
				esc = append(append(esc[:0], `\u202`...), hexDigits[r&0xf])
				start = i + n
			} else {
				esc = append(esc[:0], c)
			}
		}
		_, _ = w.Write(esc)
		next[k] = indexFrom(data, start, escaped[k])
	}
}

// indexFrom returns the index of the first c in data at or after from, or -1.
func indexFrom(data []byte, from int, c byte) int {
	if i := bytes.IndexByte(data[from:], c); i >= 0 {
		return from + i
	}
	return -1
}
