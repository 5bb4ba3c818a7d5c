package ssh

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// TestKillerRead: acknowledgements reach the kills waiting for them;
// rc-file noise and malformed lines wake nobody.
func TestKillerRead(t *testing.T) {
	t.Parallel()
	k := &killer{waiters: map[int][]chan struct{}{}}
	w7, w7b, w9 := make(chan struct{}), make(chan struct{}), make(chan struct{})
	k.waiters[7] = []chan struct{}{w7, w7b}
	k.waiters[9] = []chan struct{}{w9}
	k.read(strings.NewReader("welcome from .bashrc\n" + killedMarker + "x9\n" + killedMarker + "9 \nnoise" + killedMarker + "7\n"))
	for i, w := range []chan struct{}{w7, w7b} {
		select {
		case <-w:
		default:
			t.Errorf("waiter %d for group 7 not woken", i)
		}
	}
	select {
	case <-w9:
		t.Error("a malformed line woke the waiter for group 9")
	default:
	}
	if _, ok := k.waiters[7]; ok || len(k.waiters[9]) != 1 {
		t.Errorf("waiters left: %v", k.waiters)
	}
}

// TestKillWithoutKiller: with the killer session gone and unable to come
// back in time, a timeout still kills the group through a session of its
// own, and the next command gets a new killer.
func TestKillWithoutKiller(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.backend(t, t.TempDir())
	b.mu.Lock()
	k := b.killer
	b.mu.Unlock()
	if k == nil {
		t.Fatal("no killer after the first command")
	}
	// Swap the killer for one whose input goes nowhere: kills time out.
	stuck := &killer{cli: k.cli, sess: k.sess, gone: make(chan struct{}), in: nopWriteCloser{}, waiters: map[int][]chan struct{}{}}
	b.mu.Lock()
	b.killer = stuck
	b.mu.Unlock()
	pidFile := filepath.Join(b.Workspace(), "pid")
	start := time.Now()
	res, err := b.Run(context.Background(), sandbox.Spec{
		Command: "sleep 60 & echo $! > " + pidFile + "; wait", Timeout: 500 * time.Millisecond,
	})
	if err != nil || !res.TimedOut {
		t.Fatalf("result %+v, %v", res, err)
	}
	if d := time.Since(start); d < killerWait {
		t.Errorf("took %v: the stuck killer was not tried", d)
	}
	assertDead(t, pidFile)
	if _, err := b.Run(context.Background(), sandbox.Spec{Command: "true"}); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	nk := b.killer
	b.mu.Unlock()
	if nk == stuck || nk == nil {
		t.Error("the stuck killer was kept")
	}
}

type nopWriteCloser struct{}

func (nopWriteCloser) Write(p []byte) (int, error) { return len(p), nil }
func (nopWriteCloser) Close() error                { return nil }

var _ io.WriteCloser = nopWriteCloser{}
