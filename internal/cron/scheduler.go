package cron

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/store"
)

// Runner executes one run of a job: an agent turn, or a script.
type Runner interface {
	// Preflight checks, without spending tokens, that the job can run:
	// the provider has a key, the script exists. An error makes the run
	// blocked_config.
	Preflight(job Job) error
	// Run executes the job; ctx carries the run's timeout.
	Run(ctx context.Context, job Job) (Result, error)
}

// Result is what a run produced.
type Result struct {
	Text      string
	SessionID string
}

// Options configure a Scheduler.
type Options struct {
	Jobs       *Jobs
	Ledger     *store.Store
	Runner     Runner
	Deliverer  Deliverer
	Clock      clock.Clock    // nil: the real clock
	Location   *time.Location // cron.timezone; nil: local
	OutputDir  string         // <home>/cron/output
	OutputKeep int            // outputs kept per job; 0 means 50
	Timeout    time.Duration  // one run; 0 means 600s
	// Concurrency is the default policy (cron.concurrency).
	Concurrency string
	// Log receives one line per run and every problem; nil discards.
	Log io.Writer
	// Owner names this process in claims; empty: ProcessOwner().
	Owner string
	// Alive reports whether a claim's owner still runs; nil: OwnerAlive.
	Alive func(owner string) bool
}

// Scheduler runs due jobs. Several may run on one home at once (the
// ledger's claims keep every slot to one run); the daemon also holds the
// home's scheduler lock so only one runs continuously.
type Scheduler struct {
	o        Options
	mu       sync.Mutex
	running  map[string]context.CancelFunc // run id -> cancel, for replace
	replaced map[string]string             // run id -> the run that replaced it
	wg       sync.WaitGroup
}

// New returns a scheduler.
func New(o Options) *Scheduler {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.OutputKeep <= 0 {
		o.OutputKeep = 50
	}
	if o.Timeout <= 0 {
		o.Timeout = 600 * time.Second
	}
	if o.Concurrency == "" {
		o.Concurrency = Forbid
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Owner == "" {
		o.Owner = ProcessOwner()
	}
	if o.Alive == nil {
		o.Alive = OwnerAlive
	}
	return &Scheduler{o: o, running: map[string]context.CancelFunc{}, replaced: map[string]string{}}
}

func (s *Scheduler) logf(format string, args ...any) {
	fmt.Fprintf(s.o.Log, "hermes cron: "+format+"\n", args...)
}

// Grace is how late a missed run may still start: half the period,
// clamped to 2 minutes .. 2 hours (2 hours for a one-shot).
func Grace(period time.Duration) time.Duration {
	if period <= 0 {
		return 2 * time.Hour
	}
	return min(max(period/2, 2*time.Minute), 2*time.Hour)
}

// Tick recovers stale claims, then starts every due job and waits for the
// runs it started. It returns the ids of the runs it recorded.
func (s *Scheduler) Tick(ctx context.Context) ([]RunRecord, error) {
	recs, err := s.RecoverStale(ctx)
	if err != nil {
		return recs, err
	}
	now := s.o.Clock.Now()
	due, _, err := s.o.Jobs.Due(now)
	if err != nil {
		return recs, err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, j := range due {
		slot := *j.NextRunAt
		late := now.Sub(slot)
		if grace := Grace(j.Schedule.Period(slot, s.o.Location)); late > grace {
			rec, err := s.skipMissed(ctx, j, slot, now, grace)
			if err != nil && !errors.Is(err, store.ErrCronSlotTaken) {
				s.logf("job %s: %v", j.Name, err)
			}
			if rec.RunID != "" {
				mu.Lock()
				recs = append(recs, rec)
				mu.Unlock()
			}
			continue
		}
		trigger := "schedule"
		if late > time.Minute {
			trigger = "catchup"
		}
		wg.Go(func() {
			rec, err := s.Run(ctx, j.ID, slot, trigger)
			if err != nil && !errors.Is(err, store.ErrCronSlotTaken) {
				s.logf("job %s: %v", j.Name, err)
			}
			if rec.RunID != "" {
				mu.Lock()
				recs = append(recs, rec)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return recs, nil
}

// NextDue is the earliest next_run_at after now of the enabled jobs
// (zero: none).
func (s *Scheduler) NextDue() (time.Time, error) {
	_, next, err := s.o.Jobs.Due(s.o.Clock.Now())
	if err != nil {
		return time.Time{}, err
	}
	return next, nil
}

// skipMissed records a slot missed beyond the grace window as skipped
// and moves the job to its next slot after now: missed slots are never
// replayed.
func (s *Scheduler) skipMissed(ctx context.Context, j Job, slot, now time.Time, grace time.Duration) (RunRecord, error) {
	reason := fmt.Sprintf("missed: due at %s, %s ago, beyond the grace window of %s (the scheduler was not running)",
		slot.In(s.o.Location).Format(time.RFC3339), now.Sub(slot).Round(time.Second), grace)
	rec := RunRecord{RunID: NewID(), JobID: j.ID, Name: j.Name, Status: StatusSkipped, Error: reason}
	if err := s.o.Ledger.ClaimCronRun(ctx, store.CronRun{ID: rec.RunID, JobID: j.ID, JobName: j.Name, Slot: slot,
		Trigger: "missed", Owner: s.o.Owner, ClaimedAt: now}); err != nil {
		return RunRecord{}, err
	}
	if _, err := s.o.Ledger.FinishCronRun(ctx, rec.RunID, string(StatusSkipped), reason, "", now); err != nil {
		return rec, err
	}
	s.logf("job %s: %s", j.Name, reason)
	return rec, s.o.Jobs.UpdateJob(j.ID, func(job *Job) error {
		if job.NextRunAt == nil || !job.NextRunAt.Equal(slot) {
			return nil // someone moved it meanwhile
		}
		s.advance(job, now)
		if job.Schedule.Kind == KindOnce {
			job.State = StateCompleted
		}
		job.LastStatus, job.LastError = StatusSkipped, reason
		return nil
	})
}

// advance moves next_run_at past now (a one-shot has none left).
func (s *Scheduler) advance(job *Job, now time.Time) {
	if job.Schedule.Kind == KindOnce {
		job.NextRunAt = nil
		return
	}
	from := now
	if job.NextRunAt != nil && job.NextRunAt.After(now) {
		from = *job.NextRunAt
	}
	if n, ok := job.Schedule.Next(from, s.o.Location); ok {
		job.NextRunAt = &n
	} else {
		job.NextRunAt = nil
	}
}

// Wait waits for runs started by Start to end.
func (s *Scheduler) Wait() { s.wg.Wait() }

// Daemon ticks until ctx ends: at each due time, and at least every
// interval (to recover stale claims and see edited jobs). beat is called
// after every tick (the heartbeat).
func (s *Scheduler) Daemon(ctx context.Context, interval time.Duration, beat func(time.Time)) error {
	for {
		if _, err := s.Tick(ctx); err != nil {
			s.logf("tick: %v", err)
		}
		if beat != nil {
			beat(s.o.Clock.Now())
		}
		wait := interval
		if next, err := s.NextDue(); err == nil && !next.IsZero() {
			if d := next.Sub(s.o.Clock.Now()); d < wait {
				wait = max(d, time.Second)
			}
		}
		if err := s.o.Clock.Sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

// failureSignature keys an incident: the status and the error's first
// line, so a repeat of the same failure is not delivered again.
func failureSignature(st Status, errText string) string {
	line, _, _ := strings.Cut(errText, "\n")
	if len(line) > 200 {
		line = line[:200]
	}
	return string(st) + ": " + line
}
