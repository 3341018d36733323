package storetest

import (
	"fmt"
	"testing"

	"github.com/ritorno/ritorno/store"
)

// ShopTables lists every table that holds one shop's data (all carry shop_id).
var ShopTables = []string{"shop_credentials", "customers", "products", "variants", "orders", "line_items", "refunds", "refund_line_items", "backfills", "customer_insights", "shop_insights", "recommend_controls", "recommend_pins", "erased_emails"}

// CountRows counts a shop's rows in a table, bypassing the store's methods.
func CountRows(t *testing.T, db *store.DB, table string, shopID int64) int64 {
	t.Helper()
	var n int64
	if err := store.RawQueryRow(db, "SELECT count(*) FROM "+table+" WHERE shop_id = ?", shopID).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// AllRows returns every row of a shop in a table as text, for checks of what is stored.
func AllRows(t *testing.T, db *store.DB, table string, shopID int64) string {
	t.Helper()
	rows, err := store.RawQuery(db, "SELECT * FROM "+table+" WHERE shop_id = ?", shopID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := ""
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			out += fmt.Sprintf("%s=%v ", c, vals[i])
		}
		out += "\n"
	}
	return out
}
