package agent

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/tools"
)

const parallelScript = `
steps:
  - match: {has_tools: true, contains: "run both"}
    response:
      text: "Running both."
      tool_calls:
        - {id: call_slow, name: slow, arguments: '{"ms": 300}'}
        - {id: call_quick, name: quick, arguments: '{"ms": 250}'}
  - match: {tool_result: true}
    response: {text: "Both finished.", chunk_size: 3}
`

// barrierTool sleeps ms after every tool of the barrier has started; a
// tool that waits in vain for the others fails, so sequential runs fail.
func barrierTool(name string, arrived *sync.WaitGroup, all chan struct{}) fakeTool {
	return fakeTool{name: name, run: func(ctx context.Context, _ *tools.Env, args json.RawMessage) (tools.Result, error) {
		arrived.Done()
		select {
		case <-all:
		case <-time.After(2 * time.Second):
			return tools.Errorf("%s ran alone: the other call never started", name), nil
		}
		var a struct{ Ms int }
		_ = json.Unmarshal(args, &a)
		time.Sleep(time.Duration(a.Ms) * time.Millisecond)
		return tools.Result{Content: name + " done"}, nil
	}}
}

func TestParallelTools(t *testing.T) {
	t.Parallel()
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, parallelScript)
			var arrived sync.WaitGroup
			arrived.Add(2)
			all := make(chan struct{})
			go func() { arrived.Wait(); close(all) }()
			reg := registry(barrierTool("slow", &arrived, all), barrierTool("quick", &arrived, all))
			a := newAgent(t, Options{Router: router(srv, api), Registry: reg})
			s := &Session{ID: "s1", System: "be brief"}
			var ev events
			var first, last time.Time // the tool phase, from the events
			on := func(e Event) {
				switch {
				case e.Kind == EventToolStart && first.IsZero():
					first = time.Now()
				case e.Kind == EventToolEnd:
					last = time.Now()
				}
				ev.on(e)
			}
			res, err := a.Turn(context.Background(), s, "run both", on)
			if err != nil {
				t.Fatal(err)
			}
			// The barrier already fails a sequential run; the time is a
			// second, generous check: sequential would take 550 ms or more.
			if d := last.Sub(first); d > 540*time.Millisecond {
				t.Errorf("tools of 300 and 250 ms took %v together: not parallel", d)
			}
			if res.Text != "Both finished." || res.Iterations != 2 || res.Provider != api || ev.text() != "Running both.Both finished." {
				t.Errorf("result %+v, streamed %q", res, ev.text())
			}
			checkAnswered(t, s.Messages)
			got := toolMessages(srv.Requests()[1])
			if len(got) != 2 || got[0].ToolCallID != "call_slow" || got[0].Text != "slow done" || got[1].Text != "quick done" {
				t.Errorf("tool results sent: %+v", got)
			}
			if starts, ends := ev.of(EventToolStart), ev.of(EventToolEnd); len(starts) != 2 || len(ends) != 2 || ends[0].Tool != "quick" || ends[1].Elapsed < 300*time.Millisecond {
				t.Errorf("tool events: starts %+v ends %+v", starts, ends)
			}
			if res.Usage.InputTokens == 0 || s.Usage != res.Usage {
				t.Errorf("usage: turn %+v session %+v", res.Usage, s.Usage)
			}
		})
	}
}

func TestInteractiveRunsAlone(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - match: {has_tools: true}
    response:
      tool_calls:
        - {name: work, arguments: '{"n": 1}'}
        - {name: clarify, arguments: '{"question": "which?"}'}
        - {name: work, arguments: '{"n": 2}'}
        - {name: work, arguments: '{"n": 3}'}
  - match: {tool_result: true}
    response: {text: "ok"}
`)
	var active, clarifyOverlap, workMax, workIn atomic.Int32
	bothIn := make(chan struct{}) // closed when the two work calls have started
	work := fakeTool{name: "work", run: func(_ context.Context, _ *tools.Env, args json.RawMessage) (tools.Result, error) {
		if strings.Contains(string(args), `"n": 1`) || strings.Contains(string(args), `"n":1`) {
			return tools.Result{Content: "worked"}, nil // the call before clarify runs alone
		}
		n := active.Add(1)
		defer active.Add(-1)
		for { // record the highest concurrency seen
			m := workMax.Load()
			if n <= m || workMax.CompareAndSwap(m, n) {
				break
			}
		}
		if workIn.Add(1) == 2 {
			close(bothIn)
		}
		select { // each waits for the other: run in parallel, they meet
		case <-bothIn:
		case <-time.After(10 * time.Second):
			return tools.Errorf("work ran alone: the other call never started"), nil
		}
		return tools.Result{Content: "worked"}, nil
	}}
	clarify := fakeTool{name: "clarify", run: func(context.Context, *tools.Env, json.RawMessage) (tools.Result, error) {
		if active.Add(1) != 1 {
			clarifyOverlap.Add(1)
		}
		time.Sleep(50 * time.Millisecond)
		active.Add(-1)
		return tools.Result{Content: "the first"}, nil
	}}
	clarify.interactive = true
	a := newAgent(t, Options{Router: router(srv, "openai"), Registry: registry(work, clarify)})
	s := &Session{ID: "s"}
	if _, err := a.Turn(context.Background(), s, "go", nil); err != nil {
		t.Fatal(err)
	}
	checkAnswered(t, s.Messages)
	if clarifyOverlap.Load() != 0 {
		t.Error("clarify ran beside another tool")
	}
	if workMax.Load() != 2 {
		t.Errorf("the two work calls after clarify ran %d at once, want 2", workMax.Load())
	}
}

func TestSequentialWhenParallelOff(t *testing.T) {
	t.Parallel()
	srv := serve(t, parallelScript)
	var active, most atomic.Int32
	tool := func(name string) fakeTool {
		return fakeTool{name: name, run: func(context.Context, *tools.Env, json.RawMessage) (tools.Result, error) {
			if n := active.Add(1); n > most.Load() {
				most.Store(n)
			}
			time.Sleep(20 * time.Millisecond)
			active.Add(-1)
			return tools.Result{Content: name + " done"}, nil
		}}
	}
	cfg := testConfig()
	cfg.Agent.ParallelToolCalls = false
	a := newAgent(t, Options{Router: router(srv, "openai"), Registry: registry(tool("slow"), tool("quick")), Config: cfg})
	s := &Session{}
	if _, err := a.Turn(context.Background(), s, "run both", nil); err != nil {
		t.Fatal(err)
	}
	if most.Load() != 1 {
		t.Errorf("%d tools ran at once with parallel_tool_calls off", most.Load())
	}
}

func TestInterruptDuringTool(t *testing.T) {
	t.Parallel()
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, `
steps:
  - match: {contains: "start"}
    response:
      text: "Starting."
      tool_calls:
        - {id: call_fast, name: fast, arguments: '{}'}
        - {id: call_hang, name: hang, arguments: '{}'}
        - {id: call_never, name: hang, arguments: '{"late": true}'}
  - match: {contains: "next question"}
    response: {text: "Still here."}
`)
			started := make(chan struct{})
			var once sync.Once
			hang := fakeTool{name: "hang", run: func(ctx context.Context, _ *tools.Env, _ json.RawMessage) (tools.Result, error) {
				once.Do(func() { close(started) })
				<-ctx.Done()
				time.Sleep(20 * time.Millisecond) // a tool slow to notice
				return tools.Result{}, ctx.Err()
			}}
			cfg := testConfig()
			cfg.Agent.MaxParallelTools = 1 // one at a time: the third call never starts
			rec := newRecorder()
			a := newAgent(t, Options{Router: router(srv, api), Registry: registry(echoTool("fast"), hang), Config: cfg})
			s := &Session{ID: "s", Recorder: rec}
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-started; cancel() }()
			_, err := a.Turn(ctx, s, "start", nil)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Turn: %v, want context.Canceled", err)
			}
			checkAnswered(t, s.Messages)
			if n := len(s.Messages); n != 5 {
				t.Fatalf("%d messages, want user, assistant and three tool results", n)
			}
			if s.Messages[1].Content != "Starting." || s.Messages[2].IsError || !strings.Contains(s.Messages[3].Content, "interrupted") || !strings.Contains(s.Messages[4].Content, "interrupted") {
				t.Errorf("after the interrupt: %+v", s.Messages)
			}
			if got := len(rec.msgs["s"]); got != 5 {
				t.Errorf("recorded %d messages, want 5", got)
			}
			res, err := a.Turn(context.Background(), s, "next question", nil)
			if err != nil || res.Text != "Still here." {
				t.Fatalf("next turn: %v %+v", err, res)
			}
			last := srv.Requests()[len(srv.Requests())-1]
			if tm := toolMessages(last); len(tm) != 3 {
				t.Errorf("the next request carries %d tool results, want 3", len(tm))
			}
		})
	}
}

func TestInterruptDuringModelCall(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - match: {contains: "slow answer"}
    response: {text: "This answer streams slowly and is cut off.", chunk_size: 2, chunk_delay: 30ms}
  - match: {contains: "again"}
    response: {text: "Here."}
`)
	a := newAgent(t, Options{Router: router(srv, "openai")})
	s := &Session{}
	ctx, cancel := context.WithCancel(context.Background())
	var ev events
	on := func(e Event) {
		ev.on(e)
		if e.Kind == EventText {
			cancel()
		}
	}
	if _, err := a.Turn(ctx, s, "slow answer", on); !errors.Is(err, context.Canceled) {
		t.Fatalf("Turn: %v", err)
	}
	if len(s.Messages) != 1 || s.Messages[0].Role != llm.RoleUser {
		t.Errorf("the partial answer must be dropped: %+v", s.Messages)
	}
	if ev.text() != "" {
		t.Errorf("no reset after the partial text: shown %q", ev.text())
	}
	if res, err := a.Turn(context.Background(), s, "again", nil); err != nil || res.Text != "Here." {
		t.Fatalf("next turn: %v %+v", err, res)
	}
}

func TestIterationBudget(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - times: -1
    response:
      tool_calls: [{name: echo, arguments: '{"again": true}'}]
`)
	cfg := testConfig()
	cfg.Agent.MaxTurns = 3
	a := newAgent(t, Options{Router: router(srv, "openai"), Registry: registry(echoTool("echo")), Config: cfg})
	s := &Session{}
	var ev events
	res, err := a.Turn(context.Background(), s, "loop forever", ev.on)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Exhausted || res.Iterations != 3 || len(srv.Requests()) != 3 || !strings.Contains(res.Text, "agent.max_turns") {
		t.Errorf("result %+v after %d requests", res, len(srv.Requests()))
	}
	if last := s.Messages[len(s.Messages)-1]; last.Role != llm.RoleAssistant || last.Content != res.Text {
		t.Errorf("last message %+v", last)
	}
	if !strings.Contains(ev.text(), "agent.max_turns") {
		t.Errorf("the stop message was not shown: %q", ev.text())
	}
	checkAnswered(t, s.Messages)
}

func TestLoopGuard(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - match: {contains: "stubborn"}
    response:
      tool_calls: [{name: read, arguments: '{"path": "other.txt"}'}]
  - times: -1
    response:
      tool_calls: [{name: read, arguments: '{"path": "missing.txt"}'}]
`)
	a := newAgent(t, Options{Router: router(srv, "openai"), Registry: registry(failTool("read"))})
	s := &Session{}
	res, err := a.Turn(context.Background(), s, "stubborn", nil)
	if err != nil {
		t.Fatal(err)
	}
	// One failure with other arguments, then three identical ones.
	if !res.LoopGuard || res.Exhausted || res.Iterations != 4 || !strings.Contains(res.Text, "failed 3 times in a row") || !strings.Contains(res.Text, "missing.txt") {
		t.Errorf("result %+v", res)
	}
	checkAnswered(t, s.Messages)
}

func TestLoopGuardResetsOnSuccess(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - times: 4
    response:
      tool_calls: [{name: flaky, arguments: '{}'}]
  - response: {text: "done"}
`)
	var n atomic.Int32
	flaky := fakeTool{name: "flaky", run: func(context.Context, *tools.Env, json.RawMessage) (tools.Result, error) {
		if n.Add(1) == 3 {
			return tools.Result{Content: "fine this time"}, nil
		}
		return tools.Errorf("busy"), nil
	}}
	a := newAgent(t, Options{Router: router(srv, "openai"), Registry: registry(flaky)})
	res, err := a.Turn(context.Background(), &Session{}, "try", nil)
	if err != nil || res.LoopGuard || res.Text != "done" {
		t.Errorf("fail, fail, ok, fail must not trip a guard of 3: %v %+v", err, res)
	}
}

func TestToolOutputRedacted(t *testing.T) {
	t.Parallel()
	const secret = "sk-proj-Xk2mQ9vR4tL8wN1pZ6yB3cF7aa"
	srv := serve(t, `
steps:
  - match: {contains: "show env"}
    response:
      tool_calls: [{name: env, arguments: '{"token": "`+secret+`"}'}]
  - match: {tool_result: true}
    response: {text: "I saw the environment."}
`)
	leak := fakeTool{name: "env", run: func(context.Context, *tools.Env, json.RawMessage) (tools.Result, error) {
		return tools.Result{Content: "HOME=/root\nOPENAI_API_KEY=" + secret}, nil
	}}
	red, err := redact.New(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := newAgent(t, Options{Router: router(srv, "openai"), Registry: registry(leak)})
	s := &Session{Env: &tools.Env{Redactor: red}}
	var ev events
	if _, err := a.Turn(context.Background(), s, "show env", ev.on); err != nil {
		t.Fatal(err)
	}
	sent := toolMessages(srv.Requests()[1])
	if len(sent) != 1 || strings.Contains(sent[0].Text, secret) || !strings.Contains(sent[0].Text, "HOME=/root") {
		t.Errorf("the model received %+v", sent)
	}
	// The secret is in the model's own tool call arguments, once; never in the result.
	if n := strings.Count(string(srv.Requests()[1].Body), secret); n != 1 {
		t.Errorf("the secret is %d times in the follow-up request, want once (the model's own arguments)", n)
	}
	for _, e := range ev.of(EventToolStart) {
		if strings.Contains(e.Args, secret) {
			t.Errorf("the argument preview shows the secret: %q", e.Args)
		}
	}
}

func TestRecorderAndBusy(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - response: {text: "hello", delay: 200ms, usage: {input: 11, output: 3}}
`)
	a := newAgent(t, Options{Router: router(srv, "anthropic")})
	rec := newRecorder()
	s := &Session{ID: "rec", Recorder: rec}
	errc := make(chan error, 1)
	go func() { _, err := a.Turn(context.Background(), s, "hi", nil); errc <- err }()
	deadline := time.Now().Add(30 * time.Second)
	for !s.busy.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the first turn never started")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := a.Turn(context.Background(), s, "again", nil); !errors.Is(err, ErrBusy) {
		t.Errorf("a second Turn on a busy session: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := rec.msgs["rec"]; len(got) != 2 || got[0].Content != "hi" || got[1].Content != "hello" {
		t.Errorf("recorded %+v", got)
	}
	if u := rec.usage["rec"]; u.InputTokens != 11 || u.OutputTokens != 3 {
		t.Errorf("recorded usage %+v", u)
	}
}

func TestPreview(t *testing.T) {
	t.Parallel()
	tests := []struct{ args, want string }{
		{`{"path": "notes.txt", "lines": [1, 2]}`, `lines=[1,2] path=notes.txt`},
		{`{"command": "echo a\n  b"}`, `command=echo a b`},
		{`not json`, `not json`},
		{`{"s": "` + strings.Repeat("x", 200) + `"}`, "s=" + strings.Repeat("x", 78) + "…"},
	}
	for _, tt := range tests {
		if got := preview(nil, tt.args); got != tt.want {
			t.Errorf("preview(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// brokenStore fails every write.
type brokenStore struct{}

func (brokenStore) Append(context.Context, string, ...llm.Message) error {
	return errors.New("disk full")
}
func (brokenStore) Usage(context.Context, string, llm.Usage) error { return errors.New("disk full") }
func (brokenStore) Compressed(context.Context, string, string) (string, error) {
	return "", errors.New("disk full")
}

func TestStoreFailureWarns(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - response: {text: "kept in memory"}
`)
	a := newAgent(t, Options{Router: router(srv, "openai")})
	s := &Session{Recorder: brokenStore{}}
	var ev events
	res, err := a.Turn(context.Background(), s, "hi", ev.on)
	if err != nil || res.Text != "kept in memory" || len(s.Messages) != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	if w := ev.of(EventWarning); len(w) != 3 || !strings.Contains(w[0].Text, "disk full") {
		t.Errorf("warnings: %+v", w)
	}
}

func TestFallbackNotice(t *testing.T) {
	t.Parallel()
	primary := serve(t, `
steps:
  - response: {status: 503, error: "overloaded"}
`)
	backup := serve(t, `
steps:
  - response: {text: "from the backup"}
`)
	ep := func(srv interface{ OpenAIBaseURL() string }, name string) llm.Endpoint {
		return llm.Endpoint{Provider: name, Model: "m", BaseURL: srv.OpenAIBaseURL(), APIMode: llm.ChatCompletions, Keyless: true, Timeout: 5 * time.Second}
	}
	r := llm.NewRouter([]llm.Endpoint{ep(primary, "primary"), ep(backup, "backup")}, llm.Options{Stream: true})
	a := newAgent(t, Options{Router: r})
	var ev events
	res, err := a.Turn(context.Background(), &Session{}, "hi", ev.on)
	if err != nil || res.Provider != "backup" || ev.text() != "from the backup" {
		t.Fatalf("%v %+v", err, res)
	}
	if n := ev.of(EventNotice); len(n) != 1 || !strings.Contains(n[0].Text, "fallback backup") {
		t.Errorf("notices: %+v", n)
	}
}
