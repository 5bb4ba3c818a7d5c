package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// Run runs s in a new session and waits for it, its timeout or ctx. A
// timed-out command has ExitCode -1 and TimedOut; a cancelled ctx gives
// ExitCode -1 and ctx's error.
func (b *Backend) Run(ctx context.Context, s sandbox.Spec) (*sandbox.Result, error) {
	dir, env, err := b.prepare(s)
	if err != nil {
		return nil, err
	}
	return b.run(ctx, s, dir, env)
}

// prepare resolves where a command runs and the environment it gets.
func (b *Backend) prepare(s sandbox.Spec) (string, map[string]string, error) {
	dir, err := resolveDir(b.workspace, s.Dir)
	if err != nil {
		return "", nil, err
	}
	return dir, sandbox.ChildEnvMap(b.parent, b.pass, s.Env), nil
}

func (b *Backend) run(ctx context.Context, s sandbox.Spec, dir string, env map[string]string) (*sandbox.Result, error) {
	s = s.Normalize()
	out := sandbox.NewCapture(s.MaxOutput)
	start := time.Now()
	r, err := b.start(ctx, s.Command, dir, env, s.Stdin, out)
	if err != nil {
		if ctx.Err() != nil { // cancelled while the session opened
			return &sandbox.Result{ExitCode: -1, Duration: time.Since(start)}, ctx.Err()
		}
		return nil, err
	}
	if err := r.awaitStart(ctx); err != nil {
		_ = r.kill()
		if ctx.Err() == nil {
			return nil, err
		}
		return r.result(ctx, start, out)
	}
	// The timeout counts from the moment the command was sent: a slow
	// remote login (rc files, a loaded host) does not eat into it.
	timer := time.NewTimer(s.Timeout)
	defer timer.Stop()
	select {
	case <-r.done:
	case <-timer.C:
		_ = r.kill()
	case <-ctx.Done():
		_ = r.kill()
	}
	return r.result(ctx, start, out)
}

// remote is one command running in its own session. The wrapper on the
// remote side reports its process group first; only then is the command
// sent, so a command is either killable by its group or never runs.
type remote struct {
	b         *Backend
	sess      *gossh.Session
	ready     chan struct{} // closed once the wrapper reported its group (pgid > 1) or cannot
	readyOnce sync.Once
	pgid      atomic.Int64
	started   chan struct{} // closed once the command is being sent to the wrapper
	done      chan struct{} // closed when the session has ended and all output is in, or the command was killed before it was sent
	doneOnce  sync.Once
	code      int   // valid after done
	err       error // valid after done: the connection failed, not the command
	killed    atomic.Bool
	// pre holds what the login shell printed before the wrapper started
	// (rc files: motd, pyenv warnings): never the command's output, kept
	// for the error when the command does not start.
	pre *sandbox.Capture

	mu        sync.Mutex
	sent      bool // the command went out: killing it needs its group
	cancelled bool // killed before it was sent: it never will be
}

// start opens a session and starts the wrapper for cmd in dir with env;
// the output goes to out and stdin (nil: none) follows the script on the
// session's stdin once the wrapper has reported its process group.
func (b *Backend) start(ctx context.Context, cmd, dir string, env map[string]string, stdin io.Reader, out io.Writer) (*remote, error) {
	marker, err := newMarker()
	if err != nil {
		return nil, err
	}
	script, err := commandScript(env, dir, cmd, marker)
	if err != nil {
		return nil, err
	}
	b.warmKiller(ctx)
	sess, cli, err := b.session(ctx)
	if err != nil {
		return nil, err
	}
	r := &remote{
		b: b, sess: sess, pre: sandbox.NewCapture(8 << 10),
		ready: make(chan struct{}), started: make(chan struct{}), done: make(chan struct{}),
	}
	// The command's stderr is merged into stdout by the wrapper, so the
	// session's stderr carries only the login shell's own noise.
	sess.Stdout = &pgidWriter{r: r, out: out, pre: r.pre}
	sess.Stderr = r.pre
	in, err := sess.StdinPipe()
	if err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("ssh: session stdin: %w", err)
	}
	if err := b.startSession(ctx, cli, sess, bootCommand(marker)); err != nil {
		return nil, fmt.Errorf("ssh: starting a command on %s: %w", b.addr, err)
	}
	go r.feed(in, script, stdin)
	go r.wait()
	return r, nil
}

// feed waits for the wrapper's process group, then writes the script and
// the command's stdin, and closes stdin. A command killed before that is
// never sent: the wrapper reads the end of its input instead and exits.
func (r *remote) feed(in io.WriteCloser, script string, stdin io.Reader) {
	defer func() { _ = in.Close() }()
	select {
	case <-r.ready:
	case <-r.done:
		return
	}
	if !r.send() {
		return
	}
	if _, err := io.WriteString(in, script); err != nil {
		return
	}
	if stdin != nil {
		_, _ = io.Copy(in, stdin)
	}
}

// send marks the command as sent, unless it was killed first or the
// wrapper did not report a usable process group.
func (r *remote) send() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancelled || r.pgid.Load() <= 1 {
		return false
	}
	r.sent = true
	close(r.started)
	return true
}

// wasSent reports whether the command went out to the wrapper.
func (r *remote) wasSent() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent
}

// awaitStart waits until the command is sent or the session has ended,
// for at most startLimit: the remote login shell runs its rc files first.
func (r *remote) awaitStart(ctx context.Context) error {
	limit := time.NewTimer(startLimit)
	defer limit.Stop()
	select {
	case <-r.started:
		return nil
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-limit.C:
		return fmt.Errorf("ssh: the command did not start on %s within %v: the remote login shell is slow or waits for input; check its rc files (such as ~/.bashrc) for slow or interactive steps",
			r.b.addr, startLimit)
	}
}

// result is what run reports once the command has ended or was killed.
func (r *remote) result(ctx context.Context, start time.Time, out *sandbox.Capture) (*sandbox.Result, error) {
	res := &sandbox.Result{Duration: time.Since(start)}
	res.Output, res.Truncated = out.String()
	if r.killed.Load() {
		res.ExitCode = -1
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.TimedOut = true
		return res, nil
	}
	if r.err != nil {
		return res, r.err
	}
	if !r.wasSent() {
		said, _ := r.pre.String()
		return res, fmt.Errorf("ssh: the remote side of %s ended (exit %d) before the command started: its login shell must run `exec /bin/sh -c '...'` and print nothing that looks like %q; it said: %q",
			r.b.addr, r.code, pgidMarker, said+res.Output)
	}
	res.ExitCode = r.code
	return res, nil
}

func (r *remote) wait() {
	code, err := exitStatus(r.sess.Wait(), r.b.addr)
	r.readyOnce.Do(func() { close(r.ready) })
	r.finish(code, err)
}

// finish records how the command ended and closes done, once.
func (r *remote) finish(code int, err error) {
	r.doneOnce.Do(func() {
		r.code, r.err = code, err
		close(r.done)
	})
}

// exitStatus turns what Session.Wait returned into an exit code, or an
// error when the connection, not the command, failed.
func exitStatus(err error, addr string) (int, error) {
	var ee *gossh.ExitError
	var missing *gossh.ExitMissingError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ee.Signal() != "" {
			return -1, nil
		}
		return ee.ExitStatus(), nil
	case errors.As(err, &missing):
		return -1, fmt.Errorf("ssh: the connection to %s ended before the command reported its status", addr)
	default:
		return -1, fmt.Errorf("ssh: the connection to %s failed while the command ran: %w", addr, err)
	}
}

// setPGID records the group the wrapper reported; 0 means it reported
// none that can be used.
func (r *remote) setPGID(pg int) {
	r.pgid.Store(int64(pg))
	r.readyOnce.Do(func() { close(r.ready) })
}

// kill ends the command. If it was sent, its remote process group is
// killed through a second session and then its own session is closed. If
// not, it never will be: closing the session gives the wrapper the end of
// its input, and the command counts as ended at once, since sshd confirms
// the close only when the remote login shell is done with its rc files.
// It is a no-op once the command has ended.
func (r *remote) kill() error {
	select {
	case <-r.done:
		return nil
	default:
	}
	r.killed.Store(true)
	r.mu.Lock()
	r.cancelled = true
	sent := r.sent
	r.mu.Unlock()
	if !sent {
		_ = r.sess.Close()
		r.finish(-1, nil)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	err := r.b.killGroup(ctx, int(r.pgid.Load()))
	cancel()
	select {
	case <-r.done:
	case <-time.After(killGrace):
	}
	_ = r.sess.Close()
	select {
	case <-r.done:
	case <-time.After(killGrace):
	}
	return err
}

// quick runs a fixed command (no env, no stdin) in a session of its own.
func (b *Backend) quick(ctx context.Context, cmd string) error {
	sess, _, err := b.session(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = sess.Close() }()
	errc := make(chan error, 1)
	go func() { errc <- sess.Run(cmd) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pgidWriter takes the boot script's first line (the process group) off
// stdout and passes the rest on. Lines before it (a noisy .bashrc) go to
// pre, or to out when pre is nil. It never waits on anything but out, so the group is
// known as soon as its line arrives. Session copies stdout from one
// goroutine, so it needs no lock.
type pgidWriter struct {
	r     *remote
	out   io.Writer
	pre   io.Writer
	buf   []byte
	found bool
}

// preamble is where output before the group line goes.
func (w *pgidWriter) preamble() io.Writer {
	if w.pre != nil {
		return w.pre
	}
	return w.out
}

func (w *pgidWriter) Write(p []byte) (int, error) {
	if w.found {
		return w.out.Write(p)
	}
	n := len(p)
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) > 64<<10 { // no marker coming: give up looking
				w.found = true
				w.r.setPGID(0)
				_, _ = w.out.Write(w.buf)
				w.buf = nil
			}
			return n, nil
		}
		line := w.buf[:i]
		if j := bytes.Index(line, []byte(pgidMarker)); j >= 0 {
			_, _ = w.preamble().Write(line[:j]) // an rc file's unfinished line
			pg, err := strconv.Atoi(string(line[j+len(pgidMarker):]))
			if err != nil {
				pg = 0
			}
			w.r.setPGID(pg)
			w.found = true
			_, _ = w.out.Write(w.buf[i+1:])
			w.buf = nil
			return n, nil
		}
		_, _ = w.preamble().Write(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
}

// newMarker is a random line that ends a command's script.
func newMarker() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("ssh: random marker: %w", err)
	}
	return "HERMES_END_" + hex.EncodeToString(b[:]), nil
}
