// Package secrets encrypts write-only fields at rest with AES-256-GCM and masks them for reading.
//
// A Box seals with one current key and opens with it and any number of previous keys, so that
// SECRETS_KEY can be rotated: configure the new key as current and the old one as previous,
// re-seal the stored values (the server's rotate-secrets command), then drop the old key.
//
// Sealed values carry their format in the first byte:
//
//	v1  0x01 | nonce (12) | ciphertext and tag           AAD: 0x01
//	v2  0x02 | key id (4) | nonce (12) | ciphertext and tag   AAD: the 5 header bytes
//
// v1 is what every value looked like before key rotation existed; it names no key, so it is
// opened by trying each key. Seal writes v2, whose key id names the key directly.
package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// Formats of sealed values, in their first byte.
const (
	formatV1 = 1
	formatV2 = 2
)

// keyIDSize is the length of a key id in v2 values.
const keyIDSize = 4

// Redacted stands for a secret's value wherever it must not be shown, such as audit records.
const Redacted = "[redacted]"

// ErrMalformed reports a sealed value that cannot be opened with the box's keys.
var ErrMalformed = errors.New("secrets: malformed or foreign ciphertext")

// ErrUnknownKey reports a value sealed with a key the box does not hold: neither the current
// key nor a previous one.
var ErrUnknownKey = errors.New("secrets: sealed with a key that is neither the current nor a previous key")

type key struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
}

// Box seals secrets with its current key and opens them with any of its keys.
type Box struct {
	keys []key // keys[0] is the current key
}

// NewBox returns a Box that seals with current, a 32-byte key, and also opens values sealed
// with any of previous.
func NewBox(current []byte, previous ...[]byte) (*Box, error) {
	b := &Box{}
	var seen [][]byte
	for i, raw := range append([][]byte{current}, previous...) {
		if slices.ContainsFunc(seen, func(o []byte) bool { return bytes.Equal(o, raw) }) {
			continue // the current key listed again as previous, say
		}
		k, err := newKey(raw)
		if err != nil {
			if i == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("previous key %d: %w", i, err)
		}
		for _, other := range b.keys {
			if other.id == k.id {
				// Two different keys with one id (1 in 2^32): a v2 value could not name its key.
				return nil, fmt.Errorf("secrets: previous key %d has the key id of another key; generate a new key", i)
			}
		}
		seen = append(seen, raw)
		b.keys = append(b.keys, k)
	}
	return b, nil
}

func newKey(raw []byte) (key, error) {
	if len(raw) != KeySize {
		return key{}, fmt.Errorf("secrets: key is %d bytes, want %d", len(raw), KeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return key{}, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("secrets: %w", err)
	}
	k := key{aead: aead}
	copy(k.id[:], keyID(raw))
	return k, nil
}

// keyID names a key without revealing it: a prefix of a hash of the key.
func keyID(raw []byte) []byte {
	sum := sha256.Sum256(append([]byte("paygql secrets key id\x00"), raw...))
	return sum[:keyIDSize]
}

// KeyID returns the current key's id in hex, as sealed values name it.
func (b *Box) KeyID() string { return hex.EncodeToString(b.keys[0].id[:]) }

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

// Seal encrypts plaintext with the current key in the v2 format.
func (b *Box) Seal(plaintext string) []byte {
	k := b.keys[0]
	const header = 1 + keyIDSize
	n := k.aead.NonceSize()
	out := make([]byte, header+n, header+n+len(plaintext)+k.aead.Overhead())
	out[0] = formatV2
	copy(out[1:header], k.id[:])
	_, _ = rand.Read(out[header:])
	return k.aead.Seal(out, out[header:], []byte(plaintext), out[:header])
}

// Open decrypts a value made by Seal, or by the v1 format that preceded it, with whichever of
// the box's keys sealed it.
func (b *Box) Open(sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", ErrMalformed
	}
	switch sealed[0] {
	case formatV1:
		for _, k := range b.keys {
			if plain, err := open(k, sealed, 1); err == nil {
				return plain, nil
			}
		}
		return "", ErrMalformed
	case formatV2:
		if len(sealed) < 1+keyIDSize {
			return "", ErrMalformed
		}
		for _, k := range b.keys {
			if bytes.Equal(k.id[:], sealed[1:1+keyIDSize]) {
				return open(k, sealed, 1+keyIDSize)
			}
		}
		return "", ErrUnknownKey
	}
	return "", ErrMalformed
}

// open decrypts sealed, whose first header bytes are authenticated data and followed by the
// nonce.
func open(k key, sealed []byte, header int) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < header+n+k.aead.Overhead() {
		return "", ErrMalformed
	}
	plain, err := k.aead.Open(nil, sealed[header:header+n], sealed[header+n:], sealed[:header])
	if err != nil {
		return "", ErrMalformed
	}
	return string(plain), nil
}

// IsCurrent reports whether sealed is in the v2 format under the current key, so that
// re-sealing it would change nothing.
func (b *Box) IsCurrent(sealed []byte) bool {
	return len(sealed) > 1+keyIDSize && sealed[0] == formatV2 && bytes.Equal(sealed[1:1+keyIDSize], b.keys[0].id[:])
}

// Reseal opens sealed with any key and seals it again with the current key.
func (b *Box) Reseal(sealed []byte) ([]byte, error) {
	plain, err := b.Open(sealed)
	if err != nil {
		return nil, err
	}
	return b.Seal(plain), nil
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
