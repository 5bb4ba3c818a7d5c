// Package agentrun runs cron jobs for real: an agent turn through the
// runtime (a fresh session, unattended: approvals follow
// approvals.unattended, nobody answers questions) or a script from
// <home>/scripts (no model; its command text passes the command guard and
// its environment the sandbox's child filter). It lives apart from
// package cron so that cron does not depend on the runtime.
package agentrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llm/pool"
	"github.com/hermes-go/hermes/internal/runtime"
	"github.com/hermes-go/hermes/internal/sandbox"
)

// ScriptsDir is where script jobs live, under the home.
const ScriptsDir = "scripts"

// maxScriptOutput caps what a script's output keeps.
const maxScriptOutput = 1 << 20

// Routers builds the main and side-task routers for a config (the CLI's,
// with its credential pools and .env).
type Routers func(cfg *config.Config) (*llm.Router, func(string) (*llm.Router, error), error)

// Runner is the cron.Runner of a profile.
type Runner struct {
	Home    *home.Home
	Config  *config.Config
	Routers Routers
	Lookup  func(string) (string, bool) // the environment, then .env
	Pools   *pool.Store                 // nil: keys come from Lookup alone
	Env     []string                    // the parent environment of commands
	Log     io.Writer                   // progress lines; nil discards
	// CronRun lets the cronjob tool of a run run another job now (only
	// offered with cron.allow_agent_scheduling; nesting is bounded by
	// cron.MaxRunDepth); nil refuses that.
	CronRun runtime.CronRunFunc
}

var _ cron.Runner = (*Runner)(nil)

// jobConfig is the config with the job's pinned model and provider.
func (r *Runner) jobConfig(j cron.Job) *config.Config {
	c := *r.Config
	if j.Provider != "" && j.Provider != c.Model.Provider {
		c.Model.Provider, c.Model.BaseURL, c.Model.KeyEnv = j.Provider, "", ""
	}
	if j.Model != "" {
		c.Model.Default = j.Model
	}
	return &c
}

// Preflight checks, spending nothing: a script exists and is a regular
// file; an agent job's primary provider has a key.
func (r *Runner) Preflight(j cron.Job) error {
	if j.Script != "" {
		_, err := r.scriptPath(j)
		return err
	}
	main, _, err := r.Routers(r.jobConfig(j))
	if err != nil {
		return err
	}
	chain := main.Chain()
	if len(chain) == 0 {
		return errors.New("no model provider is configured: run hermes model set")
	}
	ep := chain[0]
	if ep.Keyless {
		return nil
	}
	if ep.KeyEnv != "" && r.Lookup != nil {
		if v, ok := r.Lookup(ep.KeyEnv); ok && v != "" {
			return nil
		}
	}
	if ep.Pool != "" && r.Pools != nil {
		if p, err := r.Pools.Pool(ep.Pool); err == nil && len(p.Entries) > 0 {
			return nil
		}
	}
	return fmt.Errorf("provider %s has no key: set %s in .env, or run `hermes auth add %s --key ...`", ep.Provider, ep.KeyEnv, ep.Provider)
}

// Run executes the job.
func (r *Runner) Run(ctx context.Context, j cron.Job) (cron.Result, error) {
	if j.Script != "" {
		return r.runScript(ctx, j)
	}
	cfg := r.jobConfig(j)
	main, aux, err := r.Routers(cfg)
	if err != nil {
		return cron.Result{}, err
	}
	cwd, err := r.workdir(j)
	if err != nil {
		return cron.Result{}, err
	}
	// The frontend's toolsets stay nil-overridden (so MCP servers' toolsets
	// join) unless the job names its own.
	cfg.Agent.Toolsets.Cron = withoutCronjob(cfg, cfg.Agent.Toolsets.Cron)
	var toolsets []string
	if len(j.Toolsets) > 0 {
		toolsets = withoutCronjob(cfg, j.Toolsets)
	}
	rt, err := runtime.Open(ctx, runtime.Options{Home: r.Home, Config: cfg, Router: main, Aux: aux, Frontend: "cron",
		Toolsets: toolsets, Cwd: cwd, Env: r.Env, Unattended: true, Notify: r.notify, CronRun: r.CronRun})
	if err != nil {
		return cron.Result{}, err
	}
	defer rt.Close()
	s, err := rt.NewSession(ctx)
	if err != nil {
		return cron.Result{}, fmt.Errorf("new session: %w", err)
	}
	defer rt.EndSession(context.WithoutCancel(ctx), s)
	res, err := rt.Agent.Turn(ctx, s, prompt(j), nil)
	if err != nil {
		if unreachable(err) {
			err = cron.Unreachable(err)
		}
		return cron.Result{SessionID: s.ID}, err
	}
	if res.Exhausted {
		return cron.Result{Text: res.Text, SessionID: s.ID}, fmt.Errorf("the turn used all %d model calls (agent.max_turns) without finishing", cfg.Agent.MaxTurns)
	}
	return cron.Result{Text: res.Text, SessionID: s.ID}, nil
}

// withoutCronjob drops the cronjob toolset unless
// cron.allow_agent_scheduling: a job does not schedule jobs by default.
func withoutCronjob(cfg *config.Config, ts []string) []string {
	out := []string{}
	for _, t := range ts {
		if t != "cronjob" || cfg.Cron.AllowAgentScheduling {
			out = append(out, t)
		}
	}
	return out
}

// unreachable reports whether every provider tried failed with a network
// error (connection refused, DNS, reset): the scheduler retries those.
func unreachable(err error) bool {
	var ce *llm.ChainError
	if errors.As(err, &ce) && len(ce.Errors) > 0 {
		for _, e := range ce.Errors {
			if e.Kind != llm.KindNetwork {
				return false
			}
		}
		return true
	}
	var le *llm.Error
	return errors.As(err, &le) && le.Kind == llm.KindNetwork
}

func prompt(j cron.Job) string {
	var b strings.Builder
	b.WriteString("[This is a scheduled job (" + j.Name + ", " + j.Schedule.Display + "). Nobody is watching: work unattended, and end with the result to deliver. ")
	b.WriteString("Write " + cron.FinalMarker + " before the part to deliver if you write anything else; write " + cron.SilentMarker + " if there is nothing worth sending.]\n\n")
	if len(j.Skills) > 0 {
		b.WriteString("Load and follow these skills first (skill_view): " + strings.Join(j.Skills, ", ") + "\n\n")
	}
	b.WriteString(j.Prompt)
	return b.String()
}

func (r *Runner) notify(line string) {
	if r.Log != nil {
		fmt.Fprintln(r.Log, "  · "+line)
	}
}

func (r *Runner) scriptPath(j cron.Job) (string, error) {
	p := filepath.Join(r.Home.Dir, ScriptsDir, j.Script)
	fi, err := os.Lstat(p)
	if err != nil {
		return "", fmt.Errorf("script %s: %w: put it in %s", j.Script, errors.Unwrap(err), filepath.Join(r.Home.Dir, ScriptsDir))
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("script %s is not a regular file (symlinks are refused)", p)
	}
	return p, nil
}

// workdir is where a job runs: its own workdir, else a private scratch
// folder <home>/cron/work/<id>. Never the hermes home itself: the sandbox
// must not see it, and context files there would steer the job.
func (r *Runner) workdir(j cron.Job) (string, error) {
	if j.Workdir != "" {
		return j.Workdir, nil
	}
	dir := filepath.Join(r.Home.Dir, "cron", "work", j.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("job %s: workdir: %w", j.Name, err)
	}
	return dir, nil
}

// runScript runs the script with sh after the command guard judged its
// text as an unattended command; output is stdout and stderr together.
func (r *Runner) runScript(ctx context.Context, j cron.Job) (cron.Result, error) {
	p, err := r.scriptPath(j)
	if err != nil {
		return cron.Result{}, err
	}
	text, err := os.ReadFile(p)
	if err != nil {
		return cron.Result{}, err
	}
	pol := guard.PolicyFromConfig(r.Config)
	pol.HermesHome = r.Home.Dir
	g := &guard.Guard{Policy: pol}
	cwd, err := r.workdir(j)
	if err != nil {
		return cron.Result{}, err
	}
	out, _ := g.Check(ctx, guard.NewSession("cron-"+j.ID), string(text), guard.Context{Cwd: cwd, Unattended: true})
	if out.Decision != guard.Allow {
		return cron.Result{}, fmt.Errorf("the command guard blocked script %s: %s", j.Script, out.Reason)
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", p)
	cmd.Dir = cwd
	cmd.Env = sandbox.ChildEnv(r.Env, nil, nil)
	var buf bytes.Buffer
	cmd.Stdout = &limited{w: &buf, n: maxScriptOutput}
	cmd.Stderr = cmd.Stdout
	err = cmd.Run()
	res := cron.Result{Text: buf.String()}
	if err != nil {
		return res, fmt.Errorf("script %s: %w", j.Script, err)
	}
	return res, nil
}

// limited keeps the first n bytes and drops the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
