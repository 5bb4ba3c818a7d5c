package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/gateway"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/ops/backup"
	"github.com/hermes-go/hermes/internal/testenv"
)

// statusKey is the pooled key of the fixture: status must never print it.
const statusKey = "sk-or-v1-" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// statusHome builds a realistic home: config with fallbacks, a credential
// pool, cron jobs (one failing), a running gateway (this test process
// stands in for it), a backup record and memories.
func statusHome(t testing.TB, jobs int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), `model:
  provider: openrouter
  default: anthropic/claude-sonnet-4
fallback_providers:
  - provider: openai
    model: gpt-4o
  - provider: anthropic
    model: claude-haiku-4
terminal:
  backend: local
approvals:
  mode: smart
`, 0o600)
	writeFile(t, filepath.Join(dir, ".env"), "OPENROUTER_API_KEY="+statusKey+"\n", 0o600)
	auth := fmt.Sprintf(`{"version":1,"pools":{"openrouter":{"strategy":"fill_first","entries":[
 {"id":"a1","source":"manual","key":%q,"fingerprint":"0011","last_status":"ok","priority":0,"added_at":"2026-01-01T00:00:00Z","request_count":3},
 {"id":"a2","source":"manual","key":"sk-or-v1-other","fingerprint":"0022","last_status":"exhausted","priority":1,"added_at":"2026-01-01T00:00:00Z","request_count":0},
 {"id":"a3","source":"env:OPENROUTER_API_KEY","fingerprint":"0033","last_status":"dead","priority":2,"added_at":"2026-01-01T00:00:00Z","request_count":0}]}}}`, statusKey)
	writeFile(t, filepath.Join(dir, "auth.json"), auth, 0o600)
	h := &home.Home{Root: dir, Dir: dir, Profile: home.DefaultProfile}
	if err := h.Ensure(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "memories", "MEMORY.md"), "user prefers Go\n§\nthe server is called atlas\n", 0o600)
	now := time.Now().UTC()
	if err := backup.WriteRecord(h, backup.Record{Time: now.Add(-50 * time.Hour), Path: filepath.Join(dir, "hermes-backup.zip"), Size: 3 << 20, Files: 12, SHA256: "ab"}); err != nil {
		t.Fatal(err)
	}
	// The gateway: this process holds the pid file's place.
	writeFile(t, filepath.Join(dir, home.GatewayPID), strconv.Itoa(os.Getpid())+"\n", 0o600)
	st := gateway.Status{Running: true, PID: os.Getpid(), Health: "127.0.0.1:1", Ready: true, StartedAt: now, UpdatedAt: now,
		Platforms: map[string]gateway.AdapterStatus{"telegram": {Connected: true}, "webhooks": {Connected: false, Error: "listen: address in use"}}}
	data, _ := json.Marshal(st)
	writeFile(t, filepath.Join(dir, gatewayStatusFile), string(data), 0o600)
	js, err := cron.OpenJobs(filepath.Join(dir, "cron"))
	if err != nil {
		t.Fatal(err)
	}
	err = js.Update(func([]cron.Job) ([]cron.Job, error) {
		var out []cron.Job
		for i := 0; i < jobs; i++ {
			ran := now.Add(-3 * time.Hour)
			next := now.Add(time.Hour)
			j := cron.Job{ID: fmt.Sprintf("%012x", i+1), Name: fmt.Sprintf("job-%d", i+1), Prompt: "report", Enabled: true, State: cron.StateScheduled,
				Schedule: cron.Schedule{Kind: "interval", Expr: "4h", Display: "every 4h"}, CreatedAt: now.Add(-72 * time.Hour),
				NextRunAt: &next, LastRunAt: &ran, LastStatus: cron.StatusOK, Deliver: "local"}
			if i == 1 {
				j.LastStatus, j.FailureStreak, j.LastError = cron.StatusError, 3, "model request failed: 401 invalid key"
			}
			if i == 2 {
				j.LastRunAt, j.LastStatus = nil, ""
			}
			out = append(out, j)
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// normalise replaces what changes between runs: the home, pids, times.
func normalise(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "HOME")
	s = strings.ReplaceAll(s, "pid "+strconv.Itoa(os.Getpid()), "pid PID")
	s = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d`).ReplaceAllString(s, "TIME")
	return regexp.MustCompile(`(?m)^hermes     .*$`).ReplaceAllString(s, "hermes     VERSION")
}

func TestStatusGolden(t *testing.T) {
	t.Parallel()
	dir := statusHome(t, 3)
	r := hermes(t, dir, nil, "status")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	if strings.Contains(r.stdout, statusKey) || strings.Contains(r.stdout, "sk-or-v1") {
		t.Fatalf("a key in the output:\n%s", r.stdout)
	}
	testenv.Golden(t, "testdata/status.golden", normalise(r.stdout, dir))
}

func TestStatusJSON(t *testing.T) {
	t.Parallel()
	dir := statusHome(t, 3)
	r := hermes(t, dir, nil, "status", "--json")
	if r.code != 0 || strings.Contains(r.stdout, statusKey) {
		t.Fatalf("%+v", r)
	}
	var got struct {
		Model struct {
			Provider, Model string
		}
		Fallbacks   []struct{ Provider, Model string }
		Credentials []struct {
			Provider            string
			Keys, OK, Exhausted int
			Dead                int
		}
		Sandbox   struct{ Configured, Resolved string }
		Approvals string
		Redaction bool
		Gateway   struct {
			Running   bool
			PID       int
			Platforms map[string]struct{ Connected bool }
		}
		Cron struct {
			SchedulerIn string `json:"scheduler_in"`
			Jobs        []struct {
				Name          string
				LastStatus    string `json:"last_status"`
				FailureStreak int    `json:"failure_streak"`
			}
		}
		LastBackup *struct{ Size int64 } `json:"last_backup"`
		Memory     []struct {
			File        string
			Used, Limit int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	c := got.Credentials
	if got.Model.Model != "anthropic/claude-sonnet-4" || len(got.Fallbacks) != 2 || len(c) != 1 || c[0].Keys != 3 || c[0].OK != 1 || c[0].Exhausted != 1 || c[0].Dead != 1 ||
		got.Sandbox.Resolved != "local" || got.Approvals != "smart" || !got.Redaction ||
		!got.Gateway.Running || got.Gateway.PID != os.Getpid() || !got.Gateway.Platforms["telegram"].Connected || got.Gateway.Platforms["webhooks"].Connected ||
		got.Cron.SchedulerIn != "gateway" || len(got.Cron.Jobs) != 3 || got.Cron.Jobs[1].FailureStreak != 3 || got.Cron.Jobs[1].LastStatus != "error" ||
		got.LastBackup == nil || got.LastBackup.Size != 3<<20 || len(got.Memory) != 2 || got.Memory[0].Used == 0 {
		t.Errorf("status --json:\n%s", r.stdout)
	}
}

// TestStatusBrokenConfig: a config.yaml that does not parse is shown with
// its file:line:col, the rest is still shown, and the exit code is 1.
func TestStatusBrokenConfig(t *testing.T) {
	t.Parallel()
	dir := statusHome(t, 2)
	writeFile(t, filepath.Join(dir, "config.yaml"), "model:\n  provider: \"openai\n", 0o600)
	r := hermes(t, dir, nil, "status")
	if r.code != 1 || !strings.Contains(r.stdout, "config.yaml:2:13: YAML syntax") {
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{"model      unknown (config.yaml does not load)", "gateway    running (pid", "job-2", "backup     TIME (2d ago)", "memory     MEMORY.md"} {
		if !strings.Contains(normalise(r.stdout, dir), want) {
			t.Errorf("missing %q:\n%s", want, r.stdout)
		}
	}
	r = hermes(t, dir, nil, "status", "--json")
	if r.code != 1 || !strings.Contains(r.stdout, `"config_error": "config.yaml:2:13`) {
		t.Errorf("--json: %+v", r)
	}
	// A broken .env is a config error too.
	writeFile(t, filepath.Join(dir, "config.yaml"), "model:\n  provider: openai\n", 0o600)
	writeFile(t, filepath.Join(dir, ".env"), "not a line\n", 0o600)
	if r := hermes(t, dir, nil, "status"); r.code != 1 || !strings.Contains(r.stdout, ".env") || !strings.Contains(r.stdout, "gateway") {
		t.Errorf(".env: %+v", r)
	}
}

func TestStatusEmptyHome(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	r := hermes(t, dir, nil, "status")
	if r.code != 0 || !strings.Contains(r.stdout, "backup     never") || !strings.Contains(r.stdout, "gateway    not running") ||
		!strings.Contains(r.stdout, "fallbacks  none") || !strings.Contains(r.stdout, "0 jobs") {
		t.Errorf("%+v", r)
	}
	if r := hermes(t, dir, nil, "status", "extra"); r.code != 2 {
		t.Errorf("extra argument: %+v", r)
	}
}

// BenchmarkStatus runs the built binary on a realistic home (50 cron
// jobs, a pool, a gateway, a backup record), as a user does.
func BenchmarkStatus(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "hermes")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/hermes")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v: %s", err, out)
	}
	dir := statusHome(b, 50)
	// auto, as most homes have it: the bwrap probe is part of the cost.
	writeFile(b, filepath.Join(dir, "config.yaml"), "terminal:\n  backend: auto\nfallback_providers:\n  - provider: openai\n    model: gpt-4o\n", 0o600)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "status")
		cmd.Env = append(os.Environ(), "HERMES_HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// TestMainWithQuietStderr runs the real Main (which sets the process's
// slog default) in a child process, as the background gateway runs:
// HERMES_LOG_STDERR=off.
func TestMainWithQuietStderr(t *testing.T) {
	if args := os.Getenv("HERMES_TEST_MAIN_ARGS"); args != "" {
		os.Exit(Main(strings.Fields(args), strings.NewReader(""), os.Stdout, os.Stderr))
	}
	t.Parallel()
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainWithQuietStderr$")
	cmd.Env = append(os.Environ(), "HERMES_TEST_MAIN_ARGS=status", "HERMES_LOG_STDERR=off", "HERMES_HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "gateway    not running") {
		t.Fatalf("%v: %s", err, out)
	}
}
