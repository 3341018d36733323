package wootest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// webhookTopic is what wc_is_webhook_valid_topic accepts: a core resource and event,
// product.published, or a custom action.
var webhookTopic = regexp.MustCompile(`^((coupon|customer|order|product)\.(created|updated|deleted|restored)|product\.published|action\.[a-z0-9_]+)$`)

func (s *Store) webhookRoute(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	var in struct {
		Name        *string `json:"name"`
		Topic       *string `json:"topic"`
		DeliveryURL *string `json:"delivery_url"`
		Secret      *string `json:"secret"`
		Status      *string `json:"status"`
	}
	if len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &in) != nil {
		restError(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.", nil)
		return
	}
	validate := func() bool {
		if in.Topic != nil && !webhookTopic.MatchString(strings.ToLower(*in.Topic)) {
			restError(w, http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.", nil)
			return false
		}
		if in.DeliveryURL != nil {
			u, err := url.Parse(*in.DeliveryURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				restError(w, http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_delivery_url",
					"Webhook delivery URL must be a valid URL starting with http:// or https://.", nil)
				return false
			}
		}
		if in.Status != nil && !slices.Contains([]string{"active", "paused", "disabled"}, *in.Status) {
			invalidParam(w, "status", "status is not one of active, paused, and disabled.")
			return false
		}
		return true
	}
	now := time.Now().UTC()
	if len(parts) == 1 {
		switch r.Method {
		case http.MethodGet:
			status := cmp(r.URL.Query().Get("status"), "all")
			var items []*item
			for _, h := range s.webhooks {
				if status == "all" || h.Status == status {
					items = append(items, &item{id: h.ID, raw: s.webhookJSON(h), created: h.Created.Format("2006-01-02T15:04:05.000000"), name: h.Name})
				}
			}
			s.list(w, r, items, crudListing())
		case http.MethodPost:
			if in.Topic == nil || *in.Topic == "" {
				restError(w, http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.", nil)
				return
			}
			if in.DeliveryURL == nil {
				in.DeliveryURL = new(string)
			}
			if !validate() {
				return
			}
			h := &Webhook{ID: s.nextHook, Topic: strings.ToLower(*in.Topic), DeliveryURL: *in.DeliveryURL, Status: "active", Created: now,
				Name: "Webhook created on " + now.Format("Jan 02, 2006 @ 03:04 PM"), Secret: "wootest-default-secret"}
			s.nextHook++
			if in.Name != nil && *in.Name != "" {
				h.Name = *in.Name
			}
			if in.Secret != nil && *in.Secret != "" {
				h.Secret = *in.Secret
			}
			if in.Status != nil {
				h.Status = *in.Status
			}
			s.webhooks = append(s.webhooks, h)
			w.Header().Set("Location", s.URL+"/wp-json/wc/v3/webhooks/"+strconv.FormatInt(h.ID, 10))
			writeRawStatus(w, http.StatusCreated, s.webhookJSON(h))
		default:
			restError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.", nil)
		}
		return
	}
	id, _ := strconv.ParseInt(parts[1], 10, 64)
	i := slices.IndexFunc(s.webhooks, func(h *Webhook) bool { return h.ID == id })
	if len(parts) != 2 || i < 0 {
		restError(w, http.StatusNotFound, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", nil)
		return
	}
	h := s.webhooks[i]
	switch r.Method {
	case http.MethodGet:
		writeRaw(w, s.webhookJSON(h))
	case http.MethodPut, http.MethodPost, http.MethodPatch:
		if !validate() {
			return
		}
		for _, f := range []struct {
			src *string
			dst *string
		}{{in.Name, &h.Name}, {in.Topic, &h.Topic}, {in.DeliveryURL, &h.DeliveryURL}, {in.Secret, &h.Secret}, {in.Status, &h.Status}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		writeRaw(w, s.webhookJSON(h))
	case http.MethodDelete:
		if force := r.URL.Query().Get("force"); force != "true" && force != "1" {
			restError(w, http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", nil)
			return
		}
		raw := s.webhookJSON(h)
		s.webhooks = slices.Delete(s.webhooks, i, i+1)
		writeRaw(w, raw)
	default:
		restError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.", nil)
	}
}

func writeRawStatus(w http.ResponseWriter, status int, raw json.RawMessage) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(raw)
}

// webhookJSON is a webhook as the REST API shows it: never with its secret.
func (s *Store) webhookJSON(h *Webhook) json.RawMessage {
	resource, event, _ := strings.Cut(h.Topic, ".")
	created := h.Created.Format("2006-01-02T15:04:05")
	self := s.URL + "/wp-json/wc/v3/webhooks/" + strconv.FormatInt(h.ID, 10)
	return mustJSON(map[string]any{
		"id": h.ID, "name": h.Name, "status": h.Status, "topic": h.Topic, "resource": resource, "event": event,
		"hooks": []string{}, "delivery_url": h.DeliveryURL, "date_created": created, "date_created_gmt": created,
		"date_modified": created, "date_modified_gmt": created,
		"_links": map[string]any{"self": []any{map[string]string{"href": self}},
			"collection": []any{map[string]string{"href": s.URL + "/wp-json/wc/v3/webhooks"}}},
	})
}

// Deliver sends body to every active webhook subscribed to topic, as WooCommerce's
// deliver() does: JSON body, X-WC-Webhook-* headers, and the signature
// base64(HMAC-SHA256(body, secret)). It returns each delivery's HTTP status in webhook id
// order; WooCommerce counts 2xx, 301 and 302 as success.
func (s *Store) Deliver(ctx context.Context, topic string, body []byte) ([]int, error) {
	var targets []Webhook
	for _, h := range s.Webhooks() {
		if h.Status == "active" && h.Topic == topic {
			targets = append(targets, h)
		}
	}
	resource, event, _ := strings.Cut(topic, ".")
	// Redirects are not followed, like WooCommerce's delivery.
	hc := *s.opts.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var statuses []int
	for _, h := range targets {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.DeliveryURL, bytes.NewReader(body))
		if err != nil {
			return statuses, err
		}
		mac := hmac.New(sha256.New, []byte(specialCharsDecode(h.Secret)))
		mac.Write(body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "WooCommerce/9.0.0 Hookshot (WordPress/6.5.0)")
		req.Header.Set("X-WC-Webhook-Source", s.URL+"/")
		req.Header.Set("X-WC-Webhook-Topic", topic)
		req.Header.Set("X-WC-Webhook-Resource", resource)
		req.Header.Set("X-WC-Webhook-Event", event)
		req.Header.Set("X-WC-Webhook-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		req.Header.Set("X-WC-Webhook-ID", strconv.FormatInt(h.ID, 10))
		req.Header.Set("X-WC-Webhook-Delivery-ID", randomHex(16))
		resp, err := hc.Do(req)
		if err != nil {
			return statuses, err
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	return statuses, nil
}

// specialCharsDecode is wp_specialchars_decode(secret, ENT_QUOTES), which WooCommerce
// applies to the secret before signing.
var specialCharsDecode = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#039;", "'", "&#39;", "'").Replace

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// authorize is /wc-auth/v1/authorize with the merchant already logged in and approving
// at once (or denying, with Options.DenyAuthorization). As in WooCommerce's
// WC_Auth::auth_endpoint: the parameters are checked (callback_url must be https); a key
// pair is created and POSTed as JSON to callback_url; only an HTTP 200 answer leads to
// the redirect to return_url?success=1&user_id=…; any other answer deletes the key and
// ends on a 401 error page, without redirect.
func (s *Store) authorize(w http.ResponseWriter, r *http.Request) {
	die := func(msg string) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, "<!DOCTYPE html><title>Access denied</title><p>Error: %s.</p>", html.EscapeString(msg))
	}
	q := r.URL.Query()
	for _, p := range []string{"app_name", "scope", "user_id", "return_url", "callback_url"} {
		if q.Get(p) == "" {
			die(p + " is required")
			return
		}
	}
	scope := q.Get("scope")
	if scope != "read" && scope != "write" && scope != "read_write" {
		die("Invalid scope " + scope)
		return
	}
	// get_formatted_url: WooCommerce url-decodes these parameters once more.
	formatted := func(raw string) string {
		if d, err := url.QueryUnescape(raw); err == nil {
			raw = d
		}
		if !strings.Contains(raw, "://") {
			raw = "https://" + raw
		}
		return raw
	}
	returnURL, callbackURL := formatted(q.Get("return_url")), formatted(q.Get("callback_url"))
	for name, v := range map[string]string{"return_url": returnURL, "callback_url": callbackURL} {
		if u, err := url.Parse(v); err != nil || u.Host == "" {
			die("The " + name + " is not a valid URL")
			return
		}
	}
	if !strings.HasPrefix(strings.ToLower(callbackURL), "https://") {
		die("The callback_url needs to be over SSL")
		return
	}
	userID := q.Get("user_id")
	back := func(success int) {
		u, _ := url.Parse(returnURL)
		rq := u.Query()
		rq.Set("success", strconv.Itoa(success))
		rq.Set("user_id", cleanText(userID))
		u.RawQuery = rq.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if s.opts.DenyAuthorization {
		back(0)
		return
	}

	s.mu.Lock()
	key := Key{ID: s.nextKeyID, Permissions: scope, ConsumerKey: "ck_" + randomHex(20), ConsumerSecret: "cs_" + randomHex(20),
		Description: fmt.Sprintf("%.170s - API (%s)", cleanText(q.Get("app_name")), time.Now().UTC().Format("2006-01-02 15:04:05"))}
	s.nextKeyID++
	s.keys = append(s.keys, key)
	s.mu.Unlock()

	body := mustJSON(map[string]any{"key_id": key.ID, "user_id": userID, "consumer_key": key.ConsumerKey,
		"consumer_secret": key.ConsumerSecret, "key_permissions": key.Permissions})
	ok := false
	if req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, callbackURL, bytes.NewReader(body)); err == nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		if resp, err := s.opts.HTTPClient.Do(req); err == nil {
			resp.Body.Close()
			ok = resp.StatusCode == http.StatusOK
		}
	}
	if !ok {
		s.mu.Lock()
		s.keys = slices.DeleteFunc(s.keys, func(k Key) bool { return k.ID == key.ID })
		s.mu.Unlock()
		die("An error occurred in the request and at the time were unable to send the consumer data")
		return
	}
	back(1)
}

// cleanText approximates wc_clean (sanitize_text_field): no tags, no line breaks or tabs,
// no percent-encoded octets, trimmed.
func cleanText(s string) string {
	s = htmlTag.ReplaceAllString(s, "")
	s = percentOctet.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), " ")
}

var (
	htmlTag      = regexp.MustCompile(`<[^>]*>`)
	percentOctet = regexp.MustCompile(`%[a-fA-F0-9]{2}`)
)
