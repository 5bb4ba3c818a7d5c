package modal

import (
	"context"
	"fmt"
	"sync"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// process is a command running in the background in the sandbox.
type process struct {
	id   string
	cmd  string
	exec *execution
	done chan struct{}

	mu     sync.Mutex
	exit   int
	ended  bool
	killed bool
}

var _ sandbox.Process = (*process)(nil)

// Start runs s in the background. It lives until it ends, is killed, or
// the backend is closed; s.Timeout does not apply. ctx bounds the start.
func (b *Backend) Start(ctx context.Context, s sandbox.Spec) (sandbox.Process, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	s = s.Normalize()
	e, err := b.begin(ctx, s, 0)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.nextID++
	p := &process{id: fmt.Sprintf("bg-%d", b.nextID), cmd: s.Command, exec: e, done: make(chan struct{})}
	closed := b.closed
	if !closed {
		b.procs[p.id] = p
	}
	b.mu.Unlock()
	go p.wait(b)
	if closed {
		_ = p.Kill()
		return nil, ErrClosed
	}
	return p, nil
}

// wait records how the process ended once its output has.
func (p *process) wait(b *Backend) {
	<-p.exec.stream
	p.mu.Lock()
	killed := p.killed
	p.mu.Unlock()
	code := p.exec.Finish(killed)
	p.mu.Lock()
	p.ended = true
	p.exit = code
	if p.killed {
		p.exit = -1
	}
	p.mu.Unlock()
	close(p.done)
	b.mu.Lock()
	delete(b.procs, p.id)
	b.mu.Unlock()
}

func (p *process) ID() string             { return p.id }
func (p *process) Command() string        { return p.cmd }
func (p *process) Done() <-chan struct{}  { return p.done }
func (p *process) Output() (string, bool) { return p.exec.out.String() }

// ExitCode is the status once ended; -1 when killed.
func (p *process) ExitCode() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit, p.ended
}

// Kill ends the process tree and waits for the process to be gone; it is a
// no-op once the process has ended.
func (p *process) Kill() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	p.markKilled()
	err := p.exec.Kill()
	select {
	case <-p.done:
	case <-afterGrace():
		// Modal still holds the output open: let go of it.
		release(p.exec.proc)
		<-p.done
	}
	return err
}

// markKilled makes the process end with -1 however it ends now.
func (p *process) markKilled() {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
}

// forget lets go of the process after its sandbox was terminated.
func (p *process) forget() {
	p.markKilled()
	release(p.exec.proc)
	<-p.done
}
