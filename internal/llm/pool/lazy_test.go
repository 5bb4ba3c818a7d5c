package pool

import (
	"os"
	"sync"
	"testing"
	"time"
)

// TestFillFirstPicksDoNotWrite: with fill_first a request costs no write;
// its usage reaches the file with the next write, with Flush, or within
// flushEvery, and is never lost or counted twice.
func TestFillFirstPicksDoNotWrite(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	addKeys(t, s, "openai", "A", "B")
	before, _ := os.Stat(s.path)
	for range 5 {
		l, err := s.Pick("openai", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Success("openai", l.Entry.ID); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := os.Stat(s.path)
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Fatal("a fill_first pick wrote auth.json")
	}
	if p, _ := Open(s.path, clk).Pool("openai"); p.Entries[0].RequestCount != 0 {
		t.Fatalf("counted before a flush: %d", p.Entries[0].RequestCount)
	}
	// A write for another reason carries the pending usage with it.
	l, _ := s.Pick("openai", nil)
	if _, err := s.Failure("openai", l.Entry.ID, Failure{Status: 429, Message: "slow"}); err != nil {
		t.Fatal(err)
	}
	p, _ := Open(s.path, clk).Pool("openai")
	if p.Entries[0].RequestCount != 6 || !p.Entries[0].LastUsedAt.Equal(clk.Now()) {
		t.Fatalf("after a failure: %+v", p.Entries[0])
	}
	// B now answers; Flush writes its count, once.
	for range 3 {
		l, _ := s.Pick("openai", nil)
		if l.Entry.Label != "B" {
			t.Fatalf("picked %s while A rests", l.Entry.Label)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, _ := Open(s.path, clk).Pool("openai"); p.Entries[1].RequestCount != 3 {
		t.Fatalf("B counted %d, want 3", p.Entries[1].RequestCount)
	}
	// Usage older than flushEvery is written by the next pick.
	s.Pick("openai", nil)
	clk.Advance(flushEvery)
	s.Pick("openai", nil)
	if p, _ := Open(s.path, clk).Pool("openai"); p.Entries[1].RequestCount != 5 {
		t.Fatalf("B counted %d after flushEvery, want 5", p.Entries[1].RequestCount)
	}
}

// TestFillFirstSeesOtherProcesses: a cooldown written by another process
// is seen by the next pick at once (the cache follows the file).
func TestFillFirstSeesOtherProcesses(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	addKeys(t, s, "openai", "A", "B")
	l, _ := s.Pick("openai", nil)
	other := Open(s.path, clk)
	if _, err := other.Failure("openai", l.Entry.ID, Failure{Status: 429, Header: map[string][]string{"Retry-After": {"60"}}}); err != nil {
		t.Fatal(err)
	}
	if l2, _ := s.Pick("openai", nil); l2.Entry.Label != "B" {
		t.Fatalf("picked %s: another process's cooldown was not seen", l2.Entry.Label)
	}
	clk.Advance(61 * time.Second)
	if l3, _ := s.Pick("openai", nil); l3.Entry.Label != "A" {
		t.Fatalf("picked %s after the cooldown", l3.Entry.Label)
	}
}

// TestFlushAcrossStores: several stores (processes) on one file, each
// flushing at the end, count every request exactly once.
func TestFlushAcrossStores(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	addKeys(t, s, "openai", "A")
	var wg sync.WaitGroup
	for range 4 {
		st := Open(s.path, clk)
		wg.Go(func() {
			cycles(t, st, 50)
			if err := st.Flush(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p, _ := s.Pool("openai"); p.Entries[0].RequestCount != 200 {
		t.Fatalf("counted %d, want 200", p.Entries[0].RequestCount)
	}
}
