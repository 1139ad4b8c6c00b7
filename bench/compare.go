package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// readReport reads a run's JSON (-json), from this version of the benchmark or an earlier
// one (which had only the plain server variant and kept its ratios on the row).
func readReport(path string) (*report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-compare: %w", err)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("-compare: %s is not a result of go run ./bench: %w", path, err)
	}
	if len(r.Summary) == 0 {
		return nil, fmt.Errorf("-compare: %s holds no summary: not a result of go run ./bench -json", path)
	}
	for _, s := range r.Summary {
		if sv := s.Variants[variantServer]; sv != nil && sv.OverBest == 0 && sv.OverReplay == 0 {
			sv.OverReplay, sv.OverBest = s.OverReplay, s.OverBest
		}
	}
	return &r, nil
}

// compare prints, for each workload, concurrency and server variant of after, how its
// figures changed since before: before→after, and the factor for throughput and the
// server's CPU. A row before lacks shows — on its left.
func compare(w io.Writer, before, after *report) error {
	find := func(r *report, workload string, c int, variant string) *variantSummary {
		for _, s := range r.Summary {
			if s.Workload == workload && s.Concurrency == c {
				return s.Variants[variant]
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tc\tvariant\treq/s\t\tsrv CPU µs\t\tpg CPU µs\tp50 ms\tstmts\ttrips\tRSS MiB\t÷(a)\t÷(b)\t")
	for _, s := range after.Summary {
		for _, v := range serverVariants {
			a := s.Variants[v]
			if a == nil {
				continue
			}
			b := find(before, s.Workload, s.Concurrency, v)
			ch := func(get func(*variantSummary) float64, format string) string {
				now := fmt.Sprintf(format, get(a))
				if b == nil {
					return "—→" + now
				}
				return fmt.Sprintf(format, get(b)) + "→" + now
			}
			factor := func(get func(*variantSummary) float64) string {
				if b == nil || get(b) == 0 {
					return ""
				}
				return fmt.Sprintf("×%.2f", get(a)/get(b))
			}
			rps := func(x *variantSummary) float64 { return x.ReqPerSec }
			cpu := func(x *variantSummary) float64 { return x.ServerCPUUs }
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Workload, s.Concurrency, shortVariant(v),
				ch(rps, "%.0f"), factor(rps), ch(cpu, "%.0f"), factor(cpu),
				ch(func(x *variantSummary) float64 { return x.PostgresCPUUs }, "%.0f"),
				ch(func(x *variantSummary) float64 { return x.P50Ms }, "%.2f"),
				ch(func(x *variantSummary) float64 { return x.Statements }, "%.1f"),
				ch(func(x *variantSummary) float64 { return x.RoundTrips }, "%.1f"),
				ch(func(x *variantSummary) float64 { return x.ServerRSSMiB }, "%.0f"),
				ch(func(x *variantSummary) float64 { return x.OverReplay }, "%.2f"),
				ch(func(x *variantSummary) float64 { return x.OverBest }, "%.2f"))
		}
	}
	return tw.Flush()
}
