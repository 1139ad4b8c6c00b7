// Package pgbouncer puts a real PgBouncer in front of a test database: the machine's
// pgbouncer binary (Debian's package, installed by internal/devenv/install-pgbouncer.sh) in
// transaction mode with every other setting at its default, as an operator deploys it.
//
// A test without the binary is skipped with a message saying how to install it, except in
// CI (CI set, as CI services set it: true, 1), where it fails.
package pgbouncer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// URL starts a PgBouncer in front of the server of dbURL (a postgres:// URL such as
// pgtest.URL returns) and returns dbURL with its host and port replaced by PgBouncer's; every
// database of that server is reachable through it. PgBouncer stops at test end, before the
// cleanups registered earlier run (pgtest's drop of the database, say).
func URL(t testing.TB, dbURL string) string {
	t.Helper()
	bin := binary()
	if bin == "" {
		const msg = "pgbouncer is not installed: run internal/devenv/install-pgbouncer.sh (as root)"
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal(msg + "; CI must run every test")
		}
		t.Skip(msg)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("pgbouncer: parse database url: %v", err)
	}
	b, err := start(bin, u)
	if err != nil {
		t.Fatalf("pgbouncer: %v", err)
	}
	t.Cleanup(func() {
		if err := b.stop(); err != nil {
			t.Errorf("pgbouncer: %v", err)
		}
	})
	through := *u
	through.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port))
	return through.String()
}

// binary returns the path of the pgbouncer program, "" when there is none.
func binary() string {
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// bouncer is a running PgBouncer.
type bouncer struct {
	dir  string
	port int
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{} // closed when the process has exited
}

// start writes the configuration into a new directory and starts PgBouncer on a free port.
func start(bin string, target *url.URL) (*bouncer, error) {
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		return nil, err
	}
	b := &bouncer{dir: dir, out: &lockedBuffer{}, done: make(chan struct{})}
	if err := b.configure(target, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b.cmd = exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	// PgBouncer refuses to run as root; the parent-death signal stops it with a killed test.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that started the child exits, so that
		// thread lives as long as the child.
		runtime.LockOSThread()
		if err := b.cmd.Start(); err != nil {
			close(b.done)
			started <- err
			return
		}
		started <- nil
		_ = b.cmd.Wait()
		close(b.done)
	}()
	if err := <-started; err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := b.waitReady(); err != nil {
		_ = b.stop()
		return nil, err
	}
	return b, nil
}

// configure writes pgbouncer.ini and the users file, readable by the user PgBouncer runs as
// only.
func (b *bouncer) configure(target *url.URL, cred *syscall.Credential) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("find a free port: %w", err)
	}
	b.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	host, port := target.Hostname(), target.Port()
	if port == "" {
		port = "5432"
	}
	userName := target.User.Username()
	password, hasPassword := target.User.Password()
	authType := "md5" // PgBouncer's default
	if !hasPassword {
		authType = "trust"
	}
	// Only pool_mode differs from PgBouncer's defaults (and where it listens, which files it
	// reads): no ignore_startup_parameters, no max_prepared_statements (1.18 has none).
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = %s
auth_file = %s
pool_mode = transaction
`, host, port, b.port, authType, filepath.Join(b.dir, "users.txt"))
	users := fmt.Sprintf("%q %q\n", userName, password)
	files := map[string]string{"pgbouncer.ini": ini, "users.txt": users}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(b.dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	if cred == nil {
		return nil
	}
	for _, p := range []string{b.dir, filepath.Join(b.dir, "pgbouncer.ini"), filepath.Join(b.dir, "users.txt")} {
		if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	// The directory must be reachable: MkdirTemp's parent is, unless TMPDIR is private.
	if err := probeAccess(b.dir, cred); err != nil {
		return err
	}
	return nil
}

// probeAccess fails when the server user cannot reach dir.
func probeAccess(dir string, cred *syscall.Credential) error {
	for d := filepath.Dir(dir); d != "/"; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid != cred.Uid {
				return fmt.Errorf("user %d cannot reach %s (mode %v): set TMPDIR to a directory it can reach, such as /tmp", cred.Uid, d, fi.Mode().Perm())
			}
		}
	}
	return nil
}

// waitReady waits until PgBouncer accepts connections.
func (b *bouncer) waitReady() error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			return fmt.Errorf("pgbouncer exited at start:\n%s", b.out)
		default:
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("pgbouncer did not listen on port %d within 10 s:\n%s", b.port, b.out)
}

// stop ends PgBouncer at once (SIGTERM: its immediate shutdown, closing every connection)
// and removes its directory.
func (b *bouncer) stop() error {
	var err error
	if b.cmd.Process != nil {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.done:
		case <-time.After(5 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.done
			err = errors.New("pgbouncer ignored SIGTERM for 5 s and was killed")
		}
	}
	if rmErr := os.RemoveAll(b.dir); rmErr != nil && err == nil {
		err = rmErr
	}
	return err
}

// credential returns the user PgBouncer must run as: postgres when we are root, else nil
// (ourselves).
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgbouncer refuses to run as root and there is no postgres user to run it as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// lockedBuffer collects PgBouncer's log.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}
