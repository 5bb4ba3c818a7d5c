package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFakeSleepWaitsForAdvance(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	done := make(chan error)
	go func() { done <- f.Sleep(context.Background(), time.Minute) }()
	for {
		f.mu.Lock()
		n := len(f.waiters)
		f.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	f.Advance(30 * time.Second)
	select {
	case <-done:
		t.Fatal("woke early")
	default:
	}
	f.Advance(30 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := f.Now(); !got.Equal(start.Add(time.Minute)) {
		t.Errorf("now = %v", got)
	}
}

func TestFakeSleepCancel(t *testing.T) {
	t.Parallel()
	f := NewFake(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestFakeAutoAdvance(t *testing.T) {
	t.Parallel()
	start := time.Unix(0, 0)
	f := &Fake{now: start, AutoAdvance: true}
	f.Sleep(context.Background(), 2*time.Second)
	f.Sleep(context.Background(), 3*time.Second)
	if !f.Now().Equal(start.Add(5*time.Second)) || len(f.Slept()) != 2 {
		t.Errorf("now %v slept %v", f.Now(), f.Slept())
	}
}

func TestRealSleep(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Real{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if err := (Real{}).Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}
