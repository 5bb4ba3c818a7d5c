package ssh

import (
	"context"
	"fmt"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// opTimeout bounds one ssh request on an established connection (opening
// a session, starting a command in it): x/crypto/ssh waits for the
// server's reply without a deadline, forever on a dead connection. A
// request that runs out of it closes the connection, which unblocks it,
// and the next command reconnects. Tests shorten it.
var opTimeout = 15 * time.Second

// bounded runs op, which blocks on cli, until it returns, ctx is done or
// opTimeout passes. On timeout cli is dropped: closing it makes op
// return, and the next command dials again. When bounded gives up, undo
// (if not nil) is run on op's late result. what names op in errors.
func bounded[T any](ctx context.Context, b *Backend, cli *gossh.Client, what string, op func() (T, error), undo func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	got := make(chan result, 1)
	var (
		mu        sync.Mutex
		returned  bool // op returned and its result is in got
		abandoned bool // bounded gave up: op's result is undone
	)
	go func() {
		v, err := op()
		mu.Lock()
		if abandoned {
			mu.Unlock()
			if err == nil && undo != nil {
				undo(v)
			}
			return
		}
		returned = true
		mu.Unlock()
		got <- result{v, err}
	}()
	// giveUp reports false when op returned meanwhile: its result is used.
	giveUp := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if returned {
			return false
		}
		abandoned = true
		return true
	}
	wait := opTimeout
	limit := time.NewTimer(wait)
	defer limit.Stop()
	var zero T
	select {
	case r := <-got:
		return r.v, r.err
	case <-ctx.Done():
		if !giveUp() {
			r := <-got
			return r.v, r.err
		}
		return zero, fmt.Errorf("ssh: %s on %s: %w", what, b.addr, ctx.Err())
	case <-limit.C:
		if !giveUp() {
			r := <-got
			return r.v, r.err
		}
		b.drop(cli)
		return zero, fmt.Errorf("ssh: %s on %s: no answer within %v; the connection is dropped", what, b.addr, wait)
	}
}

// newSession opens a session on cli within ctx and opTimeout.
func (b *Backend) newSession(ctx context.Context, cli *gossh.Client) (*gossh.Session, error) {
	return bounded(ctx, b, cli, "opening a session", cli.NewSession, func(s *gossh.Session) { _ = s.Close() })
}

// startSession starts cmd in sess on cli within ctx and opTimeout; it
// closes sess when it fails or gives up.
func (b *Backend) startSession(ctx context.Context, cli *gossh.Client, sess *gossh.Session, cmd string) error {
	_, err := bounded(ctx, b, cli, "starting a command", func() (struct{}, error) {
		return struct{}{}, sess.Start(cmd)
	}, nil)
	if err != nil {
		_ = sess.Close()
	}
	return err
}
