package guard

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckDecidedByPolicy(t *testing.T) {
	t.Parallel()
	h := answer(ChoiceOnce)
	g := &Guard{Human: h}
	s := NewSession("a")
	for _, tt := range []struct {
		command string
		want    Decision
	}{{cmdSafe, Allow}, {cmdHardline, Block}, {cmdBadQuote, Block}} {
		out := check(t, g, s, tt.command, Context{})
		if out.Decision != tt.want || out.DecidedBy != ByPolicy || out.Reason != out.Report.Reason {
			t.Errorf("%q: %+v", tt.command, out)
		}
	}
	if h.calls() != 0 {
		t.Errorf("the human was asked %d times about commands the policy decides", h.calls())
	}
	if _, err := g.Check(context.Background(), nil, cmdSafe, Context{}); err == nil {
		t.Error("a nil session was accepted")
	}
}

func TestCheckHumanAnswers(t *testing.T) {
	t.Parallel()
	t.Run("once", func(t *testing.T) {
		t.Parallel()
		h := answer(ChoiceOnce)
		g := &Guard{Human: h}
		s := NewSession("a")
		for i := range 2 {
			out := check(t, g, s, cmdDangerous, Context{Cwd: "/p"})
			if out.Decision != Allow || out.DecidedBy != ByHuman || out.Answer == nil || out.Answer.Choice != ChoiceOnce {
				t.Fatalf("check %d: %+v", i, out)
			}
		}
		if h.calls() != 2 || s.Grants() != 0 {
			t.Errorf("once must ask every time: %d calls, %d grants", h.calls(), s.Grants())
		}
		req := h.asked[0]
		if req.SessionID != "a" || req.Command != cmdDangerous || req.Cwd != "/p" || len(req.Matches) == 0 || req.Reason == "" {
			t.Errorf("request %+v", req)
		}
	})
	t.Run("session", func(t *testing.T) {
		t.Parallel()
		h := answer(ChoiceSession)
		g := &Guard{Human: h}
		a, b := NewSession("a"), NewSession("b")
		if out := check(t, g, a, cmdDangerous, Context{Cwd: "/p"}); out.Decision != Allow || out.DecidedBy != ByHuman {
			t.Fatalf("%+v", out)
		}
		// Same command, cwd and session: no question.
		if out := check(t, g, a, cmdDangerous, Context{Cwd: "/p"}); out.Decision != Allow || out.Report.Stage != StageGrant {
			t.Fatalf("repeat: %+v", out)
		}
		if h.calls() != 1 {
			t.Fatalf("asked %d times", h.calls())
		}
		// Another cwd, another command, another session: asked again.
		check(t, g, a, cmdDangerous, Context{Cwd: "/q"})
		check(t, g, a, "git push -f origin dev", Context{Cwd: "/p"})
		check(t, g, b, cmdDangerous, Context{Cwd: "/p"})
		if h.calls() != 4 {
			t.Errorf("asked %d times, want 4 (grants are bound to command, cwd and session)", h.calls())
		}
	})
	t.Run("always", func(t *testing.T) {
		t.Parallel()
		st := &store{}
		g := &Guard{Human: answer(ChoiceAlways), Store: st}
		out := check(t, g, NewSession("a"), cmdDangerous, Context{Cwd: "/p"})
		if out.Decision != Allow || !strings.Contains(out.Reason, "command_allowlist") {
			t.Fatalf("%+v", out)
		}
		if len(st.added) != 1 || st.added[0] != cmdDangerous {
			t.Fatalf("store got %q, want the exact command", st.added)
		}
		// Permanent: another session, another cwd, no question.
		out = check(t, g, NewSession("b"), cmdDangerous, Context{Cwd: "/elsewhere"})
		if out.Report.Stage != StageAllowlist || out.Decision != Allow {
			t.Errorf("after always: %+v", out)
		}
		if g.Policy.Allowlist != nil {
			t.Errorf("the caller's Policy was modified: %q", g.Policy.Allowlist)
		}
	})
	t.Run("always escapes globs", func(t *testing.T) {
		t.Parallel()
		st := &store{}
		g := &Guard{Human: answer(ChoiceAlways), Store: st}
		check(t, g, NewSession("a"), "rm -rf build/*", Context{})
		if len(st.added) != 1 || st.added[0] != `rm -rf build/\*` {
			t.Fatalf("store got %q", st.added)
		}
		if r := Explain("rm -rf build/ ~/src", g.policy(), nil, Context{}); r.Stage == StageAllowlist {
			t.Errorf("the stored entry allows more than its command: %+v", r)
		}
	})
	t.Run("always compound", func(t *testing.T) {
		t.Parallel()
		st := &store{}
		h := answer(ChoiceAlways)
		g := &Guard{Human: h, Store: st}
		s := NewSession("a")
		out := check(t, g, s, cmdCompound, Context{Cwd: "/p"})
		if out.Decision != Allow || !strings.Contains(out.Note, "compound") || !strings.Contains(out.Reason, "this session") {
			t.Fatalf("%+v", out)
		}
		if len(st.added) != 0 || len(g.policy().Allowlist) != 0 {
			t.Errorf("a compound command reached the allowlist: %q %q", st.added, g.policy().Allowlist)
		}
		if out := check(t, g, s, cmdCompound, Context{Cwd: "/p"}); out.Report.Stage != StageGrant {
			t.Errorf("no session grant: %+v", out)
		}
		check(t, g, NewSession("b"), cmdCompound, Context{Cwd: "/p"})
		if h.calls() != 2 {
			t.Errorf("asked %d times, want 2", h.calls())
		}
	})
	t.Run("always store fails", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Human: answer(ChoiceAlways), Store: &store{err: errors.New("disk full")}}
		s := NewSession("a")
		out, err := g.Check(context.Background(), s, cmdDangerous, Context{Cwd: "/p"})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("err %v", err)
		}
		if out.Decision != Allow || !strings.Contains(out.Note, "this session only") || !s.Granted(cmdDangerous, "/p") {
			t.Errorf("%+v", out)
		}
		if len(g.policy().Allowlist) != 0 {
			t.Error("an unsaved entry is in the allowlist")
		}
	})
	t.Run("always without store", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Human: answer(ChoiceAlways)}
		out := check(t, g, NewSession("a"), cmdDangerous, Context{})
		if out.Decision != Allow || out.Note == "" {
			t.Errorf("%+v", out)
		}
		if r := Explain(cmdDangerous, g.policy(), NewSession("b"), Context{}); r.Stage != StageAllowlist {
			t.Errorf("not in the in-memory allowlist: %+v", r)
		}
	})
	t.Run("deny relays the reason", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Human: &human{answers: []Answer{{Choice: ChoiceDeny, Reason: "use --force-with-lease"}}}}
		out := check(t, g, NewSession("a"), cmdDangerous, Context{})
		if out.Decision != Block || out.DecidedBy != ByHuman || !strings.Contains(out.Reason, "use --force-with-lease") {
			t.Errorf("%+v", out)
		}
	})
	t.Run("unknown answer", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Human: &human{answers: []Answer{{Choice: "sure"}}}}
		if out := check(t, g, NewSession("a"), cmdDangerous, Context{}); out.Decision != Block {
			t.Errorf("%+v", out)
		}
	})
}

func TestCheckNobodyAnswers(t *testing.T) {
	t.Parallel()
	t.Run("no human", func(t *testing.T) {
		t.Parallel()
		out := check(t, &Guard{}, NewSession("a"), cmdDangerous, Context{})
		if out.Decision != Block || !strings.Contains(out.Reason, "nobody can approve") {
			t.Errorf("%+v", out)
		}
	})
	t.Run("prompt fails", func(t *testing.T) {
		t.Parallel()
		out := check(t, &Guard{Human: &human{err: errPrompt}}, NewSession("a"), cmdDangerous, Context{})
		if out.Decision != Block || out.DecidedBy != ByTimeout || !strings.Contains(out.Reason, "terminal closed") {
			t.Errorf("%+v", out)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock()
		h := &human{block: true}
		g := &Guard{Human: h, Clock: clk, Policy: Policy{Timeout: 90 * time.Second}}
		s := NewSession("a")
		done := make(chan Outcome, 1)
		go func() {
			out, _ := g.Check(context.Background(), s, cmdDangerous, Context{})
			done <- out
		}()
		waitSleeping(t, clk, 1)
		if got := clk.Slept(); got[0] != 90*time.Second {
			t.Errorf("prompt waits %s, want the policy's 90s", got[0])
		}
		if p := s.Pending(); len(p) != 1 || p[0].Command != cmdDangerous {
			t.Errorf("pending while waiting: %+v", p)
		}
		select {
		case out := <-done:
			t.Fatalf("decided before the timeout: %+v", out)
		case <-time.After(20 * time.Millisecond):
		}
		clk.Advance(89 * time.Second)
		select {
		case out := <-done:
			t.Fatalf("decided before the timeout: %+v", out)
		case <-time.After(20 * time.Millisecond):
		}
		clk.Advance(time.Second)
		out := <-done
		if out.Decision != Block || out.DecidedBy != ByTimeout || !strings.Contains(out.Reason, "silence is not consent") {
			t.Errorf("%+v", out)
		}
		if len(s.Pending()) != 0 {
			t.Errorf("still pending: %+v", s.Pending())
		}
	})
	t.Run("default timeout", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock()
		clk.AutoAdvance = true
		out := check(t, &Guard{Human: &human{block: true}, Clock: clk}, NewSession("a"), cmdDangerous, Context{})
		if out.Decision != Block || clk.Slept()[0] != DefaultTimeout {
			t.Errorf("%+v after %v", out, clk.Slept())
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		h := &human{block: true, entered: make(chan struct{}, 1)}
		g := &Guard{Human: h, Clock: newFakeClock()}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan Outcome, 1)
		go func() {
			out, _ := g.Check(ctx, NewSession("a"), cmdDangerous, Context{})
			done <- out
		}()
		<-h.entered
		cancel()
		out := <-done
		if out.Decision != Block || !strings.Contains(out.Reason, "cancelled") {
			t.Errorf("%+v", out)
		}
	})
}

func TestCheckUnattended(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy Unattended
		judge  *judge
		want   Decision
	}{
		{"deny", UnattendedDeny, &judge{verdicts: []Verdict{VerdictApprove}}, Block},
		{"allow", UnattendedAllow, nil, Allow},
		{"smart approve", UnattendedSmart, &judge{verdicts: []Verdict{VerdictApprove}}, Allow},
		{"smart deny", UnattendedSmart, &judge{verdicts: []Verdict{VerdictDeny}}, Block},
		{"smart escalate", UnattendedSmart, &judge{verdicts: []Verdict{VerdictEscalate}}, Block},
		{"smart error", UnattendedSmart, &judge{err: errors.New("503")}, Block},
		{"smart no judge", UnattendedSmart, nil, Block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := answer(ChoiceOnce)
			g := &Guard{Human: h, Policy: Policy{Mode: Smart, Unattended: tt.policy}}
			if tt.judge != nil {
				g.Smart = tt.judge
			}
			out := check(t, g, NewSession("cron"), cmdDangerous, Context{Unattended: true})
			if out.Decision != tt.want {
				t.Errorf("%s: %+v", tt.name, out)
			}
			if h.calls() != 0 {
				t.Error("the human was asked in an unattended context")
			}
			if tt.policy == UnattendedDeny && tt.judge.count() != 0 {
				t.Error("the judge was asked under approvals.unattended: deny")
			}
			if out.Decision == Block && tt.policy == UnattendedSmart && tt.name != "smart deny" &&
				!strings.Contains(out.Reason, "command_allowlist") {
				t.Errorf("reason does not say how to allow it: %s", out.Reason)
			}
		})
	}
}
