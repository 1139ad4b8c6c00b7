// Package pgserver runs a private PostgreSQL server from the machine's own
// binaries, for development mode and for tests.
//
// The server runs as a child process that is shut down when the creating
// process dies, even through SIGKILL, so it never outlives its owner. When
// the caller is root the server runs as the "postgres" OS user, because
// PostgreSQL refuses to run as root.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
	// shmemWait bounds the wait for a killed predecessor's processes.
	shmemWait = 10 * time.Second
	// maxSocketPath is the longest unix socket path Linux accepts
	// (sun_path is 108 bytes including the terminating NUL).
	maxSocketPath = 107
)

// Start failures worth another try.
var (
	// errPortInUse: the TCP port was taken between choosing it and the
	// server binding it.
	errPortInUse = errors.New("port in use")
	// errShmemInUse: processes of a killed predecessor still hold its
	// shared memory.
	errShmemInUse = errors.New("old shared memory still in use")
)

// Options configures Start.
type Options struct {
	// DataDir is the cluster directory. Start runs initdb when it holds no
	// PG_VERSION file, and otherwise serves the existing cluster.
	DataDir string
	// BinDir holds postgres and initdb; empty means FindBinDir.
	BinDir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Ephemeral trades durability for speed (no fsync, no full page
	// writes, asynchronous commit). Use it only for throw-away clusters:
	// a crash can corrupt the data.
	Ephemeral bool
	// StateRoot is where the cluster goes when the server user cannot
	// reach DataDir (see placeCluster); empty means DefaultStateRoot.
	StateRoot string
	// Logf, if set, receives progress messages.
	Logf func(format string, args ...any)
}

// Server is a running private PostgreSQL server.
type Server struct {
	dataDir   string
	socketDir string
	ownSocket bool // socketDir is a temporary directory for Stop to remove
	logPath   string
	port      int

	proc    *os.Process
	done    chan struct{} // closed once the server process has exited
	waitErr error         // the exit status; read only after done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts a PostgreSQL server on opt.DataDir, creating the cluster
// first if needed, and returns once the server accepts connections. ctx
// bounds cluster creation and that wait, not the server's life: call Stop
// to end it (if our process dies first, the server shuts down by itself).
//
// The server log is appended to DataDir's path plus ".log". The unix socket
// sits in the data directory, or in a short directory under /tmp when that
// path would be too long for a socket.
//
// When we are root and the server user cannot reach DataDir, the cluster
// is kept under StateRoot and DataDir links to it; see placeCluster.
func Start(ctx context.Context, opt Options) (*Server, error) {
	if opt.DataDir == "" {
		return nil, errors.New("pgserver: Options.DataDir is empty")
	}
	linkDir, err := filepath.Abs(opt.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	if opt.StateRoot == "" {
		opt.StateRoot = DefaultStateRoot
	}

	cred, err := serverUser(linkDir)
	if err != nil {
		return nil, err
	}
	dataDir, err := placeCluster(linkDir, cred, opt.StateRoot, opt.Logf)
	if err != nil {
		return nil, err
	}
	major := clusterVersion(dataDir)
	binDir := opt.BinDir
	if binDir == "" {
		if binDir, err = findBinDir(major); err != nil {
			return nil, err
		}
	}
	if major == "" {
		opt.Logf("pgserver: creating cluster in %s", dataDir)
		if err := createCluster(ctx, binDir, dataDir, cred, opt.Ephemeral); err != nil {
			return nil, err
		}
	}
	socketDir, ownSocket, err := makeSocketDir(dataDir, cred)
	if err != nil {
		return nil, err
	}
	if err := removeStaleLocks(dataDir, socketDir); err != nil {
		if ownSocket {
			os.RemoveAll(socketDir)
		}
		return nil, err
	}

	s, err := launch(ctx, opt, binDir, dataDir, socketDir, linkDir+".log", cred)
	if err != nil {
		if ownSocket {
			os.RemoveAll(socketDir)
		}
		return nil, err
	}
	s.ownSocket = ownSocket
	opt.Logf("pgserver: postgres listening on 127.0.0.1:%d (data %s, log %s)", s.port, dataDir, s.logPath)
	return s, nil
}

// launch starts the server, retrying the start failures that resolve
// themselves.
func launch(ctx context.Context, opt Options, binDir, dataDir, socketDir, logPath string, cred *syscall.Credential) (*Server, error) {
	shmemDeadline := time.Now().Add(shmemWait)
	waited := false
	for portTries := 1; ; {
		port := opt.Port
		if port == 0 {
			var err error
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		s := &Server{
			dataDir:   dataDir,
			socketDir: socketDir,
			logPath:   logPath,
			port:      port,
			done:      make(chan struct{}),
		}
		err := s.start(ctx, binDir, cred, opt.Ephemeral)
		switch {
		case err == nil:
			return s, nil
		case errors.Is(err, errPortInUse) && opt.Port == 0 && portTries < 3:
			// A port picked for us can be taken by someone else before the
			// server binds it; parallel test binaries make that plausible.
			opt.Logf("pgserver: port %d was taken, retrying", port)
			portTries++
		case errors.Is(err, errShmemInUse) && time.Now().Before(shmemDeadline):
			// The children of a postmaster that was killed hold its shared
			// memory until they notice, which takes them a moment.
			if !waited {
				opt.Logf("pgserver: waiting for the processes of a killed server to exit")
				waited = true
			}
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(200 * time.Millisecond):
			}
		default:
			return nil, err
		}
	}
}

// URL returns a connection URL for database dbname, as user postgres over
// TCP on 127.0.0.1. The cluster uses trust authentication, so no password.
func (s *Server) URL(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (s *Server) Port() int {
	return s.port
}

// Stop shuts the server down with a fast shutdown (active sessions are
// rolled back) and waits for it to exit. It is safe to call more than once.
//
// A fast shutdown ends the sessions one by one: a transaction waiting for a
// lock held by another session may still commit, if the holder is ended
// first. Crash leaves no such window.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(syscall.SIGINT) })
	return s.stopErr
}

// Crash stops the server as a crash would, with an immediate shutdown: every
// session ends at once, without releasing its locks or committing anything
// on the way out, and the next Start runs crash recovery. It waits for the
// server to exit; after it, Stop does nothing.
func (s *Server) Crash() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(syscall.SIGQUIT) })
	return s.stopErr
}

// stop sends postgres sig (SIGINT: fast shutdown, SIGQUIT: immediate) and
// waits for it to exit.
func (s *Server) stop(sig syscall.Signal) error {
	if s.ownSocket {
		defer os.RemoveAll(s.socketDir)
	}
	select {
	case <-s.done:
		return fmt.Errorf("pgserver: postgres had already exited: %v", s.waitErr)
	default:
	}
	if err := s.proc.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgserver: signal postgres: %w", err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(stopTimeout):
		s.proc.Kill()
		<-s.done
		return fmt.Errorf("pgserver: postgres did not shut down within %s and was killed", stopTimeout)
	}
}

// start launches postgres and waits until it accepts connections.
func (s *Server) start(ctx context.Context, binDir string, cred *syscall.Credential, ephemeral bool) error {
	logFile, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgserver: open log: %w", err)
	}
	// The child gets its own copy of the descriptor; ours is not needed
	// once it has started.
	defer logFile.Close()
	logStart, err := logFile.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("pgserver: seek log: %w", err)
	}

	args := []string{
		"-D", s.dataDir,
		"-p", strconv.Itoa(s.port),
		"-k", s.socketDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=200",
	}
	if ephemeral {
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
		)
	}
	// Not tied to ctx: the server outlives Start.
	cmd := command(context.Background(), binDir, "postgres", cred, syscall.SIGINT, s.dataDir, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile

	started := make(chan error, 1)
	go s.run(cmd, started)
	if err := <-started; err != nil {
		return fmt.Errorf("pgserver: start postgres: %w%s", err, reachHint(s.dataDir, cred))
	}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		log := s.logSince(logStart)
		switch {
		case strings.Contains(log, "Address already in use"):
			err = fmt.Errorf("%w (%w)", err, errPortInUse)
		case strings.Contains(log, "pre-existing shared memory block"):
			err = fmt.Errorf("%w (%w)", err, errShmemInUse)
		}
		return fmt.Errorf("%w\nlast lines of %s:\n%s", err, s.logPath, log)
	}
	return nil
}

// run starts cmd and waits for it, holding its OS thread throughout: the
// parent-death signal fires when the creating thread exits, so the thread
// must live exactly as long as the server. The goroutine never unlocks, so
// Go retires the thread when the server has exited and run returns.
func (s *Server) run(cmd *exec.Cmd, started chan<- error) {
	runtime.LockOSThread()
	if err := cmd.Start(); err != nil {
		close(s.done)
		started <- err
		return
	}
	s.proc = cmd.Process
	started <- nil
	s.waitErr = cmd.Wait()
	close(s.done)
}

// waitReady polls until the server accepts a connection, exits, or
// readyTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		err := s.probe(ctx)
		if err == nil {
			return nil
		}
		// Checked apart from the wait below: select picks at random among
		// ready cases, and an exit must not be mistaken for "keep waiting".
		select {
		case <-s.done:
			return fmt.Errorf("pgserver: postgres exited during startup: %v", s.waitErr)
		default:
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("pgserver: postgres not ready: %w (last attempt: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// probe makes one connection attempt, given up when the server exits:
// something else listening on the port may accept and never answer.
func (s *Server) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// logSince returns the tail of what the server logged from offset on.
func (s *Server) logSince(offset int64) string {
	f, err := os.Open(s.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, offset, 1<<20))
	if err != nil {
		return err.Error()
	}
	return tail(b, 30)
}

// clusterVersion returns the major version recorded in dataDir/PG_VERSION,
// or "" if there is no cluster there yet.
func clusterVersion(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// makeSocketDir returns the directory for the server's unix socket: the
// data directory itself, which is private to the server user already, or a
// fresh short directory under /tmp when the socket path would be too long.
func makeSocketDir(dataDir string, cred *syscall.Credential) (dir string, temp bool, err error) {
	if len(dataDir)+len("/.s.PGSQL.65535") <= maxSocketPath {
		return dataDir, false, nil
	}
	dir, err = os.MkdirTemp("/tmp", "pgsock")
	if err != nil {
		return "", false, fmt.Errorf("pgserver: create socket dir: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.Remove(dir)
			return "", false, fmt.Errorf("pgserver: chown socket dir: %w", err)
		}
	}
	return dir, true, nil
}

// freePort asks the kernel for an unused TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgserver: find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
