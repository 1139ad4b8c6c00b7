package outbox

import (
	"context"
	"fmt"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// DefaultFrom is the sender address when SMTP_URL names none, and of the development .eml files.
const DefaultFrom = "noreply@localhost"

// Sender delivers one message. The worker calls it after claiming the message, outside any
// transaction, one message at a time; an error leaves the message for a later attempt.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// compose builds the RFC 5322 mail for m: plain text, UTF-8, with a Message-ID derived from
// the outbox row alone (its id and creation time), so that every attempt at one row carries the
// same Message-ID and a receiving system can recognise the second delivery of a mail whose
// first delivery a crash kept from being recorded.
func compose(from string, m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(m.Recipient); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(fmt.Sprintf("outbox-%d-%d@%s", m.ID, m.CreatedAt.UnixMilli(), domain(from)))
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// domain returns the domain of an address such as "Name <user@example.com>", for logs that
// must not show whole recipient addresses.
func domain(address string) string {
	if a, err := netmail.ParseAddress(address); err == nil {
		address = a.Address
	}
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		return address[i+1:]
	}
	return ""
}
