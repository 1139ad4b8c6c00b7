package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
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
	if _, err := newTestBox(t).Open(b.Seal("x")); err != ErrUnknownKey {
		t.Fatalf("Open with another key err = %v, want ErrUnknownKey", err)
	}
}

// legacyKey and legacySealed are a value sealed by the v1 format, before key ids existed
// (commit 6505bbc), kept byte for byte: stored values like it must keep opening.
const (
	legacyKey    = "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk="
	legacySealed = "AQ9YGQ5p6GI/QRTmjhmiJE0IKRwvboegNg5o+ToiqNM+WTkto2eOx0T4E2NSJrIs"
	legacyPlain  = "sk_live_legacy_4242"
)

func mustKey(t *testing.T, s string) []byte {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustBox(t *testing.T, current []byte, previous ...[]byte) *Box {
	t.Helper()
	b, err := NewBox(current, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenLegacyFormat(t *testing.T) {
	legacy := mustKey(t, legacyKey)
	sealed, _ := base64.StdEncoding.DecodeString(legacySealed)
	other := mustKey(t, NewKey())
	for name, b := range map[string]*Box{
		"as current":  mustBox(t, legacy),
		"as previous": mustBox(t, other, mustKey(t, NewKey()), legacy),
	} {
		got, err := b.Open(sealed)
		if err != nil || got != legacyPlain {
			t.Errorf("%s: Open(v1) = %q, %v; want %q", name, got, err, legacyPlain)
		}
		if b.IsCurrent(sealed) {
			t.Errorf("%s: a v1 value counts as current", name)
		}
	}
	if _, err := mustBox(t, other).Open(sealed); !errors.Is(err, ErrMalformed) {
		t.Errorf("Open(v1) without its key: %v, want ErrMalformed", err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := mustKey(t, NewKey()), mustKey(t, NewKey())
	old := mustBox(t, oldKey)
	sealed := old.Seal("merchant-key-0042")
	if sealed[0] != formatV2 || !bytes.Equal(sealed[1:5], keyID(oldKey)) {
		t.Fatalf("Seal header = %x, want v2 and the key id", sealed[:5])
	}

	both := mustBox(t, newKey, oldKey)
	if both.IsCurrent(sealed) || !old.IsCurrent(sealed) {
		t.Error("IsCurrent does not follow the current key")
	}
	resealed, err := both.Reseal(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if !both.IsCurrent(resealed) {
		t.Error("a resealed value is not current")
	}
	onlyNew := mustBox(t, newKey)
	if got, err := onlyNew.Open(resealed); err != nil || got != "merchant-key-0042" {
		t.Errorf("Open with only the new key = %q, %v", got, err)
	}
	if _, err := onlyNew.Open(sealed); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open of an old value with only the new key: %v, want ErrUnknownKey", err)
	}
	// The key id is authenticated: moving a value under another id breaks it.
	forged := bytes.Clone(resealed)
	copy(forged[1:5], keyID(oldKey))
	if _, err := both.Open(forged); !errors.Is(err, ErrMalformed) {
		t.Errorf("Open of a value with a swapped key id: %v, want ErrMalformed", err)
	}
	if both.KeyID() == old.KeyID() || len(both.KeyID()) != 8 {
		t.Errorf("KeyID = %q and %q", both.KeyID(), old.KeyID())
	}
}

func TestNewBoxKeys(t *testing.T) {
	k := mustKey(t, NewKey())
	if b, err := NewBox(k, k, k); err != nil || len(b.keys) != 1 {
		t.Errorf("NewBox with the current key repeated: %v", err)
	}
	if _, err := NewBox(k, []byte("short")); err == nil {
		t.Error("NewBox accepted a short previous key")
	}
	if _, err := NewBox([]byte("short")); err == nil {
		t.Error("NewBox accepted a short key")
	}
}

func TestOpenMalformed(t *testing.T) {
	b := newTestBox(t)
	good := b.Seal("x")
	for name, v := range map[string][]byte{
		"empty":           {},
		"unknown format":  append([]byte{9}, good[1:]...),
		"v2 header only":  good[:5],
		"v2 short":        good[:20],
		"v1 short":        {formatV1, 1, 2, 3},
		"v2 as v1":        append([]byte{formatV1}, good[1:]...),
		"truncated tag":   good[:len(good)-1],
		"nil-like zeroes": make([]byte, 40),
	} {
		if _, err := b.Open(v); err == nil {
			t.Errorf("%s: Open succeeded", name)
		}
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
