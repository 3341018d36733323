package storefront

import (
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/web"
)

// limiter is a set of token buckets, one per key, in memory. Memory is bounded: when it
// holds max buckets, the full ones (idle long enough to have refilled, so forgetting them
// changes nothing) are dropped; if a flood of distinct keys leaves it still full, random
// buckets go until half remain, which resets a few limits early rather than growing.
type limiter struct {
	rate    Rate
	max     int
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate Rate, max int, now func() time.Time) *limiter {
	return &limiter{rate: rate, max: max, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket; when there is none it says how long until one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l.rate.PerSecond <= 0 {
		return true, 0 // unlimited
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = l.refilled(b, now)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate.PerSecond * float64(time.Second))
}

func (l *limiter) refilled(b *bucket, now time.Time) float64 {
	return math.Min(float64(l.rate.Burst), b.tokens+now.Sub(b.last).Seconds()*l.rate.PerSecond)
}

func (l *limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if l.refilled(b, now) >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) <= l.max/2 {
			break
		}
		delete(l.buckets, k)
	}
}

func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// refuse answers 429 with Retry-After in whole seconds (at least 1).
func refuse(c *gin.Context, wait time.Duration, what string) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	web.Error(c, ritorno.Errorf(ritorno.ERATELIMITED, "too many requests %s; retry later", what))
}

// limitAddress limits requests per client address.
func (s *Storefront) limitAddress(c *gin.Context) {
	if ok, wait := s.byAddress.allow(s.clientAddress(c)); !ok {
		refuse(c, wait, "from this address")
		return
	}
	c.Next()
}

// limitRelay limits app proxy requests per relaying address (see Storefront.byRelay).
func (s *Storefront) limitRelay(c *gin.Context) {
	if ok, wait := s.byRelay.allow(s.clientAddress(c)); !ok {
		refuse(c, wait, "from this address")
		return
	}
	c.Next()
}

// limitShop limits requests per shop; it runs after the shop is verified, so that a
// forged shop name cannot spend a real shop's budget.
func (s *Storefront) limitShop(c *gin.Context) {
	if ok, wait := s.byShop.allow(strconv.FormatInt(shopOf(c).ID, 10)); !ok {
		refuse(c, wait, "for this shop")
		return
	}
	c.Next()
}

// clientAddress is the caller's IP: the last X-Forwarded-For entry when our own reverse
// proxy is trusted (earlier entries are whatever the client sent), else the connection's.
func (s *Storefront) clientAddress(c *gin.Context) string {
	if s.cfg.TrustProxy {
		if xff := c.GetHeader("X-Forwarded-For"); xff != "" {
			last := strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:])
			if ip := net.ParseIP(last); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(c.Request.RemoteAddr)
	if err != nil {
		return c.Request.RemoteAddr
	}
	return host
}
