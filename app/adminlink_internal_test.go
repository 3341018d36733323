package app

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

// A correctly signed link whose own claims break the rules is refused too: a lifetime over
// MaxAdminLinkTTL (a link made by other code than SignAdminLink), or issued in the future.
func TestAdminLinkClaimsChecked(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef-state")
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	a := &App{cfg: Config{StateKey: key, Now: func() time.Time { return now }}}
	forge := func(cl adminLinkClaims) string {
		b, _ := json.Marshal(cl)
		p := base64.RawURLEncoding.EncodeToString(b)
		return adminLinkPrefix + p + "." + adminLinkMAC(key, p)
	}
	good := adminLinkClaims{Platform: "woocommerce", Domain: "http://localhost:8080", Issued: now.Unix(), Expires: now.Add(time.Hour).Unix()}
	if p, d, err := a.verifyAdminLink(forge(good)); err != nil || p != ritorno.WooCommerce || d != good.Domain {
		t.Fatalf("a good link: %v %q %v", p, d, err)
	}
	for name, cl := range map[string]adminLinkClaims{
		"a week long":          {Platform: "woocommerce", Domain: good.Domain, Issued: now.Unix(), Expires: now.Add(7 * 24 * time.Hour).Unix()},
		"issued in an hour":    {Platform: "woocommerce", Domain: good.Domain, Issued: now.Add(time.Hour).Unix(), Expires: now.Add(2 * time.Hour).Unix()},
		"unknown platform":     {Platform: "magento", Domain: good.Domain, Issued: now.Unix(), Expires: now.Add(time.Hour).Unix()},
		"no shop":              {Platform: "woocommerce", Issued: now.Unix(), Expires: now.Add(time.Hour).Unix()},
		"expired a second ago": {Platform: "woocommerce", Domain: good.Domain, Issued: now.Add(-time.Hour).Unix(), Expires: now.Unix()},
	} {
		if _, _, err := a.verifyAdminLink(forge(cl)); ritorno.ErrorCode(err) != ritorno.EUNAUTHORIZED {
			t.Errorf("%s: %v, want EUNAUTHORIZED", name, err)
		}
	}
}
