package guard

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/guard/detect"
)

// Commands whose detection is obvious to any version of the detector.
const (
	cmdHardline  = "rm -rf /"
	cmdDangerous = "git push --force origin main"
	cmdSafe      = "ls -la"
	cmdCompound  = "git push --force origin main && ls -la"
	cmdBadQuote  = "echo 'unterminated"
)

// human is a scripted Approver: it answers from answers in order (the
// last one repeats), or blocks until ctx ends when block is set.
type human struct {
	mu      sync.Mutex
	answers []Answer
	err     error
	block   bool
	asked   []Request
	entered chan struct{} // receives once per call, if non-nil
}

var _ Approver = (*human)(nil)

func (h *human) Approve(ctx context.Context, req Request) (Answer, error) {
	h.mu.Lock()
	h.asked = append(h.asked, req)
	n := len(h.asked)
	entered := h.entered
	h.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if h.block {
		<-ctx.Done()
		return Answer{}, ctx.Err()
	}
	if h.err != nil {
		return Answer{}, h.err
	}
	return h.answers[min(n, len(h.answers))-1], nil
}

func (h *human) calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.asked)
}

func answer(c Choice) *human { return &human{answers: []Answer{{Choice: c}}} }

// judge is a scripted Judge: verdicts in order (the last repeats).
type judge struct {
	mu       sync.Mutex
	verdicts []Verdict
	err      error
	hang     chan struct{} // if non-nil: ignore ctx and answer only once it is closed
	calls    int
}

var _ Judge = (*judge)(nil)

func (j *judge) Judge(ctx context.Context, command string, matches []detect.Match) (Verdict, error) {
	j.mu.Lock()
	j.calls++
	n := j.calls
	j.mu.Unlock()
	if j.hang != nil {
		<-j.hang // a judge that ignores ctx; the Guard must not wait for it
		return VerdictApprove, nil
	}
	if j.err != nil {
		return "", j.err
	}
	return j.verdicts[min(n, len(j.verdicts))-1], nil
}

func (j *judge) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.calls
}

// store records allowlist additions.
type store struct {
	mu    sync.Mutex
	added []string
	err   error
}

var _ AllowlistStore = (*store)(nil)

func (s *store) AddAllowlist(p string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.added = append(s.added, p)
	return nil
}

var errPrompt = errors.New("terminal closed")

func newFakeClock() *clock.Fake { return clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// waitSleeping waits until the fake clock has n sleepers registered.
func waitSleeping(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(clk.Slept()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("nobody slept on the clock (want %d sleeps)", n)
		}
		time.Sleep(time.Millisecond)
	}
}

func check(t *testing.T, g *Guard, s *Session, command string, c Context) Outcome {
	t.Helper()
	out, err := g.Check(context.Background(), s, command, c)
	if err != nil {
		t.Fatalf("Check(%q): %v", command, err)
	}
	if out.Decision == Ask {
		t.Fatalf("Check(%q) returned Ask", command)
	}
	return out
}
