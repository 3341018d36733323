package storefront

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

const (
	testIdentitySecret = "s3cr3t-Ab_9"
	testConnectionKey  = "ck_Zm9vYmFy"
	testStore          = "https://shop.example/boutique"
)

// fixedVector is the token of woocommerce-plugin/tests/identity_test.php, computed there
// independently with Python's hmac: secret testIdentitySecret, store testStore, key
// testConnectionKey, customer 42, issued at testIssued.
const fixedVector = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3Nob3AuZXhhbXBsZS9ib3V0aXF1ZSIsImF1ZCI6ImNrX1ptOXZZbUZ5Iiwic3ViIjoiNDIiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzIyNjIwMH0.r3FI7n-mvymSvzjdNTiSYenHOM_EH2C7OQuBhTZk30Q"

// testIssued is the iat of the fixed vector in woocommerce-plugin/tests/identity_test.php.
var testIssued = time.Unix(1767225600, 0)

// signIdentity signs header and claims (raw JSON, so tests can write anything) the way the
// plugin does.
func signIdentity(header, claims, secret string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// testClaims returns the plugin's claims JSON for sub, issued at iat and expiring after life.
func testClaims(sub string, iat time.Time, life time.Duration) string {
	return `{"iss":"` + testStore + `","aud":"` + testConnectionKey + `","sub":"` + sub +
		`","iat":` + strconv.FormatInt(iat.Unix(), 10) + `,"exp":` + strconv.FormatInt(iat.Add(life).Unix(), 10) + `}`
}

const hs256 = `{"alg":"HS256","typ":"JWT"}`

func TestVerifyIdentity(t *testing.T) {
	good := signIdentity(hs256, testClaims("42", testIssued, 10*time.Minute), testIdentitySecret)
	goodParts := strings.Split(good, ".")
	tamperedClaims := base64.RawURLEncoding.EncodeToString([]byte(testClaims("43", testIssued, 10*time.Minute)))

	tests := []struct {
		name   string
		token  string
		secret string // testIdentitySecret when empty, no secret at all when "-"
		key    string // testConnectionKey when empty
		now    time.Time
		want   int64  // 0: must fail with EUNAUTHORIZED
		why    string // when failing: part of the message, so it fails for the intended reason
	}{
		{name: "fixed vector of the PHP test", token: fixedVector, now: testIssued, want: 42},
		{name: "good, just issued", token: good, now: testIssued, want: 42},
		{name: "good, near expiry", token: good, now: testIssued.Add(10 * time.Minute), want: 42},
		{name: "good, within leeway after exp", token: good, now: testIssued.Add(11 * time.Minute), want: 42},
		{name: "good, store clock 60 s ahead", token: good, now: testIssued.Add(-60 * time.Second), want: 42},
		{name: "good, without typ", now: testIssued, want: 7,
			token: signIdentity(`{"alg":"HS256"}`, testClaims("7", testIssued, time.Minute), testIdentitySecret)},
		{name: "good, 15 min lifetime", now: testIssued, want: 9223372036854775807,
			token: signIdentity(hs256, testClaims("9223372036854775807", testIssued, 15*time.Minute), testIdentitySecret)},
		{name: "good, extra claims ignored", now: testIssued, want: 5,
			token: signIdentity(hs256, `{"jti":"x","aud":"`+testConnectionKey+`","sub":"5","iat":1767225600,"exp":1767226200}`, testIdentitySecret)},

		{name: "expired", why: "expired", token: good, now: testIssued.Add(11*time.Minute + time.Second)},
		{name: "issued in the future", why: "future", token: good, now: testIssued.Add(-61 * time.Second)},
		{name: "tampered claims", why: "signature", token: goodParts[0] + "." + tamperedClaims + "." + goodParts[2], now: testIssued},
		{name: "tampered signature", why: "signature", token: tamperSignature(good), now: testIssued},
		{name: "signed with another secret", why: "signature", token: good, secret: "another-secret", now: testIssued},
		{name: "checked against another key", why: "aud", token: good, key: "ck_other", now: testIssued},
		{name: "wrong aud", why: "aud", now: testIssued,
			token: signIdentity(hs256, strings.Replace(testClaims("42", testIssued, time.Minute), testConnectionKey, "ck_other", 1), testIdentitySecret)},
		{name: "aud as an array", why: "claims are not", now: testIssued,
			token: signIdentity(hs256, `{"aud":["`+testConnectionKey+`"],"sub":"42","iat":1767225600,"exp":1767226200}`, testIdentitySecret)},
		{name: "alg none", why: "HS256", now: testIssued,
			token: jwtPart(`{"alg":"none","typ":"JWT"}`) + "." + goodParts[1] + "."},
		{name: "alg none signed anyway", why: "HS256", now: testIssued,
			token: signIdentity(`{"alg":"none","typ":"JWT"}`, testClaims("42", testIssued, time.Minute), testIdentitySecret)},
		{name: "alg HS512", why: "HS256", now: testIssued,
			token: signIdentity(`{"alg":"HS512","typ":"JWT"}`, testClaims("42", testIssued, time.Minute), testIdentitySecret)},
		{name: "typ not JWT", why: "type", now: testIssued,
			token: signIdentity(`{"alg":"HS256","typ":"JWE"}`, testClaims("42", testIssued, time.Minute), testIdentitySecret)},
		{name: "lifetime too long", why: "lifetime", now: testIssued,
			token: signIdentity(hs256, testClaims("42", testIssued, 15*time.Minute+time.Second), testIdentitySecret)},
		{name: "exp before iat", why: "lifetime", now: testIssued,
			token: signIdentity(hs256, testClaims("42", testIssued, -time.Minute), testIdentitySecret)},
		{name: "no exp", why: "expiry", now: testIssued,
			token: signIdentity(hs256, `{"aud":"`+testConnectionKey+`","sub":"42","iat":1767225600}`, testIdentitySecret)},
		{name: "no iat", why: "issue time", now: testIssued,
			token: signIdentity(hs256, `{"aud":"`+testConnectionKey+`","sub":"42","exp":1767226200}`, testIdentitySecret)},
		{name: "exp as a string", why: "claims are not", now: testIssued,
			token: signIdentity(hs256, `{"aud":"`+testConnectionKey+`","sub":"42","iat":1767225600,"exp":"1767226200"}`, testIdentitySecret)},
		{name: "sub zero", why: "sub", now: testIssued, token: signIdentity(hs256, testClaims("0", testIssued, time.Minute), testIdentitySecret)},
		{name: "sub negative", why: "sub", now: testIssued, token: signIdentity(hs256, testClaims("-42", testIssued, time.Minute), testIdentitySecret)},
		{name: "sub with plus", why: "sub", now: testIssued, token: signIdentity(hs256, testClaims("+42", testIssued, time.Minute), testIdentitySecret)},
		{name: "sub leading zero", why: "sub", now: testIssued, token: signIdentity(hs256, testClaims("042", testIssued, time.Minute), testIdentitySecret)},
		{name: "sub not a number", why: "sub", now: testIssued, token: signIdentity(hs256, testClaims("guest", testIssued, time.Minute), testIdentitySecret)},
		{name: "sub empty", why: "sub", now: testIssued, token: signIdentity(hs256, testClaims("", testIssued, time.Minute), testIdentitySecret)},
		{name: "sub over int64", why: "out of range", now: testIssued, token: signIdentity(hs256, testClaims("9223372036854775808", testIssued, time.Minute), testIdentitySecret)},
		{name: "sub as a number", why: "claims are not", now: testIssued,
			token: signIdentity(hs256, `{"aud":"`+testConnectionKey+`","sub":42,"iat":1767225600,"exp":1767226200}`, testIdentitySecret)},
		{name: "padded base64", why: "base64url", now: testIssued, token: goodParts[0] + "=." + goodParts[1] + "." + goodParts[2]},
		{name: "standard base64 alphabet", why: "base64url", now: testIssued, token: strings.ReplaceAll(fixedVector, "-", "+")},
		{name: "empty", why: "missing", now: testIssued, token: ""},
		{name: "garbage", why: "three", now: testIssued, token: "not a token"},
		{name: "two parts", why: "three", now: testIssued, token: goodParts[0] + "." + goodParts[1]},
		{name: "four parts", why: "three", now: testIssued, token: good + ".x"},
		{name: "header not JSON", why: "header", now: testIssued, token: signIdentity(`HS256`, testClaims("42", testIssued, time.Minute), testIdentitySecret)},
		{name: "claims not JSON", why: "claims are not", now: testIssued, token: signIdentity(hs256, `[42]`, testIdentitySecret)},
		{name: "too long", why: "longer", now: testIssued, token: strings.Repeat("a", maxIdentityToken+1)},
		{name: "shop without secret", why: "no connection secret", token: good, secret: "-", now: testIssued},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secret, key := tc.secret, tc.key
			if secret == "" {
				secret = testIdentitySecret
			} else if secret == "-" {
				secret = ""
			}
			if key == "" {
				key = testConnectionKey
			}
			got, err := VerifyIdentity(tc.token, secret, key, tc.now)
			if tc.want != 0 {
				if err != nil || got != tc.want {
					t.Fatalf("VerifyIdentity = %d, %v; want %d", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("VerifyIdentity = %d, nil; want an error", got)
			}
			if code := ritorno.ErrorCode(err); code != ritorno.EUNAUTHORIZED {
				t.Errorf("code = %q, want %q (%v)", code, ritorno.EUNAUTHORIZED, err)
			}
			if msg := ritorno.ErrorMessage(err); !strings.Contains(msg, tc.why) {
				t.Errorf("message = %q, want it to say %q", msg, tc.why)
			}
			assertNoSecretInError(t, err, tc.token, secret)
		})
	}
}

// assertNoSecretInError fails when err's client message repeats the token, its signature
// or the secret.
func assertNoSecretInError(t *testing.T, err error, token, secret string) {
	t.Helper()
	msg := err.Error() + " " + ritorno.ErrorMessage(err)
	parts := strings.Split(token, ".")
	for _, s := range append([]string{token, secret}, parts...) {
		if len(s) >= 8 && strings.Contains(msg, s) {
			t.Errorf("error %q repeats a secret or a token part", msg)
		}
	}
}

// tamperSignature changes one character in the middle of the signature part, keeping it
// valid base64url so that the signature comparison, not the decoding, refuses it.
func tamperSignature(token string) string {
	i := strings.LastIndexByte(token, '.') + 5
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// jwtPart encodes one JWT part.
func jwtPart(s string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// TestVerifyIdentityFromPHP signs tokens with the plugin's own PHP code
// (woocommerce-plugin/tests/sign.php) and checks them here, so that the two languages
// cannot drift apart. php-cli is installed by scripts/php-check.sh.
func TestVerifyIdentityFromPHP(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		if os.Getenv("RITORNO_TEST_REQUIRE_PHP") != "" {
			t.Fatal("php is not installed and RITORNO_TEST_REQUIRE_PHP is set; run scripts/php-check.sh (it installs php-cli)")
		}
		t.Skip("php is not installed: skipping the PHP-signed identity tokens (scripts/php-check.sh installs php-cli; set RITORNO_TEST_REQUIRE_PHP=1 to fail instead)")
	}
	script := filepath.Join("..", "woocommerce-plugin", "tests", "sign.php")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("the PHP signer is missing: %v", err)
	}
	now := time.Now().Truncate(time.Second)

	tests := []struct {
		name     string
		secret   string
		store    string
		key      string
		customer string
		issued   time.Time
		checkKey string // the key VerifyIdentity is given; key when empty
		check    time.Time
		want     int64 // 0: must be refused
	}{
		{name: "fresh token", secret: testIdentitySecret, store: testStore, key: testConnectionKey,
			customer: "42", issued: now, check: now, want: 42},
		{name: "generated-style secret and key, unicode store", secret: "p0Wc1Yy7ZgY0m9u3vNq8kJ2xH5tR4eL6aS1dF3gQ_-E",
			store: "https://bottega.example/négozio", key: "Kx9_-aZ0Kx9_-aZ0Kx9_-aZ0Kx9_-aZ0Kx9_-aZ0Kx8",
			customer: "9223372036854775807", issued: now, check: now.Add(5 * time.Minute), want: 9223372036854775807},
		{name: "secret with HTML characters", secret: `a&b<c>"d'e`, store: testStore, key: testConnectionKey,
			customer: "7", issued: now, check: now, want: 7},
		{name: "expired after ten minutes and the leeway", secret: testIdentitySecret, store: testStore, key: testConnectionKey,
			customer: "42", issued: now, check: now.Add(11*time.Minute + time.Second)},
		{name: "another connection", secret: testIdentitySecret, store: testStore, key: testConnectionKey,
			customer: "42", issued: now, checkKey: "ck_other", check: now},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), php, script, tc.secret, tc.store, tc.key, tc.customer, strconv.FormatInt(tc.issued.Unix(), 10))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("php sign.php: %v", err)
			}
			token := strings.TrimSpace(string(out))
			key := tc.checkKey
			if key == "" {
				key = tc.key
			}
			got, err := VerifyIdentity(token, tc.secret, key, tc.check)
			if tc.want != 0 {
				if err != nil || got != tc.want {
					t.Fatalf("VerifyIdentity(PHP token) = %d, %v; want %d", got, err, tc.want)
				}
				return
			}
			if ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
				t.Fatalf("VerifyIdentity(PHP token) = %d, %v; want EUNAUTHORIZED", got, err)
			}
		})
	}

	// The PHP signer and the Go test signer produce the same bytes (and so the fixed vector) for the same input.
	out, err := exec.CommandContext(t.Context(), php, script, testIdentitySecret, testStore, testConnectionKey, "42", strconv.FormatInt(testIssued.Unix(), 10)).Output()
	if err != nil {
		t.Fatalf("php sign.php: %v", err)
	}
	if got, want := strings.TrimSpace(string(out)), signIdentity(hs256, testClaims("42", testIssued, 10*time.Minute), testIdentitySecret); got != want {
		t.Errorf("PHP token\n%s\ndiffers from the Go-signed\n%s", got, want)
	}
}

// FuzzVerifyIdentity checks that no input panics, only EUNAUTHORIZED comes back, and an
// error never repeats the token or the secret.
func FuzzVerifyIdentity(f *testing.F) {
	f.Add(signIdentity(hs256, testClaims("42", testIssued, 10*time.Minute), testIdentitySecret))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("..")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		id, err := VerifyIdentity(token, testIdentitySecret, testConnectionKey, testIssued)
		if err == nil {
			if id <= 0 {
				t.Fatalf("accepted with id %d", id)
			}
			return
		}
		if code := ritorno.ErrorCode(err); code != ritorno.EUNAUTHORIZED {
			t.Fatalf("code = %q", code)
		}
		assertNoSecretInError(t, err, token, testIdentitySecret)
	})
}
