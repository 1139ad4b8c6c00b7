package pgserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// childDirEnv, when set, turns TestNoOrphanOnKill into the child half of
// the test: start a server on that directory, report its pid, and wait to
// be killed.
const childDirEnv = "PGSERVER_TEST_CHILD_DATADIR"

// testDataDir returns a data directory path inside a fresh temporary
// directory that the server user can reach: t.TempDir makes 0700
// directories, which a root test process would otherwise keep the postgres
// user out of.
func testDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dataDir := filepath.Join(dir, "pg")
	// Start keeps the cluster elsewhere when TMPDIR is out of the server
	// user's reach; t.TempDir does not clean there.
	t.Cleanup(func() { Remove(dataDir) })
	return dataDir
}

func startTest(t *testing.T, dataDir string) *Server {
	t.Helper()
	t.Cleanup(func() { Remove(dataDir) }) // runs after Stop below
	begin := time.Now()
	s, err := Start(context.Background(), Options{DataDir: dataDir, Ephemeral: true, Logf: t.Logf})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %s", time.Since(begin).Round(time.Millisecond))
	t.Cleanup(func() { s.Stop() })
	return s
}

func query(t *testing.T, s *Server, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var out string
	if err := conn.QueryRow(ctx, sql).Scan(&out); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func execSQL(t *testing.T, s *Server, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestStartStopReuse(t *testing.T) {
	t.Parallel()
	dataDir := testDataDir(t)
	s := startTest(t, dataDir)
	if got := query(t, s, "SELECT current_user::text"); got != "postgres" {
		t.Errorf("current_user = %q, want postgres", got)
	}
	if got := query(t, s, "SHOW fsync"); got != "off" {
		t.Errorf("fsync = %q, want off for an ephemeral server", got)
	}
	execSQL(t, s, "CREATE TABLE kept (x int)")
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after Stop: %v, want not exist", err)
	}

	s2 := startTest(t, dataDir)
	if got := query(t, s2, "SELECT to_regclass('kept')::text"); got != "kept" {
		t.Errorf("table from first run: %q, want kept", got)
	}
}

// TestStartFailureShowsLog checks that a server that cannot start is
// reported with the reason from its log.
func TestStartFailureShowsLog(t *testing.T) {
	t.Parallel()
	dataDir := testDataDir(t)
	s := startTest(t, dataDir)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dataDir, "postgresql.auto.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "shared_buffers = 'plenty'")
	f.Close()

	_, err = Start(context.Background(), Options{DataDir: dataDir, Ephemeral: true})
	if err == nil || !strings.Contains(err.Error(), "shared_buffers") {
		t.Fatalf("Start error = %v, want one quoting the log about shared_buffers", err)
	}
	t.Logf("Start error, as expected:\n%v", err)
}

// TestPortInUse checks that a taken port is recognised, which is what makes
// Start retry when it picked the port itself.
func TestPortInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), Options{DataDir: testDataDir(t), Port: port, Ephemeral: true})
	if !errors.Is(err, errPortInUse) {
		t.Fatalf("Start on a taken port: %v, want errPortInUse", err)
	}
}

// TestLongSocketPath checks the fallback for data directories too deep
// for a unix socket path.
func TestLongSocketPath(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(testDataDir(t), strings.Repeat("d", 100))
	s := startTest(t, dataDir)
	// Root with a TMPDIR the postgres user cannot reach has Start place the
	// cluster in a short path of its own, which needs no fallback.
	wantTemp := len(s.dataDir)+len("/.s.PGSQL.65535") > maxSocketPath
	if wantTemp && (!s.ownSocket || !strings.HasPrefix(s.socketDir, "/tmp/")) {
		t.Errorf("socket dir %s for a %d-byte data dir path, want a temporary one", s.socketDir, len(dataDir))
	}
	if _, err := os.Stat(filepath.Join(s.socketDir, ".s.PGSQL."+strconv.Itoa(s.Port()))); err != nil {
		t.Errorf("socket: %v", err)
	}
	query(t, s, "SELECT 'ok'")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.socketDir); wantTemp && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket dir after Stop: %v, want removed", err)
	}
}

func TestStaleLockFiles(t *testing.T) {
	t.Parallel()
	dataDir := testDataDir(t)
	s := startTest(t, dataDir)
	// A backend busy computing does not notice its postmaster's death
	// until it finishes, and holds the shared memory until then.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	go conn.Exec(ctx, "SELECT count(*) FROM generate_series(1, 5000000)")
	time.Sleep(100 * time.Millisecond)

	// Kill the postmaster without letting it clean up, as an OOM kill
	// would.
	if err := s.proc.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done

	// Point the lock files at a live process that is not postgres, as
	// happens when the pid is reused after a restart. It runs as the
	// server user since postgres ignores processes it may not signal.
	cred, err := serverUser(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "60")
	sleeper.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	for _, name := range []string{"postmaster.pid", ".s.PGSQL." + strconv.Itoa(s.Port()) + ".lock"} {
		path := filepath.Join(dataDir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s should survive SIGKILL: %v", name, err)
		}
		_, rest, _ := strings.Cut(string(data), "\n")
		if err := os.WriteFile(path, []byte(strconv.Itoa(sleeper.Process.Pid)+"\n"+rest), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// Same port, so the socket lock file is in the way too.
	begin := time.Now()
	s2, err := Start(ctx, Options{DataDir: dataDir, Port: s.Port(), Ephemeral: true, Logf: t.Logf})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s2.Stop()
	t.Logf("restart took %s", time.Since(begin).Round(time.Millisecond))
	query(t, s2, "SELECT 'ok'")
}

func TestNoOrphanOnKill(t *testing.T) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		s, err := Start(context.Background(), Options{DataDir: dir, Ephemeral: true})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("postmaster-pid=%d\n", s.proc.Pid)
		time.Sleep(2 * time.Minute) // the parent kills us long before this
		os.Exit(1)
	}

	dataDir := testDataDir(t)
	child := exec.Command(os.Args[0], "-test.run=^TestNoOrphanOnKill$")
	child.Env = append(os.Environ(), childDirEnv+"="+dataDir)
	child.Stderr = os.Stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()

	pid := 0
	lines := bufio.NewScanner(stdout)
	for pid == 0 && lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "postmaster-pid="); ok {
			pid, _ = strconv.Atoi(v)
		} else {
			t.Logf("child: %s", lines.Text())
		}
	}
	if pid == 0 {
		t.Fatalf("child did not report a postmaster pid")
	}
	if !alive(pid) {
		t.Fatalf("postmaster %d not running while the child lives", pid)
	}
	t.Cleanup(func() {
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGINT) // do not leave an orphan behind a failure
		}
	})

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed := time.Now()
	for alive(pid) {
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("postmaster %d still running 10s after its parent was SIGKILLed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("postmaster %d gone %s after its parent was SIGKILLed", pid, time.Since(killed).Round(time.Millisecond))

	// A fast shutdown, not a crash, removes the lock file.
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after parent death: %v, want not exist (clean shutdown)", err)
	}
	log, _ := os.ReadFile(dataDir + ".log")
	if !strings.Contains(string(log), "fast shutdown request") {
		t.Errorf("server log shows no fast shutdown:\n%s", tail(log, 10))
	}
	s := startTest(t, dataDir)
	query(t, s, "SELECT 'ok'")
}

// init pins the main goroutine to the main thread. Go parks rather than
// ends the main thread when a goroutine locked to it returns, so without
// this TestSurvivesCallerThreadExit could land on the main thread and
// prove nothing.
func init() { runtime.LockOSThread() }

// TestSurvivesCallerThreadExit checks that the server is not tied to the
// OS thread of Start's caller: the parent-death signal fires when the
// creating thread exits, and Go ends a thread whose goroutine returns while
// locked to it.
func TestSurvivesCallerThreadExit(t *testing.T) {
	t.Parallel()
	dataDir := testDataDir(t)
	type result struct {
		s   *Server
		err error
	}
	res := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with us
		s, err := Start(context.Background(), Options{DataDir: dataDir, Ephemeral: true})
		res <- result{s, err}
	}()
	r := <-res
	if r.err != nil {
		t.Fatalf("Start: %v", r.err)
	}
	t.Cleanup(func() { r.s.Stop() })
	time.Sleep(300 * time.Millisecond) // give a wrongly armed death signal time to land
	select {
	case <-r.s.done:
		t.Fatalf("postgres exited after the thread that called Start ended: %v", r.s.waitErr)
	default:
	}
	query(t, r.s, "SELECT 'ok'")
}

// alive reports whether pid is a running process; a zombie left for a
// non-reaping init counts as gone.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

func TestURL(t *testing.T) {
	s := &Server{port: 5433}
	want := "postgres://postgres@127.0.0.1:5433/app?sslmode=disable"
	if got := s.URL("app"); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

func TestFindBinDir(t *testing.T) {
	t.Setenv("PG_BIN_DIR", t.TempDir())
	if _, err := FindBinDir(); err == nil {
		t.Error("FindBinDir accepted a PG_BIN_DIR without postgres")
	}
	t.Setenv("PG_BIN_DIR", "")
	dir, err := FindBinDir()
	if err != nil {
		t.Skipf("no PostgreSQL here: %v", err)
	}
	if !isBinDir(dir) {
		t.Errorf("FindBinDir = %s, which lacks postgres or initdb", dir)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		sign int
	}{
		{"15", "9.6", 1},
		{"9.6", "15", -1},
		{"16", "16", 0},
		{"9.6", "9.5", 1},
	} {
		got := compareVersions(c.a, c.b)
		if (got > 0) != (c.sign > 0) || (got < 0) != (c.sign < 0) {
			t.Errorf("compareVersions(%q, %q) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
}
