package secrets

import (
	"bytes"
	"testing"
)

func newTestBox(t *testing.T) *Box {
	t.Helper()
	key, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := newTestBox(t)
	sealed := b.Seal("sk_live_4242")
	if bytes.Contains(sealed, []byte("sk_live_4242")) {
		t.Fatal("sealed value contains the plaintext")
	}
	if again := b.Seal("sk_live_4242"); bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	got, err := b.Open(sealed)
	if err != nil || got != "sk_live_4242" {
		t.Fatalf("Open = %q, %v; want sk_live_4242", got, err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed); err != ErrMalformed {
		t.Fatalf("Open(tampered) err = %v, want ErrMalformed", err)
	}
	if _, err := newTestBox(t).Open(b.Seal("x")); err != ErrMalformed {
		t.Fatalf("Open with another key err = %v, want ErrMalformed", err)
	}
}

func TestMaskString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "••••"},
		{"1234", "••••"},
		{"1234567", "••••"},
		{"12345678", "••••5678"},
		{"sk_live_abcdef9876", "••••9876"},
		{"şifreğüöçİ", "••••üöçİ"},
	}
	for _, tt := range tests {
		if got := MaskString(tt.in); got != tt.want {
			t.Errorf("MaskString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseKey(t *testing.T) {
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Error("ParseKey(short key) succeeded")
	}
	if _, err := ParseKey("not base64 !"); err == nil {
		t.Error("ParseKey(garbage) succeeded")
	}
}
