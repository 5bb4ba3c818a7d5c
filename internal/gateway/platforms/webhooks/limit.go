package webhooks

import (
	"sync"
	"time"
)

// limiter allows n events in any sliding window of per.
type limiter struct {
	mu   sync.Mutex
	n    int
	per  time.Duration
	past []time.Time // admitted events inside the window, oldest first
}

func newLimiter(n int, per time.Duration) *limiter { return &limiter{n: n, per: per} }

// allow admits an event at now, or says how long until one would be
// admitted.
func (l *limiter) allow(now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := 0
	for cut < len(l.past) && !l.past[cut].After(now.Add(-l.per)) {
		cut++
	}
	l.past = l.past[cut:]
	if len(l.past) >= l.n {
		return false, l.past[0].Add(l.per).Sub(now)
	}
	l.past = append(l.past, now)
	return true, 0
}
