// Package devenv provides what development mode runs on when nothing is configured: a private
// PostgreSQL under DATA_DIR and the signing secret and secrets key kept beside it.
package devenv

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/payplat/paygql/internal/pgserver"
	"github.com/payplat/paygql/internal/secrets"
)

// installScript installs the OS PostgreSQL package; .ci/run runs the same file.
//
//go:embed install-postgres.sh
var installScript string

// ensurePostgres installs the OS PostgreSQL package when the machine has no PostgreSQL
// binaries, so that a fresh machine needs nothing installed by hand.
func ensurePostgres(ctx context.Context, logf func(string, ...any)) error {
	if _, err := pgserver.FindBinDir(); err == nil {
		return nil
	}
	logf("no PostgreSQL binaries found: installing the OS package")
	cmd := exec.CommandContext(ctx, "sh", "-c", installScript)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("install PostgreSQL: %w", err)
	}
	return nil
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to private postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Secrets returns the development signing secret and secrets key kept in dataDir, creating
// them on first use. They are files readable by their owner only.
func Secrets(dataDir string) (hs256Secret, secretsKey []byte, err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create DATA_DIR: %w", err)
	}
	secret, err := keep(filepath.Join(dataDir, "dev-hs256.secret"))
	if err != nil {
		return nil, nil, err
	}
	encKey, err := keep(filepath.Join(dataDir, "dev-secrets.key"))
	if err != nil {
		return nil, nil, err
	}
	key, err := secrets.ParseKey(encKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dataDir, "dev-secrets.key"), err)
	}
	return []byte(secret), key, nil
}

// keep returns the random value stored in path, writing a new one when the file is missing.
func keep(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, secrets.KeySize)
	_, _ = rand.Read(raw)
	v := base64.StdEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep dev secret: %w", err)
	}
	return v, nil
}
