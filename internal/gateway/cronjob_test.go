package gateway

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/runtime"
)

// reportRunner is a cron run that answers with fixed text.
type reportRunner struct{ text string }

func (reportRunner) Preflight(cron.Job) error { return nil }
func (r reportRunner) Run(context.Context, cron.Job) (cron.Result, error) {
	return cron.Result{Text: r.text}, nil
}

const cronChatScript = `
steps:
  - match: {contains: "remind me"}
    response:
      tool_calls:
        - {id: c1, name: cronjob, arguments: '{"action": "create", "schedule": "every day at 9am", "prompt": "Summarise the open tickets.", "name": "standup"}'}
  - match: {tool_result: true}
    response: {text: "scheduled"}
  - match: {contains: "run it now"}
    response:
      tool_calls:
        - {id: c2, name: cronjob, arguments: '{"action": "run", "job": "standup"}'}
  - match: {tool_result: true}
    response: {text: "ran it"}
`

// TestCronjobFromChat: in a gateway chat the cronjob tool delivers to
// origin by default, origin is that chat, and run sends the result back
// to it through the gateway's deliverer.
func TestCronjobFromChat(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	h := &home.Home{Root: root, Profile: home.DefaultProfile, Dir: root}
	if err := os.WriteFile(filepath.Join(root, home.ConfigFile), []byte("cron:\n  timezone: UTC\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := llmtest.ParseScript([]byte(cronChatScript))
	if err != nil {
		t.Fatal(err)
	}
	srv := llmtest.New(t, s)
	cfg := config.Default()
	cfg.Model = config.Model{Provider: "custom", Default: "scripted", BaseURL: srv.OpenAIBaseURL(), Timeout: cfg.Model.Timeout}
	cfg.Agent.APIMaxRetries = 0
	chain, err := llm.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := cron.OpenJobs(filepath.Join(root, home.CronDir))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(root, "ledger.db"))
	var d *Deliverer
	cronRun := func(ctx context.Context, id string) (cron.RunRecord, error) {
		sch := cron.New(cron.Options{Jobs: jobs, Ledger: st, Runner: reportRunner{"standup: 3 tickets open"},
			Deliverer: d.WithFallback(&cron.Targets{}), Location: time.UTC, OutputDir: filepath.Join(jobs.Dir(), cron.OutputDir)})
		return sch.Run(ctx, id, time.Now(), "tool")
	}
	red, _ := redact.New(redact.Options{})
	router := llm.NewRouter(chain, llm.Options{})
	rt, err := runtime.Open(context.Background(), runtime.Options{Home: h, Config: cfg, Router: router, Frontend: Source,
		Aux: func(string) (*llm.Router, error) { return router, nil }, Cwd: t.TempDir(), Redactor: red, CronRun: cronRun})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	a := newMem("mem")
	c, _ := start(t, Options{Store: st, Agent: NewRuntimeAgent(rt), Adapters: []platform.Adapter{a}, Authorize: allowAll})
	d = &Deliverer{Core: c, Origin: func(id string) string {
		if j, err := jobs.Get(id); err == nil {
			return j.Origin
		}
		return ""
	}}

	m := dm("1", "remind me every morning of the open tickets")
	m.ThreadID = "7"
	a.in <- m
	if got := a.next(t); got.ChatID != "42" || got.Text != "scheduled" {
		t.Fatalf("reply %+v", got)
	}
	j, err := jobs.Get("standup")
	if err != nil {
		t.Fatal(err)
	}
	if j.Deliver != "origin" || j.Origin != "mem:42:7" {
		t.Fatalf("job deliver %q origin %q, want origin and mem:42:7", j.Deliver, j.Origin)
	}

	m = dm("2", "run it now")
	m.ThreadID = "7"
	a.in <- m
	got := a.next(t)
	if got.ChatID != "42" || got.ThreadID != "7" || got.Text != "standup: 3 tickets open" {
		t.Fatalf("run result %+v, want the job's output in chat 42 thread 7", got)
	}
	if got := a.next(t); got.Text != "ran it" {
		t.Fatalf("reply %+v", got)
	}
	j, _ = jobs.Get("standup")
	if j.LastStatus != cron.StatusOK || j.LastDeliveryError != "" {
		t.Fatalf("job after run: status %q delivery error %q", j.LastStatus, j.LastDeliveryError)
	}
	if res := lastToolResult(t, srv); !strings.Contains(res, "delivered to origin") {
		t.Fatalf("the tool told the model %q", res)
	}
}

// lastToolResult is the last tool message the model was sent.
func lastToolResult(t *testing.T, srv *llmtest.Server) string {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("no requests")
	}
	msgs := reqs[len(reqs)-1].Messages
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "tool" {
			return msgs[i].Text
		}
	}
	t.Fatal("the last request has no tool result")
	return ""
}
