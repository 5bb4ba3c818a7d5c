package ssh

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// shellBoot starts the persistent shell: it reports its pid (the session
// leader sshd made it, so also its process group) and reads commands from
// stdin. Exports and the cd into the workspace arrive on stdin.
const shellBoot = `exec /bin/sh -c 'printf "` + pgidMarker + `%s\n" "$$"; exec /bin/sh -s'`

// interruptScript kills every descendant of the shell whose pid is $1 but
// not the shell: each is stopped, its own children are collected, then it
// is killed. It needs pgrep (procps or busybox); without it the
// interrupt fails and the shell is given up.
const interruptScript = `command -v pgrep >/dev/null 2>&1 || exit 3; k() { for c in $(pgrep -P "$1"); do kill -s STOP "$c" 2>/dev/null; k "$c"; kill -s KILL "$c" 2>/dev/null; done; }; k "$1"`

// Shell starts a persistent sh in one session, in the workspace with the
// backend's environment.
func (b *Backend) Shell(ctx context.Context) (sandbox.Shell, error) {
	sess, cli, err := b.session(ctx)
	if err != nil {
		return nil, err
	}
	in, err := sess.StdinPipe()
	if err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("ssh: shell stdin: %w", err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("ssh: shell stdout: %w", err)
	}
	if err := b.startSession(ctx, cli, sess, shellBoot); err != nil {
		return nil, fmt.Errorf("ssh: starting a shell on %s: %w", b.addr, err)
	}
	br := bufio.NewReader(stdout)
	pid, err := readPID(ctx, br, sess.Close)
	if err != nil {
		return nil, err
	}
	var pre strings.Builder
	env := sandbox.ChildEnvMap(b.parent, b.pass, nil)
	for _, n := range sortedNames(env) {
		pre.WriteString("export " + n + "=" + shellQuote(env[n]) + "\n")
	}
	pre.WriteString("cd " + shellQuote(b.workspace) + " || exit 1\n")
	if _, err := in.Write([]byte(pre.String())); err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("ssh: shell environment: %w", err)
	}
	sh := sandbox.NewPipeShellConfig(sandbox.PipeShellConfig{
		Stdin:  in,
		Stdout: br,
		Close: func() error {
			ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
			defer cancel()
			_ = b.killGroup(ctx, pid)
			_ = sess.Close()
			return nil
		},
		Interrupt: func() error {
			ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
			defer cancel()
			return b.quick(ctx, "exec /bin/sh -c "+shellQuote(interruptScript)+" hermes "+strconv.Itoa(pid))
		},
	})
	return &shell{Shell: sh, workspace: b.workspace}, nil
}

// readPID reads the shell's first line, dropping any rc-file noise first.
func readPID(ctx context.Context, br *bufio.Reader, closeFn func() error) (int, error) {
	type line struct {
		pid int
		err error
	}
	got := make(chan line, 1)
	go func() {
		for {
			s, err := br.ReadString('\n')
			if rest, ok := strings.CutPrefix(strings.TrimSpace(s), pgidMarker); ok {
				pid, perr := strconv.Atoi(rest)
				got <- line{pid, perr}
				return
			}
			if err != nil {
				got <- line{0, err}
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	select {
	case l := <-got:
		if l.err != nil || l.pid <= 1 {
			_ = closeFn()
			return 0, fmt.Errorf("ssh: the remote shell did not start (%v)", l.err)
		}
		return l.pid, nil
	case <-ctx.Done():
		_ = closeFn()
		return 0, fmt.Errorf("ssh: the remote shell did not start within %v: %w", dialTimeout.Round(time.Second), ctx.Err())
	}
}

// shell checks what a Spec asks of the persistent shell before passing
// it on: a directory that passes config.CheckWorkdir (relative ones are
// under the workspace) and no blocked variable.
type shell struct {
	sandbox.Shell
	workspace string
}

func (s *shell) Run(ctx context.Context, spec sandbox.Spec) (*sandbox.Result, error) {
	if spec.Dir != "" {
		d, err := resolveDir(s.workspace, spec.Dir)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(d, "~") {
			return nil, errors.New("ssh: the persistent shell needs an absolute directory, not one under ~")
		}
		spec.Dir = d
	}
	if len(spec.Env) > 0 {
		env := make(map[string]string, len(spec.Env))
		for k, v := range spec.Env {
			if !sandbox.Blocked(k) {
				env[k] = v
			}
		}
		spec.Env = env
	}
	return s.Shell.Run(ctx, spec)
}
