package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// debianRoot is where Debian and Ubuntu install one directory per major
// version, so several servers can sit side by side.
const debianRoot = "/usr/lib/postgresql"

// FindBinDir returns the directory holding the PostgreSQL server programs
// (postgres and initdb). It tries $PG_BIN_DIR, then the newest
// /usr/lib/postgresql/*/bin, then the directory reported by pg_config on
// PATH, then the directory of postgres on PATH.
func FindBinDir() (string, error) {
	return findBinDir("")
}

// findBinDir is FindBinDir preferring the given major version, so that an
// existing cluster keeps being served by the version that created it even
// after a newer one is installed next to it.
func findBinDir(major string) (string, error) {
	if dir := os.Getenv("PG_BIN_DIR"); dir != "" {
		if !isBinDir(dir) {
			return "", fmt.Errorf("pgserver: PG_BIN_DIR=%s does not contain postgres and initdb", dir)
		}
		return dir, nil
	}
	if major != "" {
		if dir := filepath.Join(debianRoot, major, "bin"); isBinDir(dir) {
			return dir, nil
		}
	}
	if dir := newestDebianBinDir(); dir != "" {
		return dir, nil
	}
	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		out, err := exec.Command(pgConfig, "--bindir").Output()
		if dir := strings.TrimSpace(string(out)); err == nil && isBinDir(dir) {
			return dir, nil
		}
	}
	if postgres, err := exec.LookPath("postgres"); err == nil {
		if dir := filepath.Dir(postgres); isBinDir(dir) {
			return dir, nil
		}
	}
	return "", errors.New("pgserver: no PostgreSQL server binaries found in $PG_BIN_DIR, " +
		debianRoot + "/*/bin or PATH; install the PostgreSQL server package " +
		"(e.g. apt-get install postgresql) or set PG_BIN_DIR")
}

// newestDebianBinDir returns the bin directory of the highest version under
// debianRoot, or "" if there is none.
func newestDebianBinDir() string {
	dirs, _ := filepath.Glob(filepath.Join(debianRoot, "*", "bin"))
	dirs = slices.DeleteFunc(dirs, func(d string) bool { return !isBinDir(d) })
	if len(dirs) == 0 {
		return ""
	}
	// Compare numerically: a plain string sort would put 9.6 above 15.
	return slices.MaxFunc(dirs, func(a, b string) int {
		return compareVersions(filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b)))
	})
}

// compareVersions compares dotted version numbers such as "9.6" and "15".
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// isBinDir reports whether dir holds executable postgres and initdb programs.
func isBinDir(dir string) bool {
	for _, name := range []string{"postgres", "initdb"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}
