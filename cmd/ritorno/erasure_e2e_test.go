package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// personalTraces returns which of the values any row of the shop (and any delivery of
// the inbox) still holds.
func personalTraces(t *testing.T, db *store.DB, shopID int64, values ...string) []string {
	t.Helper()
	var found []string
	for _, table := range append(storetest.ShopTables, "data_requests", "webhook_deliveries") {
		raw := strings.ToLower(storetest.AllRows(t, db, table, shopID))
		for _, v := range values {
			if strings.Contains(raw, strings.ToLower(v)) {
				found = append(found, table+" holds "+v)
			}
		}
	}
	return found
}

// TestRedactionIsNotUndoneByRedelivery reproduces issue 13's first defect over HTTP: a
// customer and their order, customers/redact, then the platform delivers the customer
// and the order again with the same updated_at (at least once). The erasure must stand,
// and nothing (rows, delivery bodies, including those of the redaction and of the
// re-deliveries) may keep what it erased.
func TestRedactionIsNotUndoneByRedelivery(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		s := boot(t, envFor(t, dsn), serveHooks{})
		const domain = "erase.myshopify.com"
		ctx := context.Background()
		shop := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: domain, Currency: "USD"},
			ritorno.ShopCredentials{AccessToken: "shpat_x"})
		customer := fixtureBody(t, "shopify-customer-rest-resource.json", "customer", nil)
		order := fixtureBody(t, "shopify-order-rest-resource.json", "order", nil)
		for _, d := range []struct {
			topic string
			body  []byte
		}{{"customers/create", customer}, {"orders/create", order}} {
			if code := s.shopify(domain, d.topic, d.body); code != 200 {
				t.Fatalf("%s answered %d", d.topic, code)
			}
		}
		s.settle()
		if c, err := s.db.Customer(ctx, shop.ID, 207119551); err != nil || c.Email != "bob.norman@hostmail.com" {
			t.Fatalf("customer before the erasure: %+v, %v", c, err)
		}
		redact := []byte(`{"shop_id":1,"shop_domain":"` + domain + `","customer":{"id":207119551,"email":"bob.norman@hostmail.com","phone":"555-625-1199"},"orders_to_redact":[450789469]}`)
		if code := s.shopify(domain, "customers/redact", redact); code != 200 {
			t.Fatalf("customers/redact answered %d", code)
		}
		s.settle()
		// The re-deliveries: same bodies, same updated_at, new webhook ids.
		for _, d := range []struct {
			topic string
			body  []byte
		}{{"customers/update", customer}, {"orders/updated", order}} {
			if code := s.shopify(domain, d.topic, d.body); code != 200 {
				t.Fatalf("%s answered %d", d.topic, code)
			}
		}
		counts := s.settle()
		if counts[ritorno.DeliveryDone] != 5 {
			t.Fatalf("inbox = %v; want the 5 deliveries done", counts)
		}
		c, err := s.db.Customer(ctx, shop.ID, 207119551)
		if err != nil || c.Email != "" || c.EmailHash != "" || c.FirstName != "" || c.LastName != "" || c.RedactedAt.IsZero() {
			t.Errorf("customer after the re-deliveries = %+v, %v; want still redacted", c, err)
		}
		if h := s.history("--shop", domain, "--customer", "207119551"); h.Customer == nil || h.Customer.Email != "" || h.Customer.Redacted == "" {
			t.Errorf("history after the re-deliveries = %+v", h.Customer)
		}
		if o, err := s.db.Order(ctx, shop.ID, 450789469); err != nil || o.Buyer.EmailHash != "" {
			t.Errorf("order after the re-deliveries: %+v, %v", o.Buyer, err)
		}
		for _, trace := range personalTraces(t, s.db, shop.ID, "bob.norman@hostmail.com", "Norman", "555-625-1199",
			ritorno.HashEmail("bob.norman@hostmail.com")) {
			t.Error(trace)
		}
	})
}

// TestReplayedBodyActsOnNoOtherShop reproduces issue 13's second defect: a genuine signed
// body (a product update, or another shop's own app/uninstalled and shop/redact) re-sent
// under a destructive topic with another shop's header is acknowledged, recorded as
// failed with the reason, and touches nothing of that shop.
func TestReplayedBodyActsOnNoOtherShop(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		s := boot(t, envFor(t, dsn), serveHooks{})
		ctx := context.Background()
		victim := mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "victim.myshopify.com", Currency: "USD"},
			ritorno.ShopCredentials{AccessToken: "shpat_victim"})
		mustCreateShop(t, s.db, ritorno.Shop{Platform: ritorno.Shopify, Domain: "attacker.myshopify.com", Currency: "USD"},
			ritorno.ShopCredentials{AccessToken: "shpat_attacker"})
		if code := s.shopify(victim.Domain, "customers/create", fixtureBody(t, "shopify-customer-rest-resource.json", "customer", nil)); code != 200 {
			t.Fatalf("customers/create answered %d", code)
		}
		s.settle()
		product := fixtureBody(t, "shopify-products-update-docs-example.json", "", nil)
		attackerShop := []byte(`{"shop_id":2,"shop_domain":"attacker.myshopify.com"}`)
		attackerUninstall := []byte(`{"id":2,"myshopify_domain":"attacker.myshopify.com","domain":"attacker.myshopify.com"}`)
		attackerRedact := []byte(`{"shop_id":2,"shop_domain":"attacker.myshopify.com","customer":{"id":207119551,"email":"bob.norman@hostmail.com"},"orders_to_redact":[]}`)
		replays := []struct {
			topic string
			body  []byte
		}{
			{"app/uninstalled", product}, {"shop/redact", product}, {"customers/redact", product},
			{"app/uninstalled", attackerUninstall}, {"shop/redact", attackerShop}, {"customers/redact", attackerRedact},
		}
		for _, r := range replays {
			if code := s.shopify(victim.Domain, r.topic, r.body); code != 200 {
				t.Fatalf("replayed %s answered %d", r.topic, code)
			}
		}
		counts := s.settle()
		if counts[ritorno.DeliveryFailed] != int64(len(replays)) {
			t.Fatalf("inbox = %v; want the %d replays refused as failed", counts, len(replays))
		}
		failed, err := s.db.ListDeliveries(ctx, store.DeliveryFilter{Status: ritorno.DeliveryFailed})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range failed {
			if !strings.Contains(d.LastError, "names another shop") && !strings.Contains(d.LastError, "names no shop") {
				t.Errorf("delivery %d (%s) failed with %q; want the reason", d.ID, d.Topic, d.LastError)
			}
		}
		got, err := s.db.Shop(ctx, victim.ID)
		if err != nil || got.Status != ritorno.ShopInstalled {
			t.Errorf("victim shop after the replays: %+v, %v; want still installed", got.Status, err)
		}
		if creds, _ := s.db.Credentials(ctx, victim.ID); creds.AccessToken != "shpat_victim" {
			t.Error("the victim's token was dropped")
		}
		if c, err := s.db.Customer(ctx, victim.ID, 207119551); err != nil || c.Email != "bob.norman@hostmail.com" || !c.RedactedAt.IsZero() {
			t.Errorf("the victim's customer was touched: %+v, %v", c, err)
		}
	})
}

// TestDeliveriesWithoutAShopAreErasedToo reproduces issue 13's seventh defect: an ignored
// topic is stored without its body, and `shops remove` erases the deliveries that name
// the shop's domain although they were never attached to it (parked before it existed).
func TestDeliveriesWithoutAShopAreErasedToo(t *testing.T) {
	storetest.DSNs(t, func(t *testing.T, dsn string) {
		s := boot(t, envFor(t, dsn), serveHooks{})
		ctx := context.Background()
		const domain = "leaving.myshopify.com"
		customer := fixtureBody(t, "shopify-customer-rest-resource.json", "customer", nil)
		if code := s.shopify(domain, "carts/update", customer); code != 200 {
			t.Fatalf("ignored topic answered %d", code)
		}
		if code := s.shopify(domain, "customers/create", customer); code != 200 {
			t.Fatalf("parked delivery answered %d", code)
		}
		if code := s.shopify("leaving.example.com", "customers/create", customer); code != 200 {
			t.Fatalf("bad shop header answered %d", code)
		}
		s.settle()
		all, err := s.db.ListDeliveries(ctx, store.DeliveryFilter{})
		if err != nil || len(all) != 3 {
			t.Fatalf("inbox: %d deliveries, %v", len(all), err)
		}
		for _, d := range all {
			full, err := s.db.Delivery(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if keeps := len(full.Body) > 0; keeps != (full.Status == ritorno.DeliveryParked) {
				t.Errorf("%s delivery (%s) keeps a body: %v", full.Status, full.Topic, keeps)
			}
		}
		// The shop appears (a shop row for the domain, as `shops add` makes) after a delivery
		// of an unused topic was ignored; removing it removes that delivery too.
		code, _, errOut := runCLI(t, s.env, "", "shops", "add", "--platform", "shopify", "--domain", domain, "--access-token", "shpat_x", "--no-backfill", "--currency", "USD")
		if code != 0 {
			t.Fatal(errOut)
		}
		s.settle()
		if code, _, errOut := runCLI(t, s.env, "", "shops", "remove", domain, "--yes"); code != 0 {
			t.Fatal(errOut)
		}
		left, err := s.db.ListDeliveries(ctx, store.DeliveryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range left {
			if d.ShopDomain == domain {
				t.Errorf("delivery %d (%s, %s) naming the removed shop survived", d.ID, d.Topic, d.Status)
			}
		}
		if len(left) != 1 {
			t.Errorf("%d deliveries left, want only the one of the other domain", len(left))
		}
	})
}
