package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/home"
)

// HeartbeatMaxAge is how old the scheduler's last tick may be while jobs
// are enabled.
const HeartbeatMaxAge = 3 * time.Minute

// loadJobs reads cron/jobs.json; a missing file has no jobs.
func (t *target) loadJobs() ([]cron.Job, error) {
	if !exists(t.h.Path(home.CronDir, cron.JobsFile)) {
		return nil, nil
	}
	s, err := cron.OpenJobs(t.h.Path(home.CronDir))
	if err != nil {
		return nil, err
	}
	return s.List()
}

// checkCronJobs: every job delivers somewhere a person reads, and none is
// failing or has a failure nobody received. Each bad job is named with
// its last error.
func (t *target) checkCronJobs(context.Context) []Result {
	name := t.name("cron jobs")
	jobs, err := t.loadJobs()
	if err != nil {
		return []Result{{Name: name, Status: Fail, Message: err.Error(), Fix: "fix or restore cron/jobs.json (`hermes cron list` shows the problem)"}}
	}
	var rows []Result
	active := 0
	for _, j := range jobs {
		if !j.Enabled || j.State != cron.StateScheduled {
			continue
		}
		active++
		label := fmt.Sprintf("job %q (%s)", j.Name, j.ID)
		if j.FailureStreak > 0 {
			rows = append(rows, Result{Name: name, Status: Fail,
				Message: fmt.Sprintf("%s failed its %s: %s: %s", label, lastRuns(j.FailureStreak), j.LastStatus, firstLine(j.LastError)),
				Fix:     fixFor(j)})
		}
		if j.LastDeliveryError != "" && j.LastStatus.Failed() {
			rows = append(rows, Result{Name: name, Status: Fail,
				Message: fmt.Sprintf("%s: its failure was not delivered to %s: %s", label, j.FailureTarget(), firstLine(j.LastDeliveryError)),
				Fix:     "fix the delivery target (`hermes cron edit " + j.ID + " --deliver ...`), then `hermes cron run " + j.ID + "`"})
		} else if j.LastDeliveryError != "" {
			rows = append(rows, Result{Name: name, Status: Warn,
				Message: fmt.Sprintf("%s: its last result was not delivered to %s: %s", label, j.Deliver, firstLine(j.LastDeliveryError)),
				Fix:     "fix the delivery target (`hermes cron edit " + j.ID + " --deliver ...`)"})
		}
		if why := t.nowhere(j); why != "" {
			rows = append(rows, Result{Name: name, Status: Warn, Message: fmt.Sprintf("%s delivers nowhere: %s", label, why),
				Fix: "deliver it to a chat or a webhook: `hermes cron edit " + j.ID + " --deliver telegram` (or webhook:URL)"})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, Result{Name: name, Status: OK, Message: fmt.Sprintf("%d job(s), %d enabled, none failing", len(jobs), active)})
	}
	return rows
}

func lastRuns(n int) string {
	if n == 1 {
		return "last run"
	}
	return fmt.Sprintf("last %d runs", n)
}

func fixFor(j cron.Job) string {
	e := strings.ToLower(j.LastError)
	if strings.Contains(e, "401") || strings.Contains(e, "403") || strings.Contains(e, "api key") || strings.Contains(e, "authentication") {
		return "the provider refused the key: update it in .env (or `hermes auth add`), then `hermes cron run " + j.ID + "`"
	}
	return "see `hermes cron history " + j.ID + "`, fix the cause, then `hermes cron run " + j.ID + "`"
}

// nowhere says why a job's results reach nobody, or "".
func (t *target) nowhere(j cron.Job) string {
	var enabled []string
	if t.cfg != nil {
		enabled = messaging(t.cfg)
	}
	reached := false
	for _, part := range strings.Split(j.Deliver, ",") {
		part = strings.TrimSpace(part)
		p, _, _ := strings.Cut(part, ":")
		switch {
		case part == "local":
		case part == "origin":
			reached = reached || (j.Origin != "" && !strings.HasPrefix(j.Origin, "agent:"))
		case part == "all":
			reached = reached || len(enabled) > 0
		case p == "webhook":
			reached = true
		default:
			reached = reached || t.cfg == nil || slices.Contains(enabled, p)
		}
	}
	switch {
	case reached:
		return ""
	case j.Deliver == "local":
		return "deliver is local (the output stays in cron/output)"
	}
	return "deliver is " + j.Deliver + ", and no enabled platform takes it"
}

// checkScheduler: while jobs are enabled, a scheduler ticks.
func (t *target) checkScheduler(context.Context) []Result {
	name := t.name("cron scheduler")
	jobs, err := t.loadJobs()
	if err != nil {
		return nil // checkCronJobs reports it
	}
	enabled := 0
	for _, j := range jobs {
		if j.Enabled && j.State == cron.StateScheduled {
			enabled++
		}
	}
	if enabled == 0 {
		return []Result{{Name: name, Status: OK, Message: "no enabled jobs"}}
	}
	if t.cfg != nil && !t.cfg.Cron.Enabled {
		return []Result{{Name: name, Status: Fail, Message: fmt.Sprintf("%d job(s) enabled but cron.enabled is false: none will run", enabled),
			Fix: "run `hermes config set cron.enabled true`"}}
	}
	fix := "start the gateway (`hermes gateway start`) or `hermes cron daemon`"
	hb, err := cron.ReadHeartbeat(t.h.Path(home.CronDir))
	if err != nil {
		msg := "no scheduler has ever run"
		if !isNotExist(err) {
			msg = err.Error()
		}
		return []Result{{Name: name, Status: Fail, Message: fmt.Sprintf("%d job(s) enabled but %s", enabled, msg), Fix: fix}}
	}
	age := t.o.now().Sub(hb.Tick)
	if age > HeartbeatMaxAge {
		return []Result{{Name: name, Status: Fail,
			Message: fmt.Sprintf("%d job(s) enabled but the scheduler's last tick was %s ago (pid %d)", enabled, age.Round(time.Second), hb.PID), Fix: fix}}
	}
	return []Result{{Name: name, Status: OK, Message: fmt.Sprintf("ticked %s ago (pid %d); %d job(s) enabled", age.Round(time.Second), hb.PID, enabled)}}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	if s == "" {
		return "(no error recorded)"
	}
	return s
}
