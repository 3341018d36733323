package web

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

// Rate is a token bucket: PerSecond tokens refill every second, up to Burst.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Limiter is a set of token buckets, one per key, in memory. Memory is bounded: when it
// holds max buckets, the full ones (idle long enough to have refilled, so forgetting them
// changes nothing) are dropped; if a flood of distinct keys leaves it still full, random
// buckets go until half remain, which resets a few limits early rather than growing.
type Limiter struct {
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

// NewLimiter returns a Limiter holding at most max buckets; now is time.Now when nil.
func NewLimiter(rate Rate, max int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, max: max, now: now, buckets: map[string]*bucket{}}
}

// Allow takes a token from key's bucket; when there is none it says how long until one.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
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

func (l *Limiter) refilled(b *bucket, now time.Time) float64 {
	return math.Min(float64(l.rate.Burst), b.tokens+now.Sub(b.last).Seconds()*l.rate.PerSecond)
}

func (l *Limiter) evict(now time.Time) {
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

// Size is how many buckets the Limiter holds.
func (l *Limiter) Size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// RetryAfter sets the Retry-After header to wait in whole seconds, at least 1.
func RetryAfter(c *gin.Context, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
}

// RateLimited answers 429 with Retry-After and message.
func RateLimited(c *gin.Context, wait time.Duration, message string) {
	RetryAfter(c, wait)
	Error(c, ritorno.Errorf(ritorno.ERATELIMITED, "%s", message))
}

// ClientAddress is the caller's IP: the last X-Forwarded-For entry when our own reverse
// proxy is trusted (earlier entries are whatever the client sent), else the connection's.
func ClientAddress(c *gin.Context, trustProxy bool) string {
	if trustProxy {
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
