package sandbox

import (
	"sync"
	"time"
)

// Background is the Process of a command a backend started somewhere it
// cannot wait on directly (a container exec, a remote sandbox exec): it
// waits for the command's end in a goroutine and records its status, and
// kills it on request.
type Background struct {
	id, cmd string
	e       Started
	out     *Capture
	release func()        // lets go of the output stream when a kill does not end it
	grace   time.Duration // how long a kill waits for the stream to end before release
	done    chan struct{}

	mu     sync.Mutex
	exit   int
	ended  bool
	killed bool
}

var _ Process = (*Background)(nil)

// BackgroundOptions describe a started background command.
type BackgroundOptions struct {
	ID, Command string
	Started     Started
	Output      *Capture
	// Release lets go of the command's output stream, for a kill whose
	// stream stays open (a process that left the group holds it).
	Release func()
	// Grace is how long Kill waits for the stream to end before Release;
	// 0 is 5 s.
	Grace time.Duration
	// Ended runs once the command has ended (the backend forgets it).
	Ended func()
}

// NewBackground tracks a started command until it ends.
func NewBackground(o BackgroundOptions) *Background {
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	p := &Background{id: o.ID, cmd: o.Command, e: o.Started, out: o.Output, release: o.Release, grace: o.Grace, done: make(chan struct{})}
	go func() {
		<-p.e.Ended()
		p.mu.Lock()
		killed := p.killed
		p.mu.Unlock()
		code := p.e.Finish(killed)
		p.mu.Lock()
		p.ended, p.exit = true, code
		if p.killed {
			p.exit = -1
		}
		p.mu.Unlock()
		close(p.done)
		if o.Ended != nil {
			o.Ended()
		}
	}()
	return p
}

func (p *Background) ID() string             { return p.id }
func (p *Background) Command() string        { return p.cmd }
func (p *Background) Done() <-chan struct{}  { return p.done }
func (p *Background) Output() (string, bool) { return p.out.String() }

// ExitCode is the status once ended; -1 when killed.
func (p *Background) ExitCode() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit, p.ended
}

// Kill ends the command's process tree and waits for it to be gone; a
// no-op once it has ended.
func (p *Background) Kill() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	p.MarkKilled()
	err := p.e.Kill()
	select {
	case <-p.done:
	case <-time.After(p.grace):
		p.release()
		<-p.done
	}
	return err
}

// MarkKilled makes the command end with -1 however it ends from now on.
func (p *Background) MarkKilled() {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
}

// Forget lets go of the command after its container or sandbox is gone.
func (p *Background) Forget() {
	p.MarkKilled()
	p.release()
	<-p.done
}
