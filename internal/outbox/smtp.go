package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode says how the SMTP connection is encrypted.
type TLSMode string

// The TLS modes: smtps:// is TLSImplicit; smtp:// takes the others from its starttls parameter.
const (
	TLSImplicit      TLSMode = "implicit"      // TLS from the first byte (smtps://, port 465)
	TLSMandatory     TLSMode = "mandatory"     // STARTTLS, refuse a server without it
	TLSOpportunistic TLSMode = "opportunistic" // STARTTLS when the server offers it
	TLSNone          TLSMode = "none"          // never encrypt
)

// authMechanisms maps the auth parameter of SMTP_URL to go-mail's mechanisms. "auto" picks
// the strongest one the server offers and never sends PLAIN or LOGIN unencrypted.
var authMechanisms = map[string]gomail.SMTPAuthType{
	"auto":          gomail.SMTPAuthAutoDiscover,
	"plain":         gomail.SMTPAuthPlain,
	"login":         gomail.SMTPAuthLogin,
	"cram-md5":      gomail.SMTPAuthCramMD5,
	"scram-sha-1":   gomail.SMTPAuthSCRAMSHA1,
	"scram-sha-256": gomail.SMTPAuthSCRAMSHA256,
	"xoauth2":       gomail.SMTPAuthXOAUTH2,
}

// SMTPConfig is a parsed SMTP_URL. Printing it shows the URL with the password hidden.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // empty: no SMTP AUTH
	Password string
	From     string // empty: DefaultFrom
	TLS      TLSMode
	Auth     gomail.SMTPAuthType // used when Username is set
	Timeout  time.Duration       // for connecting and for each SMTP command

	redacted string
}

// String returns the URL with its password replaced, safe for logs.
func (c SMTPConfig) String() string { return c.redacted }

// ParseSMTPURL parses smtp://user:pass@host:port?from=…&starttls=…&auth=…&timeout=… (or
// smtps:// for TLS from the first byte). Defaults: port 587 (smtps: 465); STARTTLS mandatory,
// except to a loopback host, where nothing leaves the machine and plain SMTP is the default;
// auth=auto when the URL has a user; timeout=15s. Errors never repeat the URL, which may hold
// a password.
func ParseSMTPURL(raw string) (*SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL of the form smtp://user:password@host:port?from=address")
	}
	c := &SMTPConfig{Auth: gomail.SMTPAuthAutoDiscover, Timeout: 15 * time.Second, redacted: u.Redacted()}
	switch u.Scheme {
	case "smtp":
		c.Port, c.TLS = 587, TLSMandatory
	case "smtps":
		c.Port, c.TLS = 465, TLSImplicit
	default:
		return nil, errors.New("scheme must be smtp:// or smtps://")
	}
	if c.Host = u.Hostname(); c.Host == "" {
		return nil, errors.New("has no host")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port < 1 || c.Port > 65535 {
			return nil, errors.New("port must be a number from 1 to 65535")
		}
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("must not have a path (use ?from= for the sender)")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("has a malformed query")
	}
	if err := c.applyQuery(query); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *SMTPConfig) applyQuery(q url.Values) error {
	starttls := ""
	for key, vals := range q {
		v := vals[len(vals)-1]
		switch key {
		case "from":
			a, err := netmail.ParseAddress(v)
			if err != nil {
				return fmt.Errorf("from=%q is not a mail address", v)
			}
			c.From = a.String()
		case "starttls":
			starttls = v
		case "auth":
			mech, ok := authMechanisms[strings.ToLower(v)]
			if !ok {
				return fmt.Errorf("auth=%q is not one of auto, plain, login, cram-md5, scram-sha-1, scram-sha-256, xoauth2", v)
			}
			c.Auth = mech
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("timeout=%q is not a positive duration such as 10s", v)
			}
			c.Timeout = d
		default:
			return fmt.Errorf("unknown parameter %q (want from, starttls, auth or timeout)", key)
		}
	}
	switch mode := TLSMode(starttls); {
	case starttls == "":
		if c.TLS == TLSMandatory && isLoopback(c.Host) {
			c.TLS = TLSNone
		}
	case c.TLS == TLSImplicit:
		return errors.New("starttls does not apply to smtps://, which is encrypted from the start")
	case mode == TLSMandatory || mode == TLSOpportunistic || mode == TLSNone:
		c.TLS = mode
	default:
		return fmt.Errorf("starttls=%q is not mandatory, opportunistic or none", starttls)
	}
	if q.Has("auth") && c.Username == "" {
		return errors.New("auth is set but the URL has no user")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SMTPSender delivers through an SMTP server, one connection per message.
type SMTPSender struct {
	client   *gomail.Client
	from     string
	password string
	timeout  time.Duration
}

// NewSMTPSender returns a sender for c. It does not connect until the first Send.
func NewSMTPSender(c *SMTPConfig) (*SMTPSender, error) {
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(c.Timeout)}
	switch c.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if c.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(c.Auth), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	return &SMTPSender{client: client, from: cmp.Or(c.From, DefaultFrom), password: c.Password, timeout: c.Timeout}, nil
}

// MaxSendDuration bounds one Send: go-mail gives the connection, the greeting and
// authentication, and the message each the configured timeout, and the closing QUIT shares the
// last one; one more timeout is margin.
func (s *SMTPSender) MaxSendDuration() time.Duration { return 4 * s.timeout }

// Send delivers m. ctx bounds the connection set-up; each later command has the configured
// timeout.
func (s *SMTPSender) Send(ctx context.Context, m *Message) error {
	msg, err := compose(s.from, m)
	if err != nil {
		return err
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		// The error ends up in the outbox row and the log. No server echoes a password, but
		// should one, it is not copied there.
		if s.password != "" && strings.Contains(err.Error(), s.password) {
			return errors.New(strings.ReplaceAll(err.Error(), s.password, "xxxxx"))
		}
		return err
	}
	return nil
}
