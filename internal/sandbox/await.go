package sandbox

import (
	"context"
	"errors"
	"time"
)

// Started is a foreground command a backend has started somewhere it
// cannot wait on directly (a container exec, a remote sandbox).
type Started interface {
	// Ended is closed when the command's output stream has ended.
	Ended() <-chan struct{}
	// Kill ends the command's whole process tree; safe to call more than
	// once and after the command has ended.
	Kill() error
	// Finish waits for the command to be gone (letting go of its output a
	// grace period after a kill) and returns its status, -1 when unknown.
	Finish(killed bool) int
}

// Await waits for e, started at start with spec s and writing into out: to
// its end, s.Timeout, or ctx's end. In the last two cases the process tree
// is killed and the exit code is -1; a ctx end is also returned as the
// error, joined with any error from the kill.
func Await(ctx context.Context, s Spec, start time.Time, e Started, out *Capture) (*Result, error) {
	timer := time.NewTimer(s.Normalize().Timeout)
	defer timer.Stop()
	res := &Result{}
	var ctxErr error
	select {
	case <-e.Ended():
	case <-timer.C:
		res.TimedOut = true
	case <-ctx.Done():
		ctxErr = ctx.Err()
	}
	killed := res.TimedOut || ctxErr != nil
	var killErr error
	if killed {
		killErr = e.Kill()
	}
	res.ExitCode = e.Finish(killed)
	if killed {
		res.ExitCode = -1
	}
	res.Duration = time.Since(start)
	res.Output, res.Truncated = out.String()
	return res, errors.Join(ctxErr, killErr)
}
