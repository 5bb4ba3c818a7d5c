package llm

import (
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
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
		"compression": "openrouter/google/gemini-flash > openai/gpt-4o > anthropic/claude-sonnet-4",
		"title":       "openai/gpt-4o-mini > openai/gpt-4o > anthropic/claude-sonnet-4",
		"vision":      "anthropic/claude-sonnet-4 > openai/gpt-4o", // not repeated
		"approval":    "openai/gpt-4o > anthropic/claude-sonnet-4",
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
