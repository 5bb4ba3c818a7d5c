package terminal

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/tools"
)

// DefaultWait is how long the wait action waits when no timeout is given
// (at most terminal.timeout).
const DefaultWait = 60 * time.Second

// killWait is how long kill waits for the process to end.
const killWait = 10 * time.Second

// Process is the process tool: the session's background processes.
type Process struct{}

var _ tools.Tool = Process{}

// Name returns "process".
func (Process) Name() string { return "process" }

// Toolset returns "terminal".
func (Process) Toolset() string { return Toolset }

// Description tells the model how to follow background commands.
func (Process) Description() string {
	return "Manage the background processes the terminal tool started in this session. " +
		"list: every process and its state; poll: output since the last poll and whether it ended; " +
		"log: all output kept so far; wait: block until it ends (up to timeout seconds) and return new output; kill: stop it."
}

// Schema is the JSON Schema of the arguments.
func (Process) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"action":{"type":"string","enum":["list","poll","log","wait","kill"],"description":"what to do"},` +
		`"id":{"type":"string","description":"the process id the terminal tool returned (bg-1); required except for list"},` +
		`"timeout":{"type":"number","description":"wait only: seconds to wait at most (default 60, capped by terminal.timeout)"}` +
		`},"required":["action"],"additionalProperties":false}`)
}

type processArgs struct {
	Action  string   `json:"action"`
	ID      string   `json:"id"`
	Timeout *float64 `json:"timeout"`
}

// Run does one action.
func (Process) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a processArgs
	if err := decodeArgs(raw, &a); err != nil {
		return tools.Errorf("process: %v", err), nil
	}
	st, err := load(env)
	if err != nil {
		return tools.Result{}, err
	}
	if a.Action == "list" {
		return tools.Result{Content: listing(st.list())}, nil
	}
	switch a.Action {
	case "poll", "log", "wait", "kill":
	case "":
		return tools.Errorf("process: \"action\" is missing; use list, poll, log, wait or kill"), nil
	default:
		return tools.Errorf("process: unknown action %q; use list, poll, log, wait or kill", a.Action), nil
	}
	if a.ID == "" {
		return tools.Errorf("process: %s needs the process \"id\" (from the terminal tool or action list)", a.Action), nil
	}
	p, ok := st.get(a.ID)
	if !ok {
		known := "none"
		if ids := st.ids(); len(ids) > 0 {
			known = strings.Join(ids, ", ")
		}
		return tools.Errorf("process: no background process %q in this session (known: %s)", a.ID, known), nil
	}
	switch a.Action {
	case "poll":
		return tools.Result{Content: report(p, p.unread())}, nil
	case "log":
		out, _ := p.p.Output()
		return tools.Result{Content: status(p) + "\n" + orNone(out)}, nil
	case "wait":
		return wait(ctx, st, p, a.Timeout)
	}
	return kill(env, p)
}

func wait(ctx context.Context, st *state, p *proc, timeout *float64) (tools.Result, error) {
	limit := st.config().Timeout
	d := min(DefaultWait, limit)
	if timeout != nil {
		var err error
		if d, _, err = seconds("timeout", *timeout, limit); err != nil {
			return tools.Errorf("process: %v", err), nil
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.p.Done():
	case <-t.C:
	case <-ctx.Done():
		return tools.Result{}, ctx.Err()
	}
	return tools.Result{Content: report(p, p.unread())}, nil
}

func kill(env *tools.Env, p *proc) (tools.Result, error) {
	if err := p.p.Kill(); err != nil {
		return tools.Errorf("process: could not kill %s: %v", p.p.ID(), err), nil
	}
	select {
	case <-p.p.Done():
	case <-time.After(killWait):
		return tools.Errorf("process: %s was sent a kill but has not ended after %s; check it again with poll", p.p.ID(), killWait), nil
	}
	notify(env, "killed "+p.p.ID())
	return tools.Result{Content: report(p, p.unread())}, nil
}

// report is a status line and the new output.
func report(p *proc, newOutput string) string {
	return status(p) + "\nnew output:\n" + orNone(newOutput)
}

func status(p *proc) string {
	if code, ended := p.p.ExitCode(); ended {
		return fmt.Sprintf("%s ended with exit code %d: %s", p.p.ID(), code, p.p.Command())
	}
	return fmt.Sprintf("%s is running (for %s): %s", p.p.ID(), time.Since(p.started).Round(time.Second), p.p.Command())
}

func listing(ps []*proc) string {
	if len(ps) == 0 {
		return "no background processes in this session"
	}
	lines := make([]string, 0, len(ps))
	for _, p := range ps {
		lines = append(lines, status(p))
	}
	return strings.Join(lines, "\n")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
