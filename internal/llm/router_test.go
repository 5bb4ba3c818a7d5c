package llm

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/llm/pool"
	"github.com/hermes-go/hermes/internal/llmtest"
)

// rig is a Router over real HTTP against llmtest servers, with a fake
// clock that moves by itself when the router sleeps.
type rig struct {
	t       *testing.T
	clk     *clock.Fake
	pools   *pool.Store
	env     map[string]string
	notices []string
	mu      sync.Mutex
}

func newRig(t *testing.T) *rig {
	clk := clock.NewFake(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	clk.AutoAdvance = true
	return &rig{t: t, clk: clk, pools: pool.Open(filepath.Join(t.TempDir(), "auth.json"), clk), env: map[string]string{}}
}

func (r *rig) router(retries int, stream bool, chain ...Endpoint) *Router {
	return NewRouter(chain, Options{
		Pools: r.pools, Clock: r.clk, Retries: retries, Stream: stream, Jitter: func() float64 { return 0 },
		Env: func(k string) (string, bool) { v, ok := r.env[k]; return v, ok },
		Notice: func(s string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.notices = append(r.notices, s)
		},
	})
}

// openAIEndpoint is an OpenAI-compatible endpoint on srv with its own pool.
func openAIEndpoint(srv *llmtest.Server, provider, model, keyEnv string) Endpoint {
	return Endpoint{Provider: provider, Model: model, BaseURL: srv.OpenAIBaseURL(), APIMode: ChatCompletions, KeyEnv: keyEnv, Pool: provider, Timeout: 5 * time.Second}
}

func anthropicEndpoint(srv *llmtest.Server, model, keyEnv string) Endpoint {
	return Endpoint{Provider: "anthropic", Model: model, BaseURL: srv.AnthropicBaseURL(), APIMode: AnthropicMessages, KeyEnv: keyEnv, Pool: "anthropic", Timeout: 5 * time.Second}
}

func ask(text string) Request {
	return Request{System: "be brief", Messages: []Message{{Role: RoleUser, Content: text}}}
}

func script(t *testing.T, yaml string) llmtest.Script {
	t.Helper()
	s, err := llmtest.ParseScript([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// collect records stream events and rebuilds the text a UI would show,
// honouring resets.
type collect struct {
	mu     sync.Mutex
	text   strings.Builder
	resets int
	events []Event
}

func (c *collect) handle(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
	switch e.Kind {
	case EventText:
		c.text.WriteString(e.Text)
	case EventReset:
		c.resets++
		c.text.Reset()
	}
}

func TestStreamingReassembles(t *testing.T) {
	t.Parallel()
	const text = "Streaming splits this sentence mid-word, and the pieces must join exactly: ünïcödé ✓."
	const args1, args2 = `{"path": "/tmp/a b.txt", "lines": [1, 2, 3]}`, `{"command": "echo \"hi\" && ls -la"}`
	yaml := `
steps:
  - response:
      text: "` + strings.ReplaceAll(text, `"`, `\"`) + `"
      chunk_size: 5
      tool_calls:
        - {id: call_1, name: read_file, arguments: '` + args1 + `'}
        - {id: call_2, name: terminal, arguments: '` + args2 + `'}
`
	for _, api := range []string{"openai", "anthropic"} {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.New(t, script(t, yaml))
			r := newRig(t)
			r.env["K"] = "sk-test-key-000000000001"
			ep := openAIEndpoint(srv, "openai", "gpt-4o", "K")
			if api == "anthropic" {
				ep = anthropicEndpoint(srv, "claude-sonnet-4", "K")
			}
			var c collect
			resp, err := r.router(0, true, ep).Chat(context.Background(), ask("go"), c.handle)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != text || c.text.String() != text {
				t.Errorf("text %q, streamed %q", resp.Text, c.text.String())
			}
			if len(resp.ToolCalls) != 2 || resp.ToolCalls[0].Arguments != args1 || resp.ToolCalls[1].Arguments != args2 ||
				resp.ToolCalls[0].Name != "read_file" || resp.ToolCalls[1].ID == "" {
				t.Errorf("tool calls %+v", resp.ToolCalls)
			}
			if resp.Finish != FinishToolCalls || resp.Usage.OutputTokens == 0 || resp.Provider != ep.Provider {
				t.Errorf("finish %s usage %+v provider %s", resp.Finish, resp.Usage, resp.Provider)
			}
			// The tool-call events rebuild the same calls.
			args := map[int]string{}
			for _, e := range c.events {
				if e.Kind == EventToolCall {
					args[e.ToolIndex] += e.Args
				}
			}
			if args[0] != args1 || args[1] != args2 {
				t.Errorf("streamed args %v", args)
			}
			if got := srv.Requests(); len(got) != 1 || !got[0].Stream || got[0].Key != "sk-test-key-000000000001" {
				t.Errorf("requests %+v", got)
			}
		})
	}
}

// TestPrimaryDownFallsBack: the primary returns 503 three times; the
// answer comes from the fallback in the same turn, with one notice; the
// next turn starts on the primary again.
func TestPrimaryDownFallsBack(t *testing.T) {
	t.Parallel()
	primary := llmtest.New(t, script(t, `
steps:
  - {match: {api: openai}, times: 3, response: {status: 503, error: "upstream overloaded"}}
  - {response: {text: "primary is back"}}
`))
	fallback := llmtest.New(t, script(t, `
steps:
  - {response: {text: "from the fallback"}}
`))
	r := newRig(t)
	r.env["OPENROUTER_API_KEY"] = "sk-or-primary-000000000001"
	r.env["ANTHROPIC_API_KEY"] = "sk-ant-fallback-0000000001"
	router := r.router(2, true, openAIEndpoint(primary, "openrouter", "anthropic/claude-sonnet-4", "OPENROUTER_API_KEY"),
		anthropicEndpoint(fallback, "claude-sonnet-4", "ANTHROPIC_API_KEY"))

	var c collect
	resp, err := router.Chat(context.Background(), ask("hello"), c.handle)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "from the fallback" || resp.Provider != "anthropic" || c.text.String() != "from the fallback" {
		t.Fatalf("got %+v (streamed %q)", resp, c.text.String())
	}
	if len(primary.Requests()) != 3 {
		t.Errorf("primary asked %d times, want 3", len(primary.Requests()))
	}
	if len(r.notices) != 1 || !strings.Contains(r.notices[0], "openrouter/anthropic/claude-sonnet-4 failed (503 Service Unavailable: upstream overloaded") ||
		!strings.Contains(r.notices[0], "continuing with anthropic/claude-sonnet-4") {
		t.Errorf("notices %q", r.notices)
	}
	// Each key went only to its own server.
	for _, req := range primary.Requests() {
		if req.Key != "sk-or-primary-000000000001" {
			t.Errorf("primary got key %q", req.Key)
		}
	}
	if k := fallback.Requests()[0].Key; k != "sk-ant-fallback-0000000001" {
		t.Errorf("fallback got key %q", k)
	}
	// Two backoffs between the three attempts; the backoff grows.
	if s := r.clk.Slept(); len(s) != 2 || s[1] <= s[0] {
		t.Errorf("slept %v", s)
	}
	// The next turn starts on the primary.
	resp, err = router.Chat(context.Background(), ask("again"), nil)
	if err != nil || resp.Text != "primary is back" || len(fallback.Requests()) != 1 {
		t.Fatalf("next turn: %+v %v", resp, err)
	}
}

// TestRateLimitedKeyRotates: key A gets 429 with Retry-After: 120; key B
// answers the same request at once; A is not used again for 120 s.
func TestRateLimitedKeyRotates(t *testing.T) {
	t.Parallel()
	const keyA, keyB = "sk-aaaaaaaaaaaaaaaaaaaa01", "sk-bbbbbbbbbbbbbbbbbbbb02"
	srv := llmtest.New(t, script(t, `
steps:
  - {match: {key: `+keyA+`}, times: 1, response: {status: 429, headers: {Retry-After: "120"}, error: "rate limit reached"}}
  - {match: {key: `+keyA+`}, times: -1, response: {text: "A again"}}
  - {match: {key: `+keyB+`}, times: -1, response: {text: "B answers"}}
`))
	srv.AllowUnused()
	r := newRig(t)
	if _, err := r.pools.Add("openai", keyA, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pools.Add("openai", keyB, "b"); err != nil {
		t.Fatal(err)
	}
	router := r.router(3, false, openAIEndpoint(srv, "openai", "gpt-4o", ""))
	resp, err := router.Chat(context.Background(), ask("1"), nil)
	if err != nil || resp.Text != "B answers" {
		t.Fatalf("%+v %v", resp, err)
	}
	if len(r.clk.Slept()) != 0 {
		t.Errorf("waited before trying B: %v", r.clk.Slept())
	}
	keys := func() (out []string) {
		for _, q := range srv.Requests() {
			out = append(out, q.Key[len(q.Key)-2:])
		}
		return out
	}
	r.clk.Advance(119 * time.Second)
	router.Chat(context.Background(), ask("2"), nil)
	if got := strings.Join(keys(), ","); got != "01,02,02" {
		t.Errorf("keys used before 120 s: %s", got)
	}
	r.clk.Advance(2 * time.Second)
	resp, err = router.Chat(context.Background(), ask("3"), nil)
	if err != nil || resp.Text != "A again" {
		t.Fatalf("after the cooldown: %+v %v (keys %v)", resp, err, keys())
	}
}

// TestEveryProviderDown: the turn ends with an error naming each provider
// and its last error.
func TestEveryProviderDown(t *testing.T) {
	t.Parallel()
	a := llmtest.New(t, script(t, `
steps:
  - {times: -1, response: {status: 500, error: "database on fire"}}
`))
	b := llmtest.New(t, script(t, `
steps:
  - {times: -1, response: {status: 401, error: "invalid x-api-key"}}
`))
	a.AllowUnused()
	b.AllowUnused()
	r := newRig(t)
	r.env["A_KEY"], r.env["B_KEY"] = "sk-a-0000000000000000001", "sk-ant-b-00000000000000001"
	router := r.router(1, false, openAIEndpoint(a, "openai", "gpt-4o", "A_KEY"), anthropicEndpoint(b, "claude-sonnet-4", "B_KEY"))
	_, err := router.Chat(context.Background(), ask("hi"), nil)
	var ce *ChainError
	if !errors.As(err, &ce) || len(ce.Errors) != 2 {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"all 2 providers failed", "openai/gpt-4o: 500 Internal Server Error: database on fire (after 2 attempts)",
		"anthropic/claude-sonnet-4: 401 Unauthorized: invalid x-api-key (no other key to try)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	// The refused key is dead: it is not tried again.
	p, _ := r.pools.Pool("anthropic")
	if p.Entries[0].LastStatus != pool.StatusDead {
		t.Errorf("anthropic key status %s", p.Entries[0].LastStatus)
	}
	// The request is untouched, so the same turn can be retried once the
	// primary is back.
	req := ask("hi")
	_, _ = router.Chat(context.Background(), req, nil)
	if len(req.Messages) != 1 || req.Messages[0].Content != "hi" {
		t.Fatalf("request changed: %+v", req)
	}
	a.Reset(script(t, "steps:\n  - {response: {text: recovered}}\n"))
	if resp, err := router.Chat(context.Background(), req, nil); err != nil || resp.Text != "recovered" {
		t.Fatalf("retry after recovery: %+v %v", resp, err)
	}
}

// TestFallbackNeverTouchesPrimaryPool: a fallback on the same provider
// (another model) that is rate limited leaves the primary's key alone.
func TestFallbackNeverTouchesPrimaryPool(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, script(t, `
steps:
  - {match: {model: primary-model}, times: 1, response: {status: 503, error: "down"}}
  - {match: {model: backup-model}, times: 1, response: {status: 429, error: "slow down"}}
`))
	r := newRig(t)
	r.env["OPENROUTER_API_KEY"] = "sk-or-shared-0000000000001"
	router := r.router(0, false, openAIEndpoint(srv, "openrouter", "primary-model", "OPENROUTER_API_KEY"),
		openAIEndpoint(srv, "openrouter", "backup-model", "OPENROUTER_API_KEY"))
	if _, err := router.Chat(context.Background(), ask("x"), nil); err == nil {
		t.Fatal("expected failure")
	}
	p, _ := r.pools.Pool("openrouter")
	if len(p.Entries) != 1 || p.Entries[0].LastStatus == pool.StatusExhausted || !p.Entries[0].CooldownUntil.IsZero() {
		t.Errorf("the fallback's 429 reached the primary's key: %+v", p.Entries)
	}
}

// TestBrokenStreamsRetried: a stream cut mid-way, an empty stream and a
// malformed body are retried; the caller is told to discard the partial
// text and never receives a truncated answer.
func TestBrokenStreamsRetried(t *testing.T) {
	t.Parallel()
	for _, api := range []string{"openai", "anthropic"} {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.New(t, script(t, `
steps:
  - {response: {text: "this answer will be cut off in the middle", chunk_size: 4, cut_after: 3}}
  - {response: {empty_stream: true}}
  - {response: {text: "broken", malformed: true}}
  - {response: {text: "the whole answer", chunk_size: 4}}
`))
			r := newRig(t)
			r.env["K"] = "sk-k-000000000000000000001"
			ep := openAIEndpoint(srv, "openai", "m", "K")
			if api == "anthropic" {
				ep = anthropicEndpoint(srv, "m", "K")
			}
			var c collect
			resp, err := r.router(3, true, ep).Chat(context.Background(), ask("x"), c.handle)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != "the whole answer" || c.text.String() != "the whole answer" || c.resets < 1 {
				t.Errorf("text %q streamed %q resets %d", resp.Text, c.text.String(), c.resets)
			}
		})
	}
}

// TestCutStreamFallsBack: when retries run out on cut streams, the turn
// continues on the fallback rather than returning the fragment.
func TestCutStreamFallsBack(t *testing.T) {
	t.Parallel()
	bad := llmtest.New(t, script(t, `
steps:
  - {times: 2, response: {text: "partial partial partial", chunk_size: 3, cut_after: 2}}
`))
	good := llmtest.New(t, script(t, `
steps:
  - {response: {text: "complete"}}
`))
	r := newRig(t)
	r.env["K"] = "sk-k-000000000000000000001"
	var c collect
	resp, err := r.router(1, true, openAIEndpoint(bad, "openai", "m", "K"), openAIEndpoint(good, "openrouter", "m2", "K")).
		Chat(context.Background(), ask("x"), c.handle)
	if err != nil || resp.Text != "complete" || c.text.String() != "complete" {
		t.Fatalf("%+v %v streamed %q", resp, err, c.text.String())
	}
}

// TestKeysStayHome: a key is only sent to its own base URL. Provider keys
// in the process environment never reach a keyless or custom endpoint.
func TestKeysStayHome(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-process-env-openai-0001")
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-process-env-0000001")
	t.Setenv("OPENAI_ORG_ID", "org-secret")
	srv := llmtest.New(t, script(t, `
steps:
  - {match: {api: openai}, response: {text: ok}}
  - {match: {api: anthropic}, response: {text: ok}}
`))
	r := newRig(t)
	keyless := Endpoint{Provider: "ollama", Model: "llama3", BaseURL: srv.OpenAIBaseURL(), APIMode: ChatCompletions, KeyEnv: "OLLAMA_API_KEY", Keyless: true, Pool: "ollama"}
	custom := Endpoint{Provider: "custom", Model: "x", BaseURL: srv.AnthropicBaseURL(), APIMode: AnthropicMessages, KeyEnv: "", Keyless: true}
	for _, ep := range []Endpoint{keyless, custom} {
		if _, err := r.router(0, false, ep).Chat(context.Background(), ask("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, req := range srv.Requests() {
		if req.Key != "" || req.Header.Get("Authorization") != "" || req.Header.Get("X-Api-Key") != "" || req.Header.Get("OpenAI-Organization") != "" {
			t.Errorf("%s request carried credentials: key %q headers %v", req.API, req.Key, req.Header)
		}
	}
}

// TestMissingKey: an endpoint with neither a pool key nor its variable
// says how to add one, and the chain moves on.
func TestMissingKey(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, script(t, `
steps:
  - {response: {text: "fallback answered"}}
`))
	r := newRig(t)
	r.env["FB_KEY"] = "sk-fb-0000000000000000001"
	resp, err := r.router(0, false,
		openAIEndpoint(srv, "openai", "gpt-4o", "OPENAI_API_KEY"),
		openAIEndpoint(srv, "openrouter", "m", "FB_KEY")).Chat(context.Background(), ask("x"), nil)
	if err != nil || resp.Text != "fallback answered" {
		t.Fatalf("%+v %v", resp, err)
	}
	if len(r.notices) != 1 || !strings.Contains(r.notices[0], "set OPENAI_API_KEY in .env, or run `hermes auth add openai") {
		t.Errorf("notices %q", r.notices)
	}
}

// TestRetryAfterHonoured: a 503 with Retry-After waits exactly that long.
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, script(t, `
steps:
  - {response: {status: 503, headers: {Retry-After: "7"}, error: "busy"}}
  - {response: {text: "done"}}
`))
	r := newRig(t)
	r.env["K"] = "sk-k-000000000000000000001"
	resp, err := r.router(3, false, openAIEndpoint(srv, "openai", "m", "K")).Chat(context.Background(), ask("x"), nil)
	if err != nil || resp.Text != "done" {
		t.Fatal(err)
	}
	if s := r.clk.Slept(); len(s) != 1 || s[0] != 7*time.Second {
		t.Errorf("slept %v, want [7s]", s)
	}
}

// TestBadRequestStops: a 400 is the request's fault: no retry, no fallback.
func TestBadRequestStops(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, script(t, `
steps:
  - {response: {status: 400, error: "messages: too long"}}
`))
	r := newRig(t)
	r.env["K"] = "sk-k-000000000000000000001"
	_, err := r.router(3, false, openAIEndpoint(srv, "openai", "m", "K"), openAIEndpoint(srv, "openrouter", "m", "K")).
		Chat(context.Background(), ask("x"), nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindBadRequest || len(srv.Requests()) != 1 || len(r.notices) != 0 {
		t.Fatalf("err %v, %d requests, notices %q", err, len(srv.Requests()), r.notices)
	}
}

// TestCancelStops: cancelling the context ends the call at once, with no
// retry and no fallback.
func TestCancelStops(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, script(t, `
steps:
  - {response: {text: "late", delay: 5s}}
`))
	srv.AllowUnused()
	r := newRig(t)
	r.env["K"] = "sk-k-000000000000000000001"
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(srv.Requests()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := r.router(3, true, openAIEndpoint(srv, "openai", "m", "K"), openAIEndpoint(srv, "openrouter", "m", "K")).
		Chat(ctx, ask("x"), func(Event) {})
	if !errors.Is(err, context.Canceled) || len(srv.Requests()) != 1 || len(r.notices) != 0 {
		t.Fatalf("err %v, %d requests, notices %q", err, len(srv.Requests()), r.notices)
	}
}

// TestTimeoutFallsBack: an endpoint that does not answer within its
// timeout is retried, then skipped for the fallback.
func TestTimeoutFallsBack(t *testing.T) {
	t.Parallel()
	slow := llmtest.New(t, script(t, `
steps:
  - {times: -1, response: {text: "too late", delay: 3s}}
`))
	slow.AllowUnused()
	fast := llmtest.New(t, script(t, `
steps:
  - {response: {text: "in time"}}
`))
	r := newRig(t)
	r.env["K"] = "sk-k-000000000000000000001"
	ep := openAIEndpoint(slow, "openai", "m", "K")
	ep.Timeout = 100 * time.Millisecond
	resp, err := r.router(1, false, ep, openAIEndpoint(fast, "openrouter", "m", "K")).Chat(context.Background(), ask("x"), nil)
	if err != nil || resp.Text != "in time" {
		t.Fatalf("%+v %v", resp, err)
	}
	if len(r.notices) != 1 || !strings.Contains(r.notices[0], "no complete answer within 100ms") {
		t.Errorf("notices %q", r.notices)
	}
}
