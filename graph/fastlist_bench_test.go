package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payplat/paygql/graph"
	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/testenv"
)

// BenchmarkGatewayList reads one customer's 100 gateways, each with 12 items in every list,
// with every scalar field, as bench/'s customerPaymentGateways workload does: on the fast list
// path and on gqlgen's generic one. Besides time and allocations it reports the CPU time of
// this process per read (server and the client that discards the answer; PostgreSQL runs in
// its own processes), which a shared machine disturbs less than wall time.
//
//	go test -run '^$' -bench GatewayList -benchmem ./graph/
func BenchmarkGatewayList(b *testing.B) {
	store, _ := testenv.New(b)
	verifier, err := auth.NewVerifier(auth.Config{HS256Secret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(verifier.Close)
	serve := func(opt graph.Options) string {
		h := graph.NewHandler(&graph.Resolver{Store: store, Logger: slog.New(slog.DiscardHandler)}, opt)
		srv := httptest.NewServer(verifier.Middleware(h))
		b.Cleanup(srv.Close)
		return srv.URL
	}
	generic := graph.DefaultOptions
	generic.GenericLists = true
	servers := []struct{ name, url string }{{"fast", serve(graph.DefaultOptions)}, {"generic", serve(generic)}}
	admin, err := auth.MintHS256(testSecret, auth.Claims{Subject: "bench", Roles: []string{auth.RoleAdmin}})
	if err != nil {
		b.Fatal(err)
	}
	post := func(url, body string) []byte {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) || bytes.Contains(out, []byte(`"code"`)) {
			b.Fatalf("%s: %.300s", res.Status, out)
		}
		return out
	}
	in := fullGateway()
	for _, list := range []string{"billTypes", "applications", "paymentTypes", "convenienceFees"} {
		in[list] = []any{}
	}
	for i := range 12 {
		add := func(list string, item map[string]any) { in[list] = append(in[list].([]any), item) }
		add("billTypes", map[string]any{"billTypeId": i + 1, "applyConvenienceFee": i%2 == 0})
		add("applications", map[string]any{"applicationId": fmt.Sprintf("a9900000-0000-4000-8000-%012d", i), "isActive": true})
		add("paymentTypes", map[string]any{"paymentType": fmt.Sprintf("TYPE_%d", i)})
		add("convenienceFees", map[string]any{"paymentType": "TYPE_0", "minRange": fmt.Sprint(i * 100), "maxRange": fmt.Sprint(i*100 + 100), "feeAmount": "2.50"})
	}
	for i := range 100 {
		in["displayName"] = fmt.Sprintf("Gateway %d", i)
		req, _ := json.Marshal(map[string]any{"query": createGW, "variables": map[string]any{"in": in}})
		post(servers[0].url, string(req))
	}
	body := `{"query":` + fmt.Sprintf("%q", `query Gateways($c: UUID!) { customerPaymentGateways(customerId: $c) {
  id displayName merchantId testMode allowToken minPaymentAmount maxPaymentAmount version updatedAt
  billTypes { id billTypeId applyConvenienceFee }
  applications { id applicationId isActive primaryPaymentVenue }
  paymentTypes { id paymentType }
  convenienceFees { id paymentType minRange maxRange feeAmount applyConvenienceFee } } }`) + `,"variables":{"c":"` + customerA + `"}}`
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			read := func() int {
				req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+admin)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatal(res.Status)
				}
				return int(n)
			}
			if a, g := post(s.url, body), post(servers[1].url, body); !bytes.Equal(a, g) || len(a) < 100000 {
				b.Fatalf("%d bytes, unlike the generic path's %d", len(a), len(g))
			}
			b.SetBytes(int64(read()))
			b.ReportAllocs()
			b.ResetTimer()
			before := cpuTime()
			for b.Loop() {
				read()
			}
			b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}
