package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// Connecting a WooCommerce store: the merchant names the store, approves Ritorno on the
// store's wc-auth page, and WooCommerce posts a new key pair to /woocommerce/callback with
// the user_id we passed, which is our signed connect token naming the store.

// The connect token travels as WooCommerce's user_id, which the adapter limits to 128
// characters of base64url: 96 bytes. It holds a version, the store URL's scheme, the
// expiry, a nonce that makes each token unique, the URL without its scheme, and a MAC
// truncated to 128 bits.
const (
	connectTokenVersion = 1
	connectTTL          = time.Hour
	connectNonceLen     = 8
	connectMACLen       = 16
	connectHeaderLen    = 1 + 1 + 4 + connectNonceLen
	connectMaxBytes     = 96
	connectMaxURL       = connectMaxBytes - connectHeaderLen - connectMACLen
	connectMACLabel     = "ritorno woocommerce connect\n"
	callbackMaxBody     = 64 << 10 // a key pair is a few hundred bytes
)

var b64 = base64.RawURLEncoding.Strict()

// connectToken signs storeURL (normalized) for an hour.
func (a *App) connectToken(storeURL string, now time.Time) (string, error) {
	var flags byte
	rest, ok := strings.CutPrefix(storeURL, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(storeURL, "http://"); !ok {
			return "", ritorno.Errorf(ritorno.EINVALID, "store URL must be http(s)")
		}
		flags = 1
	}
	if len(rest) > connectMaxURL {
		return "", ritorno.Errorf(ritorno.EINVALID, "the store URL is too long: WooCommerce's connect flow carries at most %d characters after https://", connectMaxURL)
	}
	buf := make([]byte, connectHeaderLen, connectMaxBytes)
	buf[0], buf[1] = connectTokenVersion, flags
	binary.BigEndian.PutUint32(buf[2:6], uint32(now.Add(connectTTL).Unix()))
	_, _ = rand.Read(buf[6:connectHeaderLen])
	buf = append(buf, rest...)
	buf = append(buf, a.mac(connectMACLabel, string(buf))[:connectMACLen]...)
	return b64.EncodeToString(buf), nil
}

// verifyConnectToken returns the store URL a token signed, if it did and is not expired.
func (a *App) verifyConnectToken(token string, now time.Time) (string, error) {
	invalid := ritorno.Errorf(ritorno.EUNAUTHORIZED, "the connection token is invalid: start the connection again from Ritorno")
	if len(token) > 2*connectMaxBytes {
		return "", invalid
	}
	buf, err := b64.DecodeString(token)
	if err != nil || len(buf) <= connectHeaderLen+connectMACLen {
		return "", invalid
	}
	payload, mac := buf[:len(buf)-connectMACLen], buf[len(buf)-connectMACLen:]
	if !hmac.Equal(mac, a.mac(connectMACLabel, string(payload))[:connectMACLen]) || payload[0] != connectTokenVersion || payload[1] > 1 {
		return "", invalid
	}
	if !now.Before(time.Unix(int64(binary.BigEndian.Uint32(payload[2:6])), 0)) {
		return "", ritorno.Errorf(ritorno.EUNAUTHORIZED, "the connection took longer than %s: start it again from Ritorno", connectTTL)
	}
	scheme := "https://"
	if payload[1] == 1 {
		scheme = "http://"
	}
	return scheme + string(payload[connectHeaderLen:]), nil
}

type wooConnectPage struct{}

func (a *App) wooConnectPage(c *gin.Context) {
	a.render(c, http.StatusOK, "", "woo_connect.html", wooConnectPage{})
}

// wooConnect sends the merchant to the store's approval page.
func (a *App) wooConnect(c *gin.Context) {
	storeURL, err := ritorno.NormalizeStoreURL(c.PostForm("store_url"), a.cfg.AllowHTTPStores)
	if err != nil {
		a.fail(c, "", err)
		return
	}
	// Refused before a token is signed: the callback would make the server connect there.
	if err := a.cfg.WooCommerce.CheckStoreURL(c.Request.Context(), storeURL); err != nil {
		a.fail(c, "", err)
		return
	}
	token, err := a.connectToken(storeURL, a.cfg.Now())
	if err != nil {
		a.fail(c, "", err)
		return
	}
	u, err := a.cfg.WooCommerce.AuthorizeURL(storeURL, token, a.cfg.AppURL+"/woocommerce/connected", a.cfg.AppURL+"/woocommerce/callback")
	if err != nil {
		a.fail(c, "", err)
		return
	}
	c.Redirect(http.StatusFound, u)
}

// wooCallback receives the key pair. The body is unsigned, so anyone can post one; what
// makes a forged callback useless is that it must carry a connect token we signed (which
// names the store, so keys land on that store only) and keys that the store's own REST API
// accepts with read_write rights. Whoever holds such keys already controls the store's
// data; replaying a real callback only stores the same keys again.
// WooCommerce deletes the key pair on any answer but 200, so 200 comes only once the keys
// are stored and the import is queued.
func (a *App) wooCallback(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, callbackMaxBody)
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		web.Error(c, err)
		return
	}
	keys, err := a.cfg.WooCommerce.ParseCallback(body)
	if err != nil {
		web.Error(c, err)
		return
	}
	storeURL, err := a.verifyConnectToken(keys.UserID, a.cfg.Now())
	if err != nil {
		web.Error(c, err)
		return
	}
	// Checked again: a name may resolve elsewhere now (the adapter checks each connection too).
	if err := a.cfg.WooCommerce.CheckStoreURL(c.Request.Context(), storeURL); err != nil {
		web.Error(c, err)
		return
	}
	if keys.Permissions != "read_write" {
		web.Error(c, ritorno.Errorf(ritorno.EINVALID, "the key must have read_write permissions (Ritorno creates the store's webhooks)"))
		return
	}
	ctx := c.Request.Context()
	details, err := a.cfg.WooCommerce.StoreDetails(ctx, storeURL, keys.ConsumerKey, keys.ConsumerSecret)
	if err != nil {
		a.cfg.Log.Warn("woocommerce keys refused", "shop", storeURL, "err", err)
		if ritorno.ErrorCode(err) != ritorno.EUNAVAILABLE {
			err = ritorno.Errorf(ritorno.EINVALID, "the store did not accept the new keys: %s", ritorno.ErrorMessage(err))
		}
		web.Error(c, err)
		return
	}
	shop, err := a.connectWooShop(ctx, storeURL, details, keys)
	if err != nil {
		web.Error(c, err)
		return
	}
	// An answer other than 200 makes WooCommerce delete the keys just stored; the merchant
	// sees the failure and connects again, which replaces them.
	if _, err := a.cfg.Backfills.StartBackfill(ctx, shop.ID); err != nil {
		web.Error(c, fmt.Errorf("start backfill: %w", err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "connected"})
}

// connectWooShop stores a new shop with the keys, or gives a known one the new keys (and
// a new webhook secret: the import's first step registers the webhooks with it), keeping
// its connection key so that its webhook URL does not change.
func (a *App) connectWooShop(ctx context.Context, storeURL string, details ShopDetails, keys WooKeys) (ritorno.Shop, error) {
	unlock := a.installMu.lock(string(ritorno.WooCommerce) + ":" + storeURL)
	defer unlock()
	creds := ritorno.ShopCredentials{ConsumerKey: keys.ConsumerKey, ConsumerSecret: keys.ConsumerSecret,
		WebhookSecret: a.cfg.WooCommerce.NewWebhookSecret()}
	shop, err := a.cfg.Shops.ShopByDomain(ctx, ritorno.WooCommerce, storeURL)
	if ritorno.ErrorCode(err) == ritorno.ENOTFOUND {
		shop, err = a.cfg.Shops.CreateShop(ctx, ritorno.Shop{Platform: ritorno.WooCommerce, Domain: storeURL, Name: details.Name,
			Status: ritorno.ShopInstalled, Currency: details.Currency, Timezone: details.Timezone,
			ConnectionKey: randomToken(32), InstalledAt: a.cfg.Now()}, creds)
		if err == nil {
			a.cfg.Log.Info("shop installed", "shop", storeURL, "platform", string(ritorno.WooCommerce))
			return shop, nil
		}
		if ritorno.ErrorCode(err) != ritorno.ECONFLICT {
			return ritorno.Shop{}, fmt.Errorf("create shop: %w", err)
		}
		// Another replica stored it first: update that one.
		shop, err = a.cfg.Shops.ShopByDomain(ctx, ritorno.WooCommerce, storeURL)
	}
	if err != nil {
		return ritorno.Shop{}, fmt.Errorf("look up shop: %w", err)
	}
	if shop, err = a.restoreShop(ctx, shop, creds); err != nil {
		return ritorno.Shop{}, err
	}
	a.cfg.Log.Info("shop reconnected", "shop", storeURL, "platform", string(ritorno.WooCommerce))
	return shop, nil
}

type wooConnectedPage struct{ Connected bool }

// wooConnected is where WooCommerce sends the merchant back. It shows no shop data: the
// query is not proof of anything beyond our own token.
func (a *App) wooConnected(c *gin.Context) {
	if c.Query("success") != "1" {
		a.render(c, http.StatusOK, "", "woo_connected.html", wooConnectedPage{Connected: false})
		return
	}
	if _, err := a.verifyConnectToken(c.Query("user_id"), a.cfg.Now()); err != nil {
		a.fail(c, "", err)
		return
	}
	a.render(c, http.StatusOK, "", "woo_connected.html", wooConnectedPage{Connected: true})
}
