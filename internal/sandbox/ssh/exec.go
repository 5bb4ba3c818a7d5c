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
	env := make(map[string]string, len(b.env)+len(s.Env))
	for k, v := range b.env {
		env[k] = v
	}
	for k, v := range s.Env {
		if !sandbox.Blocked(k) {
			env[k] = v
		}
	}
	return dir, env, nil
}

func (b *Backend) run(ctx context.Context, s sandbox.Spec, dir string, env map[string]string) (*sandbox.Result, error) {
	s = s.Normalize()
	out := sandbox.NewCapture(s.MaxOutput)
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	r, err := b.start(tctx, s.Command, dir, env, s.Stdin, out)
	if err != nil {
		return nil, err
	}
	select {
	case <-r.done:
	case <-tctx.Done():
		_ = r.kill()
	}
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
	res.ExitCode = r.code
	return res, nil
}

// remote is one command running in its own session.
type remote struct {
	b      *Backend
	sess   *gossh.Session
	ready  chan struct{} // closed once pgid is known or the command ended
	once   sync.Once
	pgid   atomic.Int64
	done   chan struct{} // closed when the session has ended and all output is in
	code   int           // valid after done
	err    error         // valid after done: the connection failed, not the command
	killed atomic.Bool
}

// start opens a session and starts cmd in dir with env; its output goes
// to out and stdin (nil: none) follows the script on the session's stdin.
func (b *Backend) start(ctx context.Context, cmd, dir string, env map[string]string, stdin io.Reader, out io.Writer) (*remote, error) {
	marker, err := newMarker()
	if err != nil {
		return nil, err
	}
	script, err := commandScript(env, dir, cmd, marker)
	if err != nil {
		return nil, err
	}
	sess, err := b.session(ctx)
	if err != nil {
		return nil, err
	}
	r := &remote{b: b, sess: sess, ready: make(chan struct{}), done: make(chan struct{})}
	sess.Stdout = &pgidWriter{r: r, out: out}
	sess.Stderr = out
	in, err := sess.StdinPipe()
	if err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("ssh: session stdin: %w", err)
	}
	if err := sess.Start(bootCommand(marker)); err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("ssh: starting a command on %s: %w", b.addr, err)
	}
	go feed(in, script, stdin)
	go r.wait()
	return r, nil
}

// feed writes the script and then the command's stdin, and closes stdin.
func feed(in io.WriteCloser, script string, stdin io.Reader) {
	defer func() { _ = in.Close() }()
	if _, err := io.WriteString(in, script); err != nil {
		return
	}
	if stdin != nil {
		_, _ = io.Copy(in, stdin)
	}
}

func (r *remote) wait() {
	err := r.sess.Wait()
	r.code, r.err = exitStatus(err, r.b.addr)
	r.once.Do(func() { close(r.ready) })
	close(r.done)
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

func (r *remote) setPGID(pg int) {
	r.pgid.Store(int64(pg))
	r.once.Do(func() { close(r.ready) })
}

// kill ends the command's remote process group through a second session,
// then closes its own session. It is a no-op once the command has ended.
func (r *remote) kill() error {
	select {
	case <-r.done:
		return nil
	default:
	}
	r.killed.Store(true)
	select {
	case <-r.ready:
	case <-time.After(killGrace):
	}
	var err error
	if pg := int(r.pgid.Load()); pg > 1 {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		err = r.b.quick(ctx, killCommand(pg))
		cancel()
	}
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
	sess, err := b.session(ctx)
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
// stdout and passes the rest on. Lines before it (a noisy .bashrc) are
// passed on too. Session copies stdout from one goroutine, so it needs no
// lock.
type pgidWriter struct {
	r     *remote
	out   io.Writer
	buf   []byte
	found bool
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
				_, _ = w.out.Write(w.buf)
				w.buf = nil
			}
			return n, nil
		}
		line := w.buf[:i]
		if j := bytes.Index(line, []byte(pgidMarker)); j >= 0 {
			_, _ = w.out.Write(line[:j]) // an rc file's unfinished line
			if pg, err := strconv.Atoi(string(line[j+len(pgidMarker):])); err == nil {
				w.r.setPGID(pg)
			}
			w.found = true
			_, _ = w.out.Write(w.buf[i+1:])
			w.buf = nil
			return n, nil
		}
		_, _ = w.out.Write(w.buf[:i+1])
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
