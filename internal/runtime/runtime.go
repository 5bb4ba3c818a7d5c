// Package runtime assembles what an agent session runs on from a
// profile's home and config: the terminal backend, the command guard with
// its approver and smart-mode judge, the tool registry and each session's
// tool environment, the session store, and the system prompt (identity,
// SOUL.md and project context after the injection scan, the memory
// snapshot, the skills index). Every frontend (the chat CLI now; the
// gateway, cron and the API server later) opens a Runtime and asks it for
// sessions, so they all run the same agent the same way.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/mcp"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/tools"
	"github.com/hermes-go/hermes/internal/tools/cronjob"

	// The tool families and terminal backends register themselves.
	_ "github.com/hermes-go/hermes/internal/sandbox/backends"
	_ "github.com/hermes-go/hermes/internal/tools/clarify"
	_ "github.com/hermes-go/hermes/internal/tools/file"
	_ "github.com/hermes-go/hermes/internal/tools/memory"
	_ "github.com/hermes-go/hermes/internal/tools/sessionsearch"
	_ "github.com/hermes-go/hermes/internal/tools/skills"
	_ "github.com/hermes-go/hermes/internal/tools/terminal"
	_ "github.com/hermes-go/hermes/internal/tools/todo"
)

// Options say what to open.
type Options struct {
	Home   *home.Home
	Config *config.Config
	// Router is the main chain. The CLI builds it and Aux with the
	// credential pools and .env.
	Router *llm.Router
	// Aux returns a side task's Router: compression, approval, title,
	// web_extract, session_search, and llm.DelegationTask (delegation.model).
	Aux func(task string) (*llm.Router, error)
	// Frontend picks agent.toolsets.<frontend> and is the sessions' source:
	// "cli", "cron", "gateway" or "api_server".
	Frontend string
	// Toolsets overrides the frontend's toolsets when not nil (--toolsets).
	Toolsets []string
	// Cwd is the working directory: the workspace of the terminal backend
	// and where project context files are found.
	Cwd string
	// Env is the parent environment for the terminal backend (os.Environ);
	// the backend filters it.
	Env []string
	// Unattended: nobody can answer an approval or a question (chat -q,
	// cron, the API server).
	Unattended bool
	// Human answers dangerous-command approvals; nil blocks them.
	Human guard.Approver
	// Ask answers the clarify tool; nil: nobody can answer.
	Ask func(ctx context.Context, question string, choices []string) (string, error)
	// Notify shows progress lines and warnings; nil discards them.
	Notify func(line string)
	// Redactor masks every tool result and stored message; nil is
	// redact.Default(), the process-wide one.
	Redactor *redact.Redactor
	// CronRun runs a cron job now for the cronjob tool's run action (the
	// CLI's scheduler); nil: the action is refused.
	CronRun CronRunFunc
}

// CronRunFunc runs a cron job now and records it (cronjob.RunFunc), for
// frontends, which do not import tool packages.
type CronRunFunc = cronjob.RunFunc

// Runtime is an open profile: one backend, one store, one agent, shared by
// the sessions it makes.
type Runtime struct {
	Agent   *agent.Agent
	Store   *store.Store
	Backend sandbox.Backend
	Guard   *guard.Guard
	// MCP holds the configured MCP servers (none for the "mcp" frontend,
	// which serves hermes's own tools).
	MCP *mcp.Manager

	o        Options
	registry *tools.Registry // the built-in tools plus this runtime's MCP tools
	toolsets []string
	side     map[string]*llm.Router // auxiliary models of tools (web_extract, session_search)

	// Background work (the title model) runs under bgCtx; Close cancels
	// it and waits for it before closing the store.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
}

// goBackground runs fn in a goroutine that Close cancels and waits for.
func (rt *Runtime) goBackground(fn func(ctx context.Context)) {
	rt.bg.Add(1)
	go func() {
		defer rt.bg.Done()
		fn(rt.bgCtx)
	}()
}

// mcpStartTimeout bounds how long opening a runtime waits for MCP servers;
// one that is not ready by then is reported and skipped.
const mcpStartTimeout = 20 * time.Second

// Open builds the runtime. The terminal backend is started and the store
// opened here, so a broken sandbox or database stops before the first
// model call.
func Open(ctx context.Context, o Options) (_ *Runtime, err error) {
	if o.Home == nil || o.Config == nil || o.Router == nil {
		return nil, errors.New("runtime: Home, Config and Router are required")
	}
	if o.Redactor == nil {
		o.Redactor = redact.Default()
	}
	if o.Frontend == "" {
		o.Frontend = "cli"
	}
	rt := &Runtime{o: o}
	rt.bgCtx, rt.bgCancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			rt.Close()
		}
	}()
	rt.registry = tools.Default
	if o.Frontend != "mcp" && len(o.Config.MCPServers) > 0 {
		rt.MCP = mcp.Start(ctx, o.Config.MCPServers, mcp.Options{
			HomeDir: o.Home.Dir, Redactor: o.Redactor, Notify: rt.notify, StartTimeout: mcpStartTimeout,
		})
		rt.registry = tools.Default.With(rt.MCP.Tools()...)
	}
	if rt.toolsets, err = rt.chooseToolsets(); err != nil {
		return nil, err
	}
	if rt.Store, err = store.Open(o.Home.Path(home.StateDB), o.Redactor); err != nil {
		return nil, err
	}
	rt.Backend, err = sandbox.New(ctx, sandbox.Options{Terminal: o.Config.Terminal, Workspace: o.Cwd, HomeDir: o.Home.Dir, Env: o.Env})
	if err != nil {
		return nil, fmt.Errorf("terminal backend %s: %w", o.Config.Terminal.Backend, err)
	}
	rt.Guard = rt.newGuard()
	rt.openSide()
	ao := agent.Options{
		Router:   o.Router,
		Aux:      o.Aux,
		Registry: rt.registry,
		Toolsets: rt.toolsets,
		Config:   o.Config,
	}
	if ao.ChildRouter, err = rt.childRouter(); err != nil {
		return nil, fmt.Errorf("delegation.model: %w", err)
	}
	if o.Config.Memory.Enabled && o.Config.Memory.FlushOnCompress {
		ao.Flush = rt.flushMemories
	}
	rt.Agent, err = agent.New(ao)
	if err != nil {
		return nil, err
	}
	return rt, nil
}

// chooseToolsets is --toolsets, else the frontend's configured toolsets,
// with the memory, skills and delegation toolsets left out when their
// sections turn them off.
func (rt *Runtime) chooseToolsets() ([]string, error) {
	c := rt.o.Config
	ts := rt.o.Toolsets
	if ts == nil {
		switch rt.o.Frontend {
		case "cron":
			ts = c.Agent.Toolsets.Cron
		case "gateway":
			ts = c.Agent.Toolsets.Gateway
		case "api_server":
			ts = c.Agent.Toolsets.APIServer
		default:
			ts = c.Agent.Toolsets.CLI
		}
	}
	off := map[string]bool{"memory": !c.Memory.Enabled, "skills": !c.Skills.Enabled, "delegation": !c.Delegation.Enabled}
	var out []string
	for _, t := range ts {
		if !off[t] && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	// Every MCP server that started adds its toolset, unless --toolsets
	// chose the toolsets (then only the ones it names).
	if rt.MCP != nil && rt.o.Toolsets == nil {
		for _, st := range rt.MCP.Status() {
			if st.State == mcp.StateReady {
				out = append(out, mcp.Toolset(st.Name))
			}
		}
	}
	if _, err := rt.registry.Enabled(out); err != nil {
		return nil, err
	}
	return out, nil
}

// newGuard is the command guard of this profile: its policy, the human
// approver, the smart-mode judge when the mode or the unattended policy
// asks for one, and config.yaml as the store of "always" answers.
func (rt *Runtime) newGuard() *guard.Guard {
	c := rt.o.Config
	p := guard.PolicyFromConfig(c)
	p.HermesHome = rt.o.Home.Dir
	g := &guard.Guard{Policy: p, Human: rt.o.Human, Store: guard.ConfigAllowlist(rt.o.Home.Path(home.ConfigFile))}
	if (c.Approvals.Mode == "smart" || c.Approvals.Unattended == "smart") && rt.o.Aux != nil {
		if r, err := rt.o.Aux("approval"); err == nil {
			g.Smart = guard.NewLLMJudge(r)
		} else {
			rt.notify("warning: smart approvals: " + err.Error() + "; every dangerous command asks")
		}
	}
	return g
}

// Toolsets are the toolsets the sessions get.
func (rt *Runtime) Toolsets() []string { return slices.Clone(rt.toolsets) }

// Close stops background work (a title being asked for), then ends the
// MCP servers, the backend and the store.
func (rt *Runtime) Close() error {
	if rt.bgCancel != nil {
		rt.bgCancel()
	}
	rt.bg.Wait()
	var errs []error
	if rt.MCP != nil {
		errs = append(errs, rt.MCP.Close())
	}
	if rt.Backend != nil {
		errs = append(errs, rt.Backend.Close())
	}
	if rt.Store != nil {
		errs = append(errs, rt.Store.Close())
	}
	return errors.Join(errs...)
}

func (rt *Runtime) notify(line string) {
	if rt.o.Notify != nil {
		rt.o.Notify(line)
	}
}
