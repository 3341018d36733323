package shopify_test

import (
	"testing"

	"github.com/ritorno/ritorno/platformtest"
	"github.com/ritorno/ritorno/shopify"
)

func TestConformance(t *testing.T) {
	platformtest.Run(t, shopify.NewPlatform(), platformtest.Samples{
		OrderTopic: "orders/create", Order: fixture(t, "shopify-order-rest-resource.json", "order"),
		CustomerTopic: "customers/update", Customer: fixture(t, "shopify-customer-rest-resource.json", "customer"),
		ProductTopic: "products/update", Product: fixture(t, "shopify-products-update-docs-example.json", ""),
		DeleteTopics: []string{"orders/delete", "products/delete", "customers/delete"},
		Currency:     "USD",
	})
}
