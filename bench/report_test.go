package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cellsFor makes one rep of cells for workload at concurrency c: the server variants at
// rps req/s (gzip and exec a little slower), floor (a) at 2×rps, floor (b) at 4×rps.
func cellsFor(workload string, c int, rps, cpu, stmts float64, withGzip bool) []cellResult {
	server := func(v string, f float64) cellResult {
		return cellResult{Workload: workload, Variant: v, Concurrency: c, ReqPerSec: rps * f, P50Ms: 1000 / rps,
			ServerCPUUs: cpu, PostgresCPUUs: 100, Statements: stmts, RoundTrips: stmts, ServerPeakRSSB: 64 << 20,
			WireBytes: 2048, BodyBytes: 2048}
	}
	out := []cellResult{server(variantServer, 1), server(variantExec, 0.9),
		{Workload: workload, Variant: variantReplay, Concurrency: c, ReqPerSec: 2 * rps, Statements: stmts, RoundTrips: stmts},
		{Workload: workload, Variant: variantBest, Concurrency: c, ReqPerSec: 4 * rps, Statements: 1, RoundTrips: 1}}
	if withGzip {
		g := server(variantGzip, 0.8)
		g.WireBytes = 512
		out = append(out, g)
	}
	return out
}

// squeeze writes every run of blanks as one space: tables align with several.
func squeeze(s string) string {
	var lines []string
	for l := range strings.Lines(s) {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

func testReport(t *testing.T, rps, cpu, stmts float64) *report {
	t.Helper()
	var cells []cellResult
	for _, c := range []int{1, 8} {
		cells = append(cells, cellsFor("updateConnectorConfiguration", c, rps*10, cpu/10, stmts, false)...)
		cells = append(cells, cellsFor("customerPaymentGateways", c, rps, cpu, stmts, true)...)
	}
	workloads, conc := []string{"updateConnectorConfiguration", "customerPaymentGateways"}, []int{1, 8}
	return &report{Summary: summarize(cells, workloads, conc), Cells: cells, workloads: workloads, concurrency: conc,
		Machine: map[string]any{"cpus": 2}, Options: map[string]any{"reps": 1, "duration": "1s"}}
}

func TestSummarizeRatiosPerServerVariant(t *testing.T) {
	r := testReport(t, 30, 45000, 5)
	var list summary
	for _, s := range r.Summary {
		if s.Workload == "customerPaymentGateways" && s.Concurrency == 8 {
			list = s
		}
	}
	for v, want := range map[string]float64{variantServer: 0.25, variantExec: 0.225, variantGzip: 0.2} {
		if got := list.Variants[v]; got == nil || got.OverBest < want-1e-9 || got.OverBest > want+1e-9 {
			t.Errorf("%s ÷(b) = %+v, want %.3f", v, got, want)
		}
	}
	if list.OverBest != 0.25 || list.OverReplay != 0.5 {
		t.Errorf("the row's ratios are the plain server's: got %.2f, %.2f", list.OverReplay, list.OverBest)
	}
	if got := list.Variants[variantGzip].WireKiB; got != 0.5 {
		t.Errorf("gzip answer %.2f KiB, want 0.5", got)
	}
	for _, s := range r.Summary {
		if s.Workload == "updateConnectorConfiguration" && s.Variants[variantGzip] != nil {
			t.Errorf("a gzip summary for a workload that did not run it: %+v", s.Variants[variantGzip])
		}
	}
}

func TestCompare(t *testing.T) {
	before, after := testReport(t, 28, 45000, 8), testReport(t, 240, 5000, 5)
	var out bytes.Buffer
	if err := compare(&out, before, after); err != nil {
		t.Fatal(err)
	}
	got := squeeze(out.String())
	for _, want := range []string{
		"customerPaymentGateways 8 plain 28→240 ×8.57 45000→5000 ×0.11",
		"customerPaymentGateways 8 gzip 22→192",
		"8.0→5.0", // statements
		"0.25→0.25",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("compare lacks %q:\n%s", want, got)
		}
	}
	// A row the earlier run lacks (its exec variant, say) shows — on its left.
	delete(before.Summary[0].Variants, variantExec)
	out.Reset()
	if err := compare(&out, before, after); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(squeeze(out.String()), "updateConnectorConfiguration 1 exec —→2160 —→500 —→100") {
		t.Errorf("a row missing before does not show —→:\n%s", out.String())
	}
}

// TestCompareReadsEarlierJSON reads a result of the benchmark before the gzip and exec
// variants: the ratios to the floors were on the row only.
func TestCompareReadsEarlierJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.json")
	old := `{"started": "2026-11-30T10:00:00Z", "summary": [{"workload": "customerPaymentGateways", "concurrency": 8,
	  "variants": {"server": {"reqPerSec": 31, "p50Ms": 250, "serverCpuUsPerReq": 45000, "postgresCpuUsPerReq": 7700,
	    "statementsPerReq": 5, "roundTripsPerReq": 5, "serverPeakRssMiB": 224},
	    "replay": {"reqPerSec": 200}, "best-sql": {"reqPerSec": 150}},
	  "serverOverReplay": 0.155, "serverOverBest": 0.2067}], "cells": []}`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := readReport(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := compare(&out, before, testReport(t, 240, 5000, 5)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(squeeze(out.String()), "customerPaymentGateways 8 plain 31→240 ×7.74 45000→5000 ×0.11 7700→100 250.00→4.17 5.0→5.0 5.0→5.0 224→64 0.15→0.50 0.21→0.25") {
		t.Errorf("compare with an earlier result:\n%s", out.String())
	}
	for _, bad := range []string{`{"summary": []}`, `not json`} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readReport(path); err == nil || !strings.Contains(err.Error(), "-compare") {
			t.Errorf("readReport(%q) = %v, want an error naming -compare", bad, err)
		}
	}
}

func TestCheckCounts(t *testing.T) {
	exp := expectations{Tolerance: 0.25, Workloads: map[string]map[string]expectation{
		"updateConnectorConfiguration": {modeDefault: {Statements: 4, RoundTrips: 4}, modeExec: {Statements: 4, RoundTrips: 4}},
	}}
	count := func(mode string, stmts, trips float64) countResult {
		return countResult{Workload: "updateConnectorConfiguration", Mode: mode, Requests: 40, Statements: stmts, RoundTrips: trips}
	}
	tests := []struct {
		name   string
		counts []countResult
		errs   []string // what the error says; none: no error
		out    []string // what the table and notes say
	}{
		{"as expected", []countResult{count(modeDefault, 4, 4), count(modeExec, 4.2, 4.25)}, nil,
			[]string{"updateConnectorConfiguration default 4.00 4.00 4.00 4.00", "updateConnectorConfiguration exec 4.20 4.00 4.25 4.00"}},
		{"a statement more", []countResult{count(modeDefault, 5, 4)},
			[]string{"updateConnectorConfiguration (default server): 5.00 statements per request, expected at most 4.00 (+0.25 tolerance)",
				"raise the number in bench/expect.json"}, nil},
		{"round trips grew behind the pooler", []countResult{count(modeDefault, 4, 4), count(modeExec, 4, 6.5)},
			[]string{"updateConnectorConfiguration (exec server): 6.50 round trips per request, expected at most 4.00"}, nil},
		{"fewer: lower the expectation", []countResult{count(modeDefault, 2, 2)}, nil,
			[]string{"2.00 statements per request, 4.00 expected: lower it in bench/expect.json to 2,",
				"2.00 round trips per request, 4.00 expected: lower it in bench/expect.json to 2,"}},
		{"a workload without expectation", []countResult{{Workload: "newWorkload", Mode: modeDefault, Statements: 3.5, RoundTrips: 3}},
			[]string{`newWorkload (default server): no expectation in bench/expect.json; add "default": {"statements": 3.5, "roundTrips": 3} under "newWorkload"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := checkCounts(&out, exp, tt.counts)
			switch {
			case len(tt.errs) == 0 && err != nil:
				t.Errorf("error %v, want none", err)
			case len(tt.errs) > 0 && err == nil:
				t.Errorf("no error, want one saying %q", tt.errs)
			}
			for _, want := range tt.errs {
				if err != nil && !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			for _, want := range tt.out {
				if !strings.Contains(squeeze(out.String()), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestExpectationsCoverEveryWorkload: the committed bench/expect.json names every workload
// on both servers, so that no count goes unguarded.
func TestExpectationsCoverEveryWorkload(t *testing.T) {
	if expected.Tolerance <= 0 || expected.Tolerance >= 1 {
		t.Errorf("tolerance %.2f: want above 0 and below one statement", expected.Tolerance)
	}
	for _, w := range workloads {
		for _, m := range []string{modeDefault, modeExec} {
			if e, ok := expected.Workloads[w.Name][m]; !ok || e.Statements < 1 || e.RoundTrips < 1 {
				t.Errorf("bench/expect.json: %s on the %s server: %+v", w.Name, m, e)
			}
		}
	}
	for name := range expected.Workloads {
		if _, err := workloadNamed(name); err != nil {
			t.Errorf("bench/expect.json names %s, which is no workload", name)
		}
	}
}

func TestReportOutputs(t *testing.T) {
	r := testReport(t, 30, 45000, 5)
	var out bytes.Buffer
	if err := r.write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"customerPaymentGateways 8 gzip 24 33.33 0.00 0 45000 100 0 5.0 5.0 64 0.5 | 0.40 0.20",
		"customerPaymentGateways 8 plain 30 33.33 0.00 0 45000 100 0 5.0 5.0 64 2.0 | 0.50 0.25",
		"customerPaymentGateways 8 60 0.00 0 5.0 5.0 0 | 120 0.00 0 0", // the floors
	} {
		if !strings.Contains(squeeze(out.String()), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	png := filepath.Join(t.TempDir(), "chart.png")
	if err := r.writeChart(png); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("chart: %v, %d bytes", err, len(b))
	}
}

func TestParseFlagsVariants(t *testing.T) {
	opt, err := parseFlags([]string{"-variants", "server,server-gzip", "-compare", "old.json"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(opt.variants, ",") != "server,server-gzip" || opt.comparePath != "old.json" {
		t.Errorf("variants %v, compare %q", opt.variants, opt.comparePath)
	}
	if _, err := parseFlags([]string{"-variants", "server,gzip"}); err == nil || !strings.Contains(err.Error(), `no variant "gzip"`) {
		t.Errorf("an unknown variant: %v", err)
	}
	opt, _ = parseFlags(nil)
	if strings.Join(opt.variants, ",") != strings.Join(variants, ",") {
		t.Errorf("default variants %v, want all", opt.variants)
	}
	w, _ := workloadNamed("customerPaymentGateways")
	u, _ := workloadNamed("updateSubDealer")
	if !strings.Contains(strings.Join(w.variants(variants), ","), variantGzip) || strings.Contains(strings.Join(u.variants(variants), ","), variantGzip) {
		t.Errorf("gzip runs for %v and %v; want the list only", w.variants(variants), u.variants(variants))
	}
}
