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
