package cli

import (
	"errors"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/memory"
	"github.com/hermes-go/hermes/internal/ops/backup"
	"github.com/hermes-go/hermes/internal/ops/status"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/version"
)

func newStatusCmd(app *App) *cobra.Command {
	var jsonOut bool
	c := &cobra.Command{
		Use:   "status [--json]",
		Short: "One screen: version, profile, model, keys, sandbox, gateway, cron jobs, last backup, memory",
		Long: `Shows what this home runs on, without changing anything. A config.yaml or .env
that does not load is shown with its file:line:col, the rest is shown as far
as it can be, and the command exits 1.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.status(jsonOut) },
	}
	c.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return c
}

func (a *App) status(jsonOut bool) error {
	h, err := a.Home()
	if err != nil {
		return err
	}
	r := &status.Report{Version: version.String(), Home: h.Dir, Profile: h.Profile, ProfileSource: h.Source,
		Logs: h.Path(home.LogsDir), Fallbacks: []status.Endpoint{}, Credentials: []status.PoolSummary{}, Memory: []status.MemoryUsage{}}
	// Resolving auto may run bwrap once (~25 ms): started first, it
	// overlaps the reading of the files below.
	var auto chan sandbox.Choice
	cfg := config.Default()
	loaded, cerr := a.Config()
	if cerr != nil {
		r.ConfigError = cerr.Error()
	} else {
		cfg = loaded.Config
		if cfg.Terminal.Backend == sandbox.Auto {
			auto = make(chan sandbox.Choice, 1)
			go func() { auto <- sandbox.ResolveAuto() }()
		}
		a.statusSettings(r, cfg)
	}
	a.statusCredentials(r)
	statusGateway(r, h)
	a.statusCron(r, h, cfg)
	statusBackup(r, h)
	statusMemory(r, h, cfg)
	if auto != nil {
		c := <-auto
		r.Sandbox.Resolved, r.Sandbox.Reason = c.Backend, c.Reason
	}
	if jsonOut {
		err = writeJSON(a, r)
	} else {
		status.Render(a.Stdout, r, time.Now(), displayPath)
	}
	if err != nil {
		return err
	}
	if cerr != nil {
		return exitError{1}
	}
	return nil
}

// statusSettings fills what config.yaml says.
func (a *App) statusSettings(r *status.Report, cfg *config.Config) {
	r.Model = &status.Endpoint{Provider: cfg.Model.Provider, Model: cfg.Model.Default}
	for _, f := range cfg.FallbackProviders {
		r.Fallbacks = append(r.Fallbacks, status.Endpoint{Provider: f.Provider, Model: f.Model})
	}
	r.Sandbox = &status.Sandbox{Configured: cfg.Terminal.Backend, Resolved: cfg.Terminal.Backend}
	r.Approvals = cfg.Approvals.Mode
	on := cfg.Security.RedactSecrets
	r.Redaction = &on
}

// statusCredentials counts the keys of each pool in auth.json.
func (a *App) statusCredentials(r *status.Report) {
	ps, err := a.pools()
	if err != nil {
		r.CredError = err.Error()
		return
	}
	pools, err := ps.Pools()
	if err != nil {
		r.CredError = err.Error()
		return
	}
	for _, name := range sortedKeys(pools) {
		s := status.PoolSummary{Provider: name}
		for _, e := range pools[name].Entries {
			s.Keys++
			switch e.LastStatus {
			case "exhausted":
				s.Exhausted++
			case "dead":
				s.Dead++
			default:
				s.OK++
			}
		}
		if s.Keys > 0 {
			r.Credentials = append(r.Credentials, s)
		}
	}
}

func statusGateway(r *status.Report, h *home.Home) {
	g, err := readGatewayStatus(h)
	r.Gateway = status.Gateway{Running: g.Running, PID: g.PID, StalePID: g.StalePID, Platforms: map[string]status.Conn{}}
	if err != nil {
		r.Gateway.Error = err.Error()
		return
	}
	for n, p := range g.Platforms {
		r.Gateway.Platforms[n] = status.Conn{Connected: p.Connected, Error: p.Error}
	}
}

// statusCron lists the jobs and finds the process running them: a cron
// daemon (its pid in cron.lock, its heartbeat) or the gateway.
func (a *App) statusCron(r *status.Report, h *home.Home, cfg *config.Config) {
	r.Cron = status.Cron{Enabled: cfg.Cron.Enabled, Jobs: []status.Job{}}
	if pid, err := fileutil.ReadPID(h.Path(home.CronLock)); err == nil && fileutil.PIDAlive(pid) {
		r.Cron.SchedulerPID, r.Cron.SchedulerIn = pid, "cron daemon"
	} else if r.Gateway.Running && cfg.Cron.Enabled {
		r.Cron.SchedulerPID, r.Cron.SchedulerIn = r.Gateway.PID, "gateway"
	}
	if hb, err := cron.ReadHeartbeat(h.Path(home.CronDir)); err == nil && r.Cron.SchedulerPID != 0 && hb.PID == r.Cron.SchedulerPID {
		t := hb.Tick
		r.Cron.LastHeartbeat = &t
	}
	jobs, err := a.cronJobs()
	if err != nil {
		r.Cron.Error = err.Error()
		return
	}
	all, err := jobs.List()
	if err != nil {
		r.Cron.Error = err.Error()
		return
	}
	for _, j := range all {
		e := j.LastError
		if j.LastDeliveryError != "" {
			e = oneLine(e+" (delivery: "+j.LastDeliveryError+")", 200)
		}
		r.Cron.Jobs = append(r.Cron.Jobs, status.Job{ID: j.ID, Name: j.Name, State: string(j.State), LastStatus: string(j.LastStatus),
			LastRunAt: j.LastRunAt, NextRunAt: j.NextRunAt, FailureStreak: j.FailureStreak, LastError: e})
	}
}

func statusBackup(r *status.Report, h *home.Home) {
	rec, err := backup.ReadRecord(h)
	switch {
	case errors.Is(err, backup.ErrNoRecord):
	case err != nil:
		r.BackupError = err.Error()
	default:
		r.Backup = &status.Backup{Time: rec.Time, Path: rec.Path, Size: rec.Size}
	}
}

func statusMemory(r *status.Report, h *home.Home, cfg *config.Config) {
	st := memory.Open(h.Dir, cfg.Memory)
	for _, t := range []memory.Target{memory.Memory, memory.User} {
		m, err := st.Read(t)
		if err != nil {
			r.MemoryError = err.Error()
			return
		}
		r.Memory = append(r.Memory, status.MemoryUsage{File: t.File(), Used: m.Used, Limit: m.Limit})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
