// Package clock owns time for the packages whose behaviour depends on it
// (cooldowns, backoff, schedules): a Clock interface, the real clock, and a
// fake that tests advance by hand.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the system clock.
type Real struct{}

var _ Clock = Real{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Sleep waits for d or ctx.
func (Real) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Fake is a clock that moves only when told. Sleep returns once Advance
// has moved the time past its deadline (or at once with AutoAdvance).
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	// AutoAdvance makes Sleep move the clock forward by d itself and
	// return at once, so code that backs off runs instantly in tests.
	AutoAdvance bool
	slept       []time.Duration
}

type waiter struct {
	until time.Time
	ch    chan struct{}
}

var _ Clock = (*Fake)(nil)

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep records d and waits until the clock passes now+d or ctx ends.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.slept = append(f.slept, d)
	if f.AutoAdvance || d <= 0 {
		if d > 0 {
			f.now = f.now.Add(d)
		}
		f.mu.Unlock()
		return ctx.Err()
	}
	w := waiter{until: f.now.Add(d), ch: make(chan struct{})}
	f.waiters = append(f.waiters, w)
	f.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Advance moves the clock forward and wakes the sleepers whose time came.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if !w.until.After(f.now) {
			close(w.ch)
			continue
		}
		kept = append(kept, w)
	}
	f.waiters = kept
}

// Set moves the clock to t (forward or back) and wakes due sleepers.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	d := t.Sub(f.now)
	f.mu.Unlock()
	f.Advance(d)
}

// Slept returns every duration passed to Sleep, in order.
func (f *Fake) Slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}
