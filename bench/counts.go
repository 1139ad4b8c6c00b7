package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// expectJSON is bench/expect.json: the statements and round trips per request that each
// workload may send at most.
//
//go:embed expect.json
var expectJSON []byte

// expectation is what one workload may send per request to one server.
type expectation struct {
	Statements float64 `json:"statements"`
	RoundTrips float64 `json:"roundTrips"`
}

// expectations is bench/expect.json.
type expectations struct {
	// Tolerance is how far a count may rise above its expectation: what a request can share
	// of the server's background work (the mail worker's poll) and of statements a new
	// connection prepares.
	Tolerance float64 `json:"tolerance"`
	// Workloads maps workload → server mode (default, exec) → expectation.
	Workloads map[string]map[string]expectation `json:"workloads"`
}

// expected is bench/expect.json, read once.
var expected = func() expectations {
	var e expectations
	if err := json.Unmarshal(expectJSON, &e); err != nil {
		panic("bench/expect.json: " + err.Error())
	}
	return e
}()

// countResult is what the counting pass measured for one workload on one server.
type countResult struct {
	Workload   string  `json:"workload"`
	Mode       string  `json:"server"`
	Requests   int     `json:"requests"`
	Statements float64 `json:"statementsPerReq"`
	RoundTrips float64 `json:"roundTripsPerReq"`
}

// The counting pass's requests: warm-up ones (connections, prepared statements), then the
// counted ones.
const (
	countWarmup   = 10
	countRequests = 100
	countIdle     = 3 * time.Second // how long the background is measured
)

// idleRates measures the statements and round trips per second the server sends while no
// request runs.
func (s *serverProc) idleRates(ctx context.Context, d time.Duration) (statements, roundTrips float64, err error) {
	s0, r0, err := s.counters()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	case <-time.After(d):
	}
	s1, r1, err := s.counters()
	if err != nil {
		return 0, 0, err
	}
	secs := time.Since(start).Seconds()
	return (s1 - s0) / secs, (r1 - r0) / secs, nil
}

// countPass sends each workload's requests one after the other to each server, the same
// ones in every run (a fixed seed, fresh data), and reads from the server's /metrics what
// they sent to PostgreSQL. Sequential requests on fresh data make the count a property of
// the code, not of the load: the guard compares it with bench/expect.json.
func (b *bench) countPass(ctx context.Context) ([]countResult, error) {
	var out []countResult
	for i, m := range b.modes() {
		srv := b.servers[m]
		// The server's own background work (the change feed's and the webhook workers' polls)
		// sends statements while nobody asks: measured idle, it is taken off each count.
		idleS, idleR, err := srv.idleRates(ctx, countIdle)
		if err != nil {
			return nil, err
		}
		for _, w := range b.opt.workloads {
			do, closeConn := httpDoer(srv.url+"/query", b.token, w, b.data, false, &answerSizes{})
			defer closeConn()
			rng := rand.New(rand.NewPCG(19, uint64(i)))
			// n sets the values a request writes: far from the capture's and the load's, and
			// apart per server, so that every update changes something.
			n := uint64(1_000_000 * (i + 1))
			send := func(count int) error {
				for range count {
					n++
					if err := do(ctx, rng, n); err != nil {
						return fmt.Errorf("counting %s on the %s server: %w", w.Name, m, err)
					}
				}
				return nil
			}
			if err := send(countWarmup); err != nil {
				return nil, err
			}
			s0, r0, err := srv.counters()
			if err != nil {
				return nil, err
			}
			start := time.Now()
			if err := send(countRequests); err != nil {
				return nil, err
			}
			s1, r1, err := srv.counters()
			if err != nil {
				return nil, err
			}
			secs := time.Since(start).Seconds()
			out = append(out, countResult{Workload: w.Name, Mode: m, Requests: countRequests,
				Statements: max(0, s1-s0-idleS*secs) / countRequests, RoundTrips: max(0, r1-r0-idleR*secs) / countRequests})
		}
	}
	return out, nil
}

// checkCounts prints the counts beside their expectations and returns an error naming each
// count that grew beyond its expectation (and each workload without one). A count well
// below its expectation is a gain: it says to lower the expectation, so that the guard
// keeps it.
func checkCounts(w io.Writer, exp expectations, counts []countResult) error {
	fmt.Fprintln(w, "\nSQL per request, sequential requests on fresh data, against bench/expect.json (at most expected + tolerance):")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tserver\tstmts\texpected\ttrips\texpected\t")
	var grown, lower []string
	for _, c := range counts {
		e, ok := exp.Workloads[c.Workload][c.Mode]
		if !ok {
			grown = append(grown, fmt.Sprintf("%s (%s server): no expectation in bench/expect.json; add "+
				`"%s": {"statements": %s, "roundTrips": %s} under "%s"`, c.Workload, c.Mode, c.Mode, round2(c.Statements), round2(c.RoundTrips), c.Workload))
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t—\t%.2f\t—\t\n", c.Workload, c.Mode, c.Statements, c.RoundTrips)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t\n", c.Workload, c.Mode, c.Statements, e.Statements, c.RoundTrips, e.RoundTrips)
		for _, k := range []struct {
			what      string
			got, want float64
		}{{"statements", c.Statements, e.Statements}, {"round trips", c.RoundTrips, e.RoundTrips}} {
			switch {
			case k.got > k.want+exp.Tolerance:
				grown = append(grown, fmt.Sprintf("%s (%s server): %.2f %s per request, expected at most %.2f (+%.2f tolerance)",
					c.Workload, c.Mode, k.got, k.what, k.want, exp.Tolerance))
			case k.got < k.want-exp.Tolerance:
				lower = append(lower, fmt.Sprintf("%s (%s server): %.2f %s per request, %.2f expected: lower it in bench/expect.json to %s, so that the guard keeps the gain",
					c.Workload, c.Mode, k.got, k.what, k.want, round2(k.got)))
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range lower {
		fmt.Fprintln(w, "  fewer than expected:", l)
	}
	if len(grown) == 0 {
		return nil
	}
	slices.Sort(grown)
	return errors.New("the SQL sent per request grew beyond bench/expect.json:\n  " + strings.Join(grown, "\n  ") +
		"\nIf the change is meant, raise the number in bench/expect.json and say why in the commit; the expectations are today's counts, meant to go down as the code improves.")
}

// round2 formats x with at most two decimals, as expect.json holds it.
func round2(x float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", x), "0"), ".")
}
