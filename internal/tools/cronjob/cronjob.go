// Package cronjob owns the agent's cronjob tool: create, list, update,
// pause, resume, run and remove scheduled jobs in the profile's cron/jobs.json (the
// same store and rules as hermes cron). Guarded: the agent may schedule
// prompts only (no scripts), and may deliver only to local or origin (a
// webhook or platform target is set by the user with hermes cron edit), so
// a prompt injection cannot make a job that runs commands without the
// model or sends results off the machine. Inside a cron run the tool is
// offered only when cron.allow_agent_scheduling is true (package
// agentrun leaves the toolset out otherwise). run executes a job now
// through the frontend's RunFunc (the same path as hermes cron run: the
// ledger, the output file, delivery); a run it starts carries its job in
// the context, so a job never runs itself and nesting stops at
// cron.MaxRunDepth.
package cronjob

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/tools"
)

func init() { tools.Default.Register(Tool{}) }

// Tool is the cronjob tool.
type Tool struct{}

var _ tools.Tool = Tool{}

// Name returns "cronjob".
func (Tool) Name() string { return "cronjob" }

// Toolset returns "cronjob".
func (Tool) Toolset() string { return "cronjob" }

// Description tells the model what it can schedule.
func (Tool) Description() string {
	return "Schedule prompts to run later or repeatedly as unattended agent runs. create takes schedule " +
		"(30m, every 2h, every day at 9am, weekdays at 9am, every monday 9am, a cron expression, in 30m, or an ISO time) " +
		"and prompt (self-contained: the run has no memory of this chat), optional name and deliver (origin: this chat, the default in a messaging chat; local: kept on the host, the default elsewhere). " +
		"list shows the jobs; update (a new schedule and/or prompt), pause, resume, run (now, waiting for the result) and remove take job (an id or name). Results and failures are delivered to deliver."
}

// Schema is the JSON Schema of the arguments.
func (Tool) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"action":{"type":"string","enum":["create","list","update","pause","resume","run","remove"]},` +
		`"schedule":{"type":"string","description":"create, update: when to run"},` +
		`"prompt":{"type":"string","description":"create, update: what the run should do, self-contained"},` +
		`"name":{"type":"string","description":"create: a short name"},` +
		`"deliver":{"type":"string","enum":["local","origin"],"description":"create: where results go (default origin in a messaging chat, else local)"},` +
		`"job":{"type":"string","description":"update, pause, resume, run, remove: the job id or name"}` +
		`},"required":["action"],"additionalProperties":false}`)
}

type args struct {
	Action, Schedule, Prompt, Name, Deliver, Job string
}

// Run does the action.
func (Tool) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a args
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&a); err != nil {
		return tools.Errorf("cronjob: bad arguments (%v)", err), nil
	}
	if env == nil || env.Home == "" {
		return tools.Result{}, fmt.Errorf("cronjob: the session has no home")
	}
	jobs, err := cron.OpenJobs(filepath.Join(env.Home, home.CronDir))
	if err != nil {
		return tools.Result{}, err
	}
	switch a.Action {
	case "create":
		return create(env, jobs, a)
	case "list":
		return list(jobs)
	case "update", "pause", "resume", "remove":
		return change(env, jobs, a)
	case "run":
		return runNow(ctx, env, jobs, a)
	}
	return tools.Errorf("cronjob: unknown action %q; use create, list, update, pause, resume, run or remove", a.Action), nil
}

// RunFunc runs job id now and records it like any run (the frontend's
// scheduler, trigger "tool").
type RunFunc func(ctx context.Context, jobID string) (cron.RunRecord, error)

type runKey struct{}

type originKey struct{}

// SetOrigin records the chat this session's messages come from
// (PLATFORM:CHAT[:THREAD], a gateway delivery target): a job the agent
// creates here delivers to origin by default, and origin is that chat.
// Without it (the CLI, cron runs) deliver defaults to local and origin
// is refused; "" clears it.
func SetOrigin(env *tools.Env, target string) {
	if env != nil && env.Values != nil {
		env.Values.Set(originKey{}, target)
	}
}

// originOf returns the chat SetOrigin recorded, or "".
func originOf(env *tools.Env) string {
	if env == nil || env.Values == nil {
		return ""
	}
	x, _ := env.Values.Get(originKey{})
	o, _ := x.(string)
	return o
}

// Configure gives a session's tool the frontend's way to run a job now;
// without it the run action is refused (the other actions work).
func Configure(env *tools.Env, run RunFunc) {
	if env != nil && env.Values != nil && run != nil {
		env.Values.Set(runKey{}, run)
	}
}

func runNow(ctx context.Context, env *tools.Env, jobs *cron.Jobs, a args) (tools.Result, error) {
	if a.Job == "" {
		return tools.Errorf("cronjob: run needs job (an id or name)"), nil
	}
	var run RunFunc
	if env.Values != nil {
		x, _ := env.Values.Get(runKey{})
		run, _ = x.(RunFunc)
	}
	if run == nil {
		return tools.Errorf("cronjob: running a job now is not available here; the user can run hermes cron run %s", a.Job), nil
	}
	j, err := jobs.Get(a.Job)
	if err != nil {
		return tools.Errorf("cronjob: %v", err), nil
	}
	chain := cron.RunChain(ctx)
	if len(chain) > 0 {
		cfg, _, err := loadConfig(env)
		if err != nil {
			return tools.Errorf("cronjob: %v", err), nil
		}
		switch {
		case !cfg.Cron.AllowAgentScheduling:
			return tools.Errorf("cronjob: a cron run may not run jobs (cron.allow_agent_scheduling is false)"), nil
		case slices.Contains(chain, j.ID):
			return tools.Errorf("cronjob: job %s is already running in this chain (%s): a job does not run itself", j.Name, strings.Join(chain, " → ")), nil
		case len(chain) >= cron.MaxRunDepth:
			return tools.Errorf("cronjob: runs nest at most %d deep (%s): job %s was not run", cron.MaxRunDepth, strings.Join(chain, " → "), j.Name), nil
		}
	}
	rec, err := run(ctx, j.ID)
	if rec.RunID == "" {
		if err == nil {
			err = fmt.Errorf("no run was recorded")
		}
		return tools.Errorf("cronjob: run %s: %v", j.Name, err), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "run %s of %s (%s): %s\n", rec.RunID, rec.Name, rec.JobID, rec.Status)
	if rec.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", rec.Error)
	}
	switch {
	case rec.DeliveryError != "":
		fmt.Fprintf(&b, "delivery failed: %s\n", rec.DeliveryError)
	case rec.Delivered:
		fmt.Fprintf(&b, "delivered to %s\n", map[bool]string{true: j.FailureTarget(), false: j.Deliver}[rec.Status.Failed()])
	}
	if rec.OutputPath != "" {
		fmt.Fprintf(&b, "output: %s\n", rec.OutputPath)
	}
	if err != nil {
		fmt.Fprintf(&b, "problem: %v\n", err)
	}
	if rec.Text != "" {
		b.WriteString("\n" + rec.Text + "\n")
	}
	return tools.Result{Content: b.String(), IsError: rec.Status != cron.StatusOK || err != nil}, nil
}

func loadConfig(env *tools.Env) (*config.Config, *time.Location, error) {
	loaded, err := config.Load(filepath.Join(env.Home, home.ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	loc := time.Local
	if tz := loaded.Config.Cron.Timezone; tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, nil, fmt.Errorf("cron.timezone %q: %v", tz, err)
		}
	}
	return loaded.Config, loc, nil
}

func create(env *tools.Env, jobs *cron.Jobs, a args) (tools.Result, error) {
	if strings.TrimSpace(a.Prompt) == "" || a.Schedule == "" {
		return tools.Errorf("cronjob: create needs schedule and prompt"), nil
	}
	chat := originOf(env)
	switch a.Deliver {
	case "":
		a.Deliver = "local"
		if chat != "" {
			a.Deliver = "origin"
		}
	case "local":
	case "origin":
		if chat == "" {
			return tools.Errorf("cronjob: deliver origin: this session is not a gateway chat, so there is no chat to deliver to; use local (the user can set a platform target with hermes cron edit)"), nil
		}
	default:
		return tools.Errorf("cronjob: deliver %q: the agent may deliver to local or origin; the user sets other targets with hermes cron edit", a.Deliver), nil
	}
	cfg, loc, err := loadConfig(env)
	if err != nil {
		return tools.Errorf("cronjob: %v", err), nil
	}
	now := time.Now()
	s, err := cron.Parse(a.Schedule, loc, now)
	if err != nil {
		return tools.Errorf("cronjob: %v", err), nil
	}
	j := cron.Job{ID: cron.NewID(), Name: strings.TrimSpace(a.Name), Prompt: a.Prompt, Schedule: s, Enabled: true,
		State: cron.StateScheduled, CreatedAt: now.UTC(), Deliver: a.Deliver, Origin: "agent:" + env.SessionID,
		Model: cfg.Model.Default, Provider: cfg.Model.Provider}
	if chat != "" {
		j.Origin = chat // the gateway's deliverer sends origin here
	}
	if j.Name == "" {
		j.Name = "agent-" + j.ID[:6]
	}
	if next, ok := s.Next(now, loc); ok {
		j.NextRunAt = &next
	}
	if s.Kind == cron.KindOnce && !j.NextRunAt.After(now) {
		return tools.Errorf("cronjob: %q is in the past", a.Schedule), nil
	}
	err = jobs.Update(func(all []cron.Job) ([]cron.Job, error) {
		for _, o := range all {
			if strings.EqualFold(o.Name, j.Name) {
				return nil, fmt.Errorf("a job named %q exists (%s): choose another name", j.Name, o.ID)
			}
		}
		return append(all, j), nil
	})
	if err != nil {
		return tools.Errorf("cronjob: %v", err), nil
	}
	return tools.Result{Content: fmt.Sprintf("created job %s (%s): %s, next run %s, delivered to %s",
		j.ID, j.Name, s.Display, j.NextRunAt.In(loc).Format(time.RFC3339), j.Deliver)}, nil
}

func list(jobs *cron.Jobs) (tools.Result, error) {
	all, err := jobs.List()
	if err != nil {
		return tools.Errorf("cronjob: %v", err), nil
	}
	if len(all) == 0 {
		return tools.Result{Content: "no jobs"}, nil
	}
	var b strings.Builder
	for _, j := range all {
		next := "-"
		if j.NextRunAt != nil {
			next = j.NextRunAt.Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "%s %s [%s] %q state=%s next=%s last=%s streak=%d\n", j.ID, j.Name, j.Schedule.Display,
			firstLine(j.Prompt), j.State, next, j.LastStatus, j.FailureStreak)
	}
	return tools.Result{Content: b.String()}, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}

func change(env *tools.Env, jobs *cron.Jobs, a args) (tools.Result, error) {
	if a.Job == "" {
		return tools.Errorf("cronjob: %s needs job (an id or name)", a.Action), nil
	}
	_, loc, err := loadConfig(env)
	if err != nil {
		return tools.Errorf("cronjob: %v", err), nil
	}
	var name string
	err = jobs.Update(func(all []cron.Job) ([]cron.Job, error) {
		i, err := cron.Find(all, a.Job)
		if err != nil {
			return nil, err
		}
		j := &all[i]
		name = j.Name + " (" + j.ID + ")"
		now := time.Now().UTC()
		switch a.Action {
		case "update":
			if a.Schedule == "" && a.Prompt == "" {
				return nil, fmt.Errorf("update needs a new schedule or prompt")
			}
			if j.Script != "" && a.Prompt != "" {
				return nil, fmt.Errorf("job %s runs a script; only the user changes it", j.Name)
			}
			if a.Schedule != "" {
				sch, err := cron.Parse(a.Schedule, loc, now)
				if err != nil {
					return nil, err
				}
				j.Schedule = sch
				if next, ok := sch.Next(now, loc); ok {
					j.NextRunAt = &next
				}
			}
			if a.Prompt != "" {
				j.Prompt = a.Prompt
			}
		case "remove":
			return append(all[:i], all[i+1:]...), nil
		case "pause":
			j.Enabled, j.State, j.PausedAt, j.PausedReason = false, cron.StatePaused, &now, "paused by the agent"
		case "resume":
			if j.State != cron.StatePaused {
				return nil, fmt.Errorf("job %s is %s, not paused", j.Name, j.State)
			}
			j.Enabled, j.State, j.PausedAt, j.PausedReason = true, cron.StateScheduled, nil, ""
			if next, ok := j.Schedule.Next(now, loc); ok && j.Schedule.Kind != cron.KindOnce {
				j.NextRunAt = &next
			}
		}
		return all, nil
	})
	if err != nil {
		return tools.Errorf("cronjob: %v", err), nil
	}
	done := map[string]string{"update": "updated", "pause": "paused", "resume": "resumed", "remove": "removed"}[a.Action]
	return tools.Result{Content: done + " " + name}, nil
}
