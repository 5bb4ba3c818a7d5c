//go:build unix

// Package local is the terminal backend that runs commands on the host,
// unconfined: sh -c in the workspace, in a process group of its own so a
// timeout, a cancel or Kill ends the whole tree (SIGTERM, then SIGKILL
// after sandbox.KillGrace). Commands see the parent environment without
// the credentials sandbox.Blocked names, plus terminal.env_passthrough and
// the command's own variables.
package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"github.com/hermes-go/hermes/internal/sandbox"
)

func init() { sandbox.Register("local", New) }

// Compile-time check.
var _ sandbox.ShellBackend = (*Backend)(nil)

// Backend runs commands on the host.
type Backend struct {
	ws    string
	home  string // the user's home, for ~/ in Spec.Dir
	env   []string
	pass  map[string]string
	procs sandbox.HostProcs
	sh    string
}

// New builds the local backend. The workspace (o.Workspace, else
// terminal.cwd, else the current directory) is created if missing.
func New(_ context.Context, o sandbox.Options) (sandbox.Backend, error) {
	home, _ := os.UserHomeDir()
	ws := o.Workspace
	if ws == "" {
		ws = o.Terminal.Cwd
	}
	if ws == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("local backend: no workspace given and the current directory is unknown: %w", err)
		}
		ws = wd
	}
	ws, err := sandbox.ValidateDir(ws, home)
	if err != nil {
		return nil, fmt.Errorf("local backend workspace: %w", err)
	}
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return nil, fmt.Errorf("local backend: create workspace: %w", err)
	}
	pass, err := sandbox.PassthroughEnv(o)
	if err != nil {
		return nil, err
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		return nil, fmt.Errorf("local backend: no sh in PATH: %w", err)
	}
	return &Backend{ws: ws, home: home, env: o.Env, pass: pass, sh: sh}, nil
}

// Name returns "local".
func (b *Backend) Name() string { return "local" }

// Workspace returns the host folder commands start in.
func (b *Backend) Workspace() string { return b.ws }

// Run runs s with sh -c.
func (b *Backend) Run(ctx context.Context, s sandbox.Spec) (*sandbox.Result, error) {
	cmd, err := b.command(s)
	if err != nil {
		return nil, err
	}
	return sandbox.RunHost(ctx, cmd, s)
}

// Start runs s in the background.
func (b *Backend) Start(_ context.Context, s sandbox.Spec) (sandbox.Process, error) {
	cmd, err := b.command(s)
	if err != nil {
		return nil, err
	}
	return b.procs.Start(cmd, s)
}

// Shell starts a persistent sh in the workspace; a command that times out
// is interrupted by killing the shell's descendants.
func (b *Backend) Shell(_ context.Context) (sandbox.Shell, error) {
	cmd := exec.Command(b.sh)
	cmd.Dir = b.ws
	cmd.Env = sandbox.ChildEnv(b.env, b.pass, nil)
	return sandbox.StartHostShell(cmd, sandbox.KillDescendants)
}

// Close kills the background processes.
func (b *Backend) Close() error { return b.procs.Close() }

func (b *Backend) command(s sandbox.Spec) (*exec.Cmd, error) {
	dir := b.ws
	if s.Dir != "" {
		d, err := sandbox.ValidateDir(s.Dir, b.home)
		if err != nil {
			return nil, err
		}
		dir = d
	}
	cmd := exec.Command(b.sh, "-c", s.Command)
	cmd.Dir = dir
	cmd.Env = sandbox.ChildEnv(b.env, b.pass, s.Env)
	return cmd, nil
}
