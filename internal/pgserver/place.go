package pgserver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// DefaultStateRoot is where a cluster goes whose own path the server user
// cannot reach; see placeCluster.
const DefaultStateRoot = "/var/lib/paygql"

// placeCluster returns the directory the cluster at dataDir really lives in.
// That is dataDir itself, unless the server runs as another user (we are
// root and it is the postgres user) who cannot walk to dataDir: the usual
// case of a checkout under /root, which is mode 0700.
//
// Then the cluster lives in stateRoot/<hash of dataDir's absolute path>,
// owned by the server user with mode 0700, and dataDir becomes a symbolic
// link to it. Making the user's directories searchable instead (chmod o+x,
// an ACL) would open them to every account on the machine, which is not
// ours to decide. Running the server as root is refused by PostgreSQL, and
// handing it the directory through a descriptor would rest on how
// PostgreSQL happens to resolve paths. A directory the server user owns in
// a place it can reach leaves the user's folders as they are; the link
// keeps the cluster findable from dataDir (ls -l shows where it is) and is
// what a later start follows, so the same cluster is served again. The
// name is derived from the path only so that it is stable and cannot
// collide with another checkout's.
//
// A state directory whose link is gone belongs to a dataDir that was
// deleted, together with the secrets kept beside it (development mode
// encrypts with a key stored in DATA_DIR), so it is removed and the cluster
// made anew, as deleting dataDir promises.
func placeCluster(dataDir string, cred *syscall.Credential, stateRoot string, logf func(string, ...any)) (string, error) {
	if cred == nil {
		return dataDir, nil // we run the server ourselves and reach what we made
	}
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return "", fmt.Errorf("pgserver: create %s: %w", filepath.Dir(dataDir), err)
	}
	fi, err := os.Lstat(dataDir)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(dataDir)
		if err != nil {
			return "", fmt.Errorf("pgserver: %w", err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(dataDir), target)
		}
		// A dangling link (initdb was cut short, or the state directory was
		// deleted) is served like a missing directory: Start creates it.
		if blocked, mode := unreachableParent(target, cred); blocked != "" {
			return "", fmt.Errorf("pgserver: %s links to %s, but the server user (uid %d) cannot enter %s (%s)",
				dataDir, target, cred.Uid, blocked, mode)
		}
		return filepath.Clean(target), nil
	case err == nil && !fi.IsDir():
		return "", fmt.Errorf("pgserver: %s is not a directory", dataDir)
	case err == nil:
		if blocked, _ := unreachableParent(dataDir, cred); blocked == "" {
			return dataDir, nil
		}
		// An empty directory holds nothing to keep; a cluster is never moved
		// behind the user's back.
		if rmErr := os.Remove(dataDir); rmErr != nil {
			return "", fmt.Errorf("pgserver: cannot serve %s: %w%s", dataDir, rmErr, reachHint(dataDir, cred))
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("pgserver: %w", err)
	default:
		if blocked, _ := unreachableParent(dataDir, cred); blocked == "" {
			return dataDir, nil
		}
	}
	return relocate(dataDir, cred, stateRoot, logf)
}

// relocate makes the state directory for dataDir and links dataDir to it.
func relocate(dataDir string, cred *syscall.Credential, stateRoot string, logf func(string, ...any)) (string, error) {
	sum := sha256.Sum256([]byte(dataDir))
	state := filepath.Join(stateRoot, hex.EncodeToString(sum[:8]))
	if blocked, mode := unreachableParent(state, cred); blocked != "" {
		return "", fmt.Errorf("pgserver: the server user (uid %d) can reach neither %s nor %s (%s is %s)",
			cred.Uid, dataDir, state, blocked, mode)
	}
	if _, err := os.Stat(state); err == nil {
		if pid := livePostmaster(state); pid != 0 {
			return "", fmt.Errorf("pgserver: %s, the cluster once linked from %s, is served by postgres pid %d", state, dataDir, pid)
		}
		logf("pgserver: removing %s, the cluster of a deleted %s", state, dataDir)
		if err := os.RemoveAll(state); err != nil {
			return "", fmt.Errorf("pgserver: remove stale cluster: %w", err)
		}
	}
	if err := os.MkdirAll(stateRoot, 0o755); err != nil {
		return "", fmt.Errorf("pgserver: create %s: %w", stateRoot, err)
	}
	if err := os.Symlink(state, dataDir); err != nil {
		return "", fmt.Errorf("pgserver: link %s to %s: %w", dataDir, state, err)
	}
	blocked, _ := unreachableParent(dataDir, cred)
	logf("pgserver: the server user (uid %d) cannot enter %s, so the cluster lives in %s, linked from %s",
		cred.Uid, blocked, state, dataDir)
	return state, nil
}

// Remove deletes the stopped cluster at dataDir and its log, following
// dataDir to the state directory when Start had to place the cluster there.
func Remove(dataDir string) error {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	if target, err := os.Readlink(dataDir); err == nil {
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(dataDir), target)
		}
		if err := os.RemoveAll(target); err != nil {
			return fmt.Errorf("pgserver: %w", err)
		}
	}
	if err := os.RemoveAll(dataDir); err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	if err := os.Remove(dataDir + ".log"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgserver: %w", err)
	}
	return nil
}

// unreachableParent returns the first existing ancestor of dir that the
// server user cannot enter, and its mode, or "" when there is none.
func unreachableParent(dir string, cred *syscall.Credential) (string, fs.FileMode) {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil && !canEnter(fi, cred) {
			return d, fi.Mode()
		}
		if d == filepath.Dir(d) {
			return "", 0
		}
	}
}

// canEnter reports whether cred may search the directory fi describes. The
// server runs without supplementary groups, so owner, group and other bits
// tell the whole story (ACLs aside).
func canEnter(fi fs.FileInfo, cred *syscall.Credential) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == cred.Uid:
		return perm&0o100 != 0
	case st.Gid == cred.Gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
