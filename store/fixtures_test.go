package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/store"
)

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

func usd(s string) ritorno.Money { return ritorno.MustParseMoney(s, "USD") }

func mustShop(t testing.TB, db *store.DB, domain string) ritorno.Shop {
	t.Helper()
	shop, err := db.CreateShop(context.Background(), ritorno.Shop{
		Platform:    ritorno.Shopify,
		Domain:      domain,
		Name:        domain,
		Status:      ritorno.ShopInstalled,
		Currency:    "USD",
		Timezone:    "America/New_York",
		InstalledAt: t0,
	}, ritorno.ShopCredentials{AccessToken: "shpat_" + domain, Scopes: "read_orders"})
	if err != nil {
		t.Fatalf("create shop %s: %v", domain, err)
	}
	return shop
}

func sampleCustomer(id int64) ritorno.Customer {
	return ritorno.Customer{
		PlatformID:        id,
		Email:             "Ada@Example.com",
		FirstName:         "Ada",
		LastName:          "Lovelace",
		State:             "enabled",
		Tags:              []string{"vip", "newsletter"},
		PlatformCreatedAt: t0,
		PlatformUpdatedAt: t0.Add(time.Hour),
	}
}

func sampleProduct(id int64) ritorno.Product {
	return ritorno.Product{
		PlatformID:        id,
		Title:             "Coffee beans",
		Handle:            "coffee-beans",
		ProductType:       "Coffee",
		Vendor:            "Roastery",
		Tags:              []string{"consumable"},
		Collections:       []string{"coffee"},
		Status:            ritorno.ProductActive,
		PublishedAt:       t0,
		ImageURL:          "https://cdn.example/beans.jpg",
		PlatformCreatedAt: t0,
		PlatformUpdatedAt: t0.Add(time.Hour),
		Variants: []ritorno.Variant{
			{PlatformID: id*10 + 1, Title: "250 g", SKU: "B-250", Position: 1, Price: usd("12.50"), CompareAtPrice: usd("15.00"),
				InventoryTracked: true, InventoryQuantity: 7},
			{PlatformID: id*10 + 2, Title: "1 kg", SKU: "B-1000", Position: 2, Price: usd("39.90"), CompareAtPrice: usd("0"),
				InventoryTracked: true, InventoryQuantity: 0, ContinueSellingWhenOutOfStock: true},
		},
	}
}

func sampleOrder(id, customerID int64) ritorno.Order {
	return ritorno.Order{
		PlatformID:          id,
		Name:                "#1001",
		Buyer:               ritorno.BuyerFor(customerID, "ada@example.com"),
		Currency:            "USD",
		PresentmentCurrency: "EUR",
		Subtotal:            usd("64.90"),
		TotalDiscounts:      usd("5.00"),
		TotalTax:            usd("6.49"),
		TotalShipping:       usd("4.99"),
		Total:               usd("71.38"),
		RefundedAmount:      usd("12.50"),
		FinancialStatus:     ritorno.FinancialPartiallyRefunded,
		FulfillmentStatus:   "fulfilled",
		SourceName:          "web",
		Tags:                []string{"first"},
		PlatformCreatedAt:   t0,
		ProcessedAt:         t0,
		PlatformUpdatedAt:   t0.Add(2 * time.Hour),
		LineItems: []ritorno.LineItem{
			{PlatformID: 501, ProductPlatformID: 7, VariantPlatformID: 71, Title: "Coffee beans", VariantTitle: "250 g",
				SKU: "B-250", Vendor: "Roastery", Quantity: 2, Price: usd("12.50"), TotalDiscount: usd("5.00")},
			{PlatformID: 502, ProductPlatformID: 7, VariantPlatformID: 72, Title: "Coffee beans", VariantTitle: "1 kg",
				SKU: "B-1000", Vendor: "Roastery", Quantity: 1, Price: usd("39.90"), TotalDiscount: usd("0")},
		},
		RefundsComplete: true,
		Refunds: []ritorno.Refund{{
			PlatformID: 9001, CreatedAt: t0.Add(time.Hour), ProcessedAt: t0.Add(time.Hour), Amount: usd("12.50"), Note: "damaged",
			LineItems: []ritorno.RefundLineItem{{LineItemPlatformID: 501, Quantity: 1, Subtotal: usd("12.50")}},
		}},
	}
}
