package cronjob

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/tools"
)

func call(t *testing.T, env *tools.Env, a map[string]string) tools.Result {
	t.Helper()
	raw, _ := json.Marshal(a)
	res, err := Tool{}.Run(context.Background(), env, raw)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCronjobTool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("model:\n  provider: openai\n  default: gpt-x\ncron:\n  timezone: Europe/Berlin\n"), 0o600)
	env := &tools.Env{Home: dir, SessionID: "s1"}
	steps := []struct {
		args    map[string]string
		isError bool
		want    string
	}{
		{map[string]string{"action": "list"}, false, "no jobs"},
		{map[string]string{"action": "create", "schedule": "weekdays at 9am", "prompt": "check the build", "name": "build"}, false, "created job"},
		{map[string]string{"action": "create", "schedule": "sometimes", "prompt": "x"}, true, "accepted schedules"},
		{map[string]string{"action": "create", "schedule": "1h", "prompt": "x", "deliver": "webhook:https://evil.example/x"}, true, "local or origin"},
		{map[string]string{"action": "create", "schedule": "1h", "prompt": "x", "name": "BUILD"}, true, "exists"},
		{map[string]string{"action": "create", "schedule": "1h"}, true, "needs schedule and prompt"},
		{map[string]string{"action": "list"}, false, "build [weekdays at 9am]"},
		{map[string]string{"action": "update", "job": "build"}, true, "needs a new schedule or prompt"},
		{map[string]string{"action": "update", "job": "build", "schedule": "whenever"}, true, "accepted schedules"},
		{map[string]string{"action": "update", "job": "build", "schedule": "every 2h", "prompt": "check the build twice"}, false, "updated build"},
		{map[string]string{"action": "list"}, false, "build [every 2h] \"check the build twice\""},
		{map[string]string{"action": "pause", "job": "build"}, false, "paused build"},
		{map[string]string{"action": "resume", "job": "build"}, false, "resumed build"},
		{map[string]string{"action": "resume", "job": "build"}, true, "not paused"},
		{map[string]string{"action": "remove", "job": "nope"}, true, "no such job"},
		{map[string]string{"action": "remove", "job": "build"}, false, "removed build"},
		{map[string]string{"action": "explode"}, true, "unknown action"},
	}
	for i, s := range steps {
		res := call(t, env, s.args)
		if res.IsError != s.isError || !strings.Contains(res.Content, s.want) {
			t.Fatalf("step %d %v: %+v, want error=%v with %q", i, s.args, res, s.isError, s.want)
		}
		if i == 1 {
			jobs, _ := cron.OpenJobs(filepath.Join(dir, "cron"))
			j, err := jobs.Get("build")
			if err != nil || j.Model != "gpt-x" || j.Provider != "openai" || j.Deliver != "local" || j.Origin != "agent:s1" || j.Script != "" {
				t.Fatalf("stored job %+v %v", j, err)
			}
		}
	}
	if _, err := (Tool{}).Run(context.Background(), env, json.RawMessage(`{"action":"create","script":"x.sh"}`)); err != nil {
		t.Fatal(err)
	}
	if res := call(t, env, map[string]string{"action": "list"}); !strings.Contains(res.Content, "no jobs") {
		t.Fatalf("a script job was created: %s", res.Content)
	}
}

// toolRunner is a job's run in which the agent calls the cronjob tool:
// job name -> the tool call its run makes (none: it just answers).
type toolRunner struct {
	env   *tools.Env
	calls map[string]map[string]string
	mu    sync.Mutex
	got   map[string][]string // job name -> what its tool call answered
}

func (r *toolRunner) Preflight(cron.Job) error { return nil }

func (r *toolRunner) Run(ctx context.Context, j cron.Job) (cron.Result, error) {
	a, ok := r.calls[j.Name]
	if !ok {
		return cron.Result{Text: "report of " + j.Name}, nil
	}
	raw, _ := json.Marshal(a)
	res, err := Tool{}.Run(ctx, r.env, raw)
	if err != nil {
		return cron.Result{}, err
	}
	r.mu.Lock()
	r.got[j.Name] = append(r.got[j.Name], res.Content)
	r.mu.Unlock()
	return cron.Result{Text: j.Name + " done"}, nil
}

// TestRunAction: run executes the job now through the scheduler (ledger,
// output, delivery) and answers its status and output path; inside a run
// it needs cron.allow_agent_scheduling, a job never runs itself (even with
// concurrency allow), and nesting stops at cron.MaxRunDepth.
func TestRunAction(t *testing.T) {
	t.Parallel()
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprint("allow=", allow), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(fmt.Sprintf("cron:\n  allow_agent_scheduling: %v\n", allow)), 0o600)
			env := &tools.Env{Home: dir, SessionID: "s1", Values: &tools.Values{}}
			if res := call(t, env, map[string]string{"action": "run", "job": "x"}); !res.IsError || !strings.Contains(res.Content, "hermes cron run x") {
				t.Fatalf("run without a RunFunc: %+v", res)
			}
			jobs, _ := cron.OpenJobs(filepath.Join(dir, "cron"))
			ledger, err := store.Open(filepath.Join(dir, "state.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ledger.Close()
			r := &toolRunner{env: env, got: map[string][]string{}, calls: map[string]map[string]string{
				"self": {"action": "run", "job": "self"},
				"a":    {"action": "run", "job": "b"},
				"b":    {"action": "run", "job": "c"},
			}}
			s := cron.New(cron.Options{Jobs: jobs, Ledger: ledger, Runner: r, Deliverer: &cron.Targets{},
				OutputDir: filepath.Join(dir, "cron", "output"), Concurrency: cron.Allow})
			Configure(env, func(ctx context.Context, id string) (cron.RunRecord, error) {
				return s.Run(ctx, id, time.Now(), "tool")
			})
			for _, n := range []string{"self", "a", "b", "c"} {
				if res := call(t, env, map[string]string{"action": "create", "schedule": "1h", "prompt": "p", "name": n}); res.IsError {
					t.Fatal(res.Content)
				}
			}
			res := call(t, env, map[string]string{"action": "run", "job": "c"})
			if res.IsError || !strings.Contains(res.Content, "of c (") || !strings.Contains(res.Content, ": ok") ||
				!strings.Contains(res.Content, "output: "+filepath.Join(dir, "cron", "output")) || !strings.Contains(res.Content, "report of c") {
				t.Fatalf("run c: %+v", res)
			}
			if res := call(t, env, map[string]string{"action": "run", "job": "nope"}); !res.IsError || !strings.Contains(res.Content, "no such job") {
				t.Fatalf("run nope: %+v", res)
			}
			call(t, env, map[string]string{"action": "run", "job": "self"})
			call(t, env, map[string]string{"action": "run", "job": "a"})
			want := map[string]string{"self": "allow_agent_scheduling is false", "a": "allow_agent_scheduling is false"}
			if allow {
				want = map[string]string{"self": "does not run itself", "a": "of b (", "b": "nest at most 2 deep"}
			}
			for name, w := range want {
				if got := r.got[name]; len(got) != 1 || !strings.Contains(got[0], w) {
					t.Fatalf("the tool call in %s's run answered %q, want %q", name, got, w)
				}
			}
			if len(r.got) != len(want) {
				t.Fatalf("tool calls made: %v", r.got)
			}
			runs, err := ledger.CronRuns(context.Background(), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			wantRuns := map[bool]int{false: 3, true: 4}[allow] // c, self, a (and b)
			if len(runs) != wantRuns {
				t.Fatalf("%d runs recorded, want %d: %+v", len(runs), wantRuns, runs)
			}
			for _, run := range runs {
				if run.Trigger != "tool" || run.Status != "ok" {
					t.Fatalf("run recorded %+v", run)
				}
			}
			if j, _ := jobs.Get("c"); j.LastStatus != cron.StatusOK || j.NextRunAt == nil {
				t.Fatalf("job c after the run: %+v", j)
			}
		})
	}
}

// TestCreateOrigin: deliver defaults to origin in a gateway chat (origin
// is that chat) and to local elsewhere, where origin is refused.
func TestCreateOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, chat, deliver  string
		isError              bool
		wantDeliver, wantOri string
	}{
		{"gateway default", "telegram:-100:7", "", false, "origin", "telegram:-100:7"},
		{"gateway local", "telegram:5", "local", false, "local", "telegram:5"},
		{"gateway origin", "telegram:5", "origin", false, "origin", "telegram:5"},
		{"cli default", "", "", false, "local", "agent:s1"},
		{"cli origin", "", "origin", true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("cron:\n  timezone: UTC\n"), 0o600)
			env := &tools.Env{Home: dir, SessionID: "s1", Values: &tools.Values{}}
			SetOrigin(env, tt.chat)
			args := map[string]string{"action": "create", "schedule": "1h", "prompt": "x", "name": "j"}
			if tt.deliver != "" {
				args["deliver"] = tt.deliver
			}
			res := call(t, env, args)
			if res.IsError != tt.isError {
				t.Fatalf("%+v, want error=%v", res, tt.isError)
			}
			jobs, _ := cron.OpenJobs(filepath.Join(dir, "cron"))
			j, err := jobs.Get("j")
			if tt.isError {
				if err == nil || !strings.Contains(res.Content, "not a gateway chat") {
					t.Fatalf("%s; job %+v", res.Content, j)
				}
				return
			}
			if err != nil || j.Deliver != tt.wantDeliver || j.Origin != tt.wantOri {
				t.Fatalf("job deliver %q origin %q (%v), want %q %q", j.Deliver, j.Origin, err, tt.wantDeliver, tt.wantOri)
			}
		})
	}
}
