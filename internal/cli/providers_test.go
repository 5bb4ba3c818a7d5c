package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFallbackCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cfg := filepath.Join(home, "config.yaml")
	writeFile(t, cfg, "# mine\nmodel:\n  provider: openai\n  default: gpt-4o # main\n", 0o600)
	if r := hermes(t, home, nil, "fallback"); r.code != 0 || !strings.Contains(r.stdout, "no fallback providers") {
		t.Fatalf("empty list: %+v", r)
	}
	for _, args := range [][]string{
		{"fallback", "add", "anthropic", "claude-sonnet-4"},
		{"fallback", "add", "custom", "llama3:8b", "--base-url", "http://127.0.0.1:8000/v1", "--key-env", "LOCAL_KEY"},
	} {
		if r := hermes(t, home, nil, args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	refused := map[string][]string{
		"is the primary model":      {"fallback", "add", "openai", "gpt-4o"},
		"is already fallback 1":     {"fallback", "add", "anthropic", "claude-sonnet-4"},
		`unknown provider "nosuch"`: {"fallback", "add", "nosuch", "m"},
		"no fallback \"9\"":         {"fallback", "remove", "9"},
		"want on or off":            {"fallback", "auto", "maybe"},
	}
	for want, args := range refused {
		if r := hermes(t, home, nil, args...); r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("%v: %+v", args, r)
		}
	}
	data, _ := os.ReadFile(cfg)
	want := "# mine\nmodel:\n  provider: openai\n  default: gpt-4o # main\nfallback_providers: [{provider: anthropic, model: claude-sonnet-4}, {provider: custom, model: llama3:8b, base_url: http://127.0.0.1:8000/v1, key_env: LOCAL_KEY}]\n"
	if string(data) != want {
		t.Errorf("config.yaml:\n%s\nwant:\n%s", data, want)
	}
	if r := hermes(t, home, nil, "fallback", "list"); r.stdout != "1. anthropic/claude-sonnet-4\n2. custom/llama3:8b http://127.0.0.1:8000/v1\n" {
		t.Errorf("list: %q", r.stdout)
	}
	hermes(t, home, nil, "fallback", "auto", "off")
	if r := hermes(t, home, nil, "config", "get", "model.auto_fallback"); r.stdout != "false\n" {
		t.Errorf("auto off: %+v", r)
	}
	if r := hermes(t, home, nil, "fallback", "remove", "anthropic/claude-sonnet-4"); r.code != 0 {
		t.Fatalf("remove: %+v", r)
	}
	if r := hermes(t, home, nil, "fallback", "clear"); r.code != 0 {
		t.Fatalf("clear: %+v", r)
	}
	if r := hermes(t, home, nil, "config", "get", "fallback_providers"); r.stdout != "[]\n" {
		t.Errorf("after clear: %q", r.stdout)
	}
}

func TestModelCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cfg := filepath.Join(home, "config.yaml")
	r := hermes(t, home, map[string]string{"OPENROUTER_API_KEY": "sk-or-v1-0123456789abcdef0001"}, "model")
	if r.code != 0 || !strings.Contains(r.stdout, "openrouter/anthropic/claude-sonnet-4") || !strings.Contains(r.stdout, "OPENROUTER_API_KEY (sk-or-...0001)") ||
		!strings.Contains(r.stdout, "one outage or rate limit stops the agent") {
		t.Fatalf("show: %+v", r)
	}
	if r := hermes(t, home, nil, "model", "set", "custom", "qwen", "--base-url", "http://127.0.0.1:8000/v1", "--key-env", "VLLM_KEY"); r.code != 0 {
		t.Fatalf("set custom: %+v", r)
	}
	if r := hermes(t, home, nil, "model", "set", "gpt-4.1"); r.code != 0 {
		t.Fatalf("set model only: %+v", r)
	}
	data, _ := os.ReadFile(cfg)
	if string(data) != "model:\n  default: gpt-4.1\n  provider: custom\n  base_url: http://127.0.0.1:8000/v1\n  key_env: VLLM_KEY\n" {
		t.Errorf("config.yaml:\n%s", data)
	}
	// A new provider drops the old endpoint's base_url and key_env.
	if r := hermes(t, home, nil, "model", "set", "anthropic", "claude-opus-4"); r.code != 0 {
		t.Fatalf("set anthropic: %+v", r)
	}
	if data, _ := os.ReadFile(cfg); string(data) != "model:\n  default: claude-opus-4\n  provider: anthropic\n" {
		t.Errorf("config.yaml after switching provider:\n%s", data)
	}
	if r := hermes(t, home, nil, "model", "set", "custom", "x"); r.code != 1 || !strings.Contains(r.stderr, "the custom provider needs base_url") {
		t.Errorf("custom without base_url: %+v", r)
	}
}

func TestAuthCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := map[string]string{"OPENAI_API_KEY": "sk-proj-envkey-000000000009"}
	writeFile(t, filepath.Join(home, "config.yaml"), "model: {provider: openai, default: gpt-4o}\n", 0o600)
	if r := hermes(t, home, env, "auth", "add", "openai", "--key", "sk-proj-first-0000000000001", "--label", "work"); r.code != 0 || !strings.Contains(r.stdout, "added sk-pro...0001") {
		t.Fatalf("add: %+v", r)
	}
	var out, errb strings.Builder
	code := run([]string{"auth", "add", "openai", "--key", "-"}, strings.NewReader("sk-proj-second-000000000002\n"), &out, &errb,
		func(k string) string { return map[string]string{"HERMES_HOME": home}[k] })
	if code != 0 {
		t.Fatalf("add from stdin: %s", errb.String())
	}
	refused := map[string][]string{
		"already has this key": {"auth", "add", "openai", "--key", "sk-proj-first-0000000000001"},
		"unknown provider":     {"auth", "add", "nosuch", "--key", "sk-x-000000000000000000001"},
		"--key -":              {"auth", "add", "openai"},
		"fill_first":           {"auth", "strategy", "openai", "sideways"},
	}
	for want, args := range refused {
		if r := hermes(t, home, env, args...); r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("%v: %+v", args, r)
		}
	}
	r := hermes(t, home, env, "auth", "list")
	for _, want := range []string{"openai (fill_first)", "work", "sk-pro...0001", "sk-pro...0002", "(OPENAI_API_KEY)", "env:OPENAI_API_KEY"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}
	r = hermes(t, home, env, "auth", "list", "--json")
	if strings.Contains(r.stdout, "first-0000000000001") || strings.Contains(r.stdout, "envkey") {
		t.Fatalf("json shows a whole key:\n%s", r.stdout)
	}
	var pools map[string]struct {
		Entries []struct{ Key, Label, Source string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &pools); err != nil || len(pools["openai"].Entries) != 3 {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	for _, args := range [][]string{{"auth", "priority", "openai", "work", "9"}, {"auth", "strategy", "openai", "round_robin"},
		{"auth", "reset", "openai"}, {"auth", "remove", "openai", "work"}} {
		if r := hermes(t, home, env, args...); r.code != 0 {
			t.Errorf("%v: %+v", args, r)
		}
	}
	data, _ := os.ReadFile(filepath.Join(home, "auth.json"))
	if strings.Contains(string(data), "envkey") || strings.Contains(string(data), "first-0000000000001") {
		t.Errorf("auth.json holds the env key or a removed key:\n%s", data)
	}
	if fi, _ := os.Stat(filepath.Join(home, "auth.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("auth.json mode %v", fi.Mode().Perm())
	}
}

// Changing the provider with config set must not keep the old endpoint:
// the new provider's key would go to it.
func TestConfigSetProviderResetsEndpoint(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cfg := filepath.Join(home, "config.yaml")
	writeFile(t, cfg, "model:\n  provider: custom\n  default: qwen\n  base_url: http://127.0.0.1:8000/v1\n  key_env: VLLM_API_KEY\n", 0o600)
	r := hermes(t, home, nil, "config", "set", "model.provider", "openai")
	if r.code != 0 || !strings.Contains(r.stderr, "removed model.base_url, model.key_env") {
		t.Fatalf("set provider: %+v", r)
	}
	data, _ := os.ReadFile(cfg)
	if strings.Contains(string(data), "base_url") || strings.Contains(string(data), "key_env") || !strings.Contains(string(data), "provider: openai") {
		t.Errorf("config.yaml:\n%s", data)
	}
	// Setting the same provider again keeps everything.
	writeFile(t, cfg, "model:\n  provider: openai\n  base_url: https://proxy.example/v1\n", 0o600)
	if r := hermes(t, home, nil, "config", "set", "model.provider", "openai"); r.code != 0 {
		t.Fatalf("same provider: %+v", r)
	}
	if data, _ := os.ReadFile(cfg); !strings.Contains(string(data), "base_url") {
		t.Errorf("same provider dropped base_url:\n%s", data)
	}
}
