package woocommerce

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/payload"
)

// Connecting a store: the merchant approves Ritorno on the store's /wc-auth/v1/authorize
// page, WooCommerce creates an API key pair and POSTs it (unsigned) to our callback URL,
// then sends the browser to our return URL with success=1|0 and the user_id we passed.

// Scopes a key can be granted.
const (
	ScopeRead      = "read"
	ScopeWrite     = "write"
	ScopeReadWrite = "read_write" // Ritorno needs this: read histories, create webhooks
)

// userIDPattern keeps user_id to characters every step of the flow leaves untouched:
// WooCommerce echoes it raw in the callback JSON but sanitized in the return URL, and the
// two must match for the callback to be bound to the merchant who started the flow.
var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// AuthorizeURL returns the store page where the merchant grants Ritorno a key.
// userID is Ritorno's own opaque id for this connection attempt (not a WordPress user),
// echoed in the callback body and the return URL; make it unguessable and single-use,
// because the callback carries no signature. callbackURL must be https.
func AuthorizeURL(storeURL, appName, userID, returnURL, callbackURL string, scope string) (string, error) {
	// Keys are only usable with Basic auth over HTTPS (the Client refuses http), so an http
	// store is refused here too rather than after the merchant approved.
	store, err := normalizeStoreURL(storeURL, false)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(appName) == "" || strings.ContainsFunc(appName, isControl) {
		return "", ritorno.Errorf(ritorno.EINVALID, "the app name is required and must be plain text")
	}
	if !userIDPattern.MatchString(userID) {
		return "", ritorno.Errorf(ritorno.EINVALID, "user_id must be 1–128 letters, digits, '.', '_' or '-'")
	}
	switch scope {
	case ScopeRead, ScopeWrite, ScopeReadWrite:
	default:
		return "", ritorno.Errorf(ritorno.EINVALID, "scope must be read, write or read_write")
	}
	if err := checkFlowURL(callbackURL, "callback_url", false); err != nil {
		return "", err
	}
	if err := checkFlowURL(returnURL, "return_url", true); err != nil {
		return "", err
	}
	q := url.Values{
		"app_name": {appName}, "scope": {scope}, "user_id": {userID},
		"return_url": {returnURL}, "callback_url": {callbackURL},
	}
	return store + "/wc-auth/v1/authorize?" + q.Encode(), nil
}

// checkFlowURL accepts an absolute https URL (or http when allowHTTP). '%' and '+' are
// refused because WooCommerce url-decodes these parameters a second time, which would
// change such a URL (a '+' in a state token would become a space).
func checkFlowURL(raw, name string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return ritorno.Errorf(ritorno.EINVALID, "%s must be an absolute URL without credentials or fragment", name)
	}
	if u.Scheme != "https" && (!allowHTTP || u.Scheme != "http") {
		return ritorno.Errorf(ritorno.EINVALID, "%s must use https", name)
	}
	if strings.ContainsAny(raw, "%+") || strings.ContainsFunc(raw, isControl) {
		return ritorno.Errorf(ritorno.EINVALID, "%s must not contain '%%', '+' or control characters (WooCommerce decodes it twice)", name)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// AuthCallback is the key pair WooCommerce POSTs to callback_url after the merchant's
// approval. UserID is the user_id passed to AuthorizeURL: check it against the pending
// connection before trusting the keys, and confirm them with one API call.
type AuthCallback struct {
	KeyID          int64
	UserID         string
	ConsumerKey    string
	ConsumerSecret string
	KeyPermissions string // read, write or read_write
}

// String and LogValue leave the key pair out of prints and logs.
func (a AuthCallback) String() string {
	return "woocommerce.AuthCallback{KeyID:" + jsonText(a.KeyID) + " UserID:" + jsonText(a.UserID) + " KeyPermissions:" + a.KeyPermissions + "}"
}

// LogValue implements slog.LogValuer without the key pair.
func (a AuthCallback) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("key_id", a.KeyID), slog.String("user_id", a.UserID), slog.String("key_permissions", a.KeyPermissions))
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ParseAuthCallback decodes the callback body. user_id arrives as a JSON string from
// WooCommerce's code (it forwards the request parameter) but as a number in its docs'
// example, so both are accepted. Error messages never quote the body.
func ParseAuthCallback(body []byte) (AuthCallback, error) {
	var p struct {
		KeyID          payload.ID      `json:"key_id"`
		UserID         json.RawMessage `json:"user_id"`
		ConsumerKey    string          `json:"consumer_key"`
		ConsumerSecret string          `json:"consumer_secret"`
		KeyPermissions string          `json:"key_permissions"`
	}
	if err := payload.Decode(body, &p, "wc-auth callback"); err != nil {
		return AuthCallback{}, err
	}
	userID, err := callbackUserID(p.UserID)
	if err != nil {
		return AuthCallback{}, err
	}
	// WooCommerce makes keys as "ck_"/"cs_" + 40 hex digits; the prefixes catch a body that
	// is not a key pair at all without depending on the length.
	if !strings.HasPrefix(p.ConsumerKey, "ck_") || len(p.ConsumerKey) <= 3 || !strings.HasPrefix(p.ConsumerSecret, "cs_") || len(p.ConsumerSecret) <= 3 {
		return AuthCallback{}, ritorno.Errorf(ritorno.EINVALID, "wc-auth callback: consumer_key (ck_…) and consumer_secret (cs_…) are required")
	}
	switch p.KeyPermissions {
	case "", ScopeRead, ScopeWrite, ScopeReadWrite:
	default:
		return AuthCallback{}, ritorno.Errorf(ritorno.EINVALID, "wc-auth callback: key_permissions is not read, write or read_write")
	}
	return AuthCallback{KeyID: int64(p.KeyID), UserID: userID, ConsumerKey: p.ConsumerKey,
		ConsumerSecret: p.ConsumerSecret, KeyPermissions: p.KeyPermissions}, nil
}

func callbackUserID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	var id string
	if len(raw) > 0 && raw[0] == '"' {
		_ = json.Unmarshal(raw, &id)
	} else if len(raw) > 0 {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			id = n.String()
		}
	}
	if id == "" {
		return "", ritorno.Errorf(ritorno.EINVALID, "wc-auth callback: user_id is missing or not a string or number")
	}
	return id, nil
}

// NewWebhookSecret returns 32 random bytes as unpadded base64url. The alphabet matters:
// WooCommerce keys the signature with wp_specialchars_decode(secret), which would alter
// '&', '<', '>' or quotes, and these characters have none.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail since Go 1.24 (it crashes instead)
	return base64.RawURLEncoding.EncodeToString(b)
}
