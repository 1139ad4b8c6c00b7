package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"

	"github.com/payplat/paygql/internal/auth"
)

// Close codes of a subscription's WebSocket, as graphql-transport-ws uses them. A client such
// as graphql-ws reconnects after 4403 and 1001 (calling connectionParams again, so a fresh token
// takes over from an expired one) and gives up after 4429.
const (
	closeForbidden    = 4403
	closeTooMany      = 4429
	closeGoingAway    = 1001
	reasonExpired     = "Forbidden: the token expired"
	reasonNoToken     = `Forbidden: no token: send {"Authorization": "Bearer <JWT>"} in connection_init`
	reasonShutdown    = "the server is shutting down: reconnect"
	maxCloseReasonLen = 123 // bytes a WebSocket close frame carries
)

// StreamOptions configures the WebSocket endpoint of the subscriptions.
type StreamOptions struct {
	// Verifier verifies the token of connection_init, or of the upgrade request's
	// Authorization header.
	Verifier *auth.Verifier
	// AllowedOrigins are the browser origins that may open a connection from another origin,
	// as config.Config.CORSAllowedOrigins: exact origins, one "*" inside an origin, or "*".
	AllowedOrigins []string
	// PingInterval is how often the server pings (graphql-transport-ws ping, or graphql-ws
	// keep-alive); a client that answers no ping for two intervals is disconnected.
	PingInterval time.Duration
	// InitTimeout is how long a connection may take to send connection_init.
	InitTimeout time.Duration
}

// NewStreamHandler returns the handler of WebSocket connections to /query, which carry
// subscriptions (and queries and mutations) over graphql-transport-ws, or the older graphql-ws
// protocol, with the same rules, limits and error presenter as NewHandler's.
func NewStreamHandler(r *Resolver, opt Options, so StreamOptions) http.Handler {
	if so.PingInterval <= 0 {
		so.PingInterval = 25 * time.Second
	}
	if so.InitTimeout <= 0 {
		so.InitTimeout = 10 * time.Second
	}
	h := &streamHandler{changes: r.Changes, opt: so}
	srv, schema := newServer(r, opt)
	srv.AddTransport(strictVariables{Transport: transport.Websocket{
		// Origins are checked before the upgrade, as CORS would (see ServeHTTP).
		Implementation:        streamImplementation{transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}}},
		InitFunc:              h.init,
		InitTimeout:           so.InitTimeout,
		KeepAlivePingInterval: so.PingInterval,
		PingPongInterval:      so.PingInterval,
	}, schema: schema, hints: opt.Introspection})
	h.srv = srv
	return h
}

// IsStream reports whether r asks for a WebSocket connection, which NewStreamHandler serves.
func IsStream(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

type streamHandler struct {
	srv     http.Handler
	changes *Changes
	opt     StreamOptions
}

// ServeHTTP checks the origin and the Authorization header, if any, before the upgrade: a
// refusal then is an HTTP answer that browsers and tools show as it is.
func (h *streamHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(r, origin) && !originAllowed(h.opt.AllowedOrigins, origin) {
		writeError(w, http.StatusForbidden, "ORIGIN_NOT_ALLOWED",
			fmt.Sprintf("origin %q may not open a WebSocket here: the server allows the origins of CORS_ALLOWED_ORIGINS", cut(origin, 100)))
		return
	}
	s := &stream{}
	if values := r.Header.Values("Authorization"); len(values) > 0 {
		raw, ok := bearer(values)
		if !ok {
			auth.WriteUnauthenticated(w, "Authorization must be \"Bearer <token>\"")
			return
		}
		p, err := h.opt.Verifier.Verify(r.Context(), raw)
		if err != nil {
			auth.WriteUnauthenticated(w, reasonOf(err))
			return
		}
		s.header = p
	}
	if h.changes != nil {
		if !h.changes.opened(s) {
			writeError(w, http.StatusServiceUnavailable, codeUnavailable, reasonShutdown)
			return
		}
		defer h.changes.closed(s)
	}
	h.srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), streamKey{}, s)))
}

// init authenticates a connection by its connection_init payload ({"Authorization": "Bearer
// …"} or {"token": "…"}), or else by the upgrade request's header, and closes it when its
// token expires.
func (h *streamHandler) init(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	s, _ := ctx.Value(streamKey{}).(*stream)
	if s == nil {
		return refuse(ctx, closeForbidden, "Forbidden: not a subscription connection")
	}
	p := s.header
	raw := payload.GetString("token")
	if a := payload.Authorization(); a != "" {
		var ok bool
		if raw, ok = bearer([]string{a}); !ok {
			return refuse(ctx, closeForbidden, `Forbidden: Authorization must be "Bearer <token>"`)
		}
	}
	if raw != "" {
		var err error
		if p, err = h.opt.Verifier.Verify(ctx, raw); err != nil {
			return refuse(ctx, closeForbidden, "Forbidden: "+reasonOf(err))
		}
	}
	if p == nil {
		return refuse(ctx, closeForbidden, reasonNoToken)
	}
	if h.changes != nil && !h.changes.admit(s, p.Subject) {
		return refuse(ctx, closeTooMany, fmt.Sprintf("Too many connections: this token's subject holds %d here, the most it may", h.changes.opt.MaxConnections))
	}
	s.expireAt(p.Expires)
	return auth.WithPrincipal(ctx, p), nil, nil
}

// refuse ends connection_init with the close code and reason.
func refuse(ctx context.Context, code int, reason string) (context.Context, *transport.InitPayload, error) {
	reason = cut(reason, maxCloseReasonLen)
	ctx = transport.WithWebsocketCloseCode(ctx, code)
	return transport.AppendCloseReason(ctx, reason), nil, errors.New(reason)
}

// reasonOf is the client-safe text of a token's refusal: *auth.Error's reasons never quote
// the token.
func reasonOf(err error) string {
	var e *auth.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return "invalid token"
}

// bearer extracts the token of an Authorization header.
func bearer(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// sameOrigin reports whether origin is the origin of r itself (the playground's page).
func sameOrigin(r *http.Request, origin string) bool {
	_, host, ok := strings.Cut(origin, "://")
	return ok && strings.EqualFold(host, r.Host)
}

// originAllowed matches origin as the CORS middleware does: an exact origin, a pattern with one
// "*", or "*" for every origin.
func originAllowed(allowed []string, origin string) bool {
	origin = strings.ToLower(origin)
	for _, a := range allowed {
		prefix, suffix, wild := strings.Cut(a, "*")
		switch {
		case a == "*", a == origin:
			return true
		case wild && len(origin) >= len(prefix)+len(suffix) && strings.HasPrefix(origin, prefix) && strings.HasSuffix(origin, suffix):
			return true
		}
	}
	return false
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// streamKey holds a connection's *stream in its request context.
type streamKey struct{}

// stream is one WebSocket connection: what closes it when its token expires or the server
// shuts down, and what it counts against its token subject's limit.
type stream struct {
	header *auth.Principal // from the upgrade request's Authorization header

	mu      sync.Mutex
	conn    transport.WebsocketConn
	subject string // set once admitted
	timer   *time.Timer
	ended   bool
}

// expireAt closes the connection when its token expires.
func (s *stream) expireAt(t time.Time) {
	if t.IsZero() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(time.Until(t), func() { s.close(closeForbidden, reasonExpired) })
}

// close closes the connection with code and reason, once.
func (s *stream) close(code int, reason string) {
	s.mu.Lock()
	conn, ended := s.conn, s.ended
	s.ended = true
	s.mu.Unlock()
	if conn != nil && !ended {
		_ = conn.WriteClose(code, reason)
	}
}

// streamImplementation accepts connections as gqlgen's default does and hands each to its
// stream, which may close it.
type streamImplementation struct {
	transport.CoderWebsocketImplementation
}

func (i streamImplementation) Accept(w http.ResponseWriter, r *http.Request, opt transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := i.CoderWebsocketImplementation.Accept(w, r, opt)
	if err != nil {
		return nil, err
	}
	if s, _ := r.Context().Value(streamKey{}).(*stream); s != nil {
		s.mu.Lock()
		s.conn = conn
		s.mu.Unlock()
	}
	return conn, nil
}

// opened registers a connection, false once the server shuts down.
func (c *Changes) opened(s *stream) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return false
	}
	c.open[s] = struct{}{}
	return true
}

// admit counts an authenticated connection against its subject's limit.
func (c *Changes) admit(s *stream, subject string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.subject != "" {
		return true
	}
	if c.conns[subject] >= c.opt.MaxConnections {
		return false
	}
	c.conns[subject]++
	s.subject = subject
	return true
}

// closed forgets a connection that ended.
func (c *Changes) closed(s *stream) {
	s.mu.Lock()
	s.ended = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open, s)
	if s.subject != "" {
		if c.conns[s.subject]--; c.conns[s.subject] <= 0 {
			delete(c.conns, s.subject)
		}
	}
}

// Shutdown closes every connection (close code 1001: clients reconnect, to another instance)
// and refuses new ones. http.Server.Shutdown does not wait for hijacked connections, so
// server.go registers it with RegisterOnShutdown.
func (c *Changes) Shutdown() {
	c.mu.Lock()
	c.stopping = true
	open := make([]*stream, 0, len(c.open))
	for s := range c.open {
		open = append(open, s)
	}
	c.mu.Unlock()
	for _, s := range open {
		s.close(closeGoingAway, reasonShutdown)
	}
}
