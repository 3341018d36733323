package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ritorno/ritorno"
)

// StoreDetails checks that the key pair works and reads what Ritorno keeps about the
// store: its name, its currency (woocommerce_currency) and its IANA time zone. A refused
// key is EUNAUTHORIZED "the keys do not work". The name and zone come from the public
// WordPress REST index; when a security plugin hides the index, the name falls back to
// the store's host and the zone to UTC rather than failing the connection.
func (c *Client) StoreDetails(ctx context.Context) (name, currency, timezone string, err error) {
	if currency, err = c.storeCurrency(ctx); err != nil {
		return "", "", "", err
	}
	idx, err := c.siteIndex(ctx)
	var refused *apiError
	switch {
	case errors.As(err, &refused) && (refused.status == http.StatusUnauthorized || refused.status == http.StatusForbidden || refused.status == http.StatusNotFound):
		idx = siteIndex{}
	case err != nil:
		return "", "", "", err
	}
	name = strings.TrimSpace(html.UnescapeString(idx.Name)) // WordPress stores the title HTML-escaped
	if name == "" {
		name = storeHost(c.StoreURL)
	}
	return name, currency, idx.timezone(), nil
}

// storeCurrency reads woocommerce_currency from settings/general, the first call made with
// the keys, so that a refused key is told apart from any other failure.
func (c *Client) storeCurrency(ctx context.Context) (string, error) {
	_, body, err := c.do(ctx, http.MethodGet, "settings/general", nil, nil)
	var refused *apiError
	if errors.As(err, &refused) && (refused.status == http.StatusUnauthorized || refused.status == http.StatusForbidden) {
		return "", fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAUTHORIZED, "the keys do not work: %s", ritorno.ErrorMessage(err)), err)
	}
	if err != nil {
		return "", err
	}
	var settings []struct {
		ID    string          `json:"id"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(body, &settings); err != nil {
		return "", notJSON("settings/general")
	}
	for _, s := range settings {
		if s.ID != "woocommerce_currency" {
			continue
		}
		var cur string
		_ = json.Unmarshal(s.Value, &cur)
		cur = strings.ToUpper(strings.TrimSpace(cur))
		if err := ritorno.ValidateCurrency(cur); err != nil {
			return "", ritorno.Errorf(ritorno.EINVALID, "woocommerce settings/general: the store currency is not an ISO 4217 code")
		}
		return cur, nil
	}
	return "", ritorno.Errorf(ritorno.EINVALID, "woocommerce settings/general: no woocommerce_currency setting")
}

// siteIndex is the part of the WordPress REST index (GET /wp-json/) StoreDetails reads.
type siteIndex struct {
	Name           string          `json:"name"`
	TimezoneString string          `json:"timezone_string"`
	GMTOffset      json.RawMessage `json:"gmt_offset"` // a number, or a string for a manual offset
}

// ianaZone is the shape of a zone name such as "America/Argentina/Buenos_Aires" or "UTC".
var ianaZone = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$`)

// timezone is the store's IANA zone. WordPress leaves timezone_string empty when the
// merchant picked a manual "UTC+N" offset; a whole-hour offset then maps to the fixed zone
// "Etc/GMT∓N" (POSIX sign: UTC+2 is Etc/GMT-2), and anything else (a half-hour offset,
// nothing readable) falls back to "UTC", the closest zone that always exists.
func (s siteIndex) timezone() string {
	if tz := strings.TrimSpace(s.TimezoneString); tz != "" && len(tz) <= 64 && ianaZone.MatchString(tz) {
		return tz
	}
	text := strings.Trim(strings.TrimSpace(string(s.GMTOffset)), `"`)
	hours, err := strconv.ParseFloat(text, 64)
	if err != nil || hours != float64(int(hours)) || hours < -12 || hours > 14 {
		return "UTC"
	}
	switch n := int(hours); {
	case n == 0:
		return "UTC"
	case n > 0:
		return "Etc/GMT-" + strconv.Itoa(n)
	default:
		return "Etc/GMT+" + strconv.Itoa(-n)
	}
}

// siteIndex reads GET /wp-json/?_fields=… with the Client's pacing and retries. The key
// pair is not sent: the index is public, and WordPress checks Basic credentials on routes
// outside WooCommerce's as an application password, refusing a ck_… user name.
func (c *Client) siteIndex(ctx context.Context) (siteIndex, error) {
	base, err := normalizeStoreURL(c.StoreURL, c.AllowInsecure)
	if err != nil {
		return siteIndex{}, err
	}
	target := base + "/wp-json/?_fields=name,timezone_string,gmt_offset"
	hc, err := c.httpClient()
	if err != nil {
		return siteIndex{}, err
	}
	for attempt := 0; ; attempt++ {
		if err := c.pace(ctx); err != nil {
			return siteIndex{}, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return siteIndex{}, ritorno.Errorf(ritorno.EINVALID, "wordpress index: bad request")
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "Ritorno (+woocommerce)")
		var failure error
		var wait time.Duration
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return siteIndex{}, ctx.Err()
			}
			if errors.Is(err, errPrivateAddress) {
				return siteIndex{}, privateAddressError()
			}
			failure = fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "wordpress index: store unreachable"), err)
		} else {
			body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
			resp.Body.Close()
			switch ok := resp.StatusCode >= 200 && resp.StatusCode < 300; {
			case ok && readErr == nil:
				var idx siteIndex
				if len(body) > maxResponseBytes || json.Unmarshal(body, &idx) != nil {
					return siteIndex{}, ritorno.Errorf(ritorno.EINVALID, "wordpress index: the store did not answer with the WordPress REST index")
				}
				return idx, nil
			case ok:
				failure = fmt.Errorf("%w: %w", ritorno.Errorf(ritorno.EUNAVAILABLE, "wordpress index: answer cut short"), readErr)
			default:
				e := newAPIError(http.MethodGet, "index", resp, body)
				if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
					return siteIndex{}, e
				}
				failure, wait = e, retryAfter(resp.Header)
			}
		}
		if attempt >= c.MaxRetries {
			return siteIndex{}, failure
		}
		if wait <= 0 {
			wait = backoff(attempt)
		}
		if wait > maxRetryAfter {
			return siteIndex{}, fmt.Errorf("asked to retry after %s: %w", wait.Round(time.Second), failure)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return siteIndex{}, err
		}
	}
}

// storeHost is the host of a normalized store URL, the name of last resort.
func storeHost(storeURL string) string {
	_, rest, _ := strings.Cut(storeURL, "://")
	host, _, _ := strings.Cut(rest, "/")
	return host
}
