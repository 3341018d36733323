package shopify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/ritorno/ritorno/shopify"
)

// reference computes the signature independently of the code under test.
func reference(body, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestVerifyWebhook(t *testing.T) {
	body := `{"id":1}`
	cases := []struct {
		name    string
		body    string
		header  string
		secrets []string
		want    bool
	}{
		{"current secret", body, reference(body, "current"), []string{"current", "old"}, true},
		{"previous secret during rotation", body, reference(body, "old"), []string{"current", "old"}, true},
		{"neither secret", body, reference(body, "third"), []string{"current", "old"}, false},
		{"no previous configured", body, reference(body, "old"), []string{"current", ""}, false},
		{"tampered body", `{"id":2}`, reference(body, "current"), []string{"current"}, false},
		{"empty body", "", reference("", "current"), []string{"current"}, false},
		{"not base64", body, "%%%", []string{"current"}, false},
		{"empty header", body, "", []string{"current"}, false},
		{"no secret at all", body, reference(body, ""), []string{""}, false},
		{"truncated", body, reference(body, "current")[:20], []string{"current"}, false},
	}
	for _, c := range cases {
		if got := shopify.VerifyWebhook([]byte(c.body), c.header, c.secrets...); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if shopify.SignWebhook([]byte(body), "s") != reference(body, "s") {
		t.Error("SignWebhook disagrees with the reference")
	}
	v := shopify.NewVerifier("current", "old")
	if !v.VerifyWebhook([]byte(body), reference(body, "old")) || v.VerifyWebhook([]byte(body), reference(body, "x")) {
		t.Error("Verifier does not try both secrets")
	}
}

func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte(`{"id":1}`), reference(`{"id":1}`, "secret"))
	f.Add([]byte(""), "")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		got := shopify.VerifyWebhook(body, header, "secret", "previous")
		want := len(body) > 0 && (header == reference(string(body), "secret") || header == reference(string(body), "previous"))
		if got != want {
			t.Fatalf("VerifyWebhook = %v, want %v", got, want)
		}
	})
}
