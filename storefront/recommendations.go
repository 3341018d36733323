package storefront

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/recommend"
	"github.com/ritorno/ritorno/web"
)

// Request bounds of GET recommendations.
const (
	defaultItems = 4
	maxItems     = 20
	maxCartIDs   = 50
)

// publicMaxAge is how long an anonymous product-page answer may be cached by the browser
// and shared caches; a short time, so that a merchant's change shows soon.
const publicMaxAge = "public, max-age=60"

// RecommendationsResponse is the JSON answer of GET recommendations. It is an allowlist:
// every field is named here, so no customer field can ever reach a shopper's browser
// because the engine or the database grew one.
type RecommendationsResponse struct {
	Placement string     `json:"placement"`
	Items     []ItemJSON `json:"items"`
}

// ItemJSON is one recommended product as the widget shows it. Ids are strings: JavaScript
// numbers cannot hold every 64-bit id.
type ItemJSON struct {
	ProductID string     `json:"product_id"`
	VariantID string     `json:"variant_id"`
	Title     string     `json:"title"`
	URL       string     `json:"url"`
	ImageURL  string     `json:"image_url,omitempty"`
	Price     *PriceJSON `json:"price,omitempty"`
	Kind      string     `json:"kind"`
	Reason    string     `json:"reason"`
	// Token is the tracking token the events endpoint requires (see TrackingToken).
	Token string `json:"token"`
}

// PriceJSON is an exact decimal amount with its currency; the widget formats it for the
// shopper's locale.
type PriceJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// recommendationParams parses the query of GET recommendations into an engine request.
func recommendationParams(q url.Values) (recommend.Request, error) {
	var req recommend.Request
	switch p := recommend.Placement(q.Get("placement")); p {
	case recommend.PlacementProduct, recommend.PlacementCart, recommend.PlacementThankYou:
		req.Placement = p
	case "":
		return req, ritorno.Errorf(ritorno.EINVALID, "placement is required: product, cart or thank_you")
	default:
		return req, ritorno.Errorf(ritorno.EINVALID, "placement must be product, cart or thank_you")
	}
	if req.Placement == recommend.PlacementProduct {
		id, err := parseID(q.Get("product_id"))
		if err != nil {
			return req, ritorno.Errorf(ritorno.EINVALID, "product_id must be a positive product id for the product placement")
		}
		req.ProductID = id
	}
	if cart := q.Get("cart"); cart != "" {
		ids := strings.Split(cart, ",")
		if len(ids) > maxCartIDs {
			return req, ritorno.Errorf(ritorno.EINVALID, "cart holds more than %d product ids", maxCartIDs)
		}
		for _, s := range ids {
			id, err := parseID(s)
			if err != nil {
				return req, ritorno.Errorf(ritorno.EINVALID, "cart must be a comma-separated list of positive product ids")
			}
			req.Cart = append(req.Cart, id)
		}
	}
	req.Limit = defaultItems
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxItems {
			return req, ritorno.Errorf(ritorno.EINVALID, "limit must be a whole number from 1 to %d", maxItems)
		}
		req.Limit = n
	}
	return req, nil
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, ritorno.Errorf(ritorno.EINVALID, "not a positive id")
	}
	return id, nil
}

// recommendations answers GET …/recommendations for the verified shop and customer.
func (s *Storefront) recommendations(c *gin.Context) {
	req, err := recommendationParams(c.Request.URL.Query())
	if err != nil {
		web.Error(c, err)
		return
	}
	shop := shopOf(c)
	now := s.cfg.Now()
	req.Customer, req.Now = customerOf(c), now
	resp, err := s.cfg.Recommender.Recommend(c.Request.Context(), shop.ID, req)
	if err != nil {
		web.Error(c, err)
		return
	}
	body, err := json.Marshal(s.toResponse(shop, req.Placement, resp, now))
	if err != nil {
		web.Error(c, err)
		return
	}
	if req.Customer != 0 || req.Placement != recommend.PlacementProduct {
		// Personal (a customer's history) or specific to one cart: never stored by a cache.
		c.Header("Cache-Control", "private, no-store")
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	c.Header("Cache-Control", publicMaxAge)
	c.Header("ETag", etag)
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// toResponse maps the engine's answer to the allowlist DTO. Tracking tokens carry an
// issue time rounded down to the hour, so that an anonymous product answer is the same
// bytes (and ETag) for an hour and revalidates with 304.
func (s *Storefront) toResponse(shop ritorno.Shop, placement recommend.Placement, resp recommend.Response, now time.Time) RecommendationsResponse {
	out := RecommendationsResponse{Placement: string(placement), Items: make([]ItemJSON, 0, len(resp.Items))}
	issued := now.Truncate(time.Hour)
	for _, it := range resp.Items {
		link := productURL(shop, it)
		if link == "" {
			continue // nothing to link to: the widget could not show it usefully
		}
		item := ItemJSON{
			ProductID: strconv.FormatInt(it.ProductID, 10),
			VariantID: strconv.FormatInt(it.VariantID, 10),
			Title:     it.Title,
			URL:       link,
			ImageURL:  it.ImageURL,
			Kind:      string(it.Kind),
			Reason:    it.Reason,
			Token: s.signToken(TrackingToken{ShopID: shop.ID, ProductID: it.ProductID, VariantID: it.VariantID,
				Kind: it.Kind, Placement: placement, IssuedAt: issued}),
		}
		if it.Price.Currency != "" {
			item.Price = &PriceJSON{Amount: it.Price.Decimal(), Currency: it.Price.Currency}
		}
		out.Items = append(out.Items, item)
	}
	return out
}

// productURL links to a product on its store: Shopify's "/products/{handle}", relative
// (the widget prefixes the theme's locale root), or WooCommerce's query permalink
// "{store}/?post_type=product&p={id}", which works whatever the permalink settings.
func productURL(shop ritorno.Shop, it recommend.Item) string {
	switch shop.Platform {
	case ritorno.Shopify:
		if it.Handle == "" {
			return ""
		}
		return "/products/" + url.PathEscape(it.Handle)
	case ritorno.WooCommerce:
		return strings.TrimRight(shop.Domain, "/") + "/?post_type=product&p=" + strconv.FormatInt(it.ProductID, 10)
	}
	return ""
}

// TrackingToken is what a recommended item's tracking token says: which shop showed
// which product (and variant), as what kind of item, in which placement, when. The events
// endpoint accepts an event only with a valid token of its own shop, so that event counts
// cannot be made up for arbitrary products.
type TrackingToken struct {
	ShopID, ProductID, VariantID int64
	Kind                         recommend.Kind
	Placement                    recommend.Placement
	IssuedAt                     time.Time
}

// Token wire format: version, uvarints shop/product/variant, kind and placement codes, a
// uvarint unix second, then the first 16 bytes of HMAC-SHA256 over all that; base64url
// without padding (about 40 characters).
const (
	tokenVersion = 1
	tokenMACSize = 16
	maxTokenLen  = 128
)

var (
	tokenKinds      = []recommend.Kind{"", recommend.KindCrossSell, recommend.KindUpSell, recommend.KindBuyAgain}
	tokenPlacements = []recommend.Placement{"", recommend.PlacementProduct, recommend.PlacementCart, recommend.PlacementThankYou, recommend.PlacementForYou}
)

func codeOf[T comparable](list []T, v T) byte {
	for i, x := range list {
		if x == v {
			return byte(i)
		}
	}
	return 0
}

func (s *Storefront) tokenMAC(payload []byte) []byte {
	mac := hmac.New(sha256.New, s.trackKey)
	mac.Write([]byte("ritorno tracking token\x00"))
	mac.Write(payload)
	return mac.Sum(nil)[:tokenMACSize]
}

// signToken encodes and signs a tracking token.
func (s *Storefront) signToken(t TrackingToken) string {
	b := make([]byte, 0, 48)
	b = append(b, tokenVersion)
	b = binary.AppendUvarint(b, uint64(t.ShopID))
	b = binary.AppendUvarint(b, uint64(t.ProductID))
	b = binary.AppendUvarint(b, uint64(t.VariantID))
	b = append(b, codeOf(tokenKinds, t.Kind), codeOf(tokenPlacements, t.Placement))
	b = binary.AppendUvarint(b, uint64(t.IssuedAt.Unix()))
	b = append(b, s.tokenMAC(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openToken checks a tracking token's signature, in constant time, and decodes it.
func (s *Storefront) openToken(token string) (TrackingToken, error) {
	bad := ritorno.Errorf(ritorno.EINVALID, "event token is not valid")
	if len(token) > maxTokenLen {
		return TrackingToken{}, bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 1+tokenMACSize || raw[0] != tokenVersion {
		return TrackingToken{}, bad
	}
	payload, mac := raw[:len(raw)-tokenMACSize], raw[len(raw)-tokenMACSize:]
	if !hmac.Equal(mac, s.tokenMAC(payload)) {
		return TrackingToken{}, bad
	}
	rest := payload[1:]
	// Every field is a non-negative int64: platform ids reach 2^63-1 (imported text ids
	// hash to 63 bits, see transactions.ID), so anything up to math.MaxInt64 is accepted.
	next := func() int64 {
		v, n := binary.Uvarint(rest)
		if n <= 0 || v > math.MaxInt64 {
			rest = nil
			return -1
		}
		rest = rest[n:]
		return int64(v)
	}
	var t TrackingToken
	t.ShopID, t.ProductID, t.VariantID = next(), next(), next()
	if len(rest) < 2 || int(rest[0]) >= len(tokenKinds) || int(rest[1]) >= len(tokenPlacements) {
		return TrackingToken{}, bad
	}
	t.Kind, t.Placement = tokenKinds[rest[0]], tokenPlacements[rest[1]]
	rest = rest[2:]
	issued := next()
	if t.ShopID <= 0 || t.ProductID <= 0 || t.VariantID < 0 || issued < 0 || len(rest) != 0 {
		return TrackingToken{}, bad
	}
	t.IssuedAt = time.Unix(issued, 0)
	return t, nil
}
