package pgserver

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// privateParent returns a fresh directory of mode 0700 owned by root, as
// /root is, and skips the test unless it runs as root with a postgres user
// to run the server as.
func privateParent(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: only root hands the server to the postgres user, who cannot enter a 0700 folder")
	}
	if _, err := user.Lookup("postgres"); err != nil {
		t.Skipf("no postgres OS user to run the server as: %v", err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestClusterUnderPrivateFolder starts a server on a data directory inside a
// 0700 folder, which the postgres user cannot enter, twice: the second start
// must serve the cluster of the first, and the folder must stay 0700.
func TestClusterUnderPrivateFolder(t *testing.T) {
	t.Parallel()
	home := privateParent(t)
	dataDir := filepath.Join(home, "checkout", ".data", "pg")
	t.Cleanup(func() {
		if err := Remove(dataDir); err != nil {
			t.Error(err)
		}
	})

	s := startTest(t, dataDir)
	execSQL(t, s, "CREATE TABLE kept (x int)")
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	target, err := os.Readlink(dataDir)
	if err != nil {
		t.Fatalf("data directory is not a link to where the cluster lives: %v", err)
	}
	if !strings.HasPrefix(target, DefaultStateRoot+"/") {
		t.Errorf("cluster in %s, want it under %s", target, DefaultStateRoot)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cluster directory %s: %v, %v; want mode 0700", target, fi.Mode(), err)
	}
	if _, err := os.Stat(dataDir + ".log"); err != nil {
		t.Errorf("server log beside the data directory: %v", err)
	}

	s2 := startTest(t, dataDir)
	if got := query(t, s2, "SELECT to_regclass('kept')::text"); got != "kept" {
		t.Errorf("table from first run: %q, want kept", got)
	}
	if err := s2.Stop(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(home); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("private folder is now %v (%v), want it left at 0700", fi.Mode(), err)
	}

	// Deleting the data directory (the link) starts afresh, as it does
	// where no link is needed.
	if err := os.Remove(dataDir); err != nil {
		t.Fatal(err)
	}
	s3 := startTest(t, dataDir)
	if got := query(t, s3, "SELECT coalesce(to_regclass('kept')::text, 'gone')"); got != "gone" {
		t.Errorf("table after the data directory was deleted: %q, want gone", got)
	}
	if again, _ := os.Readlink(dataDir); again != target {
		t.Errorf("new link %q, want the same place %q", again, target)
	}
}

func TestRemoveFollowsTheLink(t *testing.T) {
	dir := t.TempDir()
	state, link := filepath.Join(dir, "state"), filepath.Join(dir, "data")
	if err := os.MkdirAll(filepath.Join(state, "base"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(state, link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(link+".log", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Remove(link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{state, link, link + ".log"} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s after Remove: %v, want gone", p, err)
		}
	}
	if err := Remove(filepath.Join(dir, "never")); err != nil {
		t.Errorf("Remove of a missing cluster: %v", err)
	}
}
