// Package status is the report of `hermes status`: one screen of what a
// home runs on (version, profile, model and fallbacks, keys, sandbox,
// approvals, redaction, gateway, cron jobs, last backup, memory) and its
// JSON form. The command gathers the facts; this package holds their
// shape and renders them.
package status

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Report is everything `hermes status` shows. A part that could not be
// read carries its error instead; ConfigError makes the command exit 1.
type Report struct {
	Version       string `json:"version"`
	Home          string `json:"home"`
	Profile       string `json:"profile"`
	ProfileSource string `json:"profile_source"`
	// ConfigError is config.yaml's or .env's problem (file:line:col); the
	// parts that need the config then show what they can.
	ConfigError string        `json:"config_error,omitempty"`
	Model       *Endpoint     `json:"model,omitempty"`
	Fallbacks   []Endpoint    `json:"fallbacks"`
	Credentials []PoolSummary `json:"credentials"`
	CredError   string        `json:"credentials_error,omitempty"`
	Sandbox     *Sandbox      `json:"sandbox,omitempty"`
	Approvals   string        `json:"approvals,omitempty"`
	Redaction   *bool         `json:"redaction,omitempty"`
	Gateway     Gateway       `json:"gateway"`
	Cron        Cron          `json:"cron"`
	Backup      *Backup       `json:"last_backup"`
	BackupError string        `json:"last_backup_error,omitempty"`
	Memory      []MemoryUsage `json:"memory"`
	MemoryError string        `json:"memory_error,omitempty"`
	Logs        string        `json:"logs"`
}

// Endpoint is a provider and model.
type Endpoint struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
}

func (e Endpoint) String() string {
	if e.Model == "" {
		return e.Provider
	}
	return e.Model + " on " + e.Provider
}

// PoolSummary counts one provider's keys by status; keys themselves are
// never part of a report.
type PoolSummary struct {
	Provider  string `json:"provider"`
	Keys      int    `json:"keys"`
	OK        int    `json:"ok"`
	Exhausted int    `json:"exhausted"`
	Dead      int    `json:"dead"`
}

// Sandbox is terminal.backend and, for auto, what it resolves to.
type Sandbox struct {
	Configured string `json:"configured"`
	Resolved   string `json:"resolved"`
	Reason     string `json:"reason,omitempty"`
}

// Gateway is what `hermes gateway status --json` says.
type Gateway struct {
	Running   bool            `json:"running"`
	PID       int             `json:"pid,omitempty"`
	StalePID  int             `json:"stale_pid,omitempty"`
	Platforms map[string]Conn `json:"platforms"`
	Error     string          `json:"error,omitempty"`
}

// Conn is one platform's connection.
type Conn struct {
	Connected bool   `json:"connected"`
	Error     string `json:"error,omitempty"`
}

// Cron is the scheduler and its jobs.
type Cron struct {
	Enabled       bool       `json:"enabled"`
	SchedulerPID  int        `json:"scheduler_pid,omitempty"` // the process running the jobs
	SchedulerIn   string     `json:"scheduler_in,omitempty"`  // "cron daemon" or "gateway"
	LastHeartbeat *time.Time `json:"last_heartbeat,omitempty"`
	Jobs          []Job      `json:"jobs"`
	Error         string     `json:"error,omitempty"`
}

// Job is one cron job and how its last run ended.
type Job struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	State         string     `json:"state"`
	LastStatus    string     `json:"last_status"`
	LastRunAt     *time.Time `json:"last_run_at,omitempty"`
	NextRunAt     *time.Time `json:"next_run_at,omitempty"`
	FailureStreak int        `json:"failure_streak"`
	LastError     string     `json:"last_error,omitempty"`
}

// Backup is the last successful backup.
type Backup struct {
	Time time.Time `json:"time"`
	Path string    `json:"path"`
	Size int64     `json:"size"`
}

// MemoryUsage is one memory file against its limit.
type MemoryUsage struct {
	File  string `json:"file"`
	Used  int    `json:"used"`
	Limit int    `json:"limit"`
}

// Render writes the human report; now dates the "ago" figures and path
// shortens paths for display.
func Render(w io.Writer, r *Report, now time.Time, path func(string) string) {
	p := &printer{w: w, now: now}
	p.row("hermes", r.Version)
	p.row("home", fmt.Sprintf("%s (profile %s, from %s)", path(r.Home), r.Profile, r.ProfileSource))
	if r.ConfigError != "" {
		p.row("config", "✗ "+firstLines(r.ConfigError, 6))
	}
	p.model(r)
	p.credentials(r)
	p.settings(r)
	p.gateway(r.Gateway)
	p.cron(r.Cron)
	p.backup(r, path)
	p.memory(r)
	p.row("logs", path(r.Logs)+" (hermes logs)")
}

type printer struct {
	w   io.Writer
	now time.Time
}

func (p *printer) row(label, text string) {
	fmt.Fprintf(p.w, "%-10s %s\n", label, strings.ReplaceAll(text, "\n", "\n"+strings.Repeat(" ", 11)))
}

func (p *printer) model(r *Report) {
	if r.Model == nil {
		p.row("model", "unknown (config.yaml does not load)")
		return
	}
	p.row("model", r.Model.String())
	if len(r.Fallbacks) == 0 {
		p.row("fallbacks", "none (hermes fallback add PROVIDER MODEL)")
		return
	}
	fs := make([]string, len(r.Fallbacks))
	for i, f := range r.Fallbacks {
		fs[i] = f.String()
	}
	p.row("fallbacks", strings.Join(fs, ", "))
}

func (p *printer) credentials(r *Report) {
	switch {
	case r.CredError != "":
		p.row("keys", "✗ "+r.CredError)
		return
	case len(r.Credentials) == 0:
		p.row("keys", "no pooled keys (keys come from .env)")
		return
	}
	parts := make([]string, len(r.Credentials))
	for i, c := range r.Credentials {
		s := fmt.Sprintf("%s %d key%s", c.Provider, c.Keys, plural(c.Keys))
		var st []string
		if c.Exhausted > 0 {
			st = append(st, fmt.Sprintf("%d resting", c.Exhausted))
		}
		if c.Dead > 0 {
			st = append(st, fmt.Sprintf("%d dead", c.Dead))
		}
		if len(st) > 0 {
			s += " (" + strings.Join(st, ", ") + ")"
		}
		parts[i] = s
	}
	p.row("keys", strings.Join(parts, "; "))
}

func (p *printer) settings(r *Report) {
	if s := r.Sandbox; s != nil {
		text := s.Configured
		if s.Configured != s.Resolved {
			text += " → " + s.Resolved
		}
		if s.Reason != "" {
			text += " (" + s.Reason + ")"
		}
		p.row("sandbox", text)
	}
	if r.Approvals != "" {
		p.row("approvals", r.Approvals)
	}
	if r.Redaction != nil {
		if *r.Redaction {
			p.row("redaction", "on")
		} else {
			p.row("redaction", "OFF: keys may reach logs, the session store and chats (security.redact_secrets)")
		}
	}
}

func (p *printer) gateway(g Gateway) {
	switch {
	case g.Error != "":
		p.row("gateway", "✗ "+g.Error)
		return
	case !g.Running && g.StalePID != 0:
		p.row("gateway", fmt.Sprintf("not running (stale pid file: pid %d is gone; hermes doctor --fix)", g.StalePID))
		return
	case !g.Running:
		p.row("gateway", "not running (hermes gateway start)")
		return
	}
	names := make([]string, 0, len(g.Platforms))
	for n := range g.Platforms {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		c := g.Platforms[n]
		if c.Connected {
			parts = append(parts, n+" connected")
		} else {
			d := n + " disconnected"
			if c.Error != "" {
				d += " (" + oneLine(c.Error, 80) + ")"
			}
			parts = append(parts, d)
		}
	}
	text := fmt.Sprintf("running (pid %d)", g.PID)
	if len(parts) > 0 {
		text += ": " + strings.Join(parts, ", ")
	}
	p.row("gateway", text)
}

func (p *printer) cron(c Cron) {
	head := "scheduler not running"
	switch {
	case c.Error != "":
		p.row("cron", "✗ "+c.Error)
		return
	case !c.Enabled:
		head = "disabled (cron.enabled: false)"
	case c.SchedulerPID != 0:
		head = fmt.Sprintf("scheduler running in the %s (pid %d)", c.SchedulerIn, c.SchedulerPID)
		if c.LastHeartbeat != nil {
			head += ", last tick " + p.ago(*c.LastHeartbeat)
		}
	}
	head += fmt.Sprintf(", %d job%s", len(c.Jobs), plural(len(c.Jobs)))
	p.row("cron", head)
	for _, j := range c.Jobs {
		last := "never ran"
		if j.LastRunAt != nil {
			last = "last " + orDash(j.LastStatus) + " " + p.ago(*j.LastRunAt)
		}
		if j.FailureStreak > 1 {
			last += fmt.Sprintf(", %d failures in a row", j.FailureStreak)
		}
		if j.LastError != "" {
			last += ": " + oneLine(j.LastError, 70)
		}
		fmt.Fprintf(p.w, "%11s%s %s  %s  %s\n", "", j.ID, j.Name, j.State, last)
	}
}

func (p *printer) backup(r *Report, path func(string) string) {
	switch {
	case r.BackupError != "":
		p.row("backup", "✗ "+r.BackupError)
	case r.Backup == nil:
		p.row("backup", "never (hermes backup)")
	default:
		b := r.Backup
		p.row("backup", fmt.Sprintf("%s, %s, %s", p.ago(b.Time), path(b.Path), size(b.Size)))
	}
}

func (p *printer) memory(r *Report) {
	if r.MemoryError != "" {
		p.row("memory", "✗ "+r.MemoryError)
		return
	}
	parts := make([]string, len(r.Memory))
	for i, m := range r.Memory {
		pct := 0
		if m.Limit > 0 {
			pct = m.Used * 100 / m.Limit
		}
		parts[i] = fmt.Sprintf("%s %d%% (%d/%d chars)", m.File, pct, m.Used, m.Limit)
	}
	p.row("memory", strings.Join(parts, ", "))
}

// ago is an absolute local time and how long ago it was.
func (p *printer) ago(t time.Time) string {
	d := p.now.Sub(t)
	var rel string
	switch {
	case d < 0:
		rel = "in the future"
	case d < time.Minute:
		rel = "just now"
	case d < time.Hour:
		rel = fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		rel = fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		rel = fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
	return t.Local().Format("2006-01-02 15:04") + " (" + rel + ")"
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("... and %d more", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}
