package cron

import (
	"context"
	"errors"

	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/store"
)

// fakeRunner answers runs from a function and counts them.
type fakeRunner struct {
	calls     atomic.Int32
	preflight func(Job) error
	run       func(ctx context.Context, j Job) (Result, error)
}

func (f *fakeRunner) Preflight(j Job) error {
	if f.preflight != nil {
		return f.preflight(j)
	}
	return nil
}

func (f *fakeRunner) Run(ctx context.Context, j Job) (Result, error) {
	f.calls.Add(1)
	if f.run != nil {
		return f.run(ctx, j)
	}
	return Result{Text: "report for " + j.Name}, nil
}

// sink records deliveries; fail makes them fail.
type sink struct {
	mu      sync.Mutex
	msgs    []Message
	targets []string // of msgs
	fail    error
	failTo  string // with fail: only deliveries to this target fail
	bad     error  // Check's answer
}

func (d *sink) Check(string) error { return d.bad }

func (d *sink) Deliver(_ context.Context, target string, m Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil && (d.failTo == "" || d.failTo == target) {
		return d.fail
	}
	d.msgs = append(d.msgs, m)
	d.targets = append(d.targets, target)
	return nil
}

func (d *sink) got() []Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Message(nil), d.msgs...)
}

type env struct {
	dir    string
	jobs   *Jobs
	ledger *store.Store
	clk    *clock.Fake
	runner *fakeRunner
	sink   *sink
	s      *Scheduler
}

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // a Monday

func newEnv(t *testing.T) *env { return newEnvB(t) }

func newEnvB(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	jobs, err := OpenJobs(filepath.Join(dir, "cron"))
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := store.Open(filepath.Join(dir, "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ledger.Close() })
	e := &env{dir: dir, jobs: jobs, ledger: ledger, clk: clock.NewFake(t0), runner: &fakeRunner{}, sink: &sink{}}
	e.s = e.scheduler("me")
	return e
}

func (e *env) scheduler(owner string) *Scheduler {

	return New(Options{Jobs: e.jobs, Ledger: e.ledger, Runner: e.runner, Deliverer: e.sink, Clock: e.clk,
		Location: time.UTC, OutputDir: filepath.Join(e.dir, "cron", "output"), OutputKeep: 3, Timeout: time.Minute,
		Owner: owner, Alive: func(o string) bool { return o == "me" || o == "other" }})
}

// add stores a job with the schedule sched, due at its first slot after t0.
func (e *env) add(t *testing.T, name, sched string, mod func(*Job)) Job {
	t.Helper()
	s, err := Parse(sched, time.UTC, t0)
	if err != nil {
		t.Fatal(err)
	}
	j := testJob(name)
	j.Schedule = s
	next, _ := s.Next(t0, time.UTC)
	j.NextRunAt = &next
	if mod != nil {
		mod(&j)
	}
	if err := e.jobs.Update(func(jobs []Job) ([]Job, error) { return append(jobs, j), nil }); err != nil {
		t.Fatal(err)
	}
	return j
}

func (e *env) job(t *testing.T, id string) Job {
	t.Helper()
	j, err := e.jobs.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func (e *env) tick(t *testing.T) []RunRecord {
	t.Helper()
	recs, err := e.s.Tick(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestRunOK(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.add(t, "report", "every monday 9am", nil)
	if recs := e.tick(t); len(recs) != 0 {
		t.Fatalf("ran before it was due: %+v", recs)
	}
	e.clk.Set(time.Date(2026, 3, 2, 9, 0, 5, 0, time.UTC))
	recs := e.tick(t)
	if len(recs) != 1 || recs[0].Status != StatusOK || !recs[0].Delivered {
		t.Fatalf("records = %+v", recs)
	}
	got := e.job(t, j.ID)
	if got.LastStatus != StatusOK || got.FailureStreak != 0 || got.NextRunAt == nil ||
		!got.NextRunAt.Equal(time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)) || got.Repeat.Completed != 1 {
		t.Fatalf("job after run = %+v", got)
	}
	fi, err := os.Stat(recs[0].OutputPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("output %s: %v %v", recs[0].OutputPath, fi, err)
	}
	data, _ := os.ReadFile(recs[0].OutputPath)
	if !strings.Contains(string(data), "report for report") {
		t.Fatalf("output = %s", data)
	}
	run, err := e.ledger.CronRun(context.Background(), recs[0].RunID)
	if err != nil || run.Status != "ok" || run.DeliveredAt.IsZero() {
		t.Fatalf("ledger = %+v %v", run, err)
	}
	if m := e.sink.got(); len(m) != 1 || m[0].Text != "report for report" || m[0].Status != StatusOK {
		t.Fatalf("delivered %+v", m)
	}
	if recs := e.tick(t); len(recs) != 0 {
		t.Fatalf("ran twice in one slot: %+v", recs)
	}
}

// The seed's scenario: a provider error is error (never ok), delivered
// once; the same error again is not sent; the recovery is.
func TestFailureAlertsOnceAndRecovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var fail atomic.Value
	fail.Store("")
	e.runner.run = func(context.Context, Job) (Result, error) {
		if msg := fail.Load().(string); msg != "" {
			return Result{}, errors.New(msg)
		}
		return Result{Text: "fine"}, nil
	}
	j := e.add(t, "weekly", "every monday 9am", func(j *Job) { j.FailureDeliver = "webhook:http://127.0.0.1:1/x" })
	week := 7 * 24 * time.Hour
	steps := []struct {
		err       string
		status    Status
		streak    int
		delivered bool
	}{
		{"", StatusOK, 0, true},
		{"openrouter/x: HTTP 401: invalid API key", StatusError, 1, true},
		{"openrouter/x: HTTP 401: invalid API key", StatusError, 2, false},
		{"openrouter/x: HTTP 429: rate limited", StatusError, 3, true},
		{"", StatusOK, 0, true},
		{"", StatusOK, 0, true},
	}
	e.clk.Set(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	for i, st := range steps {
		fail.Store(st.err)
		before := len(e.sink.got())
		recs := e.tick(t)
		if len(recs) != 1 || recs[0].Status != st.status {
			t.Fatalf("step %d: records %+v", i, recs)
		}
		got := e.job(t, j.ID)
		if got.LastStatus != st.status || got.FailureStreak != st.streak || got.LastError != st.err {
			t.Fatalf("step %d: job %+v", i, got)
		}
		msgs := e.sink.got()
		if (len(msgs) > before) != st.delivered {
			t.Fatalf("step %d: delivered %v, want %v", i, msgs[before:], st.delivered)
		}
		if st.delivered && st.err != "" && msgs[len(msgs)-1].Error != st.err {
			t.Fatalf("step %d: delivered %+v", i, msgs[len(msgs)-1])
		}
		if i == 4 && !msgs[len(msgs)-1].Recovered {
			t.Fatalf("the recovery was not marked: %+v", msgs[len(msgs)-1])
		}
		open, err := e.ledger.CronIncidents(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		wantOpen := map[int]int{0: 0, 1: 1, 2: 1, 3: 1, 4: 0, 5: 0}[i]
		if len(open) != wantOpen || (i == 2 && open[0].Count != 2) || (i == 3 && !strings.Contains(open[0].Signature, "429")) {
			t.Fatalf("step %d: open incidents %+v", i, open)
		}
		e.clk.Advance(week)
	}
}

func TestBlockedConfigSpendsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runner.preflight = func(Job) error { return errors.New("no key: set OPENROUTER_API_KEY in .env") }
	j := e.add(t, "r", "30m", nil)
	for i := range 3 {
		e.clk.Advance(30 * time.Minute)
		recs := e.tick(t)
		if len(recs) != 1 || recs[0].Status != StatusBlockedConfig {
			t.Fatalf("tick %d: %+v", i, recs)
		}
	}
	if n := e.runner.calls.Load(); n != 0 {
		t.Fatalf("the runner was called %d times while blocked", n)
	}
	if m := e.sink.got(); len(m) != 1 || !strings.Contains(m[0].Error, "OPENROUTER_API_KEY") {
		t.Fatalf("alerts = %+v, want exactly one", m)
	}
	if got := e.job(t, j.ID); got.FailureStreak != 3 {
		t.Fatalf("streak %d", got.FailureStreak)
	}
	// An undeliverable target is blocked too.
	e2 := newEnv(t)
	e2.sink.bad = errors.New("target telegram needs the gateway")
	e2.add(t, "r", "30m", nil)
	e2.clk.Advance(30 * time.Minute)
	if recs := e2.tick(t); len(recs) != 1 || recs[0].Status != StatusBlockedConfig || e2.runner.calls.Load() != 0 {
		t.Fatalf("undeliverable: %+v", recs)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.s.o.Timeout = time.Millisecond
	e.runner.run = func(ctx context.Context, _ Job) (Result, error) {
		<-ctx.Done()
		return Result{}, ctx.Err()
	}
	e.add(t, "slow", "30m", nil)
	e.clk.Advance(30 * time.Minute)
	recs := e.tick(t)
	if len(recs) != 1 || recs[0].Status != StatusTimeout || !strings.Contains(recs[0].Error, "cron.timeout") {
		t.Fatalf("%+v", recs)
	}
}

func TestMissedRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sched  string
		late   time.Duration
		status Status
		runs   int32
	}{
		{"hourly within grace", "every 1h", 20 * time.Minute, StatusOK, 1},
		{"hourly beyond grace", "every 1h", 31 * time.Minute, StatusSkipped, 0},
		{"weekly within 2h clamp", "every monday 9am", 119 * time.Minute, StatusOK, 1},
		{"weekly beyond 2h clamp", "every monday 9am", 3 * time.Hour, StatusSkipped, 0},
		{"5m within 2m clamp", "every 5m", 90 * time.Second, StatusOK, 1},
		{"5m beyond 2m clamp", "every 5m", 3 * time.Minute, StatusSkipped, 0},
		{"many slots missed: one run", "every 10m", 10*time.Hour + time.Minute, StatusSkipped, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			j := e.add(t, "j", tc.sched, nil)
			e.clk.Set(j.NextRunAt.Add(tc.late))
			recs := e.tick(t)
			if len(recs) != 1 || recs[0].Status != tc.status || e.runner.calls.Load() != tc.runs {
				t.Fatalf("records %+v, runs %d", recs, e.runner.calls.Load())
			}
			got := e.job(t, j.ID)
			if !got.NextRunAt.After(e.clk.Now()) {
				t.Fatalf("next run %v is not after now %v", got.NextRunAt, e.clk.Now())
			}
			if recs := e.tick(t); len(recs) != 0 {
				t.Fatalf("missed slots replayed: %+v", recs)
			}
		})
	}
}

func TestPausedNeverCatchesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.add(t, "p", "every 1h", func(j *Job) { j.Enabled, j.State = false, StatePaused })
	e.clk.Advance(90 * time.Minute)
	if recs := e.tick(t); len(recs) != 0 || e.runner.calls.Load() != 0 {
		t.Fatalf("a paused job ran: %+v", recs)
	}
}

func TestOneShotTwoSchedulersRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	block := make(chan struct{})
	e.runner.run = func(context.Context, Job) (Result, error) {
		<-block
		return Result{Text: "done"}, nil
	}
	j := e.add(t, "once", "in 30m", nil)
	e.clk.Advance(30 * time.Minute)
	other := e.scheduler("other")
	var wg sync.WaitGroup
	results := make([][]RunRecord, 2)
	for i, s := range []*Scheduler{e.s, other} {
		wg.Go(func() {
			recs, err := s.Tick(context.Background())
			if err != nil {
				t.Error(err)
			}
			results[i] = recs
		})
	}
	// Let the winner finish once a run has started.
	deadline := time.Now().Add(10 * time.Second)
	for e.runner.calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(block)
	wg.Wait()
	if n := e.runner.calls.Load(); n != 1 {
		t.Fatalf("the one-shot ran %d times", n)
	}
	if got := e.job(t, j.ID); got.State != StateCompleted || got.NextRunAt != nil {
		t.Fatalf("job after its one run: %+v", got)
	}
	if recs := e.tick(t); len(recs) != 0 {
		t.Fatalf("ran again: %+v", recs)
	}
}

func TestConcurrencyPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy string
		want   Status
		runs   int32
	}{{Forbid, StatusSkipped, 0}, {Allow, StatusOK, 1}, {Replace, StatusOK, 1}} {
		t.Run(tc.policy, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			j := e.add(t, "c", "30m", func(j *Job) { j.Concurrency = tc.policy })
			// A run of this job held by another live process.
			if err := e.ledger.ClaimCronRun(context.Background(), store.CronRun{ID: "busy", JobID: j.ID, Slot: t0,
				Trigger: "schedule", Owner: "other", ClaimedAt: t0}); err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(30 * time.Minute)
			recs := e.tick(t)
			if len(recs) != 1 || recs[0].Status != tc.want || e.runner.calls.Load() != tc.runs {
				t.Fatalf("%+v runs %d", recs, e.runner.calls.Load())
			}
		})
	}
}

func TestStaleClaimRecovered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.add(t, "died", "every monday 9am", nil)
	if err := e.ledger.ClaimCronRun(context.Background(), store.CronRun{ID: "dead1", JobID: j.ID, Slot: t0,
		Trigger: "schedule", Owner: "4242:gone:1", ClaimedAt: t0}); err != nil {
		t.Fatal(err)
	}
	recs := e.tick(t)
	if len(recs) != 1 || recs[0].Status != StatusUnknown || !strings.Contains(recs[0].Error, "pid 4242") || !recs[0].Delivered {
		t.Fatalf("%+v", recs)
	}
	if got := e.job(t, j.ID); got.LastStatus != StatusUnknown || got.FailureStreak != 1 {
		t.Fatalf("job %+v", got)
	}
	if m := e.sink.got(); len(m) != 1 || m[0].RunID != "dead1" {
		t.Fatalf("delivered %+v", m)
	}
	if recs := e.tick(t); len(recs) != 0 {
		t.Fatalf("recovered twice: %+v", recs)
	}
}

func TestMarkersAndDeliveryFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, out, want string
		delivered       bool
	}{
		{"final marker", "thinking...\nFINAL_CRON_OUTPUT: the answer", "the answer", true},
		{"silent", "nothing new [SILENT]", "", false},
		{"redacted", "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.runner.run = func(context.Context, Job) (Result, error) { return Result{Text: tc.out}, nil }
			e.add(t, "m", "30m", nil)
			e.clk.Advance(30 * time.Minute)
			e.tick(t)
			m := e.sink.got()
			if (len(m) == 1) != tc.delivered {
				t.Fatalf("delivered %+v", m)
			}
			if tc.want != "" && m[0].Text != tc.want {
				t.Fatalf("text %q, want %q", m[0].Text, tc.want)
			}
			if tc.name == "redacted" && strings.Contains(m[0].Text, "abcdefghijklmnop") {
				t.Fatalf("secret delivered: %q", m[0].Text)
			}
		})
	}
	e := newEnv(t)
	e.sink.fail = errors.New("HTTP 500")
	j := e.add(t, "d", "30m", nil)
	e.clk.Advance(30 * time.Minute)
	recs := e.tick(t)
	if len(recs) != 1 || recs[0].Delivered || !strings.Contains(recs[0].DeliveryError, "HTTP 500") {
		t.Fatalf("%+v", recs)
	}
	got := e.job(t, j.ID)
	if got.LastStatus != StatusDeliveryFailed || !strings.Contains(got.LastDeliveryError, "HTTP 500") {
		t.Fatalf("job %+v", got)
	}
	run, _ := e.ledger.CronRun(context.Background(), recs[0].RunID)
	if !run.DeliveredAt.IsZero() || run.DeliveryError == "" {
		t.Fatalf("ledger says delivered: %+v", run)
	}
}

func TestOutputKeep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.add(t, "k", "30m", nil)
	for range 5 {
		e.clk.Advance(30 * time.Minute)
		e.tick(t)
	}
	entries, _ := os.ReadDir(filepath.Join(e.dir, "cron", "output", j.ID))
	if len(entries) != 3 {
		t.Fatalf("%d outputs kept, want 3", len(entries))
	}
}

func TestGrace(t *testing.T) {
	t.Parallel()
	for p, want := range map[time.Duration]time.Duration{
		time.Minute: 2 * time.Minute, time.Hour: 30 * time.Minute, 7 * 24 * time.Hour: 2 * time.Hour, 0: 2 * time.Hour,
	} {
		if got := Grace(p); got != want {
			t.Errorf("Grace(%s) = %s, want %s", p, got, want)
		}
	}

}

// The daemon ticks at each due time (fake clock), beats after every tick,
// and returns when its context ends.
func TestDaemon(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.add(t, "d", "every 5m", nil)
	ctx, cancel := context.WithCancel(context.Background())
	beats := make(chan time.Time, 100)
	done := make(chan error, 1)
	go func() { done <- e.s.Daemon(ctx, 10*time.Minute, func(at time.Time) { beats <- at }) }()
	<-beats // the first tick, at t0: nothing due
	for i := 1; i <= 3; i++ {
		// Wait until the daemon sleeps, then move to the next slot.
		deadline := time.Now().Add(10 * time.Second)
		for len(e.clk.Slept()) < i {
			if time.Now().After(deadline) {
				t.Fatal("the daemon never slept")
			}
			time.Sleep(time.Millisecond)
		}
		if d := e.clk.Slept()[i-1]; d > 5*time.Minute || d < time.Second {
			t.Fatalf("slept %s, want up to the next due time", d)
		}
		e.clk.Advance(e.clk.Slept()[i-1])
		<-beats
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := e.runner.calls.Load(); n != 3 {
		t.Fatalf("the daemon ran the due job %d times", n)
	}
}

// A recurring job whose provider is unreachable is retried at 5, 15 and
// 30 minutes, then waits for its next slot; a one-shot is not retried.
func TestUnreachableRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runner.run = func(context.Context, Job) (Result, error) {
		return Result{}, Unreachable(errors.New("dial tcp 127.0.0.1:1: connection refused"))
	}
	j := e.add(t, "net", "every day at 9am", nil)
	e.clk.Set(*j.NextRunAt)
	for i, d := range RetryDelays {
		ranAt := e.clk.Now()
		if recs := e.tick(t); len(recs) != 1 || recs[0].Status != StatusError {
			t.Fatalf("run %d: %+v", i, recs)
		}
		got := e.job(t, j.ID)
		if want := ranAt.Add(d); got.NextRunAt == nil || !got.NextRunAt.Equal(want) || got.Retries != i+1 {
			t.Fatalf("after run %d: next %v retries %d, want %v", i, got.NextRunAt, got.Retries, want)
		}
		e.clk.Set(*got.NextRunAt)
	}
	if recs := e.tick(t); len(recs) != 1 {
		t.Fatalf("last retry: %+v", recs)
	}
	got := e.job(t, j.ID)
	if want := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC); !got.NextRunAt.Equal(want) || got.FailureStreak != 4 {
		t.Fatalf("after the retries: next %v streak %d, want the next slot %v", got.NextRunAt, got.FailureStreak, want)
	}
	if m := e.sink.got(); len(m) != 1 {
		t.Fatalf("the same unreachable error was delivered %d times", len(m))
	}
	once := e.add(t, "once", "in 30m", nil)
	e.clk.Set(*once.NextRunAt)
	e.tick(t)
	if got := e.job(t, once.ID); got.NextRunAt != nil || got.State != StateCompleted {
		t.Fatalf("a one-shot was retried: %+v", got)
	}
}

func TestIncidentAck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runner.run = func(context.Context, Job) (Result, error) { return Result{}, errors.New("boom") }
	e.add(t, "a", "30m", nil)
	e.clk.Advance(30 * time.Minute)
	e.tick(t)
	ctx := context.Background()
	open, _ := e.ledger.CronIncidents(ctx, false)
	if len(open) != 1 {
		t.Fatalf("%+v", open)
	}
	if _, err := e.ledger.AckCronIncident(ctx, "zz", t0); err == nil {
		t.Fatal("acked a missing incident")
	}
	inc, err := e.ledger.AckCronIncident(ctx, open[0].ID[:4], t0)
	if err != nil || inc.AckedAt.IsZero() {
		t.Fatalf("ack: %+v %v", inc, err)
	}
	all, _ := e.ledger.CronIncidents(ctx, true)
	if len(all) != 1 || all[0].AckedAt.IsZero() || !all[0].ResolvedAt.IsZero() {
		t.Fatalf("after ack: %+v", all)
	}
}

// On the fake clock in a configured zone, a daily 9am job runs at 9:00
// Berlin time on both sides of the spring DST change (08:00 then 07:00
// UTC), once per day.
func TestSchedulerAcrossDST(t *testing.T) {
	t.Parallel()
	berlin := mustLoc(t, "Europe/Berlin")
	e := newEnv(t)
	e.s.o.Location = berlin
	start := time.Date(2026, 3, 27, 12, 0, 0, 0, berlin)
	e.clk.Set(start)
	s, err := Parse("every day at 9am", berlin, start)
	if err != nil {
		t.Fatal(err)
	}
	j := testJob("daily")
	j.Schedule = s
	next, _ := s.Next(start, berlin)
	j.NextRunAt = &next
	if err := e.jobs.Update(func(jobs []Job) ([]Job, error) { return append(jobs, j), nil }); err != nil {
		t.Fatal(err)
	}
	var ranUTC []string
	for range 4 * 24 * 4 { // four days in 15-minute steps
		e.clk.Advance(15 * time.Minute)
		for _, r := range e.tick(t) {
			if r.Status != StatusOK {
				t.Fatalf("%+v", r)
			}
			ranUTC = append(ranUTC, e.clk.Now().UTC().Format("01-02T15:04"))
		}
	}
	want := []string{"03-28T08:00", "03-29T07:00", "03-30T07:00", "03-31T07:00"}
	if !slices.Equal(ranUTC, want) {
		t.Fatalf("runs at %v UTC, want %v", ranUTC, want)
	}
}

// replace stops the run of the same job running in this process.
func TestReplaceCancelsRunningRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	started := make(chan struct{})
	e.runner.run = func(ctx context.Context, _ Job) (Result, error) {
		if e.runner.calls.Load() == 1 {
			close(started)
			<-ctx.Done()
			return Result{}, ctx.Err()
		}
		return Result{Text: "new"}, nil
	}
	j := e.add(t, "r", "30m", func(j *Job) { j.Concurrency = Replace })
	first := make(chan RunRecord, 1)
	go func() {
		rec, err := e.s.Run(context.Background(), j.ID, t0, "manual")
		if err != nil {
			t.Error(err)
		}
		first <- rec
	}()
	<-started
	rec, err := e.s.Run(context.Background(), j.ID, t0.Add(time.Second), "manual")
	if err != nil || rec.Status != StatusOK {
		t.Fatalf("the replacing run: %+v %v", rec, err)
	}
	if old := <-first; old.Status != StatusSkipped || !strings.Contains(old.Error, "replaced by run "+rec.RunID) {
		t.Fatalf("the replaced run: %+v", old)
	}
}
