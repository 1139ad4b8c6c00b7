package devenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/payplat/paygql/internal/pgserver"
)

// DatabaseName is the database development mode creates in its private server.
const DatabaseName = "paygql"

// lockName is the file in DATA_DIR that the process running the private server holds with
// flock(2) for as long as it runs. It reads "<pid> <command>", and, once the server shares its
// database, the database URL on a second line. The kernel drops the lock when the process
// ends, however it ends, so a stale file never blocks anyone.
const lockName = "paygql.lock"

// shareWait bounds how long a command waits for a starting server to share its database:
// creating a cluster, migrating and loading the demo data take a few seconds.
const shareWait = time.Minute

// InUseError reports that another process runs the private server of DATA_DIR.
type InUseError struct {
	DataDir string
	PID     int
	Command string // the holder's subcommand: serve, migrate or seed
}

func (e *InUseError) Error() string {
	who := "another process"
	switch {
	case e.Command == "serve":
		who = fmt.Sprintf("another paygql server (pid %d)", e.PID)
	case e.PID != 0:
		who = fmt.Sprintf("another paygql %s (pid %d)", e.Command, e.PID)
	}
	return fmt.Sprintf("DATA_DIR %s is in use by %s: stop it first, or set DATA_DIR to another directory", e.DataDir, who)
}

// Database is development mode's private database, either run by this process or shared by
// a server already running on the same DATA_DIR.
type Database struct {
	// URL is the connection URL of the application database (trust authentication on
	// 127.0.0.1, so it holds no password and may be printed).
	URL string
	// Shared is true when the database belongs to a running `paygql serve`: Close leaves it
	// running.
	Shared bool

	srv  *pgserver.Server
	lock *os.File
}

// Open gives command (serve, migrate, seed) the private database of dataDir. It takes
// dataDir's lock and starts the server (creating the cluster, and the application database,
// when missing). When the lock is held, command is refused with *InUseError, unless it is not
// serve and the holder is a server that shares its database (see Share): then Open connects
// to that one, since PostgreSQL refuses a second server on one cluster. A server still
// starting is waited for.
func Open(ctx context.Context, dataDir, command string, logf func(string, ...any)) (*Database, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create DATA_DIR: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dataDir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open DATA_DIR lock: %w", err)
	}
	deadline := time.Now().Add(shareWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock DATA_DIR: %w", err)
		}
		h := readHolder(f.Name())
		switch {
		case h.pid != 0 && (command == "serve" || h.command != "serve"), time.Now().After(deadline):
			f.Close()
			return nil, &InUseError{DataDir: dataDir, PID: h.pid, Command: h.command}
		case h.url != "":
			f.Close()
			logf("using the database of the paygql server running on %s (pid %d)", dataDir, h.pid)
			return &Database{URL: h.url, Shared: true}, nil
		}
		// The holder has not written its pid yet, or its server is still starting.
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	d := &Database{lock: f}
	if err := d.writeLock(command, ""); err != nil {
		f.Close()
		return nil, err
	}
	d.srv, d.URL, err = startServer(ctx, dataDir, logf)
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Share lets other commands on the same DATA_DIR (migrate, seed) use this database while it
// runs. serve calls it once it has migrated, so that they never race its migrations.
func (d *Database) Share() error {
	if d.lock == nil {
		return nil
	}
	return d.writeLock("serve", d.URL)
}

// writeLock records this process, its command and the URL it shares (when not "").
func (d *Database) writeLock(command, url string) error {
	content := strconv.Itoa(os.Getpid()) + " " + command + "\n"
	if url != "" {
		content += url + "\n"
	}
	if err := d.lock.Truncate(0); err != nil {
		return fmt.Errorf("write DATA_DIR lock: %w", err)
	}
	if _, err := d.lock.WriteAt([]byte(content), 0); err != nil {
		return fmt.Errorf("write DATA_DIR lock: %w", err)
	}
	return nil
}

// Close stops the server this process runs and releases DATA_DIR; a shared database is left
// to its server.
func (d *Database) Close() error {
	if d.lock == nil {
		return nil
	}
	var err error
	if d.srv != nil {
		err = d.srv.Stop()
	}
	// Emptied before it is unlocked, so nobody reads the URL of a stopped server.
	_ = d.lock.Truncate(0)
	if cerr := d.lock.Close(); err == nil {
		err = cerr
	}
	d.lock = nil
	return err
}

// holder is what the lock file says about the process holding it.
type holder struct {
	pid     int
	command string
	url     string
}

// readHolder parses the lock file; pid is 0 when it holds nothing usable yet, or names a
// process that is gone (the content of a killed holder, before the new holder rewrote it).
func readHolder(path string) holder {
	b, err := os.ReadFile(path)
	if err != nil {
		return holder{}
	}
	first, rest, _ := strings.Cut(string(b), "\n")
	pidText, command, _ := strings.Cut(first, " ")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) == syscall.ESRCH {
		return holder{}
	}
	return holder{pid: pid, command: command, url: strings.TrimSpace(rest)}
}

// startServer starts the private server under dataDir/pg and creates the application
// database when missing.
func startServer(ctx context.Context, dataDir string, logf func(string, ...any)) (*pgserver.Server, string, error) {
	if err := ensurePostgres(ctx, logf); err != nil {
		return nil, "", err
	}
	srv, err := pgserver.Start(ctx, pgserver.Options{DataDir: filepath.Join(dataDir, "pg"), Logf: logf})
	if err != nil {
		return nil, "", err
	}
	if err := createDatabase(ctx, srv.URL("postgres"), DatabaseName); err != nil {
		_ = srv.Stop()
		return nil, "", err
	}
	return srv, srv.URL(DatabaseName), nil
}
