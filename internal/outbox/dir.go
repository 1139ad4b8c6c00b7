package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// DirSender is the development sender: it writes each message as an RFC 5322 .eml file,
// which any mail client opens, instead of sending it.
type DirSender struct {
	dir    string
	from   string
	logger *slog.Logger
}

// NewDirSender returns a sender writing into dir, created (mode 0700) when missing, and
// logging each file's path to logger (nil: slog.Default()).
func NewDirSender(dir, from string, logger *slog.Logger) (*DirSender, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail directory: %w", err)
	}
	return &DirSender{dir: dir, from: from, logger: logger}, nil
}

// Send writes m to <dir>/<UTC time>-<id>.eml, so that file names sort by time, then id. The
// file appears whole or not at all.
func (s *DirSender) Send(_ context.Context, m *Message) error {
	msg, err := compose(s.from, m)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, ".writing-*.eml")
	if err != nil {
		return fmt.Errorf("write mail file: %w", err)
	}
	defer os.Remove(f.Name()) //nolint:errcheck // gone already after the rename
	if _, err := msg.WriteTo(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("write mail file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write mail file: %w", err)
	}
	path := filepath.Join(s.dir, fmt.Sprintf("%s-%012d.eml", time.Now().UTC().Format("20060102T150405.000000000Z"), m.ID))
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write mail file: %w", err)
	}
	s.logger.Info("mail written to file (no SMTP_URL set)", "id", m.ID, "path", path)
	return nil
}
