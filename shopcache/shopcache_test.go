package shopcache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ritorno/ritorno"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// counting is a loader that counts its calls and returns shop (or err).
func counting(n *int, shop ritorno.Shop, err error) func(context.Context) (ritorno.Shop, error) {
	return func(context.Context) (ritorno.Shop, error) {
		*n++
		return shop, err
	}
}

func TestHitWithinTTLMissAfter(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	c := New(5*time.Second, clk.now)
	ctx := context.Background()
	shop := ritorno.Shop{ID: 7, Domain: "a.myshopify.com", Status: ritorno.ShopInstalled}
	var loads int
	for range 3 {
		got, err := c.ByDomain(ctx, ritorno.Shopify, shop.Domain, counting(&loads, shop, nil))
		if err != nil || got.ID != 7 {
			t.Fatalf("ByDomain = %+v, %v", got, err)
		}
	}
	if loads != 1 {
		t.Fatalf("loads within the TTL = %d, want 1", loads)
	}
	clk.t = clk.t.Add(5 * time.Second)
	if _, err := c.ByDomain(ctx, ritorno.Shopify, shop.Domain, counting(&loads, shop, nil)); err != nil || loads != 2 {
		t.Fatalf("after the TTL: loads = %d, err %v; want a reload", loads, err)
	}
}

func TestMissesAreNotKept(t *testing.T) {
	c := New(time.Minute, nil)
	ctx := context.Background()
	var loads int
	notFound := ritorno.Errorf(ritorno.ENOTFOUND, "shop not found")
	for range 2 {
		if _, err := c.ByConnectionKey(ctx, "k", counting(&loads, ritorno.Shop{}, notFound)); !errors.Is(err, notFound) {
			t.Fatalf("err = %v, want the loader's", err)
		}
	}
	if loads != 2 {
		t.Fatalf("loads = %d: a miss was cached, so a new shop would not be seen at once", loads)
	}
	if len(c.entries) != 0 {
		t.Fatalf("entries = %d after misses only", len(c.entries))
	}
}

// TestNamesDoNotCollide: an id, a domain and a connection key with the same text are
// different shops, and so are two platforms' shops at the same domain.
func TestNamesDoNotCollide(t *testing.T) {
	c := New(time.Minute, nil)
	ctx := context.Background()
	var loads int
	get := []func() (ritorno.Shop, error){
		func() (ritorno.Shop, error) { return c.ByID(ctx, 1, counting(&loads, ritorno.Shop{ID: 1}, nil)) },
		func() (ritorno.Shop, error) {
			return c.ByDomain(ctx, ritorno.Shopify, "1", counting(&loads, ritorno.Shop{ID: 2}, nil))
		},
		func() (ritorno.Shop, error) {
			return c.ByDomain(ctx, ritorno.WooCommerce, "1", counting(&loads, ritorno.Shop{ID: 3}, nil))
		},
		func() (ritorno.Shop, error) {
			return c.ByConnectionKey(ctx, "1", counting(&loads, ritorno.Shop{ID: 4}, nil))
		},
	}
	for round := range 2 {
		for i, g := range get {
			if s, err := g(); err != nil || s.ID != int64(i+1) {
				t.Fatalf("round %d lookup %d = %+v, %v", round, i, s, err)
			}
		}
	}
	if loads != 4 {
		t.Fatalf("loads = %d, want 4 (one per name)", loads)
	}
}

// TestForgetDropsEveryName: after a status change the shop is reloaded whatever name it
// is asked by, and other shops stay cached.
func TestForgetDropsEveryName(t *testing.T) {
	c := New(time.Minute, nil)
	ctx := context.Background()
	var loads int
	shop := ritorno.Shop{ID: 9, Platform: ritorno.WooCommerce, Domain: "https://w.example"}
	other := ritorno.Shop{ID: 10}
	c.ByID(ctx, 9, counting(&loads, shop, nil))
	c.ByDomain(ctx, shop.Platform, shop.Domain, counting(&loads, shop, nil))
	c.ByConnectionKey(ctx, "key9", counting(&loads, shop, nil))
	c.ByID(ctx, 10, counting(&loads, other, nil))
	c.Forget(9)
	if len(c.entries) != 1 {
		t.Fatalf("entries after Forget = %d, want 1 (the other shop)", len(c.entries))
	}
	loads = 0
	c.ByConnectionKey(ctx, "key9", counting(&loads, shop, nil))
	c.ByID(ctx, 10, counting(&loads, other, nil))
	if loads != 1 {
		t.Fatalf("loads = %d, want 1 (the forgotten shop only)", loads)
	}
}

func TestBounded(t *testing.T) {
	c := New(time.Minute, nil)
	ctx := context.Background()
	var loads int
	for i := range MaxEntries + 5 {
		c.ByID(ctx, int64(i), counting(&loads, ritorno.Shop{ID: int64(i)}, nil))
	}
	if n := len(c.entries); n > MaxEntries {
		t.Fatalf("entries = %d, over the bound %d", n, MaxEntries)
	}
}
