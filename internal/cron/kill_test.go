package cron

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/store"
)

// hangInRun is the child of TestKilledRunRecovered: it runs the job
// "victim" with a runner that never returns.
func hangInRun(dir string) {
	jobs, _ := OpenJobs(filepath.Join(dir, "cron"))
	ledger, err := store.Open(filepath.Join(dir, "state.db"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hang := &fakeRunner{run: func(ctx context.Context, _ Job) (Result, error) { select {} }}
	s := New(Options{Jobs: jobs, Ledger: ledger, Runner: hang, Deliverer: &sink{}, Location: time.UTC,
		OutputDir: filepath.Join(dir, "cron", "output")})
	j, err := jobs.Get("victim")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s.Run(context.Background(), j.ID, time.Now(), "manual")
	os.Exit(3)
}

// A run whose process is killed with SIGKILL is found by the next tick
// (real pid liveness), recorded as unknown, and its failure delivered.
func TestKilledRunRecovered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.s = New(Options{Jobs: e.jobs, Ledger: e.ledger, Runner: e.runner, Deliverer: e.sink, Clock: e.clk,
		Location: time.UTC, OutputDir: filepath.Join(e.dir, "cron", "output")}) // real owner and liveness
	j := e.add(t, "victim", "every monday 9am", nil)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HERMES_CRON_TEST_HANG="+e.dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		active, err := e.ledger.ActiveCronRuns(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(active) == 1 && active[0].Status == "running" {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the child never started its run: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// While the child lives, its run is not stale.
	if recs, err := e.s.RecoverStale(context.Background()); err != nil || len(recs) != 0 {
		t.Fatalf("a live run was recovered: %+v %v", recs, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	recs := e.tick(t)
	if len(recs) != 1 || recs[0].Status != StatusUnknown || !strings.Contains(recs[0].Error, fmt.Sprintf("pid %d", cmd.Process.Pid)) {
		t.Fatalf("after the kill: %+v", recs)
	}
	if m := e.sink.got(); len(m) != 1 || m[0].Status != StatusUnknown {
		t.Fatalf("the failure was not delivered: %+v", m)
	}
	if got := e.job(t, j.ID); got.LastStatus != StatusUnknown || got.FailureStreak != 1 {
		t.Fatalf("job %+v", got)
	}
}
