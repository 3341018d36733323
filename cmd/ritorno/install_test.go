package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/shopify"
	"github.com/ritorno/ritorno/shopify/shopifytest"
	"github.com/ritorno/ritorno/store"
	"github.com/ritorno/ritorno/store/storetest"
)

// TestShopifyTokensRefreshOncePerShop hands a shop's token to many callers at once just
// before it expires: one refresh is made, both rotated tokens are stored (encrypted) before
// use, the new access token works, and the spent refresh token is never used again.
func TestShopifyTokensRefreshOncePerShop(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fake := shopifytest.New(t, appKey, appSecret)
		const domain = "fresh.myshopify.com"
		fake.AddShop(domain, shopifytest.ShopOptions{Currency: "EUR"})
		issued := fake.IssueToken(domain, true)
		creds := credentialsOf(issued)
		creds.AccessTokenExpiresAt = time.Now().Add(time.Minute) // inside the refresh margin
		shop := mustCreateShop(t, db, ritorno.Shop{Platform: ritorno.Shopify, Domain: domain, Currency: "EUR"}, creds)

		cfg := Config{ShopifyAPIKey: appKey, ShopifyAPISecret: appSecret, ShopifyAPIVersion: shopifytest.APIVersion}
		auth := newShopifyAuth(cfg, platformHTTP{shopifyBaseURL: fake.BaseURL})
		tokens := &shopifyTokens{db: db, refresher: &shopify.Refresher{Client: auth.tokens}}
		source := tokens.source(shop)

		var wg sync.WaitGroup
		got := make([]string, 8)
		errs := make([]error, 8)
		for i := range got {
			wg.Add(1)
			go func() { defer wg.Done(); got[i], errs[i] = source(ctx) }()
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i] == "" || got[i] == issued.AccessToken || got[i] != got[0] {
				t.Fatalf("caller %d got %q, %v (first %q)", i, got[i], errs[i], got[0])
			}
		}
		stored, err := db.Credentials(ctx, shop.ID)
		if err != nil || stored.AccessToken != got[0] || stored.RefreshToken == issued.RefreshToken || time.Until(stored.AccessTokenExpiresAt) < 50*time.Minute {
			t.Fatalf("stored after refresh: new access %v, rotated refresh %v, expires %s, %v",
				stored.AccessToken == got[0], stored.RefreshToken != issued.RefreshToken, stored.AccessTokenExpiresAt, err)
		}
		// The new token works, and a fresh token is handed out as it is.
		if _, err := shopify.ReadShopDetails(ctx, auth.graphQL(domain, source)); err != nil {
			t.Fatalf("the refreshed token does not work: %v", err)
		}
		if again, err := source(ctx); err != nil || again != got[0] {
			t.Fatalf("second call = %q, %v", again, err)
		}
		if st := fake.Stats(); st.Refreshes != 1 || st.RefreshReuses != 0 {
			t.Errorf("fake Shopify saw %d refreshes and %d reuses of a spent refresh token", st.Refreshes, st.RefreshReuses)
		}
	})
}
