//go:build unix

package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Running host programs: the local and bubblewrap backends run each
// command as a host process (sh -c, or bwrap ... sh -c) in its own process
// group, and kill the group and every descendant when the command times
// out, is cancelled or killed. What a foreground command leaves running in
// the background is killed when it ends (use Start for background work),
// so its output pipe closes and nothing outlives the call unseen.

// RunHost runs cmd (not yet started; Stdin, Stdout, Stderr unset) for s:
// output merged into a Capture, stdin from s.Stdin, s.Timeout and ctx
// enforced on the whole process tree. On ctx's end the Result (ExitCode
// -1) comes with ctx.Err().
func RunHost(ctx context.Context, cmd *exec.Cmd, s Spec) (*Result, error) {
	s = s.Normalize()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := NewCapture(s.MaxOutput)
	cmd.Stdin = s.Stdin
	start := time.Now()
	copied, err := startCaptured(cmd, out)
	if err != nil {
		return nil, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	timer := time.NewTimer(s.Timeout)
	defer timer.Stop()
	res := &Result{}
	var ctxErr error
	select {
	case <-waited:
	case <-timer.C:
		res.TimedOut = true
		killTree(cmd.Process.Pid, waited)
	case <-ctx.Done():
		ctxErr = ctx.Err()
		killTree(cmd.Process.Pid, waited)
	}
	killGroup(cmd.Process.Pid, syscall.SIGKILL)
	finishCopy(copied)
	res.ExitCode = cmd.ProcessState.ExitCode()
	if res.TimedOut || ctxErr != nil {
		res.ExitCode = -1
	}
	res.Duration = time.Since(start)
	res.Output, res.Truncated = out.String()
	return res, ctxErr
}

// copyDone is closed when the output pipe has been read to its end; close
// cuts the read short.
type copyDone struct {
	done  chan struct{}
	close func()
}

// startCaptured starts cmd in a new process group with stdout and stderr
// on one pipe copied into out.
func startCaptured(cmd *exec.Cmd, out io.Writer) (copyDone, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return copyDone{}, fmt.Errorf("output pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	setGroup(cmd)
	cmd.WaitDelay = KillGrace
	if err := cmd.Start(); err != nil {
		_ = r.Close()
		_ = w.Close()
		return copyDone{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	_ = w.Close()
	c := copyDone{done: make(chan struct{}), close: func() { _ = r.Close() }}
	go func() {
		defer close(c.done)
		_, _ = io.Copy(out, r)
	}()
	return c, nil
}

// finishCopy waits for the output pipe's end; a process that left the
// group and still holds the pipe gets KillGrace, then the pipe is closed.
func finishCopy(c copyDone) {
	select {
	case <-c.done:
	case <-time.After(KillGrace):
	}
	c.close()
	<-c.done
}

func setGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// killTree ends the process group led by pid and every descendant: SIGTERM,
// then SIGKILL if pid has not been waited for (waited) within KillGrace.
func killTree(pid int, waited <-chan error) {
	pids := Descendants(pid)
	killGroup(pid, syscall.SIGTERM)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	select {
	case <-waited:
	case <-time.After(KillGrace):
		<-killAndWait(pid, pids, waited)
		return
	}
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

func killAndWait(pid int, pids []int, waited <-chan error) <-chan error {
	killGroup(pid, syscall.SIGKILL)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return waited
}

func killGroup(pid int, sig syscall.Signal) {
	if pid > 0 {
		_ = syscall.Kill(-pid, sig)
	}
}

// HostProcs keeps a backend's background host processes, with ids bg-1,
// bg-2, ... The zero value is ready to use.
type HostProcs struct {
	mu     sync.Mutex
	next   int
	live   map[string]*hostProcess
	closed bool
}

// Start starts cmd (not yet started; its output and stdin unset) in the
// background for s; s.Timeout does not apply, s.MaxOutput caps what is kept.
func (h *HostProcs) Start(cmd *exec.Cmd, s Spec) (Process, error) {
	s = s.Normalize()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, fmt.Errorf("backend is closed; build a new one to start %q", s.Command)
	}
	p := &hostProcess{command: s.Command, cmd: cmd, out: NewCapture(s.MaxOutput), done: make(chan struct{})}
	cmd.Stdin = s.Stdin
	copied, err := startCaptured(cmd, p.out)
	if err != nil {
		return nil, err
	}
	h.next++
	p.id = "bg-" + strconv.Itoa(h.next)
	if h.live == nil {
		h.live = map[string]*hostProcess{}
	}
	h.live[p.id] = p
	p.waited = make(chan error, 1)
	go func() {
		p.waited <- cmd.Wait()
		killGroup(cmd.Process.Pid, syscall.SIGKILL)
		finishCopy(copied)
		p.mu.Lock()
		p.code, p.ended = cmd.ProcessState.ExitCode(), true
		p.mu.Unlock()
		h.mu.Lock()
		delete(h.live, p.id)
		h.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Close kills every background process and waits for them to end.
func (h *HostProcs) Close() error {
	h.mu.Lock()
	h.closed = true
	procs := make([]*hostProcess, 0, len(h.live))
	for _, p := range h.live {
		procs = append(procs, p)
	}
	h.mu.Unlock()
	for _, p := range procs {
		_ = p.Kill()
	}
	for _, p := range procs {
		<-p.done
	}
	return nil
}

var _ Process = (*hostProcess)(nil)

type hostProcess struct {
	id, command string
	cmd         *exec.Cmd
	out         *Capture
	done        chan struct{}
	waited      chan error
	killOnce    sync.Once

	mu    sync.Mutex
	code  int
	ended bool
}

func (p *hostProcess) ID() string             { return p.id }
func (p *hostProcess) Command() string        { return p.command }
func (p *hostProcess) Output() (string, bool) { return p.out.String() }
func (p *hostProcess) Done() <-chan struct{}  { return p.done }
func (p *hostProcess) ExitCode() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code, p.ended
}

// Kill ends the process tree (SIGTERM, SIGKILL after KillGrace) and waits
// for it.
func (p *hostProcess) Kill() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	p.killOnce.Do(func() {
		// killTree needs Wait's result; the waiting goroutine owns it, so
		// watch done instead.
		pids := Descendants(p.cmd.Process.Pid)
		killGroup(p.cmd.Process.Pid, syscall.SIGTERM)
		for _, q := range pids {
			_ = syscall.Kill(q, syscall.SIGTERM)
		}
		select {
		case <-p.done:
		case <-time.After(KillGrace):
			killGroup(p.cmd.Process.Pid, syscall.SIGKILL)
			for _, q := range pids {
				_ = syscall.Kill(q, syscall.SIGKILL)
			}
		}
	})
	<-p.done
	return nil
}

// StartHostShell starts cmd (a host program that ends up running sh
// reading from stdin) as a persistent Shell. interrupt, given the pid of
// cmd, kills the command the shell runs in the foreground; nil means a
// timeout closes the shell.
func StartHostShell(cmd *exec.Cmd, interrupt func(pid int)) (Shell, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("shell stdin: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("shell output pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	setGroup(cmd)
	if err := cmd.Start(); err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, fmt.Errorf("start shell %s: %w", cmd.Path, err)
	}
	_ = w.Close()
	pid := cmd.Process.Pid
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	c := PipeShellConfig{Stdin: stdin, Stdout: r, Close: func() error {
		_ = stdin.Close()
		select {
		case <-waited:
		case <-time.After(100 * time.Millisecond):
			killTree(pid, waited)
		}
		killGroup(pid, syscall.SIGKILL)
		return r.Close()
	}}
	if interrupt != nil {
		c.Interrupt = func() error { interrupt(pid); return nil }
	}
	return NewPipeShellConfig(c), nil
}
