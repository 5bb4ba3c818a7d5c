package ssh

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// killedMarker starts each line the killer prints after a kill.
const killedMarker = "HERMES_SSH_KILLED:"

// killerScript reads process group ids, one a line, kills each group and
// its leader, and acknowledges it. Anything but digits is ignored.
const killerScript = `while IFS= read -r g; do case $g in ''|*[!0-9]*) continue;; esac; ` +
	`kill -s KILL -- "-$g" 2>/dev/null; kill -s KILL "$g" 2>/dev/null; printf '` + killedMarker + `%s\n' "$g"; done`

// killerWait is how long a kill through the killer may take before the
// backend falls back to a session of its own.
var killerWait = 2 * time.Second

// killer is a session kept open on the connection to kill process groups.
// It is logged in already, so a kill costs one round trip instead of a
// login, whose rc files can take longer than a command's timeout.
type killer struct {
	cli  *gossh.Client
	sess *gossh.Session
	gone chan struct{} // closed when the session has ended
	dead atomic.Bool   // close was called: the remote may confirm it late

	mu      sync.Mutex // guards in and waiters
	in      io.WriteCloser
	waiters map[int][]chan struct{}
}

// newKiller starts a killer session on cli, within ctx and opTimeout.
func (b *Backend) newKiller(ctx context.Context, cli *gossh.Client) (*killer, error) {
	sess, err := b.newSession(ctx, cli)
	if err != nil {
		return nil, err
	}
	in, err := sess.StdinPipe()
	if err != nil {
		_ = sess.Close()
		return nil, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		_ = sess.Close()
		return nil, err
	}
	if err := b.startSession(ctx, cli, sess, "exec /bin/sh -c "+shellQuote(killerScript)); err != nil {
		return nil, err
	}
	k := &killer{cli: cli, sess: sess, in: in, gone: make(chan struct{}), waiters: map[int][]chan struct{}{}}
	go k.read(out)
	go func() { _ = sess.Wait(); close(k.gone) }()
	return k, nil
}

// read hands each acknowledgement to the kills waiting for it; lines
// that are not one (a noisy rc file) are skipped.
func (k *killer) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		_, rest, ok := strings.Cut(sc.Text(), killedMarker)
		if !ok {
			continue
		}
		pg, err := strconv.Atoi(rest)
		if err != nil {
			continue
		}
		k.mu.Lock()
		for _, w := range k.waiters[pg] {
			close(w)
		}
		delete(k.waiters, pg)
		k.mu.Unlock()
	}
}

// alive reports whether the session still runs on cli.
func (k *killer) alive(cli *gossh.Client) bool {
	select {
	case <-k.gone:
		return false
	default:
		return k.cli == cli && !k.dead.Load()
	}
}

// kill kills process group pg and waits for the acknowledgement.
func (k *killer) kill(ctx context.Context, pg int) error {
	acked := make(chan struct{})
	k.mu.Lock()
	k.waiters[pg] = append(k.waiters[pg], acked)
	_, err := io.WriteString(k.in, strconv.Itoa(pg)+"\n")
	k.mu.Unlock()
	if err != nil {
		return fmt.Errorf("ssh: sending a kill: %w", err)
	}
	select {
	case <-acked:
		return nil
	case <-k.gone:
		return fmt.Errorf("ssh: the kill session ended before it killed group %d", pg)
	case <-ctx.Done():
		return fmt.Errorf("ssh: killing group %d: %w", pg, ctx.Err())
	}
}

func (k *killer) close() {
	k.dead.Store(true)
	_ = k.sess.Close()
}

// warmKiller makes sure a killer runs on the current connection, so it is
// logged in before any command needs killing. A failure (the server's
// MaxSessions) leaves kills to a session of their own.
func (b *Backend) warmKiller(ctx context.Context) *killer {
	b.killMu.Lock()
	defer b.killMu.Unlock()
	cli, err := b.client(ctx)
	if err != nil {
		return nil
	}
	b.mu.Lock()
	k := b.killer
	b.mu.Unlock()
	if k != nil && k.alive(cli) {
		return k
	}
	nk, err := b.newKiller(ctx, cli)
	if err != nil {
		return nil
	}
	b.mu.Lock()
	closed := b.closed
	if !closed {
		b.killer = nk
	}
	b.mu.Unlock()
	if k != nil {
		k.close()
	}
	if closed {
		nk.close()
		return nil
	}
	return nk
}

// killGroup kills the remote process group pg: through the killer when
// it answers within killerWait, else through a session of its own.
func (b *Backend) killGroup(ctx context.Context, pg int) error {
	if k := b.warmKiller(ctx); k != nil {
		kctx, cancel := context.WithTimeout(ctx, killerWait)
		err := k.kill(kctx, pg)
		cancel()
		if err == nil {
			return nil
		}
		k.close() // unresponsive: the next command starts a new one
	}
	return b.quick(ctx, killCommand(pg))
}
