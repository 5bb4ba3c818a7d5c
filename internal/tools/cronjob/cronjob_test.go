package cronjob

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/cron"
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
