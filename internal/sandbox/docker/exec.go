package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// wrapper runs the command ($1) in a child shell after recording its own
// pid ($0 names the pid file). The exec's first process leads its own
// process group (runc makes it a session leader), so that pid is the
// group to kill. The child keeps the command's $0 and exit status apart
// from the wrapper's; its stderr joins stdout so the two keep their order.
const wrapper = `echo $$ >"$0"; sh -c "$1" 2>&1; s=$?; rm -f "$0"; exit $s`

// killScript waits briefly for the pid file ($0), then kills the process
// group it names and removes it.
const killScript = `i=0; while [ ! -s "$0" ]; do i=$((i+1)); [ $i -gt 20 ] && exit 0; sleep 0.1; done; ` +
	`kill -s KILL -"$(cat "$0")" 2>/dev/null; rm -f "$0"`

// Limits on waiting for the daemon after a kill.
const (
	killTimeout  = 15 * time.Second // the kill exec itself
	streamGrace  = 5 * time.Second  // output still open after the kill (a process left the group)
	inspectLimit = 5 * time.Second  // the exec still "running" after its output closed
)

// execution is one exec running a command; its output goes to out.
type execution struct {
	b       *Backend
	id      string
	pidFile string
	out     *sandbox.Capture
	conn    client.HijackedResponse
	stream  chan struct{} // closed when the output stream ends
}

// begin creates, attaches and starts an exec of s.Command.
func (b *Backend) begin(ctx context.Context, s sandbox.Spec) (*execution, error) {
	e := &execution{
		b:       b,
		pidFile: path.Join(pidDir, "hermes-exec-"+randomHex(8)+".pid"),
		out:     sandbox.NewCapture(s.MaxOutput),
		stream:  make(chan struct{}),
	}
	created, err := b.cli.ExecCreate(ctx, b.container, client.ExecCreateOptions{
		User:         b.user,
		AttachStdin:  s.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
		Env:          b.execEnv(s.Env),
		WorkingDir:   workingDir(s.Dir),
		Cmd:          []string{"sh", "-c", wrapper, e.pidFile, s.Command},
	})
	if err != nil {
		return nil, fmt.Errorf("docker backend: creating exec in container %.12s: %w", b.container, err)
	}
	e.id = created.ID
	att, err := b.cli.ExecAttach(ctx, e.id, client.ExecAttachOptions{})
	if err != nil {
		return nil, fmt.Errorf("docker backend: starting exec: %w", err)
	}
	e.conn = att.HijackedResponse
	go func() {
		defer close(e.stream)
		_, _ = stdcopy.StdCopy(e.out, e.out, e.conn.Reader)
	}()
	if s.Stdin != nil {
		go func() {
			_, _ = io.Copy(e.conn.Conn, s.Stdin)
			_ = e.conn.CloseWrite()
		}()
	}
	return e, nil
}

// workingDir is dir as the container sees it: relative to /workspace
// unless absolute.
func workingDir(dir string) string {
	switch {
	case dir == "":
		return Workdir
	case path.IsAbs(dir):
		return path.Clean(dir)
	default:
		return path.Join(Workdir, dir)
	}
}

// execEnv is the environment of one exec: sandbox.ChildEnv of the
// parent, the passthrough values and the command's own variables.
func (b *Backend) execEnv(extra map[string]string) []string {
	return sandbox.ChildEnv(b.parent, b.pass, extra)
}

// Kill ends the exec's process group. It is safe to call more than once
// and after the exec has ended.
func (e *execution) Kill() error {
	select {
	case <-e.stream:
		return nil
	default:
	}
	return e.b.runScript(killScript, e.pidFile)
}

// Finish waits for the output to end (closing the connection streamGrace
// after a kill if something outside the group still holds it) and returns
// the exit status from exec inspect, -1 when it is unknown.
func (e *execution) Finish(killed bool) int {
	if killed {
		select {
		case <-e.stream:
		case <-time.After(streamGrace):
		}
	}
	e.conn.Close()
	<-e.stream
	ctx, cancel := context.WithTimeout(context.Background(), inspectLimit)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(wait*2, 100*time.Millisecond) {
		ins, err := e.b.cli.ExecInspect(ctx, e.id, client.ExecInspectOptions{})
		if err != nil {
			return -1
		}
		if !ins.Running {
			return ins.ExitCode
		}
		select {
		case <-ctx.Done():
			return -1
		case <-time.After(wait):
		}
	}
}

// Run runs s to its end, its timeout, or ctx's end; in the last two cases
// the process group is killed, the exit code is -1, and a ctx end is also
// returned as the error.
func (b *Backend) Run(ctx context.Context, s sandbox.Spec) (*sandbox.Result, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s = s.Normalize()
	start := time.Now()
	e, err := b.begin(ctx, s)
	if err != nil {
		return nil, err
	}
	return sandbox.Await(ctx, s, start, e, e.out)
}

// Ended is closed when the exec's output stream has ended.
func (e *execution) Ended() <-chan struct{} { return e.stream }

var _ sandbox.Started = (*execution)(nil)

// usable fails once the backend is closed.
func (b *Backend) usable() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("docker backend: closed")
	}
	return nil
}
