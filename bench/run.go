package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/payplat/paygql/internal/auth"
	"github.com/payplat/paygql/internal/database"
	"github.com/payplat/paygql/internal/pgserver"
	"github.com/payplat/paygql/internal/proc"
	"github.com/payplat/paygql/internal/secrets"
)

// The variants of a cell.
const (
	variantServer = "server"
	variantGzip   = "server-gzip" // the server, asked for gzip: compressible workloads only
	variantExec   = "server-exec" // the server with default_query_exec_mode=exec
	variantReplay = "replay"      // floor (a)
	variantBest   = "best-sql"    // floor (b)
)

var variants = []string{variantServer, variantGzip, variantExec, variantReplay, variantBest}

// serverVariants are the variants that send GraphQL requests to a server.
var serverVariants = []string{variantServer, variantGzip, variantExec}

func isServerVariant(v string) bool { return slices.Contains(serverVariants, v) }

// The server processes: one per DATABASE_URL setting.
const (
	modeDefault = "default" // DATABASE_URL as it comes
	modeExec    = "exec"    // DATABASE_URL with default_query_exec_mode=exec
)

// modeOf says which server a server variant talks to.
func modeOf(variant string) string {
	if variant == variantExec {
		return modeExec
	}
	return modeDefault
}

// bench is one run's environment: the database, the server and what the cells share.
type bench struct {
	opt       *options
	data      dataset
	pg        *pgserver.Server
	url       string
	servers   map[string]*serverProc // by mode
	token     string
	captured  map[string][]transaction
	counts    []countResult     // the counting pass
	floor     database.Counters // what floors (a) and (b) send
	pprof     map[string]string // each server's pprof address, when profiling
	pgVersion string
	// How to start the servers again: each workload of each rep gets fresh ones, so that
	// its peak RSS is its own, not what an earlier workload left behind.
	serverBin, serverLog string
	serverEnv            map[string][]string
	loops                uint64 // closed loops run so far
}

// requestNumbers returns the first request number of the next closed loop: each gets a range
// of its own (the counting pass's numbers lie below them), so that the variants of a cell,
// which share its seed and so its targets, never write what another already wrote.
func (b *bench) requestNumbers() uint64 {
	b.loops++
	return b.loops << 32
}

// modes returns the servers the run needs: the default one always (the counting pass uses
// it), the exec one when its variant runs.
func (b *bench) modes() []string {
	if slices.Contains(b.opt.variants, variantExec) {
		return []string{modeDefault, modeExec}
	}
	return []string{modeDefault}
}

// startServers starts a server for each mode, stopping those running.
func (b *bench) startServers(ctx context.Context) error {
	b.stopServers()
	for _, m := range b.modes() {
		s, err := startServer(ctx, b.serverBin, b.serverEnv[m], b.serverLog)
		if err != nil {
			return fmt.Errorf("%s server: %w", m, err)
		}
		b.servers[m] = s
	}
	return nil
}

func (b *bench) stopServers() {
	for m, s := range b.servers {
		s.stop()
		delete(b.servers, m)
	}
}

func run(ctx context.Context, opt *options) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "paygql-bench-")
	if err != nil {
		return err
	}
	if opt.keep {
		fmt.Fprintln(os.Stderr, "bench: keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	// The cluster runs as the postgres user when we are root: it must reach its directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	var previous *report
	if opt.comparePath != "" {
		// Read first: a bad file should not cost a whole run.
		if previous, err = readReport(opt.comparePath); err != nil {
			return err
		}
	}
	b := &bench{opt: opt, data: fullDataset, servers: map[string]*serverProc{}, pprof: map[string]string{}, serverEnv: map[string][]string{}}
	if opt.smoke {
		b.data = dataset{Configs: fullDataset.Configs / 10, Gateways: fullDataset.Gateways / 10,
			Customers: fullDataset.Customers, Dealers: fullDataset.Dealers / 10, Orders: fullDataset.Orders / 10}
	}
	started := time.Now()
	progress("starting PostgreSQL (fsync off) and building the server")
	build := make(chan error, 1)
	var bin string
	go func() {
		tags := ""
		if opt.profileDir != "" {
			tags = "benchpprof"
		}
		var err error
		bin, err = buildServer(ctx, root, dir, tags)
		build <- err
	}()
	b.pg, err = pgserver.Start(ctx, pgserver.Options{DataDir: filepath.Join(dir, "pg"), Ephemeral: true})
	if err != nil {
		<-build
		return err
	}
	defer func() {
		_ = b.pg.Stop()
		if !opt.keep {
			_ = pgserver.Remove(filepath.Join(dir, "pg"))
		}
	}()
	if b.pgVersion, err = createDatabase(ctx, b.pg.URL("postgres"), "bench"); err != nil {
		<-build
		return err
	}
	b.url = b.pg.URL("bench")
	key := secrets.NewKey()
	box, err := newBox(key)
	if err != nil {
		<-build
		return err
	}
	secret := randomHex(32)
	progress("loading %d connector configurations, %d gateways, %d sub-dealers, %d orders",
		b.data.Configs, b.data.Gateways, b.data.Dealers, b.data.Orders)
	if err := b.loadData(ctx, box); err != nil {
		<-build
		return err
	}
	if err := <-build; err != nil {
		return err
	}
	for _, m := range b.modes() {
		url := b.url
		if m == modeExec {
			url += "&default_query_exec_mode=exec"
		}
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DATABASE_URL=" + url,
			"AUTH_HS256_SECRET=" + secret, "SECRETS_KEY=" + key, "DATA_DIR=" + filepath.Join(dir, "data-"+m), "LOG_LEVEL=info"}
		env = append(env, opt.serverEnv...)
		if opt.profileDir != "" {
			port, err := freePort()
			if err != nil {
				return err
			}
			b.pprof[m] = fmt.Sprintf("127.0.0.1:%d", port)
			env = append(env, "PAYGQL_PPROF_ADDR="+b.pprof[m])
		}
		b.serverEnv[m] = env
	}
	if opt.profileDir != "" {
		if err := os.MkdirAll(opt.profileDir, 0o755); err != nil {
			return err
		}
	}
	b.serverBin, b.serverLog = bin, filepath.Join(dir, "server.log")
	if err := b.startServers(ctx); err != nil {
		return err
	}
	defer b.stopServers()
	if b.token, err = auth.MintHS256([]byte(secret), auth.Claims{Subject: "bench", Roles: []string{auth.RoleAdmin}, TTL: 24 * time.Hour}); err != nil {
		return err
	}
	perWorkload := 1000
	if opt.smoke {
		perWorkload = 100
	}
	progress("capturing the server's SQL (a pgx tracer on its handler's pool, in this process)")
	if b.captured, err = capture(ctx, b.url, box, []byte(secret), b.data, perWorkload); err != nil {
		return err
	}
	progress("counting the statements and round trips of each workload (sequential requests)")
	if b.counts, err = b.countPass(ctx); err != nil {
		return err
	}
	results, err := b.cells(ctx)
	if err != nil {
		return err
	}
	rep := newReport(b, results, time.Since(started))
	if err := rep.write(os.Stdout); err != nil {
		return err
	}
	if previous != nil {
		fmt.Printf("\nchange since %s (%s):\n", opt.comparePath, previous.Started.Format(time.DateTime))
		if err := compare(os.Stdout, previous, rep); err != nil {
			return err
		}
	}
	if err := rep.writeJSON(opt.jsonPath); err != nil {
		return err
	}
	if err := rep.writeChart(opt.pngPath); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s and %s\n", opt.jsonPath, opt.pngPath)
	guardErr := checkCounts(os.Stdout, expected, b.counts)
	if n := rep.failures(); n > 0 {
		return errors.Join(fmt.Errorf("%d requests failed", n), guardErr)
	}
	return guardErr
}

func (b *bench) loadData(ctx context.Context, box *secrets.Box) error {
	db, err := database.Open(ctx, b.url)
	if err != nil {
		return err
	}
	_, err = database.Migrate(ctx, db)
	db.Close()
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, b.url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return b.data.load(ctx, conn, box)
}

// cells runs every cell, reps outermost, so that each rep measures every workload, variant and
// concurrency close together in time.
func (b *bench) cells(ctx context.Context) ([]cellResult, error) {
	total := 0
	for _, w := range b.opt.workloads {
		total += b.opt.reps * len(b.opt.concurrency) * len(w.variants(b.opt.variants))
	}
	var out []cellResult
	start := time.Now()
	for rep := range b.opt.reps {
		for _, w := range b.opt.workloads {
			// Fresh servers (the counting pass used the first ones).
			if err := b.startServers(ctx); err != nil {
				return nil, err
			}
			for _, c := range b.opt.concurrency {
				for _, v := range w.variants(b.opt.variants) {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					r, err := b.cell(ctx, w, v, c, rep)
					if err != nil {
						return nil, fmt.Errorf("%s c%d %s: %w", w.Name, c, v, err)
					}
					out = append(out, r)
					done := len(out)
					eta := time.Duration(float64(time.Since(start)) / float64(done) * float64(total-done)).Round(time.Second)
					progress("[%3d/%d] rep %d/%d  %-29s c%-3d %-8s %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  %d failed  eta %s",
						done, total, rep+1, b.opt.reps, w.Name, c, v, r.ReqPerSec, r.P50Ms, r.P99Ms, r.Failures, eta)
				}
			}
		}
	}
	return out, nil
}

// cellResult is one cell's measurement. CPU and counts are per request.
type cellResult struct {
	Workload       string  `json:"workload"`
	Variant        string  `json:"variant"`
	Concurrency    int     `json:"concurrency"`
	Rep            int     `json:"rep"`
	Requests       int     `json:"requests"`
	Failures       int     `json:"failures"`
	FirstFailure   string  `json:"firstFailure,omitempty"`
	Seconds        float64 `json:"seconds"`
	ReqPerSec      float64 `json:"reqPerSec"`
	P50Ms          float64 `json:"p50Ms"`
	P99Ms          float64 `json:"p99Ms"`
	ServerCPUUs    float64 `json:"serverCpuUsPerReq,omitempty"`
	PostgresCPUUs  float64 `json:"postgresCpuUsPerReq"`
	ClientCPUUs    float64 `json:"loadGeneratorCpuUsPerReq"`
	Statements     float64 `json:"statementsPerReq"`
	RoundTrips     float64 `json:"roundTripsPerReq"`
	ServerPeakRSSB int64   `json:"serverPeakRssBytes,omitempty"`
	// WireBytes and BodyBytes are a server variant's answer per request as sent (compressed
	// or not) and as read.
	WireBytes float64 `json:"wireBytesPerReq,omitempty"`
	BodyBytes float64 `json:"bodyBytesPerReq,omitempty"`
}

func (b *bench) cell(ctx context.Context, w *workload, variant string, c, rep int) (cellResult, error) {
	var sizes answerSizes
	workers, closeAll, err := b.workers(ctx, w, variant, c, &sizes)
	if err != nil {
		return cellResult{}, err
	}
	defer closeAll()
	seed := uint64(rep)<<32 | uint64(c)
	closedLoop(ctx, workers, b.opt.warmup, seed^0xfeed, b.requestNumbers()) // connections, caches, plans
	sizes.wire.Store(0)
	sizes.body.Store(0)
	server := b.servers[modeOf(variant)]
	serverPID, pgPID, self := server.pid(), b.pg.PID(), os.Getpid()
	stmts0, rts0, err := b.sent(variant)
	if err != nil {
		return cellResult{}, err
	}
	proc.ResetPeakRSS(serverPID)
	srv0, pg0, self0 := proc.CPUTime(serverPID), proc.TreeCPUTime(pgPID), proc.CPUTime(self)
	profiled := b.startProfile(w, variant, c, rep)
	res := closedLoop(ctx, workers, b.opt.duration, seed, b.requestNumbers())
	srv1, pg1, self1 := proc.CPUTime(serverPID), proc.TreeCPUTime(pgPID), proc.CPUTime(self)
	if err := profiled(); err != nil {
		return cellResult{}, err
	}
	stmts1, rts1, err := b.sent(variant)
	if err != nil {
		return cellResult{}, err
	}
	n := float64(max(res.Requests, 1))
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
	r := cellResult{
		Workload: w.Name, Variant: variant, Concurrency: c, Rep: rep,
		Requests: res.Requests, Failures: res.Failures, FirstFailure: res.FirstFail,
		Seconds:       res.Elapsed.Seconds(),
		ReqPerSec:     float64(res.Requests-res.Failures) / res.Elapsed.Seconds(),
		P50Ms:         ms(res.percentile(0.50)),
		P99Ms:         ms(res.percentile(0.99)),
		PostgresCPUUs: us(pg1 - pg0),
		ClientCPUUs:   us(self1 - self0),
		Statements:    (stmts1 - stmts0) / n,
		RoundTrips:    (rts1 - rts0) / n,
	}
	if isServerVariant(variant) {
		r.ServerCPUUs = us(srv1 - srv0)
		r.ServerPeakRSSB = proc.PeakRSS(serverPID)
		r.WireBytes, r.BodyBytes = float64(sizes.wire.Load())/n, float64(sizes.body.Load())/n
	}
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sent returns the statements and round trips sent so far by whoever runs variant.
func (b *bench) sent(variant string) (statements, roundTrips float64, err error) {
	if isServerVariant(variant) {
		return b.servers[modeOf(variant)].counters()
	}
	return float64(b.floor.Statements.Load()), float64(b.floor.RoundTrips.Load()), nil
}

// workers returns c workers for variant, each with its own connection.
func (b *bench) workers(ctx context.Context, w *workload, variant string, c int, sizes *answerSizes) ([]doer, func(), error) {
	var workers []doer
	var closers []func()
	closeAll := func() {
		for _, f := range closers {
			f()
		}
	}
	switch variant {
	case variantServer, variantGzip, variantExec:
		url := b.servers[modeOf(variant)].url + "/query"
		for range c {
			do, closeConn := httpDoer(url, b.token, w, b.data, variant == variantGzip, sizes)
			workers, closers = append(workers, do), append(closers, closeConn)
		}
	default:
		for range c {
			conn, err := b.connect(ctx, variant)
			if err != nil {
				closeAll()
				return nil, nil, err
			}
			closers = append(closers, func() { conn.Close(context.Background()) })
			if variant == variantReplay {
				workers = append(workers, replayDoer(conn, b.captured[w.Name]))
			} else {
				workers = append(workers, bestDoer(conn, w, b.data))
			}
		}
	}
	return workers, closeAll, nil
}

// connect opens a floor's connection with the session settings of the server's pool. The
// replay sends a statement without arguments alone with the simple protocol, as the server
// does (replayOne), and the statements of one round trip in a batch.
func (b *bench) connect(ctx context.Context, variant string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(b.url)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(database.StatementTimeout.Milliseconds())
	b.floor.Instrument(cfg, nil)
	return pgx.ConnectConfig(ctx, cfg)
}

// startProfile takes CPU and allocation profiles of the server during the first rep's
// server cells at the highest concurrency, when asked to; the returned function waits for
// them. The files are <workload>[-gzip|-exec]-cpu.pprof and …-allocs.pprof.
func (b *bench) startProfile(w *workload, variant string, c, rep int) func() error {
	addr := b.pprof[modeOf(variant)]
	if addr == "" || !isServerVariant(variant) || rep != 0 || c != b.opt.concurrency[len(b.opt.concurrency)-1] {
		return func() error { return nil }
	}
	name := w.Name + strings.TrimPrefix(variant, variantServer)
	secs := max(1, int(b.opt.duration.Seconds()))
	errs := make(chan error, 2)
	for _, p := range []string{"profile", "allocs"} {
		go func() {
			url := fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", addr, p, secs)
			res, err := http.Get(url)
			if err != nil {
				errs <- err
				return
			}
			defer res.Body.Close()
			f, err := os.Create(filepath.Join(b.opt.profileDir, fmt.Sprintf("%s-%s.pprof", name, map[string]string{"profile": "cpu", "allocs": "allocs"}[p])))
			if err != nil {
				errs <- err
				return
			}
			_, err = io.Copy(f, res.Body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			errs <- err
		}()
	}
	return func() error {
		for range 2 {
			if err := <-errs; err != nil {
				return fmt.Errorf("profile: %w", err)
			}
		}
		return nil
	}
}

// createDatabase creates database name and returns the server's version.
func createDatabase(ctx context.Context, adminURL, name string) (version string, err error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return "", err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return version, err
}

func newBox(key string) (*secrets.Box, error) {
	k, err := secrets.ParseKey(key)
	if err != nil {
		return nil, err
	}
	return secrets.NewBox(k)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// repoRoot finds the module root from the working directory, for building the server.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/payplat/paygql\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run the benchmark inside the repository (go run ./bench)")
		}
		dir = parent
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// machine describes where the run happened.
func machine(pgVersion string) map[string]any {
	host, _ := os.Hostname()
	return map[string]any{"cpus": runtime.NumCPU(), "go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH,
		"host": host, "postgres": pgVersion}
}

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
