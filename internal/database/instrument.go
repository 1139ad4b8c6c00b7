package database

import (
	"context"
	"database/sql"
	"net"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Counters count what a connection pool sends to PostgreSQL: statements (every query pgx
// runs, BEGIN and COMMIT included) and round trips (every write to a connection: a query, a
// prepare, a ping). The two differ when a statement needs a prepare first or several
// statements share one write.
type Counters struct {
	Statements atomic.Int64
	RoundTrips atomic.Int64
}

// Instrument makes every connection made from cfg count into c; tracer, when not nil, also
// sees every query (OpenTelemetry's, say).
func (c *Counters) Instrument(cfg *pgx.ConnConfig, tracer pgx.QueryTracer) {
	instrument(cfg, tracer, c)
}

// instrument makes every connection made from cfg count into each of cs.
func instrument(cfg *pgx.ConnConfig, tracer pgx.QueryTracer, cs ...*Counters) {
	var t pgx.QueryTracer = statementCounter(cs)
	if tracer != nil {
		t = multitracer.New(t, tracer)
	}
	cfg.Tracer = t
	dial := cfg.DialFunc // ParseConfig's default dialer
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &roundTripConn{Conn: conn, cs: cs}, nil
	}
}

// statementCounter is a pgx tracer that counts queries, those of batches too.
type statementCounter []*Counters

func (s statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	for _, c := range s {
		c.Statements.Add(1)
	}
	return ctx
}

func (statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (s statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	for _, c := range s {
		c.Statements.Add(int64(data.Batch.Len()))
	}
	return ctx
}

func (statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// roundTripConn counts writes: pgx sends each round trip's messages in one write.
type roundTripConn struct {
	net.Conn
	cs []*Counters
}

func (c *roundTripConn) Write(b []byte) (int, error) {
	for _, n := range c.cs {
		n.RoundTrips.Add(1)
	}
	return c.Conn.Write(b)
}

// QueryTracer, when set before Open, sees every query of the pools Open opens (tracing).
var QueryTracer pgx.QueryTracer

// sent counts what the pools opened by Open send.
var sent Counters

// pools holds the connector of each pool opened by Open, by its *sql.DB.
var pools sync.Map

// poolConnector returns the connector of db, a pool opened by Open; nil for another pool.
func poolConnector(db *sql.DB) *connector {
	c, _ := pools.Load(db)
	cc, _ := c.(*connector)
	return cc
}

// Sent returns the counters of what db, a pool opened by Open, sends; nil for another pool.
func Sent(db *sql.DB) *Counters {
	if c := poolConnector(db); c != nil {
		return c.sent
	}
	return nil
}

// Collectors returns the metrics of db, a pool opened by Open, for registration: its pool
// statistics and the statements and round trips every pool opened by Open has sent.
func Collectors(db *sql.DB) []prometheus.Collector {
	return []prometheus.Collector{
		collectors.NewDBStatsCollector(db, "paygql"),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "paygql_db_statements_total",
			Help: "SQL statements sent to PostgreSQL (BEGIN and COMMIT included).",
		}, func() float64 { return float64(sent.Statements.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "paygql_db_round_trips_total",
			Help: "Round trips to PostgreSQL (writes to a connection: queries, prepares, pings).",
		}, func() float64 { return float64(sent.RoundTrips.Load()) }),
	}
}
