// Package secrets encrypts write-only fields at rest with AES-256-GCM and masks them for reading.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// formatV1 prefixes every sealed value, so that a later key or algorithm can be told apart.
const formatV1 = 1

// Redacted stands for a secret's value wherever it must not be shown, such as audit records.
const Redacted = "[redacted]"

// ErrMalformed reports a sealed value that cannot be opened with the box's key.
var ErrMalformed = errors.New("secrets: malformed or foreign ciphertext")

// Box seals and opens secrets with one key.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey decodes a base64 (standard or URL alphabet) 32-byte key.
func ParseKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != KeySize {
				return nil, fmt.Errorf("key is %d bytes, want %d", len(key), KeySize)
			}
			return key, nil
		}
	}
	return nil, errors.New("key is not base64")
}

// NewKey returns a random key encoded as ParseKey expects.
func NewKey() string {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms.
	return base64.StdEncoding.EncodeToString(key)
}

// Seal encrypts plaintext as version byte, nonce, ciphertext and tag.
func (b *Box) Seal(plaintext string) []byte {
	nonce := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	nonce[0] = formatV1
	_, _ = rand.Read(nonce[1:])
	return b.aead.Seal(nonce, nonce[1:], []byte(plaintext), nonce[:1])
}

// Open decrypts a value made by Seal.
func (b *Box) Open(sealed []byte) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != formatV1 {
		return "", ErrMalformed
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], sealed[:1])
	if err != nil {
		return "", ErrMalformed
	}
	return string(plain), nil
}

// Mask returns the read form of a sealed secret: nil when unset, otherwise "••••" followed by
// the last 4 characters when the secret has at least 8 (so that short PINs stay hidden).
func (b *Box) Mask(sealed []byte) (*string, error) {
	if sealed == nil {
		return nil, nil
	}
	plain, err := b.Open(sealed)
	if err != nil {
		return nil, err
	}
	m := MaskString(plain)
	return &m, nil
}

// MaskString masks a plaintext secret as Mask does.
func MaskString(plain string) string {
	r := []rune(plain)
	if len(r) < 8 {
		return "••••"
	}
	return "••••" + string(r[len(r)-4:])
}
