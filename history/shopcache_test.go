package history_test

import (
	"context"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/history"
	"github.com/ritorno/ritorno/shopcache"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestApplierForgetsUninstalledShopInSharedCache: with the cache serve shares between the
// webhook receiver, the storefront and the applier, an uninstall the applier commits is
// seen at once by a reader that found the shop by domain (the storefront then refuses
// it), through one delivery and through a batch.
func TestApplierForgetsUninstalledShopInSharedCache(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cache := shopcache.New(time.Hour, nil) // no expiry within the test: only Forget helps
		a := history.NewApplier(db, shopify.NewPlatform())
		a.UseShopCache(cache)
		byDomain := func(domain string) ritorno.Shop {
			t.Helper()
			shop, err := cache.ByDomain(ctx, ritorno.Shopify, domain, func(ctx context.Context) (ritorno.Shop, error) {
				return db.ShopByDomain(ctx, ritorno.Shopify, domain)
			})
			if err != nil {
				t.Fatal(err)
			}
			return shop
		}
		uninstall := func(shop ritorno.Shop) ritorno.Delivery {
			return ritorno.Delivery{Platform: ritorno.Shopify, ShopID: shop.ID, ShopDomain: shop.Domain,
				Topic: "app/uninstalled", Body: []byte(`{"id":1,"domain":"` + shop.Domain + `"}`)}
		}

		one := mustBackfillShop(t, db, "one.myshopify.com")
		if byDomain(one.Domain).Status != ritorno.ShopInstalled {
			t.Fatal("not installed at first")
		}
		if err := a.Process(ctx, uninstall(one)); err != nil {
			t.Fatal(err)
		}
		if got := byDomain(one.Domain).Status; got != ritorno.ShopUninstalled {
			t.Errorf("after Process the shared cache still says %q", got)
		}

		two := mustBackfillShop(t, db, "two.myshopify.com")
		byDomain(two.Domain)
		if errs := a.ProcessBatch(ctx, []ritorno.Delivery{uninstall(two)}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		if got := byDomain(two.Domain).Status; got != ritorno.ShopUninstalled {
			t.Errorf("after ProcessBatch the shared cache still says %q", got)
		}
	})
}
