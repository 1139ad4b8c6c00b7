package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverProc is the API server under test: the repository's own binary, run as a child
// process so that its CPU time and memory can be read apart from the load generator's.
type serverProc struct {
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:port
	logs string
}

// buildServer builds the server from the repository at root into dir.
func buildServer(ctx context.Context, root, dir string, tags string) (string, error) {
	bin := filepath.Join(dir, "paygql")
	args := []string{"build", "-o", bin}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// startServer runs bin with env on a free port of 127.0.0.1 and waits until /readyz answers.
// Its log goes to logPath. The child gets SIGTERM if the benchmark dies.
func startServer(ctx context.Context, bin string, env []string, logPath string) (*serverProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve")
	// The change feed polls instead of LISTENing, so that the SQL counted per request is the
	// request's own: with LISTEN each commit also wakes one indexed read of the audit log per
	// instance (coalesced under load). -env EVENTS_LISTEN_URL=… measures it.
	cmd.Env = append(append([]string{"EVENTS_LISTEN_URL=none"}, env...), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	s := &serverProc{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), logs: logPath}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	tail, _ := os.ReadFile(logPath)
	return nil, fmt.Errorf("server did not become ready:\n%s", lastLines(string(tail), 20))
}

func (s *serverProc) pid() int { return s.cmd.Process.Pid }

// stop ends the server gracefully, or kills it after 20 seconds.
func (s *serverProc) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// counters reads the server's own counters of what it sent to PostgreSQL and of the GraphQL
// requests it served, from /metrics.
func (s *serverProc) counters() (statements, roundTrips float64, err error) {
	res, err := http.Get(s.url + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(res.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "paygql_db_statements_total":
			statements, _ = strconv.ParseFloat(value, 64)
		case "paygql_db_round_trips_total":
			roundTrips, _ = strconv.ParseFloat(value, 64)
		}
	}
	return statements, roundTrips, sc.Err()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
