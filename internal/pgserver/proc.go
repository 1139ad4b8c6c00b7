package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// serverUser returns the credential the PostgreSQL programs must run with, or
// nil to run them as ourselves. PostgreSQL refuses to run as root, so root
// hands the cluster to the owner of an existing data directory or else to
// the "postgres" OS user.
func serverUser(dataDir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if fi, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
			return &syscall.Credential{Uid: st.Uid, Gid: st.Gid}, nil
		}
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgserver: running as root needs a postgres OS user to run the server as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgserver: parse uid of user postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgserver: parse gid of user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// makeOwnedDir creates dir (mode 0700) if needed and, when cred is set,
// hands it to that user, since the server refuses a data directory it does
// not own. Missing parents get mode 0755 so the server user can reach dir.
func makeOwnedDir(dir string, cred *syscall.Credential) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("pgserver: create %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("pgserver: create %s: %w", dir, err)
	}
	if cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("pgserver: chown %s: %w", dir, err)
	}
	return nil
}

// removeStaleLocks deletes the server's lock files (postmaster.pid in the
// data directory, .s.PGSQL.<port>.lock beside the socket) whose process is
// no longer a postgres. The server clears a lock whose process is gone, but
// after a container restart or a reboot the pid is often reused by an
// unrelated process of the same user, and then the server refuses to start.
func removeStaleLocks(dataDir, socketDir string) error {
	locks, err := filepath.Glob(filepath.Join(socketDir, ".s.PGSQL.*.lock"))
	if err != nil {
		return fmt.Errorf("pgserver: list socket locks: %w", err)
	}
	for _, path := range append(locks, filepath.Join(dataDir, "postmaster.pid")) {
		if err := removeStaleLock(path); err != nil {
			return err
		}
	}
	return nil
}

func removeStaleLock(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	pid := lockPID(path)
	if pid == 0 {
		// Half-written file: leave the verdict to the server.
		return nil
	}
	if isPostgres(pid) {
		// Possibly a live server on this directory: let postgres refuse
		// with its own clear message rather than guessing.
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pgserver: remove stale %s: %w", path, err)
	}
	return nil
}

// command builds an exec.Cmd for a PostgreSQL program that runs as cred,
// in its own process group so a terminal's Ctrl-C reaches only us (we then
// shut the server down ourselves), and that gets deathSig when the OS thread
// that starts it dies. Start such commands only from a goroutine that holds
// runtime.LockOSThread for as long as the child should live: the kernel ties
// the parent-death signal to the creating thread, not to the process, and Go
// may otherwise retire that thread while the child still runs.
func command(ctx context.Context, binDir, name string, cred *syscall.Credential, deathSig syscall.Signal, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), args...)
	cmd.Dir = dir // our working directory may be unreadable for the server user
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// Go applies the death signal after switching credentials, which
		// matters because a credential change clears it.
		Pdeathsig:  deathSig,
		Credential: cred,
	}
	return cmd
}

// runLocked runs cmd to completion on a locked OS thread so that its death
// signal stays armed for its whole life, and returns its combined output.
func runLocked(cmd *exec.Cmd) ([]byte, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// createCluster runs initdb in a scratch directory and renames it to
// dataDir only once it is complete. initdb writes PG_VERSION early, so a
// run cut short in place (we were killed, ctx was cancelled) would leave a
// directory that looks like a cluster but cannot start.
//
// A dataDir that already exists, though, may be a mount point, which
// nothing can be renamed onto; initdb then runs in place (and refuses a
// non-empty directory).
func createCluster(ctx context.Context, binDir, dataDir string, cred *syscall.Credential, ephemeral bool) error {
	target := dataDir + ".initdb"
	if _, err := os.Stat(dataDir); err == nil {
		target = dataDir
	} else if err := os.RemoveAll(target); err != nil { // left by an interrupted run
		return fmt.Errorf("pgserver: remove %s: %w", target, err)
	}
	if err := makeOwnedDir(target, cred); err != nil {
		return err
	}
	if err := initdb(ctx, binDir, target, cred, ephemeral); err != nil {
		if target != dataDir {
			os.RemoveAll(target)
		}
		return fmt.Errorf("%w%s", err, reachHint(target, cred))
	}
	if target == dataDir {
		return nil
	}
	if err := os.Rename(target, dataDir); err != nil {
		os.RemoveAll(target)
		return fmt.Errorf("pgserver: move new cluster into place: %w", err)
	}
	return nil
}

// initdb creates a new cluster in dataDir.
func initdb(ctx context.Context, binDir, dataDir string, cred *syscall.Credential, ephemeral bool) error {
	args := []string{
		"-D", dataDir,
		"-U", "postgres",
		"--auth=trust",
		"-E", "UTF8",
		"--locale=C",
	}
	if ephemeral {
		args = append(args, "--no-sync") // a throw-away cluster needs no durability
	}
	out, err := runLocked(command(ctx, binDir, "initdb", cred, syscall.SIGKILL, dataDir, args...))
	if out = bytes.TrimSpace(out); len(out) > 0 {
		out = append([]byte("\n"), out...)
	}
	if err != nil {
		return fmt.Errorf("pgserver: initdb %s: %w%s", dataDir, err, out)
	}
	return nil
}

// reachHint explains a failure caused by a parent directory of dir that
// the server user cannot enter. It returns "" when it finds no such
// directory.
func reachHint(dir string, cred *syscall.Credential) string {
	if cred == nil {
		return ""
	}
	if blocked, mode := unreachableParent(dir, cred); blocked != "" {
		return fmt.Sprintf("\n(the server runs as uid %d, which cannot enter %s (%s))", cred.Uid, blocked, mode)
	}
	return ""
}

// livePostmaster returns the pid in dataDir/postmaster.pid when that
// process is a postgres, else 0.
func livePostmaster(dataDir string) int {
	pid := lockPID(filepath.Join(dataDir, "postmaster.pid"))
	if pid > 0 && isPostgres(pid) {
		return pid
	}
	return 0
}

// lockPID returns the pid on the first line of a PostgreSQL lock file, or 0.
func lockPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	firstLine, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(firstLine))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// isPostgres reports whether process pid runs the postgres program.
func isPostgres(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.TrimSpace(string(comm)) == "postgres"
}

// tail returns at most the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
