package devenv

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// holdLock takes DATA_DIR's lock as another process would and writes content into it.
func holdLock(t *testing.T, dataDir string) *os.File {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dataDir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return f
}

func write(t *testing.T, f *os.File, content string) {
	t.Helper()
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		t.Fatal(err)
	}
}

func TestOpenWhenDataDirIsHeld(t *testing.T) {
	dataDir := t.TempDir()
	f := holdLock(t, dataDir)
	pid := strconv.Itoa(os.Getpid())
	const url = "postgres://postgres@127.0.0.1:5999/paygql?sslmode=disable"
	logf := t.Logf

	write(t, f, pid+" serve\n"+url+"\n")
	_, err := Open(t.Context(), dataDir, "serve", logf)
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() || inUse.Command != "serve" {
		t.Fatalf("second serve: %v, want *InUseError with our pid", err)
	}
	want := "DATA_DIR " + dataDir + " is in use by another paygql server (pid " + pid + "): stop it first, or set DATA_DIR to another directory"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}

	for _, cmd := range []string{"migrate", "seed"} {
		db, err := Open(t.Context(), dataDir, cmd, logf)
		if err != nil || !db.Shared || db.URL != url {
			t.Fatalf("%s while serving: %+v, %v; want the server's database", cmd, db, err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("Close of a shared database: %v", err)
		}
	}

	write(t, f, pid+" migrate\n")
	if _, err := Open(t.Context(), dataDir, "seed", logf); !errors.As(err, &inUse) || inUse.Command != "migrate" {
		t.Errorf("seed while migrate runs its own server: %v, want *InUseError naming migrate", err)
	}

	// A server still starting is waited for.
	write(t, f, pid+" serve\n")
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, _ = f.WriteAt([]byte(pid+" serve\n"+url+"\n"), 0) // t.Fatal is for the test's goroutine
	}()
	begin := time.Now()
	if db, err := Open(t.Context(), dataDir, "migrate", logf); err != nil || db.URL != url {
		t.Errorf("migrate while serve starts: %+v, %v", db, err)
	}
	if waited := time.Since(begin); waited < 250*time.Millisecond {
		t.Errorf("returned after %s, before the server shared its database", waited)
	}
}

func TestReadHolderIgnoresDeadProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), lockName)
	// Pid 2^22+1 is above Linux's pid_max limit, so no process has it.
	if err := os.WriteFile(path, []byte("4194305 serve\npostgres://x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if h := readHolder(path); h != (holder{}) {
		t.Errorf("holder of a dead pid = %+v, want none", h)
	}
}
