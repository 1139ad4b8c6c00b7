// Package smtptest runs an SMTP server inside a test process, on 127.0.0.1, that keeps the
// mail it receives, so that tests check real deliveries without reaching outside the machine.
package smtptest

import (
	"errors"
	"io"
	"log"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is an SMTP server on 127.0.0.1 that keeps what it receives.
type Server struct {
	Addr string

	RejectRcpt atomic.Bool // answer RCPT with 451, a temporary failure
	Password   string      // when set, AUTH PLAIN as "mailer" with it is required
	BeforeData func()      // when set, runs before a message is accepted

	mu   sync.Mutex
	msgs []Mail
}

// Mail is one message the server accepted: its envelope and raw data.
type Mail struct {
	From string
	To   []string
	Data []byte
}

// Start starts a server; set its fields before the first connection.
func Start(t *testing.T) *Server {
	t.Helper()
	ms := &Server{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: ms}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ms
}

// Received returns the mail accepted so far.
func (ms *Server) Received() []Mail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]Mail(nil), ms.msgs...)
}

type session struct {
	server *Server
	authed bool
	cur    Mail
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, Password string) error {
		if username != "mailer" || Password != s.server.Password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.Password != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = Mail{From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.server.RejectRcpt.Load() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailbox busy, try later"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.server.BeforeData != nil {
		s.server.BeforeData()
	}
	s.cur.Data = data
	s.server.mu.Lock()
	s.server.msgs = append(s.server.msgs, s.cur)
	s.server.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = Mail{} }
func (s *session) Logout() error { return nil }

// Parse parses a mail as a client would: headers, decoded subject, decoded body.
func Parse(t *testing.T, raw []byte) (h netmail.Header, subject, body string) {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("not a mail: %v\n%s", err, raw)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	r := msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return msg.Header, subject, string(b)
}
