package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func mustCipher(t *testing.T, fill byte) *Cipher {
	t.Helper()
	c, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSealOpenRoundTrip(t *testing.T) {
	c := mustCipher(t, 1)
	sealed, err := c.Seal("shpat_secret", "shop:1:access_token")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "shpat_secret") || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("sealed value %q leaks or lacks the version prefix", sealed)
	}
	again, _ := c.Seal("shpat_secret", "shop:1:access_token")
	if again == sealed {
		t.Fatal("two seals of the same value are equal: the nonce is not random")
	}
	plain, err := c.Open(sealed, "shop:1:access_token")
	if err != nil || plain != "shpat_secret" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	c := mustCipher(t, 1)
	sealed, _ := c.Seal("secret", "shop:1:access_token")
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	raw[len(raw)-1] ^= 1
	tampered := "v1:" + base64.StdEncoding.EncodeToString(raw)
	cases := []struct {
		name   string
		cipher *Cipher
		sealed string
		ad     string
	}{
		{"other shop", c, sealed, "shop:2:access_token"},
		{"other field", c, sealed, "shop:1:refresh_token"},
		{"other key", mustCipher(t, 2), sealed, "shop:1:access_token"},
		{"tampered", c, tampered, "shop:1:access_token"},
		{"not base64", c, "v1:***", "shop:1:access_token"},
		{"unknown version", c, "v9:abc", "shop:1:access_token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if plain, err := tc.cipher.Open(tc.sealed, tc.ad); err == nil {
				t.Fatalf("Open succeeded with %q", plain)
			}
		})
	}
	if _, err := mustCipher(t, 2).Open(sealed, "shop:1:access_token"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong key error = %v, want ErrWrongKey", err)
	}
}

func TestEmptyStaysEmpty(t *testing.T) {
	c := mustCipher(t, 1)
	if s, _ := c.Seal("", "x"); s != "" {
		t.Fatalf("Seal(\"\") = %q", s)
	}
	if s, _ := c.Open("", "x"); s != "" {
		t.Fatalf("Open(\"\") = %q", s)
	}
}

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, KeySize)
	good := []string{
		strings.Repeat("ab", KeySize),
		base64.StdEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		"  " + strings.Repeat("ab", KeySize) + "\n",
	}
	for _, s := range good {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	bad := []string{"", "short", strings.Repeat("ab", 16), base64.StdEncoding.EncodeToString(key[:16]), strings.Repeat("zz", KeySize)}
	for _, s := range bad {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	if _, err := New(key[:16]); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "encryption.key")
	key, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(key) != KeySize {
		t.Fatalf("first call = %d bytes, created %v, %v", len(key), created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Fatalf("second call = %x, created %v, %v; want the same key", again, created, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "encryption.key")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _, err := LoadOrCreateKeyFile(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("concurrent callers got different keys")
		}
	}
}

func TestMarkIsKeyedAndStable(t *testing.T) {
	a, b := mustCipher(t, 1), mustCipher(t, 2)
	m := a.Mark("hash-of-an-address", "shop:1")
	if m != a.Mark("hash-of-an-address", "shop:1") {
		t.Fatal("Mark is not deterministic")
	}
	if m == b.Mark("hash-of-an-address", "shop:1") {
		t.Fatal("two keys give the same marker: it is not keyed")
	}
	if m == a.Mark("hash-of-an-address", "shop:2") || m == a.Mark("other", "shop:1") {
		t.Fatal("markers of different shops or values collide")
	}
	if len(m) != 64 {
		t.Fatalf("marker %q is not hex SHA-256 sized", m)
	}
}
