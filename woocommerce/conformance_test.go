package woocommerce_test

import (
	"testing"

	"github.com/ritorno/ritorno/platformtest"
	"github.com/ritorno/ritorno/woocommerce"
)

func TestConformance(t *testing.T) {
	platformtest.Run(t, woocommerce.NewPlatform(), platformtest.Samples{
		OrderTopic: "order.updated", Order: fixture(t, "woocommerce-order.json"),
		CustomerTopic: "customer.updated", Customer: fixture(t, "woocommerce-customer.json"),
		ProductTopic: "product.updated", Product: fixture(t, "woocommerce-product.json"),
		DeleteTopics: []string{"order.deleted", "product.deleted", "customer.deleted"},
		Currency:     "USD",
	})
}
