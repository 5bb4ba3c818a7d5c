package docker

import (
	"context"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/hermes-go/hermes/internal/sandbox"
)

var _ sandbox.ShellBackend = (*Backend)(nil)

// shellStart records the shell's pid ($0 names the file) and becomes the
// shell, so the pid leads the shell's process group.
const shellStart = `echo $$ >"$0"; exec sh`

// interruptScript kills every process in the shell's group but the shell
// itself: the foreground command and what it started.
const interruptScript = `p=$(cat "$0") || exit 1; for f in /proc/[0-9]*/stat; do ` +
	`s=$(cat "$f" 2>/dev/null) || continue; set -- ${s##*) }; q=${f#/proc/}; q=${q%/stat}; ` +
	`[ "$3" = "$p" ] && [ "$q" != "$p" ] && kill -s KILL "$q" 2>/dev/null; done; exit 0`

// Shell starts a persistent sh in /workspace, driven by
// sandbox.NewPipeShellConfig; a command that times out is interrupted by
// killing the shell's children, so the shell stays usable.
func (b *Backend) Shell(ctx context.Context) (sandbox.Shell, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	pidFile := path.Join(pidDir, "hermes-shell-"+randomHex(8)+".pid")
	created, err := b.cli.ExecCreate(ctx, b.container, client.ExecCreateOptions{
		User:         b.user,
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		Env:          b.execEnv(nil),
		WorkingDir:   Workdir,
		Cmd:          []string{"sh", "-c", shellStart, pidFile},
	})
	if err != nil {
		return nil, fmt.Errorf("docker backend: creating the shell exec: %w", err)
	}
	att, err := b.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return nil, fmt.Errorf("docker backend: starting the shell: %w", err)
	}
	conn := att.HijackedResponse
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, conn.Reader)
		_ = pw.CloseWithError(err)
	}()
	e := &execution{b: b, id: created.ID, pidFile: pidFile, conn: conn}
	return sandbox.NewPipeShellConfig(sandbox.PipeShellConfig{
		Stdin:  closeWriter{conn: &conn},
		Stdout: pr,
		Close: func() error {
			err := b.runScript(killScript, pidFile)
			conn.Close()
			return err
		},
		Interrupt: func() error { return e.b.runScript(interruptScript, pidFile) },
	}), nil
}

// closeWriter is the shell's stdin: Close half-closes the connection so
// the shell sees end of input while its output still arrives.
type closeWriter struct{ conn *client.HijackedResponse }

func (w closeWriter) Write(p []byte) (int, error) { return w.conn.Conn.Write(p) }
func (w closeWriter) Close() error                { return w.conn.CloseWrite() }

// runScript runs a helper script (kill, interrupt) with arg as $0 and
// waits for it.
func (b *Backend) runScript(script, arg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	created, err := b.cli.ExecCreate(ctx, b.container, client.ExecCreateOptions{
		User:         b.user,
		AttachStdout: true,
		AttachStderr: true,
		Cmd:          []string{"sh", "-c", script, arg},
	})
	if err != nil {
		return fmt.Errorf("docker backend: creating a helper exec: %w", err)
	}
	att, err := b.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return fmt.Errorf("docker backend: running a helper exec: %w", err)
	}
	defer att.Close()
	_, _ = io.Copy(io.Discard, att.Reader)
	for range 50 {
		ins, err := b.cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return fmt.Errorf("docker backend: inspecting a helper exec: %w", err)
		}
		if !ins.Running {
			if ins.ExitCode != 0 {
				return fmt.Errorf("docker backend: helper exec exited %d", ins.ExitCode)
			}
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}
