package storefront

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// Bounds of POST events.
const (
	maxEventsBody  = 16 << 10
	maxEventsBatch = 20
	// maxTokenAge bounds how long after a recommendation was served its events count: a
	// page left open over a day is rare, and an old token should not be replayable forever.
	maxTokenAge = 24 * time.Hour
	// tokenFutureSkew tolerates replicas whose clocks differ slightly.
	tokenFutureSkew = 5 * time.Minute
)

// eventJSON is one event as the widget sends it.
type eventJSON struct {
	Type  string `json:"type"`
	Token string `json:"token"`
}

// eventsJSON is the body of POST events: one event, or a batch under "events". View is
// the widget's random id of the page view the events come from (see viewer).
type eventsJSON struct {
	eventJSON
	Events []eventJSON `json:"events"`
	View   string      `json:"view"`
}

// viewPattern is a page-view id as the widget makes it (random base64url).
var viewPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// eventsAnswer says what became of a batch: accepted events are stored (a replay of a
// token's event is accepted and counted once), dropped ones were invalid.
type eventsAnswer struct {
	Accepted int `json:"accepted"`
	Dropped  int `json:"dropped"`
}

// events records impressions, clicks and add-to-carts. navigator.sendBeacon posts a
// string as text/plain (a JSON content type would need a CORS preflight it cannot make),
// so both are accepted. Every event must carry a valid tracking token of this shop, not
// older than maxTokenAge; product, variant, kind and placement come from the token, the
// buyer from the request's verified identity. A single event that is invalid is refused
// (400); in a batch, an invalid event is dropped and the rest are stored, so that one bad
// token (say an old page's) does not lose its neighbours. A batch with no valid event is
// refused with the first event's problem.
func (s *Storefront) events(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/plain") {
			web.Error(c, ritorno.Errorf(ritorno.EINVALID, "events must be sent as application/json or text/plain"))
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxEventsBody))
	if err != nil {
		web.Error(c, err) // *http.MaxBytesError: 413
		return
	}
	var in eventsJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil || dec.More() {
		web.Error(c, ritorno.Errorf(ritorno.EINVALID, "events body is not a JSON object"))
		return
	}
	list := in.Events
	switch {
	case list == nil:
		list = []eventJSON{in.eventJSON}
	case in.Type != "" || in.Token != "":
		web.Error(c, ritorno.Errorf(ritorno.EINVALID, "send one event or an events list, not both"))
		return
	case len(list) == 0 || len(list) > maxEventsBatch:
		web.Error(c, ritorno.Errorf(ritorno.EINVALID, "an events list holds 1 to %d events", maxEventsBatch))
		return
	}
	if in.View != "" && !viewPattern.MatchString(in.View) {
		web.Error(c, ritorno.Errorf(ritorno.EINVALID, "view must be 8 to 64 letters, digits, - or _"))
		return
	}
	shop, buyer, now := shopOf(c), customerOf(c), s.cfg.Now()
	viewer := viewer(buyer, in.View)
	out := make([]ritorno.StorefrontEvent, 0, len(list))
	var firstErr error
	for _, e := range list {
		ev, err := s.event(e, shop.ID, buyer, viewer, now)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, ev)
	}
	if len(out) == 0 {
		web.Error(c, firstErr)
		return
	}
	if err := s.cfg.Events.RecordStorefrontEvents(c.Request.Context(), shop.ID, out); err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusAccepted, eventsAnswer{Accepted: len(out), Dropped: len(list) - len(out)})
}

// event checks one event of the widget's and turns it into the event to record.
func (s *Storefront) event(e eventJSON, shopID, buyer int64, viewer string, now time.Time) (ritorno.StorefrontEvent, error) {
	typ, err := ritorno.ParseStorefrontEventType(e.Type)
	if err != nil {
		return ritorno.StorefrontEvent{}, err
	}
	t, err := s.openToken(e.Token)
	if err != nil {
		return ritorno.StorefrontEvent{}, err
	}
	if t.ShopID != shopID {
		return ritorno.StorefrontEvent{}, ritorno.Errorf(ritorno.EINVALID, "event token belongs to another shop")
	}
	if age := now.Sub(t.IssuedAt); age > maxTokenAge || age < -tokenFutureSkew {
		return ritorno.StorefrontEvent{}, ritorno.Errorf(ritorno.EINVALID, "event token has expired")
	}
	ev := ritorno.StorefrontEvent{Type: typ, ProductID: t.ProductID, VariantID: t.VariantID, Kind: string(t.Kind),
		Placement: string(t.Placement), BuyerKey: buyer, OccurredAt: now, Token: tokenKey(e.Token, viewer)}
	if err := ev.Validate(); err != nil {
		return ritorno.StorefrontEvent{}, err
	}
	return ev, nil
}

// viewer names who saw a token, for counting its events once: a logged-in buyer (verified
// by the platform, however many tabs or page views), else the widget's page view. Tokens
// alone cannot say it: an anonymous product answer is public, cached and the same bytes
// for an hour (see toResponse), so one token reaches every anonymous shopper of the product
// in that hour, and counting it once would count one of them. Without a view id (an old
// widget, a hand-made request) a token counts once. The view id is the shopper's to
// choose, so it stops replays, not a client that invents a view per request; the
// per-address rate limits bound that.
func viewer(buyer int64, view string) string {
	if buyer != 0 {
		return "customer:" + strconv.FormatInt(buyer, 10)
	}
	if view != "" {
		return "view:" + view
	}
	return ""
}

// tokenKey is the stored identity of a valid tracking token as seen by a viewer: a
// fixed-size digest, so the unique key (shop, token, type) stays small. Valid tokens are
// canonical (strict base64, signed), so one token and viewer have one key.
func tokenKey(token, viewer string) string {
	h := sha256.New()
	h.Write([]byte(token))
	h.Write([]byte{0})
	h.Write([]byte(viewer))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}
