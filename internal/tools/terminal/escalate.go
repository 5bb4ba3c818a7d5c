package terminal

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/tools"
)

// escalatable reports whether b is a sandbox whose workspace is the same
// folder on the host, so a command can run there outside it instead.
func escalatable(b sandbox.Backend) bool { return b.Name() == "bubblewrap" }

// escalate runs a foreground command outside the sandbox, on the local
// backend, when the user approves (guard.Escalate); the model is told
// the outcome either way.
func escalate(ctx context.Context, env *tools.Env, st *state, set Settings, a terminalArgs, spec sandbox.Spec, notes []string) (tools.Result, error) {
	switch {
	case a.Background:
		return tools.Errorf("terminal: sandbox: false runs in the foreground only; drop background or run it in the sandbox"), nil
	case strings.TrimSpace(a.Justification) == "":
		return tools.Errorf("terminal: sandbox: false needs a justification: say in one sentence why this command must run outside the sandbox; the user reads it before approving"), nil
	case !escalatable(env.Backend):
		notes = append(notes, fmt.Sprintf("this session's %s backend is not a sandbox hermes can step out of, so the command ran as usual", env.Backend.Name()))
		if res, ok := check(ctx, env, a.Command, cwdOf(env, spec.Dir)); !ok {
			return res, nil
		}
		return foreground(ctx, env, st, set, spec, notes)
	}
	cwd := cwdOf(env, spec.Dir)
	out, err := env.Guard.Escalate(ctx, env.Session, a.Command, a.Justification, guard.Context{Cwd: cwd, Unattended: env.Unattended})
	if out.Decision != guard.Allow {
		notify(env, "✗ not run outside the sandbox: "+out.Reason)
		return tools.Errorf("the command was not run outside the sandbox: %s; do not ask again for this command: run it in the sandbox, explain to the user what you need, or reach the goal another way", out.Reason), nil
	}
	if err != nil {
		notify(env, "warning: "+err.Error())
	}
	host, err := st.hostBackend(ctx, set, env.Backend.Workspace())
	if err != nil {
		notify(env, "✗ could not run outside the sandbox: "+err.Error())
		return tools.Errorf("the command could not be run outside the sandbox: %v", err), nil
	}
	spec.Dir = cwd
	notify(env, "$ "+spec.Command+"   (outside the sandbox: "+out.Reason+")")
	res, err := host.Run(ctx, spec)
	if res == nil {
		notify(env, "✗ could not run: "+err.Error())
		return tools.Errorf("the command could not be run outside the sandbox: %v", err), nil
	}
	notify(env, fmt.Sprintf("exit %d in %s", res.ExitCode, seconds1(res.Duration)))
	notes = append(notes, "this ran OUTSIDE the sandbox, on the host ("+out.Reason+"), with sh -c in "+cwd+
		": the session shell's cd and exports did not apply and what it changed stays on the host; later commands run in the sandbox again")
	interrupted := err != nil && ctx.Err() != nil
	return tools.Result{Content: format(res, spec.Timeout, interrupted, notes), IsError: interrupted}, nil
}

// hostBackend is the session's local backend for escalated commands,
// made on first use with the same environment filter as every backend.
func (s *state) hostBackend(ctx context.Context, set Settings, ws string) (sandbox.Backend, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.host != nil {
		return s.host, nil
	}
	b, err := sandbox.New(ctx, sandbox.Options{
		Terminal:  config.Terminal{Backend: "local", EnvPassthrough: set.EnvPassthrough},
		Workspace: ws,
		Env:       os.Environ(),
	})
	if err != nil {
		return nil, err
	}
	s.host = b
	return b, nil
}

// deniedBySandbox are the error texts of a command the sandbox stopped:
// a read-only mount, a missing permission, a refused operation.
var deniedBySandbox = []string{"Permission denied", "Read-only file system", "Operation not permitted", "EACCES", "EROFS", "EPERM"}

// sandboxHint is the note added to a failed command's result inside a
// sandbox hermes can step out of when its output says it was denied.
func sandboxHint(b sandbox.Backend, res *sandbox.Result) string {
	if res == nil || res.ExitCode == 0 || !escalatable(b) {
		return ""
	}
	for _, d := range deniedBySandbox {
		if strings.Contains(res.Output, d) {
			return "this ran in the " + b.Name() + " sandbox (read-only system, private /tmp, your home and credentials hidden), and the output says something was denied (\"" + d + "\"). " +
				"If the command truly needs the host, call terminal again with the same command, sandbox: false and a justification; the user is asked to approve it"
		}
	}
	return ""
}
