package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hermes-go/hermes/internal/llmtest"
)

// The seed's scenario through the binary: a weekly job delivering to a
// webhook on 127.0.0.1 succeeds; the key is replaced by one the provider
// rejects with 401; the next run records error with the provider's
// message, the failure arrives, failure_streak is 1 and cron status shows
// it; with the key fixed the next run is ok and the recovery arrives.
func TestCronE2ESeedScenario(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-good"}, Times: -1, Response: llmtest.Response{Text: "weekly report: all green"}},
		{Match: llmtest.Match{Key: "sk-revoked"}, Times: -1, Response: llmtest.Response{Status: 401, Error: "Incorrect API key provided"}},
	}})
	var mu sync.Mutex
	var got []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer hook.Close()
	bin := chatBinary(t)
	home := e2eHome(t, srv)
	dir := t.TempDir()
	hermes := func(key string, args ...string) (string, string, int) {
		cmd := hermesCmd(bin, home, args...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Env, e2eKeyEnv+"="+key)
		return runChat(t, cmd)
	}
	out, errs, code := hermes("sk-good", "cron", "create", "every monday 9am", "the weekly report", "--name", "weekly",
		"--deliver", "webhook:"+hook.URL, "--json")
	var job map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &job) != nil || job["id"] == nil || job["next_run_at"] == nil {
		t.Fatalf("create: %d %s %s", code, out, errs)
	}
	for i, step := range []struct {
		key    string
		code   int
		status string
		streak float64
	}{{"sk-good", 0, "ok", 0}, {"sk-revoked", 1, "error", 1}, {"sk-good", 0, "ok", 0}} {
		if _, errs, code := hermes(step.key, "cron", "run", "weekly"); code != step.code {
			t.Fatalf("run %d: exit %d, want %d: %s", i, code, step.code, errs)
		}
		out, _, _ := hermes(step.key, "cron", "status", "--json")
		var st []map[string]any
		if err := json.Unmarshal([]byte(out), &st); err != nil || len(st) != 1 {
			t.Fatalf("status %d: %v %s", i, err, out)
		}
		if st[0]["last_status"] != step.status || st[0]["failure_streak"] != step.streak {
			t.Fatalf("status after run %d: %v", i, st[0])
		}
		if step.status == "error" && !strings.Contains(st[0]["last_error"].(string), "Incorrect API key provided") {
			t.Fatalf("last_error without the provider's message: %v", st[0]["last_error"])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || got[0]["status"] != "ok" || got[1]["status"] != "error" || got[2]["status"] != "ok" || got[2]["recovered"] != true ||
		!strings.Contains(got[1]["error"].(string), "Incorrect API key provided") || got[0]["text"] != "weekly report: all green" {
		t.Fatalf("the receiver got %v", got)
	}
}
