package guard

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCheckSmartMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		judge     *judge
		timeout   time.Duration
		want      Decision
		by        string
		humanAsks int
	}{
		{"approve", &judge{verdicts: []Verdict{VerdictApprove}}, 0, Allow, ByJudge, 0},
		{"deny", &judge{verdicts: []Verdict{VerdictDeny}}, 0, Block, ByJudge, 0},
		{"escalate", &judge{verdicts: []Verdict{VerdictEscalate}}, 0, Allow, ByHuman, 1},
		{"unknown verdict", &judge{verdicts: []Verdict{"maybe"}}, 0, Allow, ByHuman, 1},
		{"error", &judge{err: errors.New("HTTP 500")}, 0, Allow, ByHuman, 1},
		{"judge hangs", &judge{hang: make(chan struct{})}, 20 * time.Millisecond, Allow, ByHuman, 1},
		{"no judge", nil, 0, Allow, ByHuman, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := answer(ChoiceOnce)
			g := &Guard{Human: h, Policy: Policy{Mode: Smart}, JudgeTimeout: tt.timeout}
			if tt.judge != nil {
				g.Smart = tt.judge
				if tt.judge.hang != nil {
					t.Cleanup(func() { close(tt.judge.hang) })
				}
			}
			out := check(t, g, NewSession("a"), cmdDangerous, Context{})
			if out.Decision != tt.want || out.DecidedBy != tt.by || h.calls() != tt.humanAsks {
				t.Errorf("%+v, human asked %d times", out, h.calls())
			}
			if tt.by == ByHuman && out.Note == "" {
				t.Error("no note on why the human was asked")
			}
		})
	}
	t.Run("manual never asks the judge", func(t *testing.T) {
		t.Parallel()
		j := &judge{verdicts: []Verdict{VerdictApprove}}
		check(t, &Guard{Human: answer(ChoiceOnce), Smart: j}, NewSession("a"), cmdDangerous, Context{})
		if j.count() != 0 {
			t.Error("manual mode asked the judge")
		}
	})
	t.Run("safe commands skip the judge", func(t *testing.T) {
		t.Parallel()
		j := &judge{verdicts: []Verdict{VerdictDeny}}
		out := check(t, &Guard{Smart: j, Policy: Policy{Mode: Smart}}, NewSession("a"), cmdSafe, Context{})
		if out.Decision != Allow || j.count() != 0 {
			t.Errorf("%+v, judge asked %d times", out, j.count())
		}
	})
}

func TestSmartBreaker(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{0, 1, 5} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			t.Parallel()
			want := limit
			if want == 0 {
				want = DefaultSmartBreaker
			}
			j := &judge{verdicts: []Verdict{VerdictDeny}}
			h := answer(ChoiceOnce)
			g := &Guard{Human: h, Smart: j, Policy: Policy{Mode: Smart, SmartBreaker: limit}}
			a, b := NewSession("a"), NewSession("b")
			for i := range want {
				if out := check(t, g, a, cmdDangerous, Context{}); out.DecidedBy != ByJudge || out.Decision != Block {
					t.Fatalf("denial %d: %+v", i+1, out)
				}
			}
			if !a.BreakerOpen() {
				t.Fatal("breaker closed after the limit")
			}
			// Tripped: the human decides, the judge is not asked.
			out := check(t, g, a, cmdDangerous, Context{})
			if out.DecidedBy != ByHuman || j.count() != want || !strings.Contains(out.Note, "in a row") {
				t.Fatalf("after the breaker: %+v, judge asked %d times", out, j.count())
			}
			// The human answered: the breaker is closed again.
			if a.BreakerOpen() {
				t.Fatal("breaker still open after the human answered")
			}
			if out := check(t, g, a, cmdDangerous, Context{}); out.DecidedBy != ByJudge {
				t.Errorf("judge not asked after the reset: %+v", out)
			}
			// Session b has its own streak.
			if b.BreakerOpen() {
				t.Error("the breaker tripped in another session")
			}
			if out := check(t, g, b, cmdDangerous, Context{}); out.DecidedBy != ByJudge {
				t.Errorf("session b: %+v", out)
			}
		})
	}
	t.Run("approval ends the streak", func(t *testing.T) {
		t.Parallel()
		j := &judge{verdicts: []Verdict{VerdictDeny, VerdictDeny, VerdictApprove, VerdictDeny, VerdictDeny}}
		g := &Guard{Human: answer(ChoiceOnce), Smart: j, Policy: Policy{Mode: Smart, SmartBreaker: 3}}
		s := NewSession("a")
		for range 5 {
			check(t, g, s, cmdDangerous, Context{})
		}
		if s.BreakerOpen() {
			t.Error("denials not in a row tripped the breaker")
		}
	})
	t.Run("timeout keeps it open", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock()
		clk.AutoAdvance = true
		g := &Guard{Human: &human{block: true}, Clock: clk, Smart: &judge{verdicts: []Verdict{VerdictDeny}}, Policy: Policy{Mode: Smart, SmartBreaker: 1}}
		s := NewSession("a")
		check(t, g, s, cmdDangerous, Context{})
		if out := check(t, g, s, cmdDangerous, Context{}); out.DecidedBy != ByTimeout || !s.BreakerOpen() {
			t.Errorf("%+v open=%v", out, s.BreakerOpen())
		}
	})
}

// TestSessionIsolation runs sessions side by side: /yolo and grants in
// one never reach another (run with -race).
func TestSessionIsolation(t *testing.T) {
	t.Parallel()
	h := answer(ChoiceDeny)
	g := &Guard{Human: h, Policy: Policy{Mode: Manual}}
	yolo, granted, plain := NewSession("yolo"), NewSession("granted"), NewSession("plain")
	yolo.SetYolo(true)
	granted.Grant(cmdDangerous, "/p")

	const rounds = 50
	var wg sync.WaitGroup
	errs := make(chan string, 3*rounds)
	for range rounds {
		for _, s := range []*Session{yolo, granted, plain} {
			wg.Go(func() {
				out, err := g.Check(t.Context(), s, cmdDangerous, Context{Cwd: "/p"})
				if err != nil {
					errs <- err.Error()
				}
				want := Block
				if s != plain {
					want = Allow
				}
				if out.Decision != want {
					errs <- fmt.Sprintf("session %s: %+v", s.ID(), out)
				}
			})
		}
		wg.Go(func() { yolo.SetYolo(true); _ = plain.Yolo() })
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if h.calls() != rounds {
		t.Errorf("the human was asked %d times, want %d (only the plain session asks)", h.calls(), rounds)
	}
	if plain.Yolo() || plain.Grants() != 0 || len(plain.Pending()) != 0 {
		t.Error("state leaked into the plain session")
	}
}

func TestPendingIsPerSession(t *testing.T) {
	t.Parallel()
	h := &human{block: true, entered: make(chan struct{}, 1)}
	clk := newFakeClock()
	g := &Guard{Human: h, Clock: clk}
	a, b := NewSession("a"), NewSession("b")
	done := make(chan struct{})
	go func() {
		check(t, g, a, cmdDangerous, Context{Cwd: "/p"})
		close(done)
	}()
	<-h.entered
	if p := a.Pending(); len(p) != 1 || p[0].SessionID != "a" || p[0].Cwd != "/p" {
		t.Errorf("a pending: %+v", p)
	}
	if p := b.Pending(); len(p) != 0 {
		t.Errorf("b sees a's prompt: %+v", p)
	}
	waitSleeping(t, clk, 1)
	clk.Advance(DefaultTimeout)
	<-done
}
