package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Fault is the kind of trouble with the database that an error shows, as opposed to an error
// of the request or a bug. Every Fault but NoFault is worth retrying: the same request may
// succeed a moment later.
type Fault int

const (
	// NoFault: the error is not a database fault (or there is no error).
	NoFault Fault = iota
	// Unavailable: the database cannot be reached, refused the connection, or dropped it
	// (shut down, restarted, network gone, no connection slot free).
	Unavailable
	// LockTimedOut: a statement waited longer than lock_timeout for a lock that another
	// transaction held; PostgreSQL rolled the transaction back.
	LockTimedOut
	// Conflict: PostgreSQL rolled the transaction back to resolve a serialization failure
	// or a deadlock with a concurrent one.
	Conflict
)

// SQLSTATE codes that FaultOf recognises.
const (
	sqlstateLockNotAvailable     = "55P03"
	sqlstateSerializationFailure = "40001"
	sqlstateDeadlockDetected     = "40P01"
	sqlstateAdminShutdown        = "57P01"
	sqlstateCrashShutdown        = "57P02"
	sqlstateCannotConnectNow     = "57P03"
	sqlstateTooManyConnections   = "53300"
	sqlstateClassConnection      = "08" // connection_exception and its subclasses
)

// FaultOf tells which Fault err shows. It is the one place that knows how a database fault
// looks through pgx and database/sql: a failed connection attempt (*pgconn.ConnectError),
// a connection the server closed or shut down (SQLSTATE 57P01-57P03, class 08, 53300), a
// broken socket in the middle of a transaction (net errors, EOF, pgconn.ErrConnClosed),
// driver.ErrBadConn, a lock wait over lock_timeout (55P03), and a serialization failure or
// deadlock (40001, 40P01).
func FaultOf(err error) Fault {
	if err == nil {
		return NoFault
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return Unavailable
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == sqlstateLockNotAvailable:
			return LockTimedOut
		case code == sqlstateSerializationFailure, code == sqlstateDeadlockDetected:
			return Conflict
		case code == sqlstateAdminShutdown, code == sqlstateCrashShutdown, code == sqlstateCannotConnectNow,
			code == sqlstateTooManyConnections, strings.HasPrefix(code, sqlstateClassConnection):
			return Unavailable
		}
		return NoFault // any other answer shows that the server is there
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return NoFault // the request's own deadline, not the database's (and a net.Error too)
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &netErr):
		return Unavailable
	}
	return NoFault
}
