package docker

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
	e, err := b.begin(ctx, s)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	id := fmt.Sprintf("bg-%d", b.nextID)
	p := sandbox.NewBackground(sandbox.BackgroundOptions{
		ID: id, Command: s.Command, Started: e, Output: e.out, Grace: streamGrace,
		// Something outside the group may hold the output open: let go of it.
		Release: func() { e.conn.Close() },
		Ended: func() {
			b.mu.Lock()
			delete(b.procs, id)
			b.mu.Unlock()
		},
	})
	b.procs[id] = p
	return p, nil
}
