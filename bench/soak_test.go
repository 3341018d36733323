package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestSoakSearchFindsEveryShapeOfValue: the soak's search finds e-mails (in any case),
// names, phones with or without their plus and e-mail hashes, and says in which table.
func TestSoakSearchFindsEveryShapeOfValue(t *testing.T) {
	email := "cabcdefghij@soak.example"
	text := "table customers\temail=CAbcdefghij@SOAK.example first_name=Sfabcdefgh\n" +
		"table webhook_deliveries\tbody={\"phone\":\"15551234567\",\"last_name\":\"Slabcdefgh\"} hash=" + ritorno.HashEmail(email) + "\n"
	found := soakValues(text)
	for v, where := range map[string]string{email: "customers", "Sfabcdefgh": "customers", "+15551234567": "webhook_deliveries",
		"Slabcdefgh": "webhook_deliveries", ritorno.HashEmail(email): "webhook_deliveries"} {
		if len(found[v]) != 1 || found[v][0] != where {
			t.Errorf("%s found in %q, want %q (all: %v)", v, found[v], where, found)
		}
	}
	if found["Sfabcdefg"] != nil || found["Sfabcdefghi"] != nil {
		t.Error("a name must match whole, not as a prefix")
	}
	if logs := soakValues("{\"msg\":\"x\"}\n{\"err\":\"time \\\"Sfzzzzzzzz\\\"\"}\nSfzzzzzzzz\n"); len(logs["Sfzzzzzzzz"]) != 1 || logs["Sfzzzzzzzz"][0] != "line 2" {
		t.Errorf("log search = %v", logs)
	}
}

// TestSoakDumpHasEveryColumnAndBodiesAsText: the dump the soak searches holds every table
// of the schema and a delivery's body as readable text.
func TestSoakDumpHasEveryColumnAndBodiesAsText(t *testing.T) {
	db := storetest.OpenPostgres(t)
	ctx := context.Background()
	now := time.Now()
	if _, _, err := db.RecordDelivery(ctx, ritorno.Delivery{Platform: ritorno.Shopify, ShopDomain: "dump.myshopify.com", Topic: "customers/create",
		WebhookID: "w1", Body: []byte(`{"id":1,"email":"cdumpdumpdu@soak.example"}`), ReceivedAt: now, Status: ritorno.DeliveryPending, NextAttemptAt: now}); err != nil {
		t.Fatal(err)
	}
	dump, tables, err := dumpDatabase(db)
	if err != nil {
		t.Fatal(err)
	}
	if tables < 15 || !strings.Contains(dump, "table shops\t") && !strings.Contains(dump, "table webhook_deliveries\t") {
		t.Fatalf("dump has %d tables:\n%s", tables, dump)
	}
	if !slices.Equal(soakValues(dump)["cdumpdumpdu@soak.example"], []string{"webhook_deliveries"}) {
		t.Fatalf("the body is not searchable as text:\n%s", dump)
	}
}
