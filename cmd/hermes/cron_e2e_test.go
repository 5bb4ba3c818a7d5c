package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llmtest"
)

// A `hermes cron run` killed with SIGKILL while the model is answering is
// found by the next `hermes cron tick`: recorded unknown with the reason,
// and that failure delivered (local: written to stderr).
func TestCronE2EKilledRunRecovered(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Times: -1, Response: llmtest.Response{Text: "too late", Delay: llmtest.Duration(time.Minute)}},
	}})
	srv.AllowUnused()
	bin := chatBinary(t)
	home := e2eHome(t, srv)
	dir := t.TempDir()
	if out, errs, code := runChat(t, chatCmd(bin, home, dir, "cron", "create", "every monday 9am", "the report", "--name", "victim")); code != 0 {
		t.Fatalf("create: %d %s %s", code, out, errs)
	}
	run := chatCmd(bin, home, dir, "cron", "run", "victim")
	var runErr bytes.Buffer
	run.Stderr = &runErr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(srv.Requests()) == 0 {
		if time.Now().After(deadline) {
			run.Process.Kill()
			t.Fatalf("the run never called the model: %s", runErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := run.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	run.Wait()

	out, errs, code := runChat(t, chatCmd(bin, home, dir, "cron", "tick", "--json"))
	if code != 0 {
		t.Fatalf("tick: %d %s %s", code, out, errs)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 1 {
		t.Fatalf("tick --json: %v %s", err, out)
	}
	if recs[0]["status"] != "unknown" || !strings.Contains(recs[0]["error"].(string), "died") || recs[0]["delivered"] != true {
		t.Fatalf("recovered run: %v", recs[0])
	}
	if !strings.Contains(errs, "victim") || !strings.Contains(errs, "unknown") {
		t.Fatalf("the failure was not delivered to stderr: %s", errs)
	}
	out, _, _ = runChat(t, chatCmd(bin, home, dir, "cron", "status", "--json"))
	var jobs []map[string]any
	if err := json.Unmarshal([]byte(out), &jobs); err != nil || len(jobs) != 1 || jobs[0]["last_status"] != "unknown" || jobs[0]["failure_streak"] != 1.0 {
		t.Fatalf("status: %v %s", err, out)
	}
}
