package docker

import (
	"context"
	"fmt"
	"sync"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// process is a command running in the background in the container.
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

// Start runs s in the background. It lives until it ends, is killed, or
// the backend is closed; s.Timeout does not apply. ctx bounds the start.
func (b *Backend) Start(ctx context.Context, s sandbox.Spec) (sandbox.Process, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	s = s.Normalize()
	e, err := b.begin(ctx, s)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.nextID++
	p := &process{id: fmt.Sprintf("bg-%d", b.nextID), cmd: s.Command, exec: e, done: make(chan struct{})}
	b.procs[p.id] = p
	b.mu.Unlock()
	go func() {
		<-e.stream
		p.mu.Lock()
		killed := p.killed
		p.mu.Unlock()
		code := e.Finish(killed)
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
	}()
	return p, nil
}

func (p *process) ID() string            { return p.id }
func (p *process) Command() string       { return p.cmd }
func (p *process) Done() <-chan struct{} { return p.done }

func (p *process) Output() (string, bool) { return p.exec.out.String() }

func (p *process) ExitCode() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit, p.ended
}

// Kill ends the process group and waits for the process to be gone; it is
// a no-op once the process has ended.
func (p *process) Kill() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	err := p.exec.Kill()
	select {
	case <-p.done:
	case <-afterGrace():
		// Something outside the group holds the output open: let go of it.
		p.exec.conn.Close()
		<-p.done
	}
	return err
}

// forget lets go of the process after its container was removed.
func (p *process) forget() {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	p.exec.conn.Close()
	<-p.done
}
