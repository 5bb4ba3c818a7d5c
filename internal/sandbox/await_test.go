package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeStarted ends when end is closed, or when killed.
type fakeStarted struct {
	end    chan struct{}
	kills  int
	status int
}

func (f *fakeStarted) Ended() <-chan struct{} { return f.end }
func (f *fakeStarted) Kill() error {
	f.kills++
	if f.kills == 1 {
		close(f.end)
	}
	return nil
}
func (f *fakeStarted) Finish(killed bool) int { <-f.end; return f.status }

func TestAwait(t *testing.T) {
	t.Parallel()
	out := NewCapture(0)
	out.Write([]byte("hello\n"))

	done := &fakeStarted{end: make(chan struct{}), status: 3}
	close(done.end)
	res, err := Await(context.Background(), Spec{Timeout: time.Minute}, time.Now(), done, out)
	if err != nil || res.ExitCode != 3 || res.TimedOut || res.Output != "hello\n" || done.kills != 0 {
		t.Errorf("ended: %+v, %v, kills %d", res, err, done.kills)
	}

	slow := &fakeStarted{end: make(chan struct{}), status: 0}
	res, err = Await(context.Background(), Spec{Timeout: 10 * time.Millisecond}, time.Now(), slow, out)
	if err != nil || res.ExitCode != -1 || !res.TimedOut || slow.kills != 1 {
		t.Errorf("timeout: %+v, %v, kills %d", res, err, slow.kills)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hung := &fakeStarted{end: make(chan struct{}), status: 0}
	res, err = Await(ctx, Spec{Timeout: time.Minute}, time.Now(), hung, out)
	if !errors.Is(err, context.Canceled) || res.ExitCode != -1 || res.TimedOut || hung.kills != 1 {
		t.Errorf("cancel: %+v, %v, kills %d", res, err, hung.kills)
	}
}

func TestBackground(t *testing.T) {
	t.Parallel()
	out := NewCapture(0)
	out.Write([]byte("log\n"))
	ended := make(chan struct{})
	f := &fakeStarted{end: make(chan struct{}), status: 4}
	p := NewBackground(BackgroundOptions{ID: "bg-1", Command: "sleep", Started: f, Output: out, Release: func() {}, Ended: func() { close(ended) }})
	if _, done := p.ExitCode(); done || p.ID() != "bg-1" || p.Command() != "sleep" {
		t.Fatalf("running: %+v", p)
	}
	if s, _ := p.Output(); s != "log\n" {
		t.Errorf("output %q", s)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	<-ended
	if code, done := p.ExitCode(); !done || code != -1 || f.kills != 1 {
		t.Errorf("killed: %d %v, kills %d", code, done, f.kills)
	}
	if p.Kill() != nil || f.kills != 1 {
		t.Error("a second Kill must be a no-op")
	}

	g := &fakeStarted{end: make(chan struct{}), status: 4}
	q := NewBackground(BackgroundOptions{Started: g, Output: out, Release: func() {}})
	close(g.end)
	<-q.Done()
	if code, done := q.ExitCode(); !done || code != 4 {
		t.Errorf("ended by itself: %d %v", code, done)
	}

	// A kill whose stream stays open is released after the grace period.
	h := &stuckStarted{end: make(chan struct{})}
	r := NewBackground(BackgroundOptions{Started: h, Output: out, Grace: time.Millisecond, Release: func() { close(h.end) }})
	r.Kill()
	if code, _ := r.ExitCode(); code != -1 {
		t.Errorf("released: %d", code)
	}
}

// stuckStarted ignores Kill: only Release ends its stream.
type stuckStarted struct{ end chan struct{} }

func (s *stuckStarted) Ended() <-chan struct{} { return s.end }
func (s *stuckStarted) Kill() error            { return nil }
func (s *stuckStarted) Finish(bool) int        { <-s.end; return 0 }
