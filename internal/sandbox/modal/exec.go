package modal

import (
	"context"
	"fmt"
	"io"
	"path"
	"sync"
	"time"

	msdk "github.com/modal-labs/libmodal/modal-go"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// wrapper runs the command ($1) in a child shell after recording its own
// pid ($0 names the pid file). The child keeps the command's $0 and exit
// status apart from the wrapper's; its stderr joins stdout so the two keep
// their order.
const wrapper = `echo $$ >"$0"; sh -c "$1" 2>&1; s=$?; rm -f "$0"; exit $s`

// killScript waits briefly for the pid file ($0), then stops and kills the
// wrapper it names, every process below it (walking /proc, so a command
// that left the group by setsid dies too) and the wrapper's process group
// (when the runtime made the exec a group leader, this catches orphans
// that were re-parented away from the tree). It only uses sh builtins and
// kill, so busybox images do.
const killScript = `i=0; while [ ! -s "$0" ]; do i=$((i+1)); [ $i -gt 20 ] && exit 0; sleep 0.1; done
read -r p <"$0"; rm -f "$0"
all=$p; new=$p
while [ -n "$new" ]; do
	next=
	for f in /proc/[0-9]*/stat; do
		read -r s <"$f" 2>/dev/null || continue
		s=${s##*) }; set -- $s
		for q in $new; do
			if [ "$2" = "$q" ]; then d=${f#/proc/}; next="$next ${d%/stat}"; fi
		done
	done
	all="$all$next"; new=$next
done
kill -s STOP $all 2>/dev/null; kill -s KILL -"$p" 2>/dev/null; kill -s KILL $all 2>/dev/null; exit 0`

// Limits on waiting for Modal around a command's end.
const (
	killTimeout   = 30 * time.Second // the kill exec itself
	streamGrace   = 5 * time.Second  // output still open after the kill
	waitLimit     = 30 * time.Second // the exit status after the output ended
	backstopSlack = 30 * time.Second // Modal's own exec timeout past Spec.Timeout
)

// execution is one exec running a command; its output goes to out.
type execution struct {
	b       *Backend
	proc    *msdk.ContainerProcess
	pidFile string
	out     *sandbox.Capture
	stream  chan struct{} // closed when stdout and stderr have both ended
}

// begin starts an exec of s.Command; backstop (0: none) is Modal's own
// timeout for the exec, in case this process dies before it can kill it.
func (b *Backend) begin(ctx context.Context, s sandbox.Spec, backstop time.Duration) (*execution, error) {
	e := &execution{
		b:       b,
		pidFile: path.Join(pidDir, ".hermes-exec-"+randomHex(8)+".pid"),
		out:     sandbox.NewCapture(s.MaxOutput),
		stream:  make(chan struct{}),
	}
	argv := []string{"sh", "-c", wrapper, e.pidFile, s.Command}
	proc, err := b.exec(ctx, argv, &msdk.SandboxExecParams{Workdir: workingDir(s.Dir), Env: b.execEnv(s.Env), Timeout: backstop})
	if err != nil {
		return nil, fmt.Errorf("modal: starting a command in sandbox %s: %w", b.sb.SandboxID, err)
	}
	e.proc = proc
	drain(proc, e.out, e.stream)
	go func() {
		if s.Stdin != nil {
			_, _ = io.Copy(proc.Stdin, s.Stdin)
		}
		_ = proc.Stdin.Close()
	}()
	return e, nil
}

// exec starts argv in the sandbox; Terminate may not run meanwhile.
func (b *Backend) exec(ctx context.Context, argv []string, p *msdk.SandboxExecParams) (*msdk.ContainerProcess, error) {
	b.sbMu.RLock()
	defer b.sbMu.RUnlock()
	return b.sb.Exec(ctx, argv, p)
}

// drain copies the process's stdout and stderr into out and closes done
// when both have ended.
func drain(proc *msdk.ContainerProcess, out io.Writer, done chan struct{}) {
	var wg sync.WaitGroup
	for _, r := range []io.Reader{proc.Stdout, proc.Stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = io.Copy(out, r)
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
}

// workingDir is dir as the sandbox sees it: relative to /workspace unless
// absolute.
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

// script runs a helper script (sh -c text args...) from / to its end and
// returns its status and output.
func (b *Backend) script(ctx context.Context, text string, args ...string) (int, string, error) {
	argv := append([]string{"sh", "-c", text}, args...)
	proc, err := b.exec(ctx, argv, &msdk.SandboxExecParams{Workdir: "/"})
	if err != nil {
		return -1, "", err
	}
	_ = proc.Stdin.Close()
	out := sandbox.NewCapture(64 << 10)
	done := make(chan struct{})
	drain(proc, out, done)
	code, err := proc.Wait(ctx)
	if err == nil {
		select {
		case <-done:
		case <-time.After(streamGrace):
		}
	}
	release(proc)
	<-done
	text, _ = out.String()
	return code, text, err
}

// Ended is closed when the exec's output stream has ended.
func (e *execution) Ended() <-chan struct{} { return e.stream }

var _ sandbox.Started = (*execution)(nil)

// release lets go of a process's output streams.
func release(proc *msdk.ContainerProcess) {
	_ = proc.Stdout.Close()
	_ = proc.Stderr.Close()
}

// Kill ends the exec's process tree. It is safe to call more than once and
// after the exec has ended, and it does not depend on the caller's ctx.
func (e *execution) Kill() error {
	select {
	case <-e.stream:
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	if _, out, err := e.b.script(ctx, killScript, e.pidFile); err != nil {
		return fmt.Errorf("modal: killing a command in sandbox %s: %w (%s)", e.b.sb.SandboxID, err, out)
	}
	return nil
}

// Finish waits for the output to end (letting go of it streamGrace after a
// kill if Modal still holds it open) and returns the exit status, -1 when
// the command was killed or its status is unknown.
func (e *execution) Finish(killed bool) int {
	if killed {
		select {
		case <-e.stream:
		case <-time.After(streamGrace):
			release(e.proc)
			<-e.stream
		}
		return -1
	}
	<-e.stream
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	code, err := e.proc.Wait(ctx)
	if err != nil {
		return -1
	}
	return code
}

// Run runs s to its end, its timeout, or ctx's end; in the last two cases
// the process tree is killed, the exit code is -1, and a ctx end is also
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
	e, err := b.begin(ctx, s, s.Timeout+backstopSlack)
	if err != nil {
		return nil, err
	}
	return sandbox.Await(ctx, s, start, e, e.out)
}
