package middleware

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
)

// listJSON is an answer shaped like customerPaymentGateways with every scalar field of the
// gateways and their four lists, on the data `go run ./bench` loads: gateways gateways with 5
// to 20 items in each list, ids that are md5 sums (as random as real UUIDs). 100 gateways
// make about 1.2 MB.
func listJSON(gateways int) []byte {
	id := func(s string) string { return uuid.UUID(md5.Sum([]byte(s))).String() }
	b := []byte(`{"data":{"customerPaymentGateways":[`)
	for i := range gateways {
		if i > 0 {
			b = append(b, ',')
		}
		gw := id(fmt.Sprint("gw", i))
		b = fmt.Appendf(b, `{"id":%q,"customerId":%q,"merchantId":"M%d","merchantKey":"••••1234","merchantPin":"••••",`+
			`"displayName":"Gateway %d","testMode":false,"allowToken":true,"minPaymentAmount":"1.00","maxPaymentAmount":"50000.00",`,
			gw, id("cust0"), i, i)
		n := 5 + (i*7)%16
		list := func(name string, item func(k int)) {
			b = fmt.Appendf(b, `%q:[`, name)
			for k := range n {
				if k > 0 {
					b = append(b, ',')
				}
				item(k)
			}
			b = append(b, "],"...)
		}
		list("billTypes", func(k int) {
			b = fmt.Appendf(b, `{"id":%q,"paymentGatewayId":%q,"billTypeId":%d,"applyConvenienceFee":%t}`,
				id(fmt.Sprint("bt", i, "-", k)), gw, 100+k, k%2 == 0)
		})
		list("applications", func(k int) {
			b = fmt.Appendf(b, `{"id":%q,"paymentGatewayId":%q,"applicationId":%q,"isActive":true,"primaryPaymentVenue":%t}`,
				id(fmt.Sprint("app", i, "-", k)), gw, id(fmt.Sprint("application", k)), k == 0)
		})
		list("paymentTypes", func(k int) {
			b = fmt.Appendf(b, `{"id":%q,"paymentGatewayId":%q,"paymentType":"PT%d"}`, id(fmt.Sprint("pt", i, "-", k)), gw, k)
		})
		list("convenienceFees", func(k int) {
			b = fmt.Appendf(b, `{"id":%q,"paymentGatewayId":%q,"paymentType":"PT%d","minRange":"0.00","maxRange":"1000.00",`+
				`"feeAmount":"1.50","applyAtPaymentOfBoot":false,"applyAtPaymentOfNotice":null,"applyAtPaymentOfTow":null,`+
				`"totalPaymentAmount":null,"applyConvenienceFee":true}`, id(fmt.Sprint("fee", i, "-", k)), gw, k)
		})
		b = fmt.Appendf(b, `"version":1,"createdAt":"2026-12-01T09:%02d:%02d.%06dZ","updatedAt":"2026-12-01T09:%02d:%02d.%06dZ"}`,
			i/60%60, i%60, i*7919%1000000, i/60%60, i%60, i*7919%1000000)
	}
	return append(b, "]}}\n"...)
}

// BenchmarkCompressList measures what compressing the 100-gateway list costs per answer at
// a few gzip levels (CompressionLevel is the one served), against serving it plain. It
// reports the bytes sent.
//
//	go test -run '^$' -bench CompressList -benchmem ./internal/middleware/
func BenchmarkCompressList(b *testing.B) {
	body := listJSON(100)
	serve := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
	for _, level := range []int{0, 1, 2, 4, 6, 9} {
		name := fmt.Sprintf("level%d", level)
		h := http.Handler(http.HandlerFunc(serve))
		if level > 0 {
			var err error
			if h, err = compressAt(level, 4096, h); err != nil {
				b.Fatal(err)
			}
		} else {
			name = "plain"
		}
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/query", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			w := &countingWriter{header: http.Header{}}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				clear(w.header)
				w.n = 0
				h.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(w.n), "sent-bytes")
		})
	}
}

// BenchmarkCompressSmall measures what the wrapper costs an answer below the threshold (a
// mutation's payload, 1 KiB), which it holds back and sends plain.
func BenchmarkCompressSmall(b *testing.B) {
	body := listJSON(1)[:1024]
	serve := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	for name, h := range map[string]http.Handler{"plain": serve, "wrapped": Compress(4096, serve)} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/query", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			w := &countingWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				w.n = 0
				h.ServeHTTP(w, req)
			}
			if w.header.Get("Content-Encoding") != "" || w.n != len(body) {
				b.Fatalf("a %d-byte answer: Content-Encoding %q, %d bytes sent", len(body), w.header.Get("Content-Encoding"), w.n)
			}
		})
	}
}

// BenchmarkDecompressList measures what a Go client spends decompressing the list.
func BenchmarkDecompressList(b *testing.B) {
	body := listJSON(100)
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, CompressionLevel)
	_, _ = zw.Write(body)
	_ = zw.Close()
	var zr gzip.Reader
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := zr.Reset(bytes.NewReader(zipped.Bytes())); err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, &zr); err != nil {
			b.Fatal(err)
		}
	}
}

// countingWriter is a ResponseWriter that counts the body's bytes and keeps nothing.
type countingWriter struct {
	header http.Header
	status int
	n      int
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *countingWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

func TestIsUpgrade(t *testing.T) {
	tests := []struct {
		headers map[string]string
		want    bool
	}{
		{map[string]string{"Connection": "Upgrade", "Upgrade": "websocket"}, true},
		{map[string]string{"Connection": "keep-alive, Upgrade"}, true},
		{map[string]string{"Upgrade": "h2c"}, true},
		{map[string]string{"Connection": "keep-alive"}, false},
		{map[string]string{"Accept-Encoding": "gzip"}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/query", nil)
		for k, v := range tt.headers {
			r.Header.Set(k, v)
		}
		if got := isUpgrade(r); got != tt.want {
			t.Errorf("isUpgrade(%v) = %t, want %t", tt.headers, got, tt.want)
		}
	}
}

// TestCompressOff: a threshold of 0 leaves the handler as it is.
func TestCompressOff(t *testing.T) {
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := Compress(0, h); fmt.Sprintf("%p", got) != fmt.Sprintf("%p", h) {
		t.Errorf("Compress(0, h) wrapped h")
	}
}
