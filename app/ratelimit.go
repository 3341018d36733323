package app

import (
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ritorno/ritorno"
)

// The WooCommerce connect flow is unauthenticated and each of its steps makes the server
// contact a store someone named: a person connects a store a few times at most, so a
// handful of attempts per minute per address is plenty.
const (
	connectBurst        = 5
	connectEvery        = 12 * time.Second // one more attempt every 12 s: 5 a minute
	connectMaxAddresses = 10000
)

// limiter is a token bucket per key in memory (the storefront keeps its own, tuned for
// widget traffic). When it holds max keys, the refilled ones are forgotten (that changes
// nothing), then arbitrary ones until half remain, so memory stays bounded under a flood
// of addresses at the cost of resetting a few limits early.
type limiter struct {
	burst   float64
	every   time.Duration
	max     int
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(burst int, every time.Duration, max int, now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{burst: float64(burst), every: every, max: max, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket; without one it says how long until the next.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens, b.last = l.refilled(b, now), now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.every))
}

func (l *limiter) refilled(b *bucket, now time.Time) float64 {
	return math.Min(l.burst, b.tokens+float64(now.Sub(b.last))/float64(l.every))
}

func (l *limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if l.refilled(b, now) >= l.burst {
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

// limitConnects answers 429 with Retry-After (whole seconds, at least 1) to an address
// that started the connect flow too often.
func (a *App) limitConnects(c *gin.Context) {
	if ok, wait := a.connects.allow(a.clientAddress(c)); !ok {
		c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		a.fail(c, "", ritorno.Errorf(ritorno.ERATELIMITED, "too many store connections from this address; retry later"))
		return
	}
	c.Next()
}

// clientAddress is the caller's IP: the last X-Forwarded-For entry when our own reverse
// proxy is trusted (earlier entries are whatever the client sent), else the connection's.
func (a *App) clientAddress(c *gin.Context) string {
	if a.cfg.TrustProxy {
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
