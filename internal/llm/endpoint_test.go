package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/llmtest"
)

func parseConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, problems := config.Parse("config.yaml", []byte(src))
	if config.HasErrors(problems) {
		t.Fatalf("config problems: %v", problems)
	}
	return cfg
}

func TestChain(t *testing.T) {
	t.Parallel()
	cfg := parseConfig(t, `
model: {provider: custom, default: qwen, base_url: "http://127.0.0.1:8000/v1", key_env: VLLM_KEY, timeout: 30s}
providers:
  lab: {base_url: "http://127.0.0.1:9000", api_mode: anthropic_messages, key_env: LAB_KEY, model: lab-1}
fallback_providers:
  - {provider: openrouter, model: anthropic/claude-sonnet-4}
  - {provider: lab, model: ""}
  - {provider: custom, model: other, base_url: "http://127.0.0.1:8001/v1", key_env: OTHER_KEY}
  - {provider: ollama, model: llama3}
`)
	chain, err := Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []Endpoint{
		{Provider: "custom", Model: "qwen", BaseURL: "http://127.0.0.1:8000/v1", APIMode: ChatCompletions, KeyEnv: "VLLM_KEY", Pool: "custom"},
		{Provider: "openrouter", Model: "anthropic/claude-sonnet-4", BaseURL: "https://openrouter.ai/api/v1", APIMode: ChatCompletions, KeyEnv: "OPENROUTER_API_KEY", Pool: "openrouter"},
		{Provider: "lab", Model: "lab-1", BaseURL: "http://127.0.0.1:9000", APIMode: AnthropicMessages, KeyEnv: "LAB_KEY", Pool: "lab"},
		// Another custom URL must not use the primary custom endpoint's pool.
		{Provider: "custom", Model: "other", BaseURL: "http://127.0.0.1:8001/v1", APIMode: ChatCompletions, KeyEnv: "OTHER_KEY", Pool: ""},
		{Provider: "ollama", Model: "llama3", BaseURL: "http://127.0.0.1:11434/v1", APIMode: ChatCompletions, KeyEnv: "OLLAMA_API_KEY", Pool: "ollama", Keyless: true},
	}
	if len(chain) != len(want) {
		t.Fatalf("chain %+v", chain)
	}
	for i := range want {
		got := chain[i]
		if i == 0 && got.Timeout.Seconds() != 30 {
			t.Errorf("primary timeout %v", got.Timeout)
		}
		got.Timeout = 0
		if got != want[i] {
			t.Errorf("chain[%d] = %+v\nwant        %+v", i, got, want[i])
		}
	}
	cfg.Model.AutoFallback = false
	if chain, _ := Chain(cfg); len(chain) != 1 {
		t.Errorf("auto_fallback off still chains %d", len(chain))
	}
}

func TestAuxChain(t *testing.T) {
	t.Parallel()
	cfg := parseConfig(t, `
model: {provider: openai, default: gpt-4o}
fallback_providers: [{provider: anthropic, model: claude-sonnet-4}]
auxiliary:
  compression: {provider: openrouter, model: google/gemini-flash}
  title: {model: gpt-4o-mini}
  vision: {provider: anthropic, model: claude-sonnet-4}
delegation:
  model: {model: gpt-4o-mini}
`)
	labels := func(task string) string {
		chain, err := AuxChain(cfg, task)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, e := range chain {
			s = append(s, e.Label())
		}
		return strings.Join(s, " > ")
	}
	tests := map[string]string{
		"compression":  "openrouter/google/gemini-flash > openai/gpt-4o > anthropic/claude-sonnet-4",
		"title":        "openai/gpt-4o-mini > openai/gpt-4o > anthropic/claude-sonnet-4",
		"vision":       "anthropic/claude-sonnet-4 > openai/gpt-4o", // not repeated
		"approval":     "openai/gpt-4o > anthropic/claude-sonnet-4",
		DelegationTask: "openai/gpt-4o-mini > openai/gpt-4o > anthropic/claude-sonnet-4",
	}
	for task, want := range tests {
		if got := labels(task); got != want {
			t.Errorf("%s: %s, want %s", task, got, want)
		}
	}
	if _, err := AuxChain(cfg, "dreaming"); err == nil {
		t.Error("unknown task accepted")
	}
}

// TestFromConfig: model.streaming and agent.api_max_retries reach the
// Router; a side task with a failing provider of its own fails alone while
// the main chain answers.
func TestFromConfig(t *testing.T) {
	t.Parallel()
	main := llmtest.New(t, script(t, "steps:\n  - {times: -1, response: {text: main answers}}\n"))
	aux := llmtest.New(t, script(t, "steps:\n  - {times: -1, response: {status: 401, error: bad key}}\n"))
	main.AllowUnused()
	aux.AllowUnused()
	cfg := parseConfig(t, `
model: {provider: custom, default: m, base_url: "`+main.OpenAIBaseURL()+`", streaming: false}
agent: {api_max_retries: 5}
providers:
  side: {base_url: "`+aux.OpenAIBaseURL()+`", key_env: SIDE_KEY}
auxiliary:
  title: {provider: side, model: small}
`)
	r := newRig(t)
	r.env["SIDE_KEY"] = "sk-side-00000000000000001"
	o := Options{Pools: r.pools, Clock: r.clk, Env: func(k string) (string, bool) { v, ok := r.env[k]; return v, ok }}
	router, err := FromConfig(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if router.opts.Stream || router.opts.Retries != 5 {
		t.Errorf("stream %v retries %d", router.opts.Stream, router.opts.Retries)
	}
	streamed := 0
	resp, err := router.Chat(context.Background(), ask("x"), func(Event) { streamed++ })
	if err != nil || resp.Text != "main answers" || streamed != 0 || main.Requests()[0].Stream {
		t.Fatalf("main: %+v %v streamed %d", resp, err, streamed)
	}
	title, err := AuxFromConfig(cfg, "title", o)
	if err != nil {
		t.Fatal(err)
	}
	// The title task's own provider refuses its key; the task continues on
	// the main chain, and the main router is untouched either way.
	resp, err = title.Chat(context.Background(), ask("name this"), nil)
	if err != nil || resp.Text != "main answers" || len(aux.Requests()) != 1 {
		t.Fatalf("title: %+v %v", resp, err)
	}
}
