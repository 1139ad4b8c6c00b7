package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxRequestsPerCell bounds a cell by count as well as by time.
const maxRequestsPerCell = 5_000_000

// doer sends one request (or runs one transaction) for the worker it belongs to.
type doer func(ctx context.Context, rng *rand.Rand, n uint64) error

// loadResult is what a closed-loop run measured.
type loadResult struct {
	Requests  int
	Failures  int
	FirstFail string
	Elapsed   time.Duration
	latencies []time.Duration // of the successful requests
}

func (r loadResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

// closedLoop runs one worker per doer, each sending its next request as soon as the last one
// answered, until d has passed or maxRequestsPerCell were sent. A closed loop with a fixed
// number of workers is what a pool of busy clients does: the offered load follows what the
// server sustains, so the figures are throughput at a given concurrency with the latency that
// comes with it, and an overloaded server cannot build an unbounded queue as an open loop's
// fixed arrival rate would.
//
// Requests are numbered from first on: a run gives each loop its own range, so that no two
// requests of a run write the same values (an update that changes nothing is cheaper).
func closedLoop(ctx context.Context, workers []doer, d time.Duration, seed, first uint64) loadResult {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second) // a hung request cannot hang the run
	defer cancel()
	type part struct {
		lat       []time.Duration
		failures  int
		firstFail string
	}
	parts := make([]part, len(workers))
	var counter atomic.Uint64
	next := func() (uint64, bool) {
		n := counter.Add(1)
		return first + n, n <= maxRequestsPerCell
	}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, do := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			p := &parts[i]
			p.lat = make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				n, ok := next()
				if !ok {
					return
				}
				t0 := time.Now()
				if err := do(ctx, rng, n); err != nil {
					p.failures++
					if p.firstFail == "" {
						p.firstFail = err.Error()
					}
					continue
				}
				p.lat = append(p.lat, time.Since(t0))
			}
		})
	}
	wg.Wait()
	res := loadResult{Elapsed: time.Since(start)}
	for _, p := range parts {
		res.latencies = append(res.latencies, p.lat...)
		res.Failures += p.failures
		if res.FirstFail == "" {
			res.FirstFail = p.firstFail
		}
	}
	res.Requests = len(res.latencies) + res.Failures
	slices.Sort(res.latencies)
	return res
}
