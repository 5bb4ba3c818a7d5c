package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/cron/agentrun"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/store"
)

// cronDaemonInterval is the longest the daemon sleeps between ticks.
const cronDaemonInterval = 30 * time.Second

type cronJobFlags struct {
	name, deliver, failureDeliver, model, provider, script, skills, toolsets, workdir, concurrency, schedule, prompt string
	repeat                                                                                                           int
}

func (f *cronJobFlags) add(c *cobra.Command, create bool) {
	fl := c.Flags()
	fl.StringVar(&f.name, "name", "", "a `NAME` to address the job by (default: from the prompt)")
	fl.StringVar(&f.deliver, "deliver", "", "where results go: local, webhook:URL, origin, a platform, platform:chat_id, or a comma list (default local)")
	fl.StringVar(&f.failureDeliver, "failure-deliver", "", "where failures go (default: --deliver)")
	fl.StringVar(&f.model, "model", "", "the model (default: model.default now, pinned)")
	fl.StringVar(&f.provider, "provider", "", "the provider (default: model.provider now, pinned)")
	fl.StringVar(&f.skills, "skills", "", "comma-separated skills the run loads first")
	fl.StringVar(&f.toolsets, "toolsets", "", "comma-separated toolsets instead of agent.toolsets.cron")
	fl.StringVar(&f.workdir, "workdir", "", "absolute working directory of the run (default: the home)")
	fl.StringVar(&f.concurrency, "concurrency", "", "forbid, allow or replace (default cron.concurrency)")
	fl.IntVar(&f.repeat, "repeat", 0, "stop after `N` runs (0: forever)")
	if create {
		fl.StringVar(&f.script, "script", "", "run `FILE` from <home>/scripts instead of the model (then PROMPT is a description)")
	} else {
		fl.StringVar(&f.schedule, "schedule", "", "a new schedule")
		fl.StringVar(&f.prompt, "prompt", "", "a new prompt")
	}
}

func newCronCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "cron",
		Short: "Scheduled jobs: every run recorded, every failure delivered",
		Long: `Jobs run an agent turn (or a script from <home>/scripts) on a schedule.
'hermes cron daemon' runs the scheduler (one per home); 'hermes cron tick'
runs what is due once. Every run ends in a recorded status (ok, error,
timeout, skipped, unknown, blocked_config, delivery_failed), and a failure
goes where results go (or to --failure-deliver).

` + cron.Accepted,
	}
	var jsonOut bool
	jobArg := exactArgs(1, "a job id or name")
	f := &cronJobFlags{}
	create := &cobra.Command{
		Use: "create SCHEDULE PROMPT [--name N] [--deliver T] [--failure-deliver T] [--json]", Aliases: []string{"add"},
		Short: "Add a job", Args: exactArgs(2, "SCHEDULE and PROMPT"),
		RunE: func(cmd *cobra.Command, args []string) error { return app.cronCreate(args[0], args[1], f, jsonOut) },
	}
	f.add(create, true)
	ef := &cronJobFlags{}
	edit := &cobra.Command{
		Use: "edit ID|NAME [--schedule S] [--prompt P] [flags]", Short: "Change a job", Args: jobArg,
		RunE: func(cmd *cobra.Command, args []string) error { return app.cronEdit(cmd, args[0], ef, jsonOut) },
	}
	ef.add(edit, false)
	var reason string
	pause := &cobra.Command{Use: "pause ID|NAME [--reason TEXT]", Short: "Stop a job's runs (it does not catch up later)", Args: jobArg,
		RunE: func(_ *cobra.Command, args []string) error { return app.cronPause(args[0], reason, true) }}
	pause.Flags().StringVar(&reason, "reason", "", "why, shown by list and status")
	var limit int
	history := &cobra.Command{Use: "history [ID|NAME] [--limit N] [--json]", Short: "Recorded runs, newest first",
		Args: rangeArgs(0, 1, "an optional job id or name"),
		RunE: func(_ *cobra.Command, args []string) error { return app.cronHistory(args, limit, jsonOut) }}
	history.Flags().IntVar(&limit, "limit", 20, "runs shown")
	var allIncidents bool
	incidents := &cobra.Command{Use: "incidents [ack ID] [--all] [--json]", Short: "Open failures per job and error; ack marks one seen",
		Args: rangeArgs(0, 2, "nothing, or ack ID"),
		RunE: func(_ *cobra.Command, args []string) error { return app.cronIncidents(args, allIncidents, jsonOut) }}
	incidents.Flags().BoolVar(&allIncidents, "all", false, "include resolved incidents")
	c.AddCommand(create, edit, pause, history, incidents,
		&cobra.Command{Use: "list [--json]", Aliases: []string{"ls"}, Short: "List jobs", Args: exactArgs(0, "no arguments"),
			RunE: func(*cobra.Command, []string) error { return app.cronList(jsonOut, false) }},
		&cobra.Command{Use: "status [--json]", Short: "Each job's last run, error, streak and delivery error", Args: exactArgs(0, "no arguments"),
			RunE: func(*cobra.Command, []string) error { return app.cronList(jsonOut, true) }},
		&cobra.Command{Use: "show ID|NAME [--json]", Short: "One job in full", Args: jobArg,
			RunE: func(_ *cobra.Command, args []string) error { return app.cronShow(args[0]) }},
		&cobra.Command{Use: "resume ID|NAME", Short: "Resume a paused job from its next slot", Args: jobArg,
			RunE: func(_ *cobra.Command, args []string) error { return app.cronPause(args[0], "", false) }},
		&cobra.Command{Use: "remove ID|NAME", Aliases: []string{"rm"}, Short: "Delete a job", Args: jobArg,
			RunE: func(_ *cobra.Command, args []string) error { return app.cronRemove(args[0]) }},
		&cobra.Command{Use: "run ID|NAME [--json]", Short: "Run a job now in this process, record and deliver it (exit 1 unless ok)", Args: jobArg,
			RunE: func(cmd *cobra.Command, args []string) error { return app.cronRun(cmd.Context(), args[0], jsonOut) }},
		&cobra.Command{Use: "tick [--json]", Short: "Recover dead runs, run what is due once, and exit", Args: exactArgs(0, "no arguments"),
			RunE: func(cmd *cobra.Command, _ []string) error { return app.cronTick(cmd.Context(), jsonOut) }},
		&cobra.Command{Use: "daemon", Short: "Run the scheduler in the foreground (one per home)", Args: exactArgs(0, "no arguments"),
			RunE: func(cmd *cobra.Command, _ []string) error { return app.cronDaemon(cmd.Context()) }},
	)
	c.PersistentFlags().BoolVar(&jsonOut, "json", false, "print JSON")
	return c
}

// cronJobs opens <home>/cron/jobs.json.
func (a *App) cronJobs() (*cron.Jobs, error) {
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	return cron.OpenJobs(h.Path(home.CronDir))
}

// cronLocation is cron.timezone, or the machine's zone.
func (a *App) cronLocation() (*time.Location, error) {
	loaded, err := a.Config()
	if err != nil {
		return nil, err
	}
	if tz := loaded.Config.Cron.Timezone; tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("cron.timezone %q: %v; set an IANA zone like Europe/Berlin with hermes config set cron.timezone", tz, err)
		}
		return loc, nil
	}
	return time.Local, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (a *App) cronCreate(sched, prompt string, f *cronJobFlags, jsonOut bool) error {
	loaded, err := a.Config()
	if err != nil {
		return err
	}
	loc, err := a.cronLocation()
	if err != nil {
		return err
	}
	now := time.Now()
	s, err := cron.Parse(sched, loc, now)
	if err != nil {
		return usageError{err}
	}
	cfg := loaded.Config
	j := cron.Job{ID: cron.NewID(), Name: f.name, Schedule: s, Enabled: true, State: cron.StateScheduled, CreatedAt: now.UTC(),
		Deliver: f.deliver, FailureDeliver: f.failureDeliver, Origin: "cli", Concurrency: f.concurrency, Workdir: f.workdir,
		Skills: splitList(f.skills), Toolsets: splitList(f.toolsets), Repeat: cron.Repeat{Times: f.repeat}}
	if f.script != "" {
		j.Script = f.script
	} else {
		j.Prompt = prompt
		// Pinned now: a later global model switch does not change the job.
		j.Model, j.Provider = f.model, f.provider
		if j.Provider == "" {
			j.Provider = cfg.Model.Provider
		}
		if j.Model == "" {
			j.Model = cfg.Model.Default
		}
	}
	if j.Name == "" {
		j.Name = defaultJobName(prompt, f.script)
	}
	if j.Deliver == "" {
		j.Deliver = "local"
	}
	if j.Workdir != "" {
		if fi, err := os.Stat(j.Workdir); err != nil || !fi.IsDir() {
			return usageError{fmt.Errorf("--workdir %s: not an existing directory", j.Workdir)}
		}
	}
	if next, ok := s.Next(now, loc); ok {
		j.NextRunAt = &next
	}
	if s.Kind == cron.KindOnce && !j.NextRunAt.After(now) {
		return usageError{fmt.Errorf("schedule %q is in the past (%s)", sched, j.NextRunAt.In(loc).Format(time.RFC3339))}
	}
	if err := j.Check(); err != nil {
		return usageError{err}
	}
	jobs, err := a.cronJobs()
	if err != nil {
		return err
	}
	if err := jobs.Update(func(all []cron.Job) ([]cron.Job, error) {
		for _, o := range all {
			if strings.EqualFold(o.Name, j.Name) {
				return nil, usageError{fmt.Errorf("a job named %q exists (%s): choose another --name", j.Name, o.ID)}
			}
		}
		return append(all, j), nil
	}); err != nil {
		return err
	}
	if jsonOut {
		return writeJSON(a, j)
	}
	fmt.Fprintf(a.Stdout, "created %s (%s): %s, next run %s, deliver %s\n", j.ID, j.Name, s.Display, fmtTime(j.NextRunAt, loc), j.Deliver)
	return nil
}

func defaultJobName(prompt, script string) string {
	if script != "" {
		return strings.TrimSuffix(script, filepath.Ext(script))
	}
	words := strings.Fields(strings.ToLower(prompt))
	if len(words) > 4 {
		words = words[:4]
	}
	name := strings.Join(words, "-")
	name = strings.Map(func(r rune) rune {
		if r == '-' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, name)
	if name == "" {
		name = "job"
	}
	return name + "-" + cron.NewID()[:4]
}

func fmtTime(t *time.Time, loc *time.Location) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func (a *App) cronEdit(cmd *cobra.Command, ref string, f *cronJobFlags, jsonOut bool) error {
	loc, err := a.cronLocation()
	if err != nil {
		return err
	}
	jobs, err := a.cronJobs()
	if err != nil {
		return err
	}
	ch := cmd.Flags().Changed
	var out cron.Job
	err = jobs.Update(func(all []cron.Job) ([]cron.Job, error) {
		i, err := cron.Find(all, ref)
		if err != nil {
			return nil, err
		}
		j := &all[i]
		if ch("schedule") {
			s, err := cron.Parse(f.schedule, loc, time.Now())
			if err != nil {
				return nil, usageError{err}
			}
			j.Schedule = s
			if next, ok := s.Next(time.Now(), loc); ok {
				j.NextRunAt = &next
			}
			if j.State == cron.StateCompleted {
				j.State = cron.StateScheduled
			}
		}
		set := map[string]*string{"name": &j.Name, "prompt": &j.Prompt, "deliver": &j.Deliver, "failure-deliver": &j.FailureDeliver,
			"model": &j.Model, "provider": &j.Provider, "workdir": &j.Workdir, "concurrency": &j.Concurrency}
		vals := map[string]string{"name": f.name, "prompt": f.prompt, "deliver": f.deliver, "failure-deliver": f.failureDeliver,
			"model": f.model, "provider": f.provider, "workdir": f.workdir, "concurrency": f.concurrency}
		for k, p := range set {
			if ch(k) {
				*p = vals[k]
			}
		}
		if ch("skills") {
			j.Skills = splitList(f.skills)
		}
		if ch("toolsets") {
			j.Toolsets = splitList(f.toolsets)
		}
		if ch("repeat") {
			j.Repeat.Times = f.repeat
		}
		if err := j.Check(); err != nil {
			return nil, usageError{err}
		}
		out = *j
		return all, nil
	})
	if err != nil {
		return err
	}
	if jsonOut {
		return writeJSON(a, out)
	}
	fmt.Fprintf(a.Stdout, "updated %s (%s): %s, next run %s\n", out.ID, out.Name, out.Schedule.Display, fmtTime(out.NextRunAt, loc))
	return nil
}

func (a *App) cronPause(ref, reason string, pause bool) error {
	loc, err := a.cronLocation()
	if err != nil {
		return err
	}
	jobs, err := a.cronJobs()
	if err != nil {
		return err
	}
	var out cron.Job
	err = jobs.Update(func(all []cron.Job) ([]cron.Job, error) {
		i, err := cron.Find(all, ref)
		if err != nil {
			return nil, err
		}
		j := &all[i]
		now := time.Now().UTC()
		switch {
		case pause:
			j.Enabled, j.State, j.PausedAt, j.PausedReason = false, cron.StatePaused, &now, reason
		case j.State != cron.StatePaused:
			return nil, fmt.Errorf("job %s is %s, not paused", j.Name, j.State)
		default:
			// Resume from the next slot after now: a paused job never catches up.
			j.Enabled, j.State, j.PausedAt, j.PausedReason = true, cron.StateScheduled, nil, ""
			if j.Schedule.Kind != cron.KindOnce {
				if next, ok := j.Schedule.Next(now, loc); ok {
					j.NextRunAt = &next
				}
			}
		}
		out = *j
		return all, nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s %s (%s), next run %s\n", map[bool]string{true: "paused", false: "resumed"}[pause], out.Name, out.ID, fmtTime(out.NextRunAt, loc))
	return nil
}

func (a *App) cronRemove(ref string) error {
	jobs, err := a.cronJobs()
	if err != nil {
		return err
	}
	var gone cron.Job
	if err := jobs.Update(func(all []cron.Job) ([]cron.Job, error) {
		i, err := cron.Find(all, ref)
		if err != nil {
			return nil, err
		}
		gone = all[i]
		return append(all[:i], all[i+1:]...), nil
	}); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "removed %s (%s)\n", gone.ID, gone.Name)
	return nil
}

func (a *App) cronList(jsonOut, status bool) error {
	loc, err := a.cronLocation()
	if err != nil {
		return err
	}
	jobs, err := a.cronJobs()
	if err != nil {
		return err
	}
	all, err := jobs.List()
	if err != nil {
		return err
	}
	if jsonOut {
		if all == nil {
			all = []cron.Job{}
		}
		return writeJSON(a, all)
	}
	if len(all) == 0 {
		fmt.Fprintln(a.Stdout, "no jobs: add one with hermes cron create SCHEDULE PROMPT")
		return nil
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 2, 2, ' ', 0)
	if status {
		fmt.Fprintln(tw, "ID\tNAME\tSTATE\tLAST RUN\tLAST STATUS\tSTREAK\tNEXT RUN\tERROR")
		for _, j := range all {
			e := j.LastError
			if j.LastDeliveryError != "" {
				e = strings.TrimSpace(e + " (delivery: " + j.LastDeliveryError + ")")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.Name, j.State, fmtTime(j.LastRunAt, loc), orDash(string(j.LastStatus)),
				j.FailureStreak, fmtTime(j.NextRunAt, loc), oneLine(e, 80))
		}
	} else {
		fmt.Fprintln(tw, "ID\tNAME\tSCHEDULE\tSTATE\tNEXT RUN\tDELIVER")
		for _, j := range all {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Name, j.Schedule.Display, j.State, fmtTime(j.NextRunAt, loc), j.Deliver)
		}
	}
	return tw.Flush()
}

func (a *App) cronShow(ref string) error {
	jobs, err := a.cronJobs()
	if err != nil {
		return err
	}
	j, err := jobs.Get(ref)
	if err != nil {
		return err
	}
	return writeJSON(a, j)
}

// cronScheduler builds the scheduler of the active profile: its jobs,
// state.db, the agent runner with the CLI's routers, and local and
// webhook delivery. close releases the store.
func (a *App) cronScheduler() (_ *cron.Scheduler, closeFn func(), err error) {
	return a.cronSchedulerWith(nil)
}

// cronSchedulerWith builds the scheduler; wrap, when not nil, turns the
// local/webhook deliverer into the one used (the gateway's, which also
// reaches the platforms).
func (a *App) cronSchedulerWith(wrap func(cron.Deliverer) cron.Deliverer) (_ *cron.Scheduler, closeFn func(), err error) {
	h, err := a.Home()
	if err != nil {
		return nil, nil, err
	}
	loaded, err := a.Config()
	if err != nil {
		return nil, nil, err
	}
	cfg := loaded.Config
	loc, err := a.cronLocation()
	if err != nil {
		return nil, nil, err
	}
	jobs, err := a.cronJobs()
	if err != nil {
		return nil, nil, err
	}
	lookup, err := a.envLookup()
	if err != nil {
		return nil, nil, err
	}
	pools, err := a.pools()
	if err != nil {
		return nil, nil, err
	}
	ledger, err := store.Open(h.Path(home.StateDB), nil)
	if err != nil {
		return nil, nil, err
	}
	wh := &cron.Webhook{Attempts: cfg.Cron.DeliveryRetries, Clock: clock.Real{}}
	if name := cfg.Cron.WebhookSecretEnv; name != "" {
		if v, ok := lookup(name); ok {
			wh.Secret = []byte(v)
		} else {
			wh.MissingSecret = name
		}
	}
	runner := &agentrun.Runner{Home: h, Config: cfg, Routers: a.chatRouters, Lookup: lookup, Pools: pools,
		Env: os.Environ(), Log: a.logWriter("agent", slog.LevelInfo, "·"),
		CronRun: func(ctx context.Context, id string) (cron.RunRecord, error) { return a.cronRunWith(ctx, id, wrap) }}
	var deliverer cron.Deliverer = &cron.Targets{Log: a.logWriter("cron", slog.LevelWarn, "hermes cron:"), Webhook: wh}
	if wrap != nil {
		deliverer = wrap(deliverer)
	}
	s := cron.New(cron.Options{Jobs: jobs, Ledger: ledger, Runner: runner, Deliverer: deliverer,
		Location: loc, OutputDir: filepath.Join(jobs.Dir(), cron.OutputDir), OutputKeep: cfg.Cron.OutputKeep,
		Timeout: cfg.Cron.Timeout.D(), Concurrency: cfg.Cron.Concurrency, Log: a.logWriter("cron", slog.LevelInfo, "hermes cron:")})
	return s, func() { ledger.Close() }, nil
}

// cronToolRun runs a job now for the agent's cronjob tool (in a chat, or
// in a cron run with cron.allow_agent_scheduling): the path of hermes cron
// run, with trigger "tool".
func (a *App) cronToolRun(ctx context.Context, jobID string) (cron.RunRecord, error) {
	return a.cronRunWith(ctx, jobID, nil)
}

// cronRunWith runs a job now (trigger "tool") with a scheduler whose
// deliverer wrap makes (nil: local and webhook only): the gateway passes
// its own, so a job run from a gateway chat or from a run the gateway's
// scheduler started delivers to platforms and origin.
func (a *App) cronRunWith(ctx context.Context, jobID string, wrap func(cron.Deliverer) cron.Deliverer) (cron.RunRecord, error) {
	s, closeFn, err := a.cronSchedulerWith(wrap)
	if err != nil {
		return cron.RunRecord{}, err
	}
	defer closeFn()
	return s.Run(ctx, jobID, time.Now(), "tool")
}

// signalContext ends on SIGINT or SIGTERM in the real process.
func (a *App) signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	if !a.ownsProcess {
		return context.WithCancel(ctx)
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func (a *App) cronRun(ctx context.Context, ref string, jsonOut bool) error {
	jobs, err := a.cronJobs()
	if err != nil {
		return err
	}
	j, err := jobs.Get(ref)
	if err != nil {
		return err
	}
	s, closeFn, err := a.cronScheduler()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := a.signalContext(ctx)
	defer cancel()
	rec, err := s.Run(ctx, j.ID, time.Now(), "manual")
	if rec.RunID == "" && err != nil {
		return err
	}
	if jsonOut {
		if werr := writeJSON(a, rec); werr != nil {
			return werr
		}
	} else {
		a.printRun(rec)
	}
	if err != nil {
		fmt.Fprintln(a.Stderr, "hermes: "+err.Error())
	}
	if rec.Status != cron.StatusOK || err != nil || rec.DeliveryError != "" {
		return exitError{1}
	}
	return nil
}

func (a *App) printRun(rec cron.RunRecord) {
	fmt.Fprintf(a.Stdout, "run %s of %s: %s\n", rec.RunID, rec.Name, rec.Status)
	if rec.Error != "" {
		fmt.Fprintf(a.Stdout, "  error: %s\n", rec.Error)
	}
	if rec.DeliveryError != "" {
		fmt.Fprintf(a.Stdout, "  delivery failed: %s\n", rec.DeliveryError)
	}
	if rec.OutputPath != "" {
		fmt.Fprintf(a.Stdout, "  output: %s\n", displayPath(rec.OutputPath))
	}
	if rec.Text != "" {
		fmt.Fprintln(a.Stdout, withNL(rec.Text))
	}
}

func withNL(s string) string { return strings.TrimRight(s, "\n") }

func (a *App) cronTick(ctx context.Context, jsonOut bool) error {
	s, closeFn, err := a.cronScheduler()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := a.signalContext(ctx)
	defer cancel()
	recs, err := s.Tick(ctx)
	if jsonOut {
		if recs == nil {
			recs = []cron.RunRecord{}
		}
		if werr := writeJSON(a, recs); werr != nil {
			return werr
		}
	} else if len(recs) == 0 {
		fmt.Fprintln(a.Stdout, "nothing due")
	} else {
		for _, r := range recs {
			a.printRun(r)
		}
	}
	return err
}

func (a *App) cronDaemon(ctx context.Context) error {
	h, err := a.Home()
	if err != nil {
		return err
	}
	loaded, err := a.Config()
	if err != nil {
		return err
	}
	if !loaded.Config.Cron.Enabled {
		return errors.New("cron.enabled is false in config.yaml: set it with hermes config set cron.enabled true")
	}
	a.openLogs(h, loaded.Config, "cron")
	lock, err := fileutil.LockFile(context.Background(), h.Path(home.CronLock), fileutil.LockOptions{})
	if err != nil {
		return fmt.Errorf("another scheduler runs this home (%v): stop it first, or use hermes cron tick", err)
	}
	defer lock.Unlock()
	if err := lock.WritePID(); err != nil {
		return err
	}
	s, closeFn, err := a.cronScheduler()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := a.signalContext(ctx)
	defer cancel()
	fmt.Fprintf(a.Stderr, "hermes cron: scheduler running for %s (pid %d); Ctrl-C stops it\n", displayPath(h.Dir), os.Getpid())
	a.fileLogger("cron").Info("scheduler running", "home", h.Dir, "pid", os.Getpid())
	return s.Daemon(ctx, cronDaemonInterval, func(t time.Time) {
		if err := cron.WriteHeartbeat(h.Path(home.CronDir), t); err != nil {
			fmt.Fprintln(a.Stderr, "hermes cron: heartbeat: "+err.Error())
			a.fileLogger("cron").Error("heartbeat", "err", err)
		}
	})
}

func (a *App) cronHistory(args []string, limit int, jsonOut bool) error {
	h, err := a.Home()
	if err != nil {
		return err
	}
	jobID := ""
	if len(args) == 1 {
		jobs, err := a.cronJobs()
		if err != nil {
			return err
		}
		j, err := jobs.Get(args[0])
		if err != nil {
			return err
		}
		jobID = j.ID
	}
	ledger, err := store.Open(h.Path(home.StateDB), nil)
	if err != nil {
		return err
	}
	defer ledger.Close()
	runs, err := ledger.CronRuns(context.Background(), jobID, limit)
	if err != nil {
		return err
	}
	if jsonOut {
		if runs == nil {
			runs = []store.CronRun{}
		}
		return writeJSON(a, runs)
	}
	if len(runs) == 0 {
		fmt.Fprintln(a.Stdout, "no runs recorded")
		return nil
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tJOB\tTRIGGER\tSTARTED\tSTATUS\tDELIVERED\tERROR")
	for _, r := range runs {
		del := "-"
		switch {
		case !r.DeliveredAt.IsZero():
			del = "yes"
		case r.DeliveryError != "":
			del = "failed: " + oneLine(r.DeliveryError, 40)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.JobName, r.Trigger, r.ClaimedAt.Local().Format("2006-01-02 15:04:05"),
			r.Status, del, oneLine(r.Error, 60))
	}
	return tw.Flush()
}

func (a *App) cronIncidents(args []string, all, jsonOut bool) error {
	if len(args) == 1 || (len(args) == 2 && args[0] != "ack") {
		return usageError{errors.New("hermes cron incidents takes nothing, or ack ID")}
	}
	h, err := a.Home()
	if err != nil {
		return err
	}
	ledger, err := store.Open(h.Path(home.StateDB), nil)
	if err != nil {
		return err
	}
	defer ledger.Close()
	ctx := context.Background()
	if len(args) == 2 {
		inc, err := ledger.AckCronIncident(ctx, args[1], time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "acknowledged %s (%s: %s)\n", inc.ID, inc.JobName, oneLine(inc.Signature, 80))
		return nil
	}
	list, err := ledger.CronIncidents(ctx, all)
	if err != nil {
		return err
	}
	if jsonOut {
		return writeJSON(a, nonNil(list))
	}
	if len(list) == 0 {
		fmt.Fprintln(a.Stdout, "no open incidents")
		return nil
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tJOB\tSINCE\tLAST\tCOUNT\tSTATE\tERROR")
	for _, c := range list {
		state := "open"
		switch {
		case !c.ResolvedAt.IsZero():
			state = "resolved"
		case !c.AckedAt.IsZero():
			state = "acked"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.ID, c.JobName, c.OpenedAt.Local().Format("2006-01-02 15:04"),
			c.LastAt.Local().Format("2006-01-02 15:04"), c.Count, state, oneLine(c.Signature, 70))
	}
	return tw.Flush()
}
