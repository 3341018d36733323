package storefront

import (
	"bytes"
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

// events records impressions, clicks and add-to-carts. navigator.sendBeacon posts a
// string as text/plain (a JSON content type would need a CORS preflight it cannot make),
// so both are accepted. Every event must carry a valid tracking token of this shop, not
// older than maxTokenAge; product, variant, kind and placement come from the token, the
// buyer from the request's verified identity. A batch is recorded whole or refused whole.
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
	shop, now := shopOf(c), s.cfg.Now()
	out := make([]ritorno.StorefrontEvent, len(list))
	for i, e := range list {
		typ, err := ritorno.ParseStorefrontEventType(e.Type)
		if err != nil {
			web.Error(c, err)
			return
		}
		t, err := s.openToken(e.Token)
		if err != nil {
			web.Error(c, err)
			return
		}
		if t.ShopID != shop.ID {
			web.Error(c, ritorno.Errorf(ritorno.EINVALID, "event token belongs to another shop"))
			return
		}
		if age := now.Sub(t.IssuedAt); age > maxTokenAge || age < -tokenFutureSkew {
			web.Error(c, ritorno.Errorf(ritorno.EINVALID, "event token has expired"))
			return
		}
		out[i] = ritorno.StorefrontEvent{Type: typ, ProductID: t.ProductID, VariantID: t.VariantID, Kind: string(t.Kind),
			Placement: string(t.Placement), BuyerKey: customerOf(c), OccurredAt: now}
	}
	if err := s.cfg.Events.RecordStorefrontEvents(c.Request.Context(), shop.ID, out); err != nil {
		web.Error(c, err)
		return
	}
	c.Status(http.StatusAccepted)
}
