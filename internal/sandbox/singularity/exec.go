package singularity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// job is one `exec` running in its own process group.
type job struct {
	cmd     *exec.Cmd
	envFile string
	done    chan struct{}
	code    int
	killed  atomic.Bool
	once    sync.Once
}

// start writes the env file and starts `exec` for s.
func (b *Backend) start(s sandbox.Spec, out io.Writer) (*job, error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	dir, err := containerDir(s.Dir)
	if err != nil {
		return nil, err
	}
	text, err := EnvFile(b.commandEnv(s.Env))
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(b.tmp, "env-")
	if err != nil {
		return nil, fmt.Errorf("singularity: env file: %w", err)
	}
	_, werr := f.WriteString(text)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("singularity: env file: %w", werr)
	}
	cmd := exec.Command(b.exe, ExecArgs(dir, f.Name(), b.name, s.Command)...)
	cmd.Env = b.hostEnv
	cmd.Stdin = s.Stdin
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("singularity: %s exec: %w", b.exe, err)
	}
	j := &job{cmd: cmd, envFile: f.Name(), done: make(chan struct{})}
	go j.wait()
	return j, nil
}

func (j *job) wait() {
	err := j.cmd.Wait()
	_ = os.Remove(j.envFile)
	var ee *exec.ExitError
	switch {
	case err == nil:
		j.code = 0
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		j.code = ee.ExitCode()
	default:
		j.code = -1
	}
	close(j.done)
}

// kill sends SIGKILL to the exec's process group and to every process
// below it (a command that made its own group included).
func (j *job) kill() {
	select {
	case <-j.done:
		return
	default:
	}
	j.killed.Store(true)
	j.once.Do(func() {
		pid := j.cmd.Process.Pid
		below := sandbox.Descendants(pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		for _, p := range below {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	})
}

// Run runs s to its end, its timeout or ctx's end.
func (b *Backend) Run(ctx context.Context, s sandbox.Spec) (*sandbox.Result, error) {
	s = s.Normalize()
	out := sandbox.NewCapture(s.MaxOutput)
	start := time.Now()
	j, err := b.start(s, out)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(s.Timeout)
	defer timer.Stop()
	var ctxErr error
	select {
	case <-j.done:
	case <-timer.C:
		j.kill()
		<-j.done
	case <-ctx.Done():
		ctxErr = ctx.Err()
		j.kill()
		<-j.done
	}
	res := &sandbox.Result{ExitCode: j.code, Duration: time.Since(start)}
	res.Output, res.Truncated = out.String()
	if j.killed.Load() {
		res.ExitCode = -1
		res.TimedOut = ctxErr == nil
	}
	return res, ctxErr
}

// process is a background exec.
type process struct {
	id, command string
	j           *job
	out         *sandbox.Capture
}

var _ sandbox.Process = (*process)(nil)

// Start runs s in the background until it ends, is killed or the backend
// is closed; s.Timeout does not apply.
func (b *Backend) Start(_ context.Context, s sandbox.Spec) (sandbox.Process, error) {
	s = s.Normalize()
	out := sandbox.NewCapture(s.MaxOutput)
	j, err := b.start(s, out)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.nextID++
	p := &process{id: "bg-" + strconv.Itoa(b.nextID), command: s.Command, j: j, out: out}
	closed := b.closed
	if !closed {
		b.procs[p.id] = p
	}
	b.mu.Unlock()
	if closed {
		j.kill()
		return nil, ErrClosed
	}
	go func() {
		<-j.done
		b.mu.Lock()
		delete(b.procs, p.id)
		b.mu.Unlock()
	}()
	return p, nil
}

func (p *process) ID() string             { return p.id }
func (p *process) Command() string        { return p.command }
func (p *process) Output() (string, bool) { return p.out.String() }
func (p *process) Done() <-chan struct{}  { return p.j.done }

// Kill ends the process tree; a no-op once it has ended.
func (p *process) Kill() error {
	p.j.kill()
	return nil
}

// ExitCode is the status once ended; -1 when killed.
func (p *process) ExitCode() (int, bool) {
	select {
	case <-p.j.done:
	default:
		return 0, false
	}
	if p.j.killed.Load() {
		return -1, true
	}
	return p.j.code, true
}
