package web

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := NewLimiter(Rate{PerSecond: 1, Burst: 5}, 100, func() time.Time { return now })
	for i := range 1000 {
		l.Allow(fmt.Sprint("flood-", i))
	}
	if n := l.Size(); n > 100 {
		t.Fatalf("%d buckets kept, bound 100", n)
	}
	// Idle buckets that have refilled are dropped first; a busy one keeps its state.
	for range 5 {
		l.Allow("busy")
	}
	now = now.Add(10 * time.Second)
	for i := range 99 {
		l.Allow(fmt.Sprint("late-", i))
	}
	l.Allow("trigger")
	if ok, _ := l.Allow("busy"); !ok {
		t.Fatal("busy bucket should have refilled")
	}
	if n := l.Size(); n > 100 {
		t.Fatalf("%d buckets kept, bound 100", n)
	}
}
