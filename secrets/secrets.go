// Package secrets seals credentials (access tokens, API keys, webhook secrets) with
// AES-256-GCM before they are stored, and loads or creates the key that does it.
//
// A sealed value is "v1:" + base64(nonce || ciphertext). The caller passes associated data
// naming the owner and field (e.g. "shop:42:access_token"), so a value copied into another
// shop's row or another column does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

const prefix = "v1:"

// Cipher seals and opens values with one key. It is safe for concurrent use.
type Cipher struct {
	aead   cipher.AEAD
	macKey []byte // for Mark, derived from the key
}

// New returns a Cipher for a 32-byte key.
func New(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// A key of its own for markers, so that no HMAC output is ever computed under the AES key.
	derive := hmac.New(sha256.New, key)
	derive.Write([]byte("ritorno marker key v1"))
	return &Cipher{aead: aead, macKey: derive.Sum(nil)}, nil
}

// Seal encrypts plaintext bound to associatedData. The empty string stays empty, so that
// "not set" needs no key to read.
func (c *Cipher) Seal(plaintext, associatedData string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	sealed := c.aead.Seal(nonce, nonce, []byte(plaintext), []byte(associatedData))
	return prefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// Mark returns a keyed one-way marker of value for purpose (hex HMAC-SHA256 under a key
// derived from the encryption key). Unlike a plain hash, nobody without the key, which is
// not kept in the database, can test guessed values against it.
func (c *Cipher) Mark(value, purpose string) string {
	m := hmac.New(sha256.New, c.macKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// ErrWrongKey means a sealed value does not open: another key sealed it, or it was moved or
// tampered with.
var ErrWrongKey = errors.New("sealed value does not open with this key (wrong RITORNO_ENCRYPTION_KEY, or the value was altered)")

// Open decrypts a value produced by Seal with the same associated data.
func (c *Cipher) Open(sealed, associatedData string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	body, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", fmt.Errorf("sealed value has an unknown format")
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return "", fmt.Errorf("sealed value is malformed")
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], []byte(associatedData))
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}

// ParseKey decodes a key given as 64 hex digits or as standard/URL-safe base64 of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != KeySize {
				return nil, fmt.Errorf("RITORNO_ENCRYPTION_KEY must decode to %d bytes, got %d (generate one with: openssl rand -hex 32)", KeySize, len(key))
			}
			return key, nil
		}
	}
	return nil, fmt.Errorf("RITORNO_ENCRYPTION_KEY must be 64 hex digits or base64 of %d bytes (generate one with: openssl rand -hex 32)", KeySize)
}

// LoadOrCreateKeyFile reads the key stored at path, or creates it with 0600 permissions if
// the file does not exist. It is for the embedded single-machine default only; production
// passes the key in the environment. It refuses a key file others can read.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		info, statErr := os.Stat(path)
		if statErr != nil {
			return nil, false, statErr
		}
		if info.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("key file %s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
		}
		key, err := ParseKey(string(data))
		if err != nil {
			return nil, false, fmt.Errorf("key file %s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	// Write a temporary file, then link it into place: the key file appears whole or not at
	// all, and when two processes race the loser reads the winner's key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".encryption-key-*")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Close(); err != nil {
		return nil, false, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return LoadOrCreateKeyFile(path)
	} else if err != nil {
		return nil, false, err
	}
	return key, true, nil
}
