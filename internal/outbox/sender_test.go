package outbox

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/payplat/paygql/internal/smtptest"
)

func TestDirSenderWritesEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s, err := NewDirSender(dir, DefaultFrom, quiet)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, id := range []int64{10, 9} {
		m := &Message{ID: id, CreatedAt: created, Kind: "register", Recipient: "Ayşe Yılmaz <ayse@bayi.example>",
			Subject: fmt.Sprintf("Hoş geldiniz #%d", id), Body: "Merhaba,\nşifrenizi belirleyin.\n"}
		if err := s.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}

	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("mail directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	nameRE := regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-\d{12}\.eml$`)
	if len(names) != 2 || !nameRE.MatchString(names[0]) || !nameRE.MatchString(names[1]) ||
		!strings.HasSuffix(names[0], "-000000000010.eml") || !slices.IsSorted(names) {
		t.Fatalf("files %q: want two .eml files named by time then id, in writing order", names)
	}
	path := filepath.Join(dir, names[0])
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, subject, body := smtptest.Parse(t, raw)
	if h.Get("From") != "<noreply@localhost>" || h.Get("Message-Id") != fmt.Sprintf("<outbox-10-%d@localhost>", created.UnixMilli()) {
		t.Errorf("From %q, Message-Id %q", h.Get("From"), h.Get("Message-Id"))
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Name != "Ayşe Yılmaz" || to[0].Address != "ayse@bayi.example" {
		t.Errorf("To %v, %v", to, err)
	}
	if date, err := h.Date(); err != nil || time.Since(date) > time.Minute {
		t.Errorf("Date %v, %v", date, err)
	}
	if subject != "Hoş geldiniz #10" || body != "Merhaba,\r\nşifrenizi belirleyin.\r\n" {
		t.Errorf("subject %q, body %q", subject, body)
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		url  string
		want SMTPConfig // redacted is compared through String
		str  string
	}{
		{"smtp://127.0.0.1:2525", SMTPConfig{Host: "127.0.0.1", Port: 2525, TLS: TLSNone, Auth: gomail.SMTPAuthAutoDiscover, Timeout: 15 * time.Second},
			"smtp://127.0.0.1:2525"},
		{"smtp://localhost?starttls=opportunistic", SMTPConfig{Host: "localhost", Port: 587, TLS: TLSOpportunistic, Auth: gomail.SMTPAuthAutoDiscover, Timeout: 15 * time.Second},
			"smtp://localhost?starttls=opportunistic"},
		{"smtp://user%40example.com:p%40ss@mail.example.com:587?from=noreply@example.com",
			SMTPConfig{Host: "mail.example.com", Port: 587, Username: "user@example.com", Password: "p@ss", From: "<noreply@example.com>",
				TLS: TLSMandatory, Auth: gomail.SMTPAuthAutoDiscover, Timeout: 15 * time.Second},
			"smtp://user%40example.com:xxxxx@mail.example.com:587?from=noreply@example.com"},
		{"smtps://apikey:secret@smtp.example.com?from=Pay+Platform+%3Cno@example.com%3E&auth=LOGIN&timeout=5s",
			SMTPConfig{Host: "smtp.example.com", Port: 465, Username: "apikey", Password: "secret", From: `"Pay Platform" <no@example.com>`,
				TLS: TLSImplicit, Auth: gomail.SMTPAuthLogin, Timeout: 5 * time.Second},
			"smtps://apikey:xxxxx@smtp.example.com?from=Pay+Platform+%3Cno@example.com%3E&auth=LOGIN&timeout=5s"},
		{"smtp://[::1]:25?starttls=mandatory", SMTPConfig{Host: "::1", Port: 25, TLS: TLSMandatory, Auth: gomail.SMTPAuthAutoDiscover, Timeout: 15 * time.Second},
			"smtp://[::1]:25?starttls=mandatory"},
	}
	for _, tt := range tests {
		got, err := ParseSMTPURL(tt.url)
		if err != nil {
			t.Errorf("ParseSMTPURL(%q): %v", tt.url, err)
			continue
		}
		if got.String() != tt.str {
			t.Errorf("ParseSMTPURL(%q).String() = %q, want %q", tt.url, got.String(), tt.str)
		}
		got.redacted = ""
		if *got != tt.want {
			t.Errorf("ParseSMTPURL(%q) = %#v, want %#v", tt.url, *got, tt.want)
		}
	}
}

func TestParseSMTPURLErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"mail.example.com:587", "scheme"},
		{"http://u:hunter22@mail.example.com", "scheme"},
		{"smtp://u:hunter22@:587", "no host"},
		{"smtp://u:hunter22@mail.example.com:99999", "port"},
		{"smtp://u:hunter22@mail.example.com/x", "path"},
		{"smtp://u:hunter22@mail.example.com?from=not-an-address", "from"},
		{"smtp://u:hunter22@mail.example.com?form=a@example.com", `unknown parameter "form"`},
		{"smtp://u:hunter22@mail.example.com?starttls=yes", "starttls"},
		{"smtps://u:hunter22@mail.example.com?starttls=none", "smtps"},
		{"smtp://u:hunter22@mail.example.com?auth=kerberos", "auth"},
		{"smtp://mail.example.com?auth=plain", "no user"},
		{"smtp://u:hunter22@mail.example.com?timeout=soon", "timeout"},
		{"smtp://u:hunter22@mail.example.com:port", "URL"},
		{"smtp://u:hunter22@mail.example.com?x=%zz", "query"},
	}
	for _, tt := range tests {
		_, err := ParseSMTPURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter22") {
			t.Errorf("ParseSMTPURL(%q) = %v, want an error about %q without the password", tt.url, err, tt.want)
		}
	}
}

func TestSMTPSenderMandatoryTLSRefusesPlainServer(t *testing.T) {
	ms := smtptest.Start(t)
	s := smtpSender(t, ms, "", "starttls=mandatory")
	err := s.Send(t.Context(), &Message{ID: 1, Recipient: "a@example.com", Subject: "s", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || len(ms.Received()) != 0 {
		t.Errorf("Send = %v with %d received; want a STARTTLS error and nothing sent", err, len(ms.Received()))
	}
}
