// Command bench measures the API server's update mutations and a list query against what
// PostgreSQL itself allows, in one run on one machine.
//
//	go run ./bench                       # full run: about 20 minutes
//	go run ./bench -smoke                # a minute or so: does everything still work, has SQL grown?
//	go run ./bench -compare old.json     # also: how each figure changed since an earlier run
//	go run ./bench -duration 3s -reps 3 -concurrency 1,8,32 -json out.json -png out.png
//
// It needs nothing running. It starts a private PostgreSQL (fsync off, as the tests do),
// loads a realistic data set, builds the server from this repository and runs it as a child
// process on 127.0.0.1, then drives each workload with closed-loop load at each concurrency
// in these variants, interleaved so that a noisy neighbour hurts all alike:
//
//	server       GraphQL requests over HTTP keep-alive to the server
//	server-gzip  the same with Accept-Encoding: gzip, decompressed by the load generator
//	             (only for workloads whose answers are large enough to be compressed)
//	server-exec  the same requests to a second server whose DATABASE_URL says
//	             default_query_exec_mode=exec, as behind PgBouncer before 1.21
//	(a)          the same SQL transactions the server sends, BEGIN and COMMIT included
//	             (captured by a pgx tracer on the pool of the server's own handler),
//	             replayed over pgx from this process in the same round trips
//	(b)          the best SQL for the same effect: one prepared statement, one round trip
//
// It reports, per workload and concurrency, medians over the reps: requests per second,
// p50 and p99 latency, failures, CPU per request of the server, of PostgreSQL and of this
// process (the load generator), SQL statements and round trips per request, the server's
// peak RSS and the ratios server ÷ (a) and server ÷ (b); as a table, as JSON and as a PNG
// chart. With -compare it also prints the change from an earlier run's JSON.
//
// Before the load, a short sequential pass counts the statements and round trips each
// workload sends per request (on each server); a count above bench/expect.json fails the
// run, -smoke included, so that CI notices when a change makes a request send more SQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	duration    time.Duration
	warmup      time.Duration
	reps        int
	concurrency []int
	workloads   []*workload
	smoke       bool
	jsonPath    string
	pngPath     string
	profileDir  string
	keep        bool
	serverEnv   []string
	variants    []string
	comparePath string
}

func main() {
	opt, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	// Output piped into head must not kill the run before it stops its server and database.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err = run(ctx, opt)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	opt := &options{}
	fs.DurationVar(&opt.duration, "duration", 5*time.Second, "measured time of each cell (workload × concurrency × variant × rep)")
	fs.IntVar(&opt.reps, "reps", 3, "interleaved repetitions; the report shows medians")
	conc := fs.String("concurrency", "1,8,32", "comma-separated numbers of closed-loop workers")
	names := fs.String("workloads", "", "comma-separated workloads to run (default: all): "+workloadNames())
	fs.BoolVar(&opt.smoke, "smoke", false, "a few seconds in all: a tenth of the data, 1 rep, short cells (CI)")
	fs.StringVar(&opt.jsonPath, "json", "bench-results.json", "where to write the results as JSON")
	fs.StringVar(&opt.pngPath, "png", "bench-results.png", "where to write the chart")
	fs.StringVar(&opt.profileDir, "profile", "", "write CPU and allocation profiles of the server, one per workload at the highest concurrency, into this directory")
	fs.StringVar(&opt.comparePath, "compare", "", "a previous run's JSON (-json): print how each figure changed since")
	vars := fs.String("variants", strings.Join(variants, ","), "comma-separated variants to run")
	fs.BoolVar(&opt.keep, "keep", false, "keep the temporary directory (server log, database) for inspection")
	fs.Func("env", "extra environment for the server, KEY=VALUE (repeatable), e.g. -env GOGC=200", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("%q is not KEY=VALUE", s)
		}
		opt.serverEnv = append(opt.serverEnv, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if opt.smoke {
		if !set["duration"] {
			opt.duration = 150 * time.Millisecond
		}
		if !set["reps"] {
			opt.reps = 1
		}
	}
	opt.warmup = min(time.Second, opt.duration/4)
	for _, s := range strings.Split(*conc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 || c > 256 {
			return nil, fmt.Errorf("-concurrency: %q is not a number of workers (1-256)", s)
		}
		opt.concurrency = append(opt.concurrency, c)
	}
	for _, v := range strings.Split(*vars, ",") {
		v = strings.TrimSpace(v)
		if !slices.Contains(variants, v) {
			return nil, fmt.Errorf("-variants: no variant %q (have %s)", v, strings.Join(variants, ","))
		}
		if !slices.Contains(opt.variants, v) {
			opt.variants = append(opt.variants, v)
		}
	}
	opt.workloads = workloads
	if *names != "" {
		opt.workloads = nil
		for _, n := range strings.Split(*names, ",") {
			w, err := workloadNamed(strings.TrimSpace(n))
			if err != nil {
				return nil, fmt.Errorf("-workloads: %w (have %s)", err, workloadNames())
			}
			opt.workloads = append(opt.workloads, w)
		}
	}
	switch {
	case opt.duration <= 0 || opt.duration > 10*time.Minute:
		return nil, errors.New("-duration must be between 0 and 10m")
	case opt.reps < 1 || opt.reps > 20:
		return nil, errors.New("-reps must be between 1 and 20")
	}
	return opt, nil
}

func workloadNames() string {
	var n []string
	for _, w := range workloads {
		n = append(n, w.Name)
	}
	return strings.Join(n, ",")
}
