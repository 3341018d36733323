package storefront

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
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

// eventsJSON is the body of POST events: one event, or a batch under "events".
type eventsJSON struct {
	eventJSON
	Events []eventJSON `json:"events"`
}

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
	shop, buyer, now := shopOf(c), customerOf(c), s.cfg.Now()
	out := make([]ritorno.StorefrontEvent, 0, len(list))
	var firstErr error
	for _, e := range list {
		ev, err := s.event(e, shop.ID, buyer, now)
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
func (s *Storefront) event(e eventJSON, shopID, buyer int64, now time.Time) (ritorno.StorefrontEvent, error) {
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
		Placement: string(t.Placement), BuyerKey: buyer, OccurredAt: now, Token: tokenKey(e.Token)}
	if err := ev.Validate(); err != nil {
		return ritorno.StorefrontEvent{}, err
	}
	return ev, nil
}

// tokenKey is the stored identity of a valid tracking token: a fixed-size digest, so the
// unique key (shop, token, type) stays small. Valid tokens are canonical (strict base64,
// signed), so one token has one key.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
