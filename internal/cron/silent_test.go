package cron

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/store"
)

// TestNeverSilent: every way a run can end is recorded in the ledger and
// reaches the user: a runner that panics, a run interrupted by shutdown,
// jobs.json broken or the job removed while it ran, and a result whose
// delivery failed (told to failure_deliver, status delivery_failed).
func TestNeverSilent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		run        func(e *env, ctx context.Context, cancel context.CancelFunc, j Job) (Result, error)
		mod        func(*Job)
		failTo     string
		wantStatus Status // of the run as returned
		ledger     string // the ledger's status
		wantErr    string
		delivered  []string // target: status of each message delivered
	}{
		{name: "panic", run: func(*env, context.Context, context.CancelFunc, Job) (Result, error) { panic("nil map") },
			wantStatus: StatusError, ledger: "error", wantErr: "panic: nil map", delivered: []string{"local: error"}},
		{name: "interrupted", run: func(_ *env, ctx context.Context, cancel context.CancelFunc, _ Job) (Result, error) {
			cancel()
			<-ctx.Done()
			return Result{}, ctx.Err()
		}, wantStatus: StatusError, ledger: "error", wantErr: "interrupted", delivered: []string{"local: error"}},
		{name: "jobs.json broken during the run", run: func(e *env, _ context.Context, _ context.CancelFunc, _ Job) (Result, error) {
			return Result{}, errors.Join(os.WriteFile(e.jobs.Path(), []byte("{"), 0o600), errors.New("HTTP 401"))
		}, wantStatus: StatusError, ledger: "error", wantErr: "HTTP 401", delivered: []string{"local: error"}},
		{name: "job removed during the run", run: func(e *env, _ context.Context, _ context.CancelFunc, j Job) (Result, error) {
			return Result{Text: "the report"}, e.jobs.Update(func([]Job) ([]Job, error) { return nil, nil })
		}, wantStatus: StatusOK, ledger: "ok", delivered: []string{"local: ok"}},
		{name: "result not delivered", failTo: "webhook:http://127.0.0.1:1/x", mod: func(j *Job) {
			j.Deliver, j.FailureDeliver = "webhook:http://127.0.0.1:1/x", "local"
		}, wantStatus: StatusDeliveryFailed, ledger: "ok", delivered: []string{"local: delivery_failed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.run != nil {
				e.runner.run = func(rctx context.Context, j Job) (Result, error) { return tc.run(e, rctx, cancel, j) }
			}
			if tc.failTo != "" {
				e.sink.fail, e.sink.failTo = errors.New("connection refused"), tc.failTo
			}
			j := e.add(t, "j", "30m", tc.mod)
			rec, _ := e.s.Run(ctx, j.ID, e.clk.Now(), "manual")
			if rec.Status != tc.wantStatus || !strings.Contains(rec.Error, tc.wantErr) {
				t.Fatalf("run = %+v, want %s with %q", rec, tc.wantStatus, tc.wantErr)
			}
			run, err := e.ledger.CronRun(context.Background(), rec.RunID)
			if err != nil || run.Status != tc.ledger || run.EndedAt.IsZero() {
				t.Fatalf("ledger: %+v %v", run, err)
			}
			var got []string
			for i, m := range e.sink.got() {
				got = append(got, e.sink.targets[i]+": "+string(m.Status))
			}
			if strings.Join(got, "|") != strings.Join(tc.delivered, "|") {
				t.Fatalf("delivered %q, want %q", got, tc.delivered)
			}
			if tc.wantStatus == StatusDeliveryFailed {
				if m := e.sink.got()[0]; !strings.Contains(m.Error, "could not be delivered to webhook:") || !strings.Contains(m.Error, "connection refused") {
					t.Fatalf("alert %+v", m)
				}
				if got := e.job(t, j.ID); got.LastStatus != StatusDeliveryFailed || got.FailureStreak != 1 {
					t.Fatalf("job %+v", got)
				}
			}
		})
	}
}

// A claim of this process that outlived any possible run (its outcome
// could not be written) is recovered as unknown and delivered, instead of
// blocking the job as "still running" until the process ends.
func TestLostClaimOfThisProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.add(t, "lost", "every monday 9am", nil)
	if err := e.ledger.ClaimCronRun(context.Background(), store.CronRun{ID: "lost1", JobID: j.ID, Slot: t0,
		Trigger: "schedule", Owner: "me", ClaimedAt: t0}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute + stuckMargin) // the timeout is a minute: not yet
	if recs := e.tick(t); len(recs) != 0 {
		t.Fatalf("recovered too early: %+v", recs)
	}
	e.clk.Advance(time.Second)
	recs := e.tick(t)
	if len(recs) != 1 || recs[0].RunID != "lost1" || recs[0].Status != StatusUnknown || !strings.Contains(recs[0].Error, "lost in this process") || !recs[0].Delivered {
		t.Fatalf("%+v", recs)
	}
	// A live claim of another process is never taken, however old.
	if err := e.ledger.ClaimCronRun(context.Background(), store.CronRun{ID: "other1", JobID: j.ID, Slot: t0.Add(time.Hour),
		Trigger: "schedule", Owner: "other", ClaimedAt: t0}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(24 * time.Hour)
	for _, r := range e.tick(t) {
		if r.RunID == "other1" {
			t.Fatalf("another live process's run was taken: %+v", r)
		}
	}
}
