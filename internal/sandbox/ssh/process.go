package ssh

import (
	"context"
	"strconv"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// process is a command running in the background in its own session.
type process struct {
	id, cmd string
	r       *remote
	out     *sandbox.Capture
}

var _ sandbox.Process = (*process)(nil)

// Start runs s in the background; it lives until it ends, is killed or
// the backend is closed. s.Timeout does not apply.
func (b *Backend) Start(ctx context.Context, s sandbox.Spec) (sandbox.Process, error) {
	s = s.Normalize()
	dir, env, err := b.prepare(s)
	if err != nil {
		return nil, err
	}
	out := sandbox.NewCapture(s.MaxOutput)
	r, err := b.start(ctx, s.Command, dir, env, s.Stdin, out)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.nextID++
	p := &process{id: "bg-" + strconv.Itoa(b.nextID), cmd: s.Command, r: r, out: out}
	closed := b.closed
	if !closed {
		b.procs[p.id] = p
	}
	b.mu.Unlock()
	if closed { // Close ran while it started
		_ = p.Kill()
		return nil, ErrClosed
	}
	go func() {
		<-r.done
		b.mu.Lock()
		delete(b.procs, p.id)
		b.mu.Unlock()
	}()
	return p, nil
}

func (p *process) ID() string             { return p.id }
func (p *process) Command() string        { return p.cmd }
func (p *process) Output() (string, bool) { return p.out.String() }
func (p *process) Done() <-chan struct{}  { return p.r.done }
func (p *process) Kill() error            { return p.r.kill() }
func (p *process) ExitCode() (int, bool) {
	select {
	case <-p.r.done:
	default:
		return 0, false
	}
	if p.r.killed.Load() {
		return -1, true
	}
	return p.r.code, true
}
