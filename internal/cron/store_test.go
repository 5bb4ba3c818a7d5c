package cron

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary act as a separate writer process.
func TestMain(m *testing.M) {
	if dir := os.Getenv("HERMES_CRON_TEST_WRITER"); dir != "" {
		n, _ := strconv.Atoi(os.Getenv("HERMES_CRON_TEST_N"))
		if err := addJobs(dir, "proc"+strconv.Itoa(os.Getpid()), n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if dir := os.Getenv("HERMES_CRON_TEST_HANG"); dir != "" {
		hangInRun(dir)
	}
	os.Exit(m.Run())
}

func testJob(name string) Job {
	return Job{ID: NewID(), Name: name, Prompt: "say hi", Enabled: true, State: StateScheduled,
		Schedule: Schedule{Kind: KindInterval, Expr: "1h0m0s", Display: "1h"}, Deliver: "local",
		CreatedAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
}

func addJobs(dir, prefix string, n int) error {
	s, err := OpenJobs(dir)
	if err != nil {
		return err
	}
	for i := range n {
		if err := s.Update(func(jobs []Job) ([]Job, error) {
			return append(jobs, testJob(fmt.Sprintf("%s-%d", prefix, i))), nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func TestJobsConcurrentWriters(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "cron")
	const goroutines, procs, each = 6, 3, 15
	var wg sync.WaitGroup
	errs := make(chan error, goroutines+procs)
	for g := range goroutines {
		wg.Go(func() { errs <- addJobs(dir, "g"+strconv.Itoa(g), each) })
	}
	for range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "HERMES_CRON_TEST_WRITER="+dir, "HERMES_CRON_TEST_N="+strconv.Itoa(each))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("writer process: %v: %s", err, out)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, _ := OpenJobs(dir)
	jobs, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if want := (goroutines + procs) * each; len(jobs) != want {
		t.Fatalf("%d jobs after concurrent writes, want %d: a write was lost", len(jobs), want)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("jobs.json mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Fatalf("cron dir mode %v", di.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".jobs.json.tmp-*"))
	if len(left) > 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestJobsBadFile(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, content, want string }{
		{"syntax", "{\"jobs\": [\n  {\"id\": \n", "jobs.json:2:"},
		{"unknown field", "{\"jobs\": [], \"extra\": 1}", "unknown field"},
		{"wrong type", "{\"jobs\": {}}", "jobs.json:1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := OpenJobs(t.TempDir())
			if err := os.WriteFile(s.Path(), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.List()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "move it aside") {
				t.Fatalf("List = %v, want an error with %q naming the fix", err, tc.want)
			}
			if err := s.Update(func(j []Job) ([]Job, error) { return append(j, testJob("x")), nil }); err == nil {
				t.Fatal("Update over a broken file succeeded: it would have dropped its jobs")
			}
		})
	}
}

func TestJobsRefuseInvalid(t *testing.T) {
	t.Parallel()
	bad := map[string]func(*Job){
		"no name":         func(j *Job) { j.Name = " " },
		"bad id":          func(j *Job) { j.ID = "xyz" },
		"prompt+script":   func(j *Job) { j.Script = "a.sh" },
		"no prompt":       func(j *Job) { j.Prompt = "" },
		"script path":     func(j *Job) { j.Prompt, j.Script = "", "../x.sh" },
		"bad schedule":    func(j *Job) { j.Schedule.Expr = "1s" },
		"bad deliver":     func(j *Job) { j.Deliver = "webhook:ftp://x" },
		"bad failure":     func(j *Job) { j.FailureDeliver = "a b" },
		"bad concurrency": func(j *Job) { j.Concurrency = "sometimes" },
		"relative dir":    func(j *Job) { j.Workdir = "rel" },
	}
	for name, mod := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, _ := OpenJobs(t.TempDir())
			j := testJob("a")
			mod(&j)
			if err := s.Update(func(jobs []Job) ([]Job, error) { return append(jobs, j), nil }); err == nil {
				t.Fatalf("stored an invalid job %+v", j)
			}
			if jobs, _ := s.List(); len(jobs) != 0 {
				t.Fatal("an invalid job reached the file")
			}
		})
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	a, b, c := testJob("report"), testJob("Backup"), testJob("backup")
	jobs := []Job{a, b, c}
	if i, err := Find(jobs, a.ID); err != nil || i != 0 {
		t.Fatalf("by id: %d %v", i, err)
	}
	if i, err := Find(jobs, "REPORT"); err != nil || i != 0 {
		t.Fatalf("by name: %d %v", i, err)
	}
	if _, err := Find(jobs, "backup"); err == nil || !strings.Contains(err.Error(), "use the id") {
		t.Fatalf("ambiguous name: %v", err)
	}
	if _, err := Find(jobs, "nope"); !errors.Is(err, ErrNoJob) {
		t.Fatalf("missing: %v", err)
	}
}

// TestDueSeesEveryChange: the cached snapshot never hides a change made by
// another store (another process) or by hand, even one that keeps the
// file's size, and Due keeps next_run_at order.
func TestDueSeesEveryChange(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "cron")
	a, _ := OpenJobs(dir)
	b, _ := OpenJobs(dir)
	at := func(h int) *time.Time { x := time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC); return &x }
	now := *at(12)
	if err := a.Update(func([]Job) ([]Job, error) {
		x, y, z, off := testJob("x"), testJob("y"), testJob("z"), testJob("off")
		x.NextRunAt, y.NextRunAt, z.NextRunAt, off.NextRunAt = at(11), at(10), at(13), at(9)
		off.Enabled, off.State = false, StatePaused
		return []Job{x, y, z, off}, nil
	}); err != nil {
		t.Fatal(err)
	}
	names := func(s *Jobs) (string, time.Time) {
		t.Helper()
		due, next, err := s.Due(now)
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, j := range due {
			n = append(n, j.Name)
		}
		return strings.Join(n, ","), next
	}
	for _, s := range []*Jobs{a, b} {
		if got, next := names(s); got != "y,x" || !next.Equal(*at(13)) {
			t.Fatalf("due = %q next %v, want y,x and 13:00", got, next)
		}
	}
	// b moves z to 09:00 (same length of text): a sees it.
	if err := b.UpdateJob(mustID(t, b, "z"), func(j *Job) error { j.NextRunAt = at(9); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, next := names(a); got != "z,y,x" || !next.IsZero() {
		t.Fatalf("after another store's change: %q %v", got, next)
	}
	// A hand edit in place, same size: x moves from 11:00 to 08:00.
	data, err := os.ReadFile(a.Path())
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "2026-03-02T11:00:00Z", "2026-03-02T08:00:00Z", 1)
	if edited == string(data) {
		t.Fatalf("x's next_run_at not found in %s", data)
	}
	if err := os.WriteFile(a.Path(), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := names(a); got != "x,z,y" {
		t.Fatalf("after a same-size hand edit: %q", got)
	}
	// Removed by hand: no jobs.
	os.Remove(a.Path())
	if got, next := names(a); got != "" || !next.IsZero() {
		t.Fatalf("after removal: %q %v", got, next)
	}
}

func mustID(t *testing.T, s *Jobs, name string) string {
	t.Helper()
	j, err := s.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}
