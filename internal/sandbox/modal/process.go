package modal

import (
	"context"
	"fmt"

	"github.com/hermes-go/hermes/internal/sandbox"
)

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
	id := fmt.Sprintf("bg-%d", b.nextID)
	p := sandbox.NewBackground(sandbox.BackgroundOptions{
		ID: id, Command: s.Command, Started: e, Output: e.out, Grace: streamGrace,
		// Modal may still hold the output open: let go of it.
		Release: func() { release(e.proc) },
		Ended: func() {
			b.mu.Lock()
			delete(b.procs, id)
			b.mu.Unlock()
		},
	})
	closed := b.closed
	if !closed {
		b.procs[id] = p
	}
	b.mu.Unlock()
	if closed {
		_ = p.Kill()
		return nil, ErrClosed
	}
	return p, nil
}
