package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The server binary, built once per test binary by serverBinary and removed by TestMain.
var (
	buildOnce sync.Once
	binDir    string
	binErr    error
)

// withBinaryRemoved runs the tests, then removes the server binary.
type withBinaryRemoved struct{ *testing.M }

func (m withBinaryRemoved) Run() int {
	defer func() {
		if binDir != "" {
			os.RemoveAll(binDir)
		}
	}()
	return m.M.Run()
}

// serverBinary builds this command with `go build` and returns the binary's path.
func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "paygql-bin-"); binErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		out, err := exec.Command(goTool, "build", "-o", filepath.Join(binDir, "paygql"), ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "paygql")
}

// configVars are the variables the server reads; an instance gets only those its test sets.
var configVars = []string{"PORT", "HOST", "DATA_DIR", "DATABASE_URL", "APP_ENV", "AUTH_HS256_SECRET", "AUTH_JWKS_URL",
	"AUTH_ISSUER", "AUTH_AUDIENCE", "SECRETS_KEY", "SMTP_URL", "CORS_ALLOWED_ORIGINS", "LOG_LEVEL", "PLAYGROUND", "INTROSPECTION",
	"EVENTS_LISTEN_URL", "EVENTS_POLL_INTERVAL", "SUBSCRIPTION_MAX_CONNECTIONS", "SUBSCRIPTION_MAX_PER_SUBJECT"}

// instance is a server process started by a test.
type instance struct {
	name    string
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	addr    string // 127.0.0.1:PORT
	dataDir string
	stdout  *syncBuffer
	stderr  *syncBuffer
	done    chan struct{} // closed when the process has exited
	exitErr error         // how it exited; read after done
}

// syncBuffer is a bytes.Buffer for a process's output, read while it is written.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startInstance starts the server binary with env (PORT and DATA_DIR are set unless given)
// and waits until /readyz answers 200. The process is killed at test end if still running,
// and its log is shown when the test failed.
func startInstance(t *testing.T, name string, env map[string]string) *instance {
	t.Helper()
	in := &instance{name: name, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	if env["PORT"] == "" {
		env["PORT"] = freePort(t)
	}
	if env["DATA_DIR"] == "" {
		env["DATA_DIR"] = reachableDir(t)
	}
	in.addr = "127.0.0.1:" + env["PORT"]
	in.base = "http://" + in.addr
	in.dataDir = env["DATA_DIR"]
	in.cmd = exec.Command(serverBinary(t))
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !isConfigVar(name) {
			in.cmd.Env = append(in.cmd.Env, kv)
		}
	}
	for k, v := range env {
		in.cmd.Env = append(in.cmd.Env, k+"="+v)
	}
	in.cmd.Stdout, in.cmd.Stderr = in.stdout, in.stderr
	// Should this test binary die, the server goes with it (and takes its private
	// PostgreSQL along).
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		in.exitErr = in.cmd.Wait()
		close(in.done)
	}()
	t.Cleanup(func() {
		select {
		case <-in.done:
		default:
			_ = in.cmd.Process.Kill()
			<-in.done
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", in.name, tail(in.stderr.String(), 40))
		}
	})
	for deadline := time.Now().Add(90 * time.Second); getStatus(in.base+"/readyz") != http.StatusOK; time.Sleep(50 * time.Millisecond) {
		select {
		case <-in.done:
			t.Fatalf("%s exited during start-up: %v\n%s", name, in.exitErr, tail(in.stderr.String(), 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready\n%s", name, tail(in.stderr.String(), 40))
		}
	}
	return in
}

func isConfigVar(name string) bool {
	for _, v := range configVars {
		if v == name {
			return true
		}
	}
	return false
}

// terminate sends SIGTERM.
func (in *instance) terminate(t *testing.T) {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// wait waits at most d for the process to exit and returns its exit code (-1 when it did not
// exit in time, or was killed by a signal).
func (in *instance) wait(d time.Duration) int {
	select {
	case <-in.done:
	case <-time.After(d):
		return -1
	}
	var exitErr *exec.ExitError
	switch {
	case in.exitErr == nil:
		return 0
	case errors.As(in.exitErr, &exitErr):
		return exitErr.ExitCode()
	}
	return -1
}

// logCount counts the JSON log lines whose msg is msg.
func (in *instance) logCount(msg string) int {
	return strings.Count(in.stderr.String(), `"msg":"`+msg+`"`)
}

// freePort returns a TCP port that was free a moment ago.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
