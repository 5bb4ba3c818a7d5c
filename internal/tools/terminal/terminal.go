// Package terminal owns the terminal and process tools: shell commands the
// model runs in the session's sandbox backend, in the foreground (through
// the session's persistent shell when the backend has one, so cd and
// exports carry over) or in the background, and the background processes
// it started, which only its own session can see.
//
// Every command passes the session's guard first: a blocked command never
// reaches the backend, and the model is told why. Per-session state (the
// shell, the processes, the settings) lives in tools.Env.Values.
package terminal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/tools"
)

func init() {
	tools.Default.Register(Terminal{})
	tools.Default.Register(Process{})
}

// Toolset is the toolset of both tools.
const Toolset = "terminal"

// Terminal is the terminal tool.
type Terminal struct{}

var _ tools.Tool = Terminal{}

// Name returns "terminal".
func (Terminal) Name() string { return "terminal" }

// Toolset returns "terminal".
func (Terminal) Toolset() string { return Toolset }

// Description tells the model how to run commands.
func (Terminal) Description() string {
	return "Run a shell command (POSIX sh) in the session's workspace and get its exit code and output. " +
		"Foreground commands share one shell per session, so cd and exported variables carry over to the next call. " +
		"Set background to true for servers and long jobs: you get a process id to use with the process tool. " +
		"Dangerous commands may need the user's approval or be refused; when refused you are told why. " +
		"Commands run in a sandbox when the session has one (read-only system, your home and credentials hidden); " +
		"if a command truly needs the host, set sandbox to false and give a justification: the user is asked every time."
}

// Schema is the JSON Schema of the arguments.
func (Terminal) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"command":{"type":"string","description":"the shell command to run"},` +
		`"background":{"type":"boolean","description":"run it in the background and return a process id at once (default false)"},` +
		`"timeout":{"type":"number","description":"seconds a foreground command may run before it is killed; capped by terminal.timeout"},` +
		`"workdir":{"type":"string","description":"directory to run in: absolute, under ~/, or relative to the workspace; it stays the shell's directory afterwards"},` +
		`"sandbox":{"type":"boolean","description":"false asks the user to run this command outside the sandbox, on the host (foreground only; needs justification); default true"},` +
		`"justification":{"type":"string","description":"with sandbox false: one sentence, shown to the user, on why the command must run outside the sandbox"}` +
		`},"required":["command"],"additionalProperties":false}`)
}

type terminalArgs struct {
	Command    string   `json:"command"`
	Background bool     `json:"background"`
	Timeout    *float64 `json:"timeout"`
	Workdir    string   `json:"workdir"`
	// Sandbox false asks to run outside the sandbox (see escalate).
	Sandbox       *bool  `json:"sandbox"`
	Justification string `json:"justification"`
}

// Run checks the command with the guard and runs it.
func (Terminal) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a terminalArgs
	if err := decodeArgs(raw, &a); err != nil {
		return tools.Errorf("terminal: %v", err), nil
	}
	if strings.TrimSpace(a.Command) == "" {
		return tools.Errorf("terminal: the command is empty; pass the shell command to run in \"command\""), nil
	}
	if env == nil || env.Backend == nil {
		return tools.Errorf("terminal: this session has no terminal backend, so no command can run here; do without the shell"), nil
	}
	if env.Guard == nil {
		return tools.Errorf("terminal: this session has no command guard, so no command may run; do without the shell"), nil
	}
	st, err := load(env)
	if err != nil {
		return tools.Result{}, err
	}
	set := st.config()
	spec := sandbox.Spec{Command: a.Command, Timeout: set.Timeout, MaxOutput: set.MaxOutput}
	var notes []string
	if a.Timeout != nil {
		d, capped, err := seconds("timeout", *a.Timeout, set.Timeout)
		if err != nil {
			return tools.Errorf("terminal: %v", err), nil
		}
		spec.Timeout = d
		if capped {
			notes = append(notes, fmt.Sprintf("the timeout was lowered to %s, the limit set by terminal.timeout", set.Timeout))
		}
	}
	if a.Workdir != "" {
		if spec.Dir, err = workdir(env, a.Workdir); err != nil {
			return tools.Errorf("terminal: workdir: %v", err), nil
		}
	}
	if a.Sandbox != nil && !*a.Sandbox {
		return escalate(ctx, env, st, set, a, spec, notes)
	}
	if res, ok := check(ctx, env, a.Command, cwdOf(env, spec.Dir)); !ok {
		return res, nil
	}
	if a.Background {
		return background(ctx, env, st, spec)
	}
	return foreground(ctx, env, st, set, spec, notes)
}

// workdir resolves the workdir argument: relative paths are under the
// session's directory, ~/ is the user's home on the host backends.
func workdir(env *tools.Env, dir string) (string, error) {
	if !path.IsAbs(dir) && !strings.HasPrefix(dir, "~") {
		dir = path.Join(cwdOf(env, ""), dir)
	}
	home := ""
	if n := env.Backend.Name(); n == "local" {
		home, _ = os.UserHomeDir()
	}
	return sandbox.ValidateDir(dir, home)
}

// cwdOf is where a command runs as far as the guard's grants go: its
// workdir, else the session's directory, else the backend's workspace.
func cwdOf(env *tools.Env, dir string) string {
	switch {
	case dir != "":
		return dir
	case env.Cwd != "":
		return env.Cwd
	}
	return env.Backend.Workspace()
}

// check asks the guard; ok is false when the command must not run, and the
// Result then tells the model why.
func check(ctx context.Context, env *tools.Env, command, cwd string) (tools.Result, bool) {
	out, err := env.Guard.Check(ctx, env.Session, command, guard.Context{Cwd: cwd, Unattended: env.Unattended, Container: env.Container})
	if out.Decision != guard.Allow {
		notify(env, "✗ not run: "+out.Reason)
		return tools.Errorf("the command was not run: %s; do not retry it as is: explain this to the user or reach the goal another way", out.Reason), false
	}
	if out.Note != "" {
		notify(env, "note: "+out.Note)
	}
	if err != nil {
		notify(env, "warning: "+err.Error())
	}
	return tools.Result{}, true
}

func notify(env *tools.Env, line string) {
	if env.Notify != nil {
		env.Notify(line)
	}
}

// background starts the command and keeps the process in the session.
func background(ctx context.Context, env *tools.Env, st *state, spec sandbox.Spec) (tools.Result, error) {
	notify(env, "$ "+spec.Command+" &")
	p, err := env.Backend.Start(context.WithoutCancel(ctx), spec)
	if err != nil {
		notify(env, "✗ could not start: "+err.Error())
		return tools.Errorf("the command could not be started in the background: %v", err), nil
	}
	st.add(p, spec.Normalize().MaxOutput)
	notify(env, "started "+p.ID())
	return tools.Result{Content: fmt.Sprintf("started %s in the background: %s\n"+
		"use the process tool with id %q: poll for new output, wait for its end, kill to stop it",
		p.ID(), spec.Command, p.ID())}, nil
}

// foreground runs the command to its end, in the session's persistent
// shell when the backend has one.
func foreground(ctx context.Context, env *tools.Env, st *state, set Settings, spec sandbox.Spec, notes []string) (tools.Result, error) {
	notify(env, "$ "+spec.Command)
	res, note, err := runForeground(ctx, env, st, set, spec)
	if note != "" {
		notes = append(notes, note)
	}
	if hint := sandboxHint(env.Backend, res); hint != "" {
		notes = append(notes, hint)
	}
	if res == nil {
		if err == nil {
			err = errors.New("the backend returned no result")
		}
		notify(env, "✗ could not run: "+err.Error())
		return tools.Errorf("the command could not be run: %v", err), nil
	}
	interrupted := err != nil && ctx.Err() != nil
	switch {
	case interrupted:
		notify(env, fmt.Sprintf("interrupted after %s", seconds1(res.Duration)))
	case res.TimedOut:
		notify(env, fmt.Sprintf("timed out after %s", seconds1(res.Duration)))
	default:
		notify(env, fmt.Sprintf("exit %d in %s", res.ExitCode, seconds1(res.Duration)))
	}
	if err != nil && !interrupted {
		notes = append(notes, "the shell had to be restarted: "+err.Error())
	}
	return tools.Result{Content: format(res, spec.Timeout, interrupted, notes), IsError: interrupted}, nil
}

// runForeground runs spec in the session's shell, starting a new shell
// once when the old one has ended (note says so), or with Backend.Run.
func runForeground(ctx context.Context, env *tools.Env, st *state, set Settings, spec sandbox.Spec) (*sandbox.Result, string, error) {
	sb, ok := env.Backend.(sandbox.ShellBackend)
	if !ok || !set.PersistentShell {
		res, err := env.Backend.Run(ctx, spec)
		return res, "", err
	}
	note := ""
	for attempt := 0; ; attempt++ {
		sh, err := st.shellFor(ctx, sb)
		if err != nil {
			return nil, "", fmt.Errorf("start the session's shell: %w", err)
		}
		res, err := sh.Run(ctx, spec)
		dead := errors.Is(err, sandbox.ErrShellClosed) || errors.Is(err, sandbox.ErrShellExited)
		if dead {
			st.dropShell(sh)
		}
		if res == nil && dead && attempt == 0 && ctx.Err() == nil {
			note = "the session's shell had ended, so this ran in a new one: earlier cd and exports are gone"
			continue
		}
		if res != nil && errors.Is(err, sandbox.ErrShellExited) {
			err = nil
		}
		return res, note, err
	}
}

// format is the model's view of a foreground result.
func format(res *sandbox.Result, timeout time.Duration, interrupted bool, notes []string) string {
	var b strings.Builder
	switch {
	case interrupted:
		fmt.Fprintf(&b, "interrupted after %s: the command was stopped (exit code -1)\n", seconds1(res.Duration))
	case res.TimedOut:
		fmt.Fprintf(&b, "timed out after %s: the command was killed (exit code -1); "+
			"run long jobs with background: true and follow them with the process tool\n", timeout)
	default:
		fmt.Fprintf(&b, "exit code %d\n", res.ExitCode)
	}
	if res.Truncated {
		notes = append(notes, "the output was over terminal.max_output, so its middle was left out")
	}
	for _, n := range notes {
		b.WriteString("note: " + n + "\n")
	}
	if res.Output == "" {
		b.WriteString("(no output)")
	} else {
		b.WriteString(res.Output)
	}
	return b.String()
}

func seconds1(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
