package cron

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/store"
)

// RunRecord is how one run ended, as recorded.
type RunRecord struct {
	RunID         string `json:"run_id"`
	JobID         string `json:"job_id"`
	Name          string `json:"name"`
	Status        Status `json:"status"`
	Error         string `json:"error,omitempty"`
	Text          string `json:"text,omitempty"`
	OutputPath    string `json:"output_path,omitempty"`
	Delivered     bool   `json:"delivered"`
	DeliveryError string `json:"delivery_error,omitempty"`
}

// Markers in a run's output.
const (
	FinalMarker  = "FINAL_CRON_OUTPUT:" // only what follows is delivered
	SilentMarker = "[SILENT]"           // a success is not delivered
)

// Run claims the slot of job jobID, runs it and records and delivers the
// outcome. trigger is schedule, catchup, manual (hermes cron run) or
// tool (the agent's cronjob tool); manual and tool runs claim the current
// instant as their slot and leave next_run_at alone.
// store.ErrCronSlotTaken means another process has this slot.
func (s *Scheduler) Run(ctx context.Context, jobID string, slot time.Time, trigger string) (RunRecord, error) {
	job, err := s.o.Jobs.Get(jobID)
	if err != nil {
		return RunRecord{}, err
	}
	now := s.o.Clock.Now()
	rec := RunRecord{RunID: NewID(), JobID: job.ID, Name: job.Name}
	if err := s.o.Ledger.ClaimCronRun(ctx, store.CronRun{ID: rec.RunID, JobID: job.ID, JobName: job.Name,
		Slot: slot, Trigger: trigger, Owner: s.o.Owner, ClaimedAt: now}); err != nil {
		return RunRecord{}, err
	}
	// The job moves to its next slot before the run starts: a crash
	// during the run never makes the same slot run again.
	if trigger != "manual" && trigger != "tool" {
		if err := s.o.Jobs.UpdateJob(job.ID, func(j *Job) error {
			if j.NextRunAt != nil && j.NextRunAt.Equal(slot) {
				s.advance(j, now)
			}
			return nil
		}); err != nil {
			// Recorded and delivered like any failure (finish delivers even
			// when jobs.json cannot be written).
			rec, ferr := s.finish(ctx, job, rec, StatusError, "the job could not be moved to its next slot: "+err.Error(), Result{})
			return rec, errors.Join(err, ferr)
		}
	}
	if st, why := s.concurrency(ctx, job, rec.RunID); st != "" {
		return s.finish(ctx, job, rec, st, why, Result{})
	}
	if err := s.preflight(job); err != nil {
		return s.finish(ctx, job, rec, StatusBlockedConfig, err.Error(), Result{})
	}
	if ok, err := s.o.Ledger.StartCronRun(ctx, rec.RunID, "", s.o.Clock.Now()); err != nil {
		// A claim left "claimed" by a live process would block the job
		// (forbid) until the process ends: record the failure now.
		return s.finish(ctx, job, rec, StatusError, "the run could not be started: "+err.Error(), Result{})
	} else if !ok {
		return rec, errors.New("the claim was taken over before the run started (recorded by the process that took it)")
	}
	runCtx, cancel := context.WithTimeout(withRunChain(ctx, job.ID), s.o.Timeout)
	s.mu.Lock()
	s.running[rec.RunID] = cancel
	s.mu.Unlock()
	res, err := s.runGuarded(runCtx, job)
	timedOut := errors.Is(runCtx.Err(), context.DeadlineExceeded)
	cancel()
	s.mu.Lock()
	delete(s.running, rec.RunID)
	by, replaced := s.replaced[rec.RunID]
	delete(s.replaced, rec.RunID)
	s.mu.Unlock()
	switch {
	case replaced:
		return s.finish(ctx, job, rec, StatusSkipped, "stopped: replaced by run "+by+" (concurrency: replace)", res)
	case ctx.Err() != nil:
		return s.finish(ctx, job, rec, StatusError, fmt.Sprintf("interrupted: the process running it was stopping (%v)", context.Cause(ctx)), res)
	case timedOut:
		return s.finish(ctx, job, rec, StatusTimeout, fmt.Sprintf("the run took longer than %s (cron.timeout)", s.o.Timeout), res)
	case err != nil:
		rec, ferr := s.finish(ctx, job, rec, StatusError, err.Error(), res)
		if IsUnreachable(err) && ferr == nil {
			ferr = s.scheduleRetry(job.ID)
		}
		return rec, ferr
	}
	return s.finish(ctx, job, rec, StatusOK, "", res)
}

// runGuarded calls the runner; a panic in it is the run's error (the
// process, and the other runs, go on).
func (s *Scheduler) runGuarded(ctx context.Context, job Job) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the run crashed: panic: %v", p)
		}
	}()
	return s.o.Runner.Run(ctx, job)
}

func (s *Scheduler) preflight(job Job) error {
	if err := s.o.Runner.Preflight(job); err != nil {
		return err
	}
	if err := s.o.Deliverer.Check(job.Deliver); err != nil {
		return fmt.Errorf("deliver %s: %w", job.Deliver, err)
	}
	if t := job.FailureTarget(); t != job.Deliver {
		if err := s.o.Deliverer.Check(t); err != nil {
			return fmt.Errorf("failure_deliver %s: %w", t, err)
		}
	}
	return nil
}

// concurrency applies the job's policy when another run of it is active.
func (s *Scheduler) concurrency(ctx context.Context, job Job, self string) (Status, string) {
	active, err := s.o.Ledger.ActiveCronRuns(ctx)
	if err != nil {
		return StatusError, err.Error()
	}
	policy := job.Concurrency
	if policy == "" {
		policy = s.o.Concurrency
	}
	for _, r := range active {
		if r.JobID != job.ID || r.ID == self || !s.o.Alive(r.Owner) {
			continue
		}
		switch policy {
		case Forbid:
			return StatusSkipped, fmt.Sprintf("run %s (pid %s) is still running and concurrency is forbid", r.ID, PIDOf(r.Owner))
		case Replace:
			s.mu.Lock()
			if cancel, ok := s.running[r.ID]; ok {
				s.replaced[r.ID] = self
				cancel()
			}
			s.mu.Unlock()
		}
	}
	return "", ""
}

// finish records the final status in the ledger and the job, saves the
// output and delivers: a success to deliver (unless [SILENT]), a new
// failure (or a recovery) to failure_deliver.
func (s *Scheduler) finish(ctx context.Context, job Job, rec RunRecord, st Status, errText string, res Result) (RunRecord, error) {
	ctx = context.WithoutCancel(ctx)
	red := redact.Default()
	now := s.o.Clock.Now()
	rec.Status, rec.Error = st, red.String(errText)
	text := res.Text
	if i := strings.LastIndex(text, FinalMarker); i >= 0 {
		text = strings.TrimSpace(text[i+len(FinalMarker):])
	}
	rec.Text = red.String(text)
	path, werr := s.saveOutput(job, rec, now)
	if werr != nil {
		s.logf("job %s: save output: %v", job.Name, werr)
	}
	rec.OutputPath = path
	if ok, err := s.o.Ledger.FinishCronRun(ctx, rec.RunID, string(st), rec.Error, path, now); err != nil {
		return rec, err
	} else if !ok {
		return rec, fmt.Errorf("run %s was recorded by another process meanwhile", rec.RunID)
	}
	s.logf("job %s run %s: %s %s", job.Name, rec.RunID, st, rec.Error)
	var target string
	var msg Message
	var sig string
	err := s.o.Jobs.UpdateJob(job.ID, func(j *Job) error {
		j.LastRunAt, j.LastStatus, j.LastError = &now, st, rec.Error
		if st != StatusSkipped {
			j.Repeat.Completed++
		}
		switch {
		case st == StatusOK:
			j.FailureStreak, j.Retries = 0, 0
			if !strings.Contains(res.Text, SilentMarker) || j.AlertedSignature != "" {
				target = j.Deliver
			}
			msg.Recovered = j.AlertedSignature != ""
			j.AlertedSignature = ""
		case st.Failed():
			j.FailureStreak++
			if sig = failureSignature(st, rec.Error); sig != j.AlertedSignature {
				target = j.FailureTarget()
			}
		}
		if (j.Schedule.Kind == KindOnce && st != StatusSkipped) || (j.Repeat.Times > 0 && j.Repeat.Completed >= j.Repeat.Times) {
			j.State, j.NextRunAt = StateCompleted, nil
		}
		return nil
	})
	var storeErr error
	if err != nil {
		// jobs.json could not be written (broken by hand, the job removed
		// meanwhile, the disk): the outcome is in the ledger; still tell the
		// user, going by the job as it was when the run started.
		storeErr = fmt.Errorf("record the run in jobs.json: %w", err)
		s.logf("job %s run %s: %v", job.Name, rec.RunID, storeErr)
		target, sig = "", ""
		switch {
		case st == StatusOK && (!strings.Contains(res.Text, SilentMarker) || job.AlertedSignature != ""):
			target = job.Deliver
		case st.Failed():
			target = job.FailureTarget()
		}
		if st.Failed() && rec.Error != "" {
			rec.Error += " (and " + storeErr.Error() + ")"
		}
	}
	if st.Failed() {
		if _, _, err := s.o.Ledger.RecordCronFailure(ctx, job.ID, job.Name, failureSignature(st, rec.Error), rec.Error, now); err != nil {
			s.logf("job %s: %v", job.Name, err)
		}
	} else if st == StatusOK {
		if err := s.o.Ledger.ResolveCronIncidents(ctx, job.ID, now); err != nil {
			s.logf("job %s: %v", job.Name, err)
		}
	}
	if target == "" {
		return rec, storeErr
	}
	msg = Message{JobID: job.ID, Name: job.Name, Status: st, Text: rec.Text, Error: rec.Error, RunID: rec.RunID,
		At: now.UTC(), OutputPath: path, Recovered: msg.Recovered}
	derr := s.o.Deliverer.Deliver(ctx, target, msg)
	if derr != nil && st == StatusOK && job.FailureTarget() != target {
		// The result did not arrive: say so where failures go.
		alert := msg
		alert.Status, alert.Text = StatusDeliveryFailed, ""
		alert.Error = redact.Default().String(fmt.Sprintf("the result of run %s could not be delivered to %s: %v", rec.RunID, target, derr))
		if aerr := s.o.Deliverer.Deliver(ctx, job.FailureTarget(), alert); aerr != nil {
			derr = fmt.Errorf("%w; alerting %s failed too: %v", derr, job.FailureTarget(), aerr)
		}
	}
	return rec, errors.Join(storeErr, s.recordDelivery(ctx, job, &rec, sig, derr))
}

// recordDelivery records a delivery's outcome; "delivered" is recorded
// only after the delivery succeeded.
func (s *Scheduler) recordDelivery(ctx context.Context, job Job, rec *RunRecord, sig string, derr error) error {
	now := s.o.Clock.Now()
	derrText := ""
	if derr != nil {
		derrText = redact.Default().String(derr.Error())
		s.logf("job %s run %s: delivery failed: %s", job.Name, rec.RunID, derrText)
	}
	rec.Delivered, rec.DeliveryError = derr == nil, derrText
	if derr != nil && rec.Status == StatusOK {
		rec.Status = StatusDeliveryFailed // the run worked, its result did not arrive
	}
	lerr := s.o.Ledger.RecordCronDelivery(ctx, rec.RunID, now, derrText)
	if derr != nil {
		if _, _, err := s.o.Ledger.RecordCronFailure(ctx, job.ID, job.Name, failureSignature(StatusDeliveryFailed, derrText), derrText, now); err != nil {
			s.logf("job %s: %v", job.Name, err)
		}
	}
	return errors.Join(lerr, s.o.Jobs.UpdateJob(job.ID, func(j *Job) error {
		j.LastDeliveryError = derrText
		switch {
		case derr == nil && sig != "":
			j.AlertedSignature = sig
		case rec.Status == StatusDeliveryFailed:
			j.LastStatus, j.LastError = StatusDeliveryFailed, derrText
			j.FailureStreak++
		}
		return nil
	}))
}

// saveOutput writes cron/output/<id>/<timestamp>.md (0600) and keeps the
// newest OutputKeep.
func (s *Scheduler) saveOutput(job Job, rec RunRecord, now time.Time) (string, error) {
	dir := filepath.Join(s.o.OutputDir, job.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := now.UTC().Format("20060102T150405.000Z") + "-" + rec.RunID + ".md"
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\njob: %s\nrun: %s\nstatus: %s\nat: %s\n", job.Name, job.ID, rec.RunID, rec.Status, now.UTC().Format(time.RFC3339))
	if rec.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", rec.Error)
	}
	if rec.Text != "" {
		b.WriteString("\n" + rec.Text + "\n")
	}
	path := filepath.Join(dir, name)
	if err := fileutil.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return path, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".md") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for len(names) > s.o.OutputKeep {
		os.Remove(filepath.Join(dir, names[0]))
		names = names[1:]
	}
	return path, nil
}

// RetryDelays are when a recurring job whose provider was unreachable is
// tried again, counted from the failed run (unless its next slot is
// sooner).
var RetryDelays = []time.Duration{5 * time.Minute, 15 * time.Minute, 30 * time.Minute}

// unreachableError marks a run that failed because the network or the
// provider could not be reached at all.
type unreachableError struct{ err error }

func (e unreachableError) Error() string { return e.err.Error() }
func (e unreachableError) Unwrap() error { return e.err }

// Unreachable wraps err as a network-unreachable failure (the runner
// decides), which the scheduler retries.
func Unreachable(err error) error { return unreachableError{err} }

// IsUnreachable reports whether err was wrapped by Unreachable.
func IsUnreachable(err error) bool {
	var u unreachableError
	return errors.As(err, &u)
}

// scheduleRetry brings a recurring job's next run forward to the next
// retry delay, at most len(RetryDelays) times in a row.
func (s *Scheduler) scheduleRetry(id string) error {
	return s.o.Jobs.UpdateJob(id, func(j *Job) error {
		if j.Schedule.Kind == KindOnce || j.Retries >= len(RetryDelays) || !j.Enabled || j.State != StateScheduled {
			return nil
		}
		at := s.o.Clock.Now().Add(RetryDelays[j.Retries])
		j.Retries++
		if j.NextRunAt == nil || at.Before(*j.NextRunAt) {
			j.NextRunAt = &at
		}
		s.logf("job %s: the provider was unreachable; retry %d of %d at %s", j.Name, j.Retries, len(RetryDelays), at.In(s.o.Location).Format(time.RFC3339))
		return nil
	})
}

// stuckMargin is how long after its timeout a run of this process may
// still be delivering before its claim counts as lost.
const stuckMargin = 15 * time.Minute

// RecoverStale finds runs claimed or running by a process that is gone
// (killed, or the machine rebooted), or lost by this process, records them
// as unknown with the reason, and delivers that failure.
func (s *Scheduler) RecoverStale(ctx context.Context) ([]RunRecord, error) {
	active, err := s.o.Ledger.ActiveCronRuns(ctx)
	if err != nil {
		return nil, err
	}
	var recs []RunRecord
	now := s.o.Clock.Now()
	for _, r := range active {
		// A claim of this very process older than any run of it can last
		// (the timeout, then delivery) was lost (its outcome could not be
		// written): left alone it would block the job (forbid) until the
		// process ends.
		stuck := r.Owner == s.o.Owner && now.Sub(r.ClaimedAt) > s.o.Timeout+stuckMargin
		if !stuck && s.o.Alive(r.Owner) {
			continue
		}
		job, err := s.o.Jobs.Get(r.JobID)
		if err != nil {
			// The job was removed: close the run without delivering.
			s.o.Ledger.FinishCronRun(ctx, r.ID, string(StatusUnknown), "the process running it died and the job was removed", "", s.o.Clock.Now())
			continue
		}
		reason := fmt.Sprintf("the process running it (pid %s) died during the run (killed, crashed or the machine restarted); it was %s since %s",
			PIDOf(r.Owner), r.Status, r.ClaimedAt.In(s.o.Location).Format(time.RFC3339))
		if stuck {
			reason = fmt.Sprintf("the run was lost in this process (pid %s): still %s since %s, longer than cron.timeout allows; its outcome was never recorded",
				PIDOf(r.Owner), r.Status, r.ClaimedAt.In(s.o.Location).Format(time.RFC3339))
		}
		rec, err := s.finish(ctx, job, RunRecord{RunID: r.ID, JobID: job.ID, Name: job.Name}, StatusUnknown, reason, Result{})
		if err != nil {
			s.logf("job %s: recover run %s: %v", job.Name, r.ID, err)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}
