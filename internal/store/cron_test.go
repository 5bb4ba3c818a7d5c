package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCronRunLifecycle(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	slot := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := CronRun{ID: "r1", JobID: "j1", JobName: "report", Slot: slot, Trigger: "schedule", Owner: "1:b:2", ClaimedAt: slot}
	if err := s.ClaimCronRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	r2 := r
	r2.ID = "r2"
	if err := s.ClaimCronRun(ctx, r2); !errors.Is(err, ErrCronSlotTaken) {
		t.Fatalf("second claim of one slot: %v, want ErrCronSlotTaken", err)
	}
	if ok, err := s.StartCronRun(ctx, "r1", "sess", slot.Add(time.Second)); !ok || err != nil {
		t.Fatalf("start: %v %v", ok, err)
	}
	if ok, _ := s.StartCronRun(ctx, "r1", "sess", slot); ok {
		t.Fatal("a running run started again")
	}
	active, err := s.ActiveCronRuns(ctx)
	if err != nil || len(active) != 1 || active[0].Status != "running" || active[0].SessionID != "sess" {
		t.Fatalf("active = %+v, %v", active, err)
	}
	if ok, err := s.FinishCronRun(ctx, "r1", "error", "HTTP 401 key sk-or-v1-0123456789abcdef0123456789abcdef rejected", "/o.md", slot.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if ok, _ := s.FinishCronRun(ctx, "r1", "unknown", "stale", "", slot); ok {
		t.Fatal("a finished run was finished again")
	}
	if err := s.RecordCronDelivery(ctx, "r1", time.Time{}, "webhook: 500"); err != nil {
		t.Fatal(err)
	}
	got, err := s.CronRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "error" || got.Active() || !got.DeliveredAt.IsZero() || got.DeliveryError != "webhook: 500" ||
		!got.EndedAt.Equal(slot.Add(time.Minute)) || got.OutputPath != "/o.md" {
		t.Fatalf("run = %+v", got)
	}
	if got.Error == "" || strings.Contains(got.Error, "0123456789abcdef0123") {
		t.Fatalf("error not redacted: %q", got.Error)
	}
	runs, err := s.CronRuns(ctx, "j1", 0)
	if err != nil || len(runs) != 1 {
		t.Fatalf("history: %+v %v", runs, err)
	}
	if _, err := s.CronRun(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing run: %v", err)
	}
}

// Two stores on one file (two schedulers) race for the same slots: each
// slot is won exactly once.
func TestCronClaimRace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	var stores []*Store
	for range 2 {
		s, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	const slots = 20
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			s := stores[i%2]
			for k := range slots {
				slot := time.Unix(int64(k)*60, 0)
				err := s.ClaimCronRun(context.Background(), CronRun{ID: fmt.Sprintf("w%d-%d", i, k), JobID: "j", Slot: slot,
					Trigger: "schedule", Owner: "x", ClaimedAt: slot})
				switch {
				case err == nil:
					won.Add(1)
				case !errors.Is(err, ErrCronSlotTaken):
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if won.Load() != slots {
		t.Fatalf("%d claims won for %d slots", won.Load(), slots)
	}
}
