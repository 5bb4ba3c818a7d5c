package agent

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/tools"
)

var apis = []string{"openai", "anthropic"}

// serve starts a scripted model server for t.
func serve(t testing.TB, yaml string) *llmtest.Server {
	t.Helper()
	s, err := llmtest.ParseScript([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return llmtest.New(t, s)
}

// router is a streaming Router with one endpoint on srv in api's format.
func router(srv *llmtest.Server, api string) *llm.Router {
	ep := llm.Endpoint{Provider: "openai", Model: "gpt-4o", BaseURL: srv.OpenAIBaseURL(), APIMode: llm.ChatCompletions, KeyEnv: "K", Timeout: 10 * time.Second}
	if api == "anthropic" {
		ep = llm.Endpoint{Provider: "anthropic", Model: "claude-sonnet-4", BaseURL: srv.AnthropicBaseURL(), APIMode: llm.AnthropicMessages, KeyEnv: "K", Timeout: 10 * time.Second}
	}
	return llm.NewRouter([]llm.Endpoint{ep}, llm.Options{Stream: true,
		Env: func(string) (string, bool) { return "sk-test-key-000000000001", true }})
}

// testConfig is the default config with compression and delegation off,
// for tests that are about neither.
func testConfig() *config.Config {
	c := config.Default()
	c.Compression.Enabled = false
	c.Delegation.Enabled = false
	return c
}

// fakeTool is a tool whose behaviour a test supplies.
type fakeTool struct {
	name        string
	interactive bool
	run         func(ctx context.Context, env *tools.Env, args json.RawMessage) (tools.Result, error)
}

var (
	_ tools.Tool  = fakeTool{}
	_ Interactive = fakeTool{}
)

func (f fakeTool) Name() string            { return f.name }
func (f fakeTool) Toolset() string         { return "test" }
func (f fakeTool) Description() string     { return "a test tool" }
func (f fakeTool) Interactive() bool       { return f.interactive }
func (f fakeTool) Schema() json.RawMessage { return json.RawMessage(`{"type":"object"}`) }
func (f fakeTool) Run(ctx context.Context, env *tools.Env, args json.RawMessage) (tools.Result, error) {
	return f.run(ctx, env, args)
}

func echoTool(name string) fakeTool {
	return fakeTool{name: name, run: func(_ context.Context, _ *tools.Env, args json.RawMessage) (tools.Result, error) {
		return tools.Result{Content: "echo " + string(args)}, nil
	}}
}

func failTool(name string) fakeTool {
	return fakeTool{name: name, run: func(context.Context, *tools.Env, json.RawMessage) (tools.Result, error) {
		return tools.Errorf("the file does not exist"), nil
	}}
}

func registry(ts ...tools.Tool) *tools.Registry {
	r := tools.NewRegistry()
	for _, t := range ts {
		r.Register(t)
	}
	return r
}

func newAgent(t testing.TB, o Options) *Agent {
	t.Helper()
	if o.Config == nil {
		o.Config = testConfig()
	}
	if o.Registry != nil && o.Toolsets == nil {
		o.Toolsets = o.Registry.Toolsets()
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// events records a turn's events.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) on(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) of(k EventKind) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Event
	for _, ev := range e.all {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// text is the answer text as a frontend shows it, honouring resets.
func (e *events) text() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.all {
		switch ev.Kind {
		case EventText:
			b.WriteString(ev.Text)
		case EventReset:
			b.Reset()
		}
	}
	return b.String()
}

// recorder is an in-memory Recorder.
type recorder struct {
	mu         sync.Mutex
	msgs       map[string][]llm.Message
	usage      map[string]llm.Usage
	compressed []string // parent ids
	summaries  []string
}

var _ Recorder = (*recorder)(nil)

func newRecorder() *recorder {
	return &recorder{msgs: map[string][]llm.Message{}, usage: map[string]llm.Usage{}}
}

func (r *recorder) Append(_ context.Context, id string, msgs ...llm.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs[id] = append(r.msgs[id], msgs...)
	return nil
}

func (r *recorder) Usage(_ context.Context, id string, u llm.Usage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.usage[id]
	x.Add(u)
	r.usage[id] = x
	return nil
}

func (r *recorder) Compressed(_ context.Context, parent, summary string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.compressed = append(r.compressed, parent)
	r.summaries = append(r.summaries, summary)
	return parent + "-c", nil
}

// checkAnswered asserts every tool call of msgs is answered by exactly
// one tool message right after it, in the order of the calls.
func checkAnswered(t *testing.T, msgs []llm.Message) {
	t.Helper()
	for i, m := range msgs {
		if m.Role != llm.RoleAssistant || len(m.ToolCalls) == 0 {
			continue
		}
		for j, c := range m.ToolCalls {
			k := i + 1 + j
			if k >= len(msgs) || msgs[k].Role != llm.RoleTool || msgs[k].ToolCallID != c.ID {
				t.Fatalf("call %s (%s) at message %d is not answered in order: %+v", c.ID, c.Name, i, msgs)
			}
		}
	}
}

// toolMessages are the tool messages of a recorded request.
func toolMessages(r llmtest.Request) []llmtest.Message {
	var out []llmtest.Message
	for _, m := range r.Messages {
		if m.Role == "tool" {
			out = append(out, m)
		}
	}
	return out
}

// chat is the conversation of a recorded request, without system messages.
func chat(r llmtest.Request) []llmtest.Message {
	var out []llmtest.Message
	for _, m := range r.Messages {
		if m.Role != "system" {
			out = append(out, m)
		}
	}
	return out
}
