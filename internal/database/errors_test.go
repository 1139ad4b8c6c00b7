package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestFaultOf(t *testing.T) {
	pg := func(code string) error {
		return fmt.Errorf("update x: %w", &pgconn.PgError{Severity: "ERROR", Code: code})
	}
	tests := []struct {
		name string
		err  error
		want Fault
	}{
		{"nil", nil, NoFault},
		{"plain", errors.New("boom"), NoFault},
		{"unique violation", pg("23505"), NoFault},
		{"statement timeout", pg("57014"), NoFault},
		{"request deadline", context.DeadlineExceeded, NoFault},
		{"lock timeout", pg("55P03"), LockTimedOut},
		{"serialization failure", pg("40001"), Conflict},
		{"deadlock", pg("40P01"), Conflict},
		{"admin shutdown", pg("57P01"), Unavailable},
		{"crash shutdown", pg("57P02"), Unavailable},
		{"starting up", pg("57P03"), Unavailable},
		{"too many connections", pg("53300"), Unavailable},
		{"connection failure", pg("08006"), Unavailable},
		{"bad conn", fmt.Errorf("begin: %w", driver.ErrBadConn), Unavailable},
		{"conn closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), Unavailable},
		{"eof mid-transaction", fmt.Errorf("commit: %w", io.ErrUnexpectedEOF), Unavailable},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, Unavailable},
		{"refused", connectError(t), Unavailable},
	}
	for _, tt := range tests {
		if got := FaultOf(tt.err); got != tt.want {
			t.Errorf("%s: FaultOf(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

// connectError returns what pgx answers when nothing listens on the database's port.
func connectError(t *testing.T) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, "postgres://postgres@"+addr+"/x?sslmode=disable")
	if err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a closed port")
	}
	return err
}
