package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetKeepsCommentsAndOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, before, key, value, after string
	}{
		{
			name: "replace scalar keeps comments",
			before: `# my settings
model:
  # the daily driver
  default: gpt-4o   # cheap
  provider: openai

agent:
  max_turns: 90 # budget
# end
`,
			key: "agent.max_turns", value: "120",
			after: `# my settings
model:
  # the daily driver
  default: gpt-4o # cheap
  provider: openai

agent:
  max_turns: 120 # budget
# end
`,
		},
		{
			name:   "string that looks like a number stays a string",
			before: "model:\n  default: gpt-4o\n",
			key:    "model.default", value: "4",
			after: "model:\n  default: \"4\"\n",
		},
		{
			name:   "add key to existing section",
			before: "agent:\n  max_turns: 3 # x\nmodel:\n  provider: openai\n",
			key:    "agent.api_max_retries", value: "5",
			after: "agent:\n  max_turns: 3 # x\n  api_max_retries: 5\nmodel:\n  provider: openai\n",
		},
		{
			name:   "create missing sections",
			before: "# top\nmodel:\n  provider: openai\n",
			key:    "terminal.docker.image", value: "alpine:3",
			after: "# top\nmodel:\n  provider: openai\nterminal:\n  docker:\n    image: alpine:3\n",
		},
		{
			name:   "empty section gets children",
			before: "terminal:\nagent:\n  max_turns: 3\n",
			key:    "terminal.backend", value: "docker",
			after: "terminal:\n  backend: docker\nagent:\n  max_turns: 3\n",
		},
		{
			name:   "flow mapping stays flow",
			before: "model: {provider: openai} # inline\n",
			key:    "model.default", value: "gpt-4o",
			after: "model: {provider: openai, default: gpt-4o} # inline\n",
		},
		{
			name:   "comment-only file",
			before: "# nothing yet\n",
			key:    "approvals.mode", value: "smart",
			after: "# nothing yet\napprovals:\n  mode: smart\n",
		},
		{
			name:   "missing file",
			before: "",
			key:    "approvals.mode", value: "off",
			after: "approvals:\n  mode: \"off\"\n",
		},
		{
			name:   "flow list value",
			before: "agent:\n  max_turns: 3\n",
			key:    "command_allowlist", value: "[git status, ls -la]",
			after: "agent:\n  max_turns: 3\ncommand_allowlist: [git status, ls -la]\n",
		},
		{
			name:   "replace block list",
			before: "command_allowlist:\n  - a\n  - b\n",
			key:    "command_allowlist", value: "[c]",
			after: "command_allowlist: [c]\n",
		},
		{
			name:   "list element field",
			before: "fallback_providers:\n  - provider: openai\n    model: gpt-4o # old\n",
			key:    "fallback_providers.0.model", value: "gpt-4.1",
			after: "fallback_providers:\n  - provider: openai\n    model: gpt-4.1 # old\n",
		},
		{
			name:   "new map entry",
			before: "mcp_servers:\n  fs:\n    command: npx\n",
			key:    "mcp_servers.web.url", value: "http://127.0.0.1:9000/mcp",
			after: "mcp_servers:\n  fs:\n    command: npx\n  web:\n    url: http://127.0.0.1:9000/mcp\n",
		},
		{
			name:   "duration",
			before: "approvals:\n  timeout: 300\n",
			key:    "approvals.timeout", value: "10m",
			after: "approvals:\n  timeout: 10m\n",
		},
		{
			name:   "text with newline is quoted",
			before: "",
			key:    "platforms.webhooks.routes.gh.prompt", value: "line1\nline2",
			after: "platforms:\n  webhooks:\n    routes:\n      gh:\n        prompt: \"line1\\nline2\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), FileName)
			if tt.before != "" {
				if err := os.WriteFile(path, []byte(tt.before), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			err := Set(path, tt.key, tt.value)
			if tt.key == "platforms.webhooks.routes.gh.prompt" {
				// A route without secret_env on the default loopback
				// listener is accepted with a warning.
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := os.ReadFile(path); string(got) != tt.after {
					t.Fatalf("got %q, want %q", got, tt.after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.after {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.after)
			}
			if _, problems := Parse(FileName, got); len(problems) != 0 {
				t.Errorf("result has problems: %v", problems)
			}
			fi, _ := os.Stat(path)
			want := os.FileMode(0o640)
			if tt.before == "" {
				want = 0o600
			}
			if fi.Mode().Perm() != want {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), want)
			}
		})
	}
}

func TestSetRefusesAndLeavesFile(t *testing.T) {
	t.Parallel()
	const good = "# keep me\nagent:\n  max_turns: 90\n"
	tests := []struct {
		name, before, key, value, wantErr string
	}{
		{"bad type", good, "agent.max_turns", "lots", `config.yaml:3: agent.max_turns: want a whole number from 1 to 10000, got "lots" (config.yaml is unchanged)`},
		{"out of range", good, "agent.max_turns", "0", "want a whole number from 1 to 10000, got 0"},
		{"bad enum", good, "approvals.mode", "yolo", `want one of manual, smart, off; got "yolo"`},
		{"unknown key", good, "agent.maxturns", "3", "unknown key agent.maxturns; did you mean agent.max_turns?"},
		{"unknown section", good, "mode", "smart", "did you mean approvals.mode?"},
		{"into a scalar", good, "agent.max_turns.x", "1", "is a single value"},
		{"list needs index", good, "fallback_providers.model", "x", "index it with a number"},
		{"index out of range", "fallback_providers:\n  - {provider: openai, model: a}\n", "fallback_providers.3.model", "x", "out of range"},
		{"bad yaml value", good, "command_allowlist", "[a, b", "not valid YAML"},
		{"broken file", "agent:\n  max_turns: \"90\n", "agent.max_turns", "3", "YAML syntax"},
		{"file has other errors", "agent:\n  max_turns: lots\n", "approvals.mode", "smart", "agent.max_turns: want a whole number"},
		{"semantic", good, "model.provider", "nosuch", `unknown provider "nosuch"`},
		{"empty key", good, "", "x", "no key given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), FileName)
			if err := os.WriteFile(path, []byte(tt.before), 0o600); err != nil {
				t.Fatal(err)
			}
			err := Set(path, tt.key, tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.before {
				t.Errorf("file changed:\n%s", got)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			for _, e := range entries {
				if p := filepath.Join(filepath.Dir(path), e.Name()); p != path && p != LockPath(path) {
					t.Errorf("stray file: %s", e.Name())
				}
			}
		})
	}
}

func TestSetUnknownKeyError(t *testing.T) {
	t.Parallel()
	err := Set(filepath.Join(t.TempDir(), FileName), "approvals.mdoe", "smart")
	var uk *UnknownKeyError
	if !errors.As(err, &uk) || uk.Suggestion != "approvals.mode" {
		t.Fatalf("err = %v", err)
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	cfg, _ := Parse(FileName, []byte("mcp_servers: {fs: {command: npx}}\nfallback_providers: [{provider: openai, model: gpt-4o}]\nmodel: {temperature: 0.5}\n"))
	tests := []struct{ key, want string }{
		{"agent.max_turns", "90"},
		{"approvals.timeout", "5m0s"},
		{"model.temperature", "0.5"},
		{"mcp_servers.fs.command", "npx"},
		{"mcp_servers.fs.enabled", "true"},
		{"fallback_providers.0.model", "gpt-4o"},
		{"compression", "enabled: true\nthreshold: 0.5\nkeep_first: 3\nkeep_last: 20"},
	}
	for _, tt := range tests {
		got, err := Get(cfg, tt.key)
		if err != nil || got != tt.want {
			t.Errorf("Get(%s) = %q, %v; want %q", tt.key, got, err, tt.want)
		}
	}
	for _, key := range []string{"agent.nope", "mcp_servers.missing.command", "fallback_providers.5.model"} {
		if _, err := Get(cfg, key); err == nil {
			t.Errorf("Get(%s) succeeded", key)
		}
	}
	nilTemp, _ := Get(Default(), "model.temperature")
	if nilTemp != "null" {
		t.Errorf("unset temperature = %q", nilTemp)
	}
}

func TestAppendRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, before string
		op           func(path string) error
		after        string
	}{
		{"append to block list keeps comments", "# c\nfallback_providers:\n  # first\n  - provider: openai # one\n    model: gpt-4o\nagent:\n  max_turns: 3\n",
			func(p string) error { return Append(p, "fallback_providers", "{provider: anthropic, model: claude}") },
			"# c\nfallback_providers:\n  # first\n  - provider: openai # one\n    model: gpt-4o\n  - provider: anthropic\n    model: claude\nagent:\n  max_turns: 3\n"},
		{"append to flow list", "fallback_providers: [{provider: openai, model: gpt-4o}]\n",
			func(p string) error { return Append(p, "fallback_providers", "{provider: anthropic, model: claude}") },
			"fallback_providers: [{provider: openai, model: gpt-4o}, {provider: anthropic, model: claude}]\n"},
		{"append creates the list", "# only\nmodel:\n  provider: openai\n",
			func(p string) error { return Append(p, "fallback_providers", "{provider: anthropic, model: claude}") },
			"# only\nmodel:\n  provider: openai\nfallback_providers: [{provider: anthropic, model: claude}]\n"},
		{"append a string", "command_allowlist:\n  - ls\n",
			func(p string) error { return Append(p, "command_allowlist", "git status") },
			"command_allowlist:\n  - ls\n  - git status\n"},
		{"append strings that need quotes", "command_allowlist:\n  - ls\n",
			func(p string) error {
				for _, v := range []string{"yes", "a: b", `rm -rf build/\*`} {
					if err := Append(p, "command_allowlist", v); err != nil {
						return err
					}
				}
				return nil
			},
			"command_allowlist:\n  - ls\n  - \"yes\"\n  - \"a: b\"\n  - \"rm -rf build/\\\\*\"\n"},
		{"remove takes the entry's comment", "fallback_providers:\n  - provider: openai\n    model: gpt-4o\n  # second\n  - provider: anthropic\n    model: claude\n  - provider: ollama\n    model: llama3\n",
			func(p string) error { return RemoveAt(p, "fallback_providers", 1) },
			"fallback_providers:\n  - provider: openai\n    model: gpt-4o\n  - provider: ollama\n    model: llama3\n"},
		{"remove last leaves []", "fallback_providers:\n  - provider: openai\n    model: gpt-4o\n",
			func(p string) error { return RemoveAt(p, "fallback_providers", 0) },
			"fallback_providers: []\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), FileName)
			os.WriteFile(path, []byte(tt.before), 0o600)
			if err := tt.op(path); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.after {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.after)
			}
		})
	}
	path := filepath.Join(t.TempDir(), FileName)
	os.WriteFile(path, []byte("model: {provider: openai, default: gpt-4o}\n"), 0o600)
	for name, op := range map[string]func() error{
		"duplicate of primary": func() error { return Append(path, "fallback_providers", "{provider: openai, model: gpt-4o}") },
		"not a list":           func() error { return Append(path, "agent.max_turns", "3") },
		"index out of range":   func() error { return RemoveAt(path, "fallback_providers", 0) },
		"unknown key":          func() error { return Append(path, "fallbacks", "x") },
	} {
		if err := op(); err == nil {
			t.Errorf("%s: no error", name)
		}
		if got, _ := os.ReadFile(path); string(got) != "model: {provider: openai, default: gpt-4o}\n" {
			t.Errorf("%s changed the file: %s", name, got)
		}
	}
}

func TestSetManyUnset(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), FileName)
	os.WriteFile(path, []byte("# top\nmodel:\n  provider: custom # local\n  default: qwen\n  base_url: http://127.0.0.1:8000/v1\n  key_env: VLLM_KEY\n"), 0o600)
	err := SetMany(path, []KeyValue{
		{Key: "model.provider", Value: "openai"}, {Key: "model.default", Value: "gpt-4o"},
		{Key: "model.base_url", Unset: true}, {Key: "model.key_env", Unset: true}, {Key: "model.api_mode", Unset: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := "# top\nmodel:\n  provider: openai # local\n  default: gpt-4o\n"; string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Switching to custom without base_url is refused as a whole.
	err = SetMany(path, []KeyValue{{Key: "model.provider", Value: "custom"}})
	if err == nil || !strings.Contains(err.Error(), "model.base_url: the custom provider needs base_url") || !strings.Contains(err.Error(), "config.yaml is unchanged") {
		t.Fatalf("err = %v", err)
	}
}

// TestSetRepairsBrokenFile: set can fix the key a broken file complains
// about, one key at a time; a change that fixes nothing is refused.
func TestSetRepairsBrokenFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), FileName)
	os.WriteFile(path, []byte("agent:\n  max_turns: lots\napprovals:\n  mode: yolo\n"), 0o600)
	err := Set(path, "agent.max_turns", "5")
	var le *LoadError
	if !errors.As(err, &le) || !le.Written || !strings.Contains(err.Error(), "the change is saved") || !strings.Contains(err.Error(), "approvals.mode") {
		t.Fatalf("first repair: %v", err)
	}
	if err := Set(path, "approvals.mode", "smart"); err != nil {
		t.Fatalf("second repair: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "agent:\n  max_turns: 5\napprovals:\n  mode: smart\n" {
		t.Errorf("file:\n%s", got)
	}
	// A repair that brings in a new problem is refused.
	os.WriteFile(path, []byte("agent:\n  max_turns: lots\n"), 0o600)
	if err := Set(path, "agent.max_turns", "0"); err == nil || !strings.Contains(err.Error(), `got "lots"`) {
		t.Errorf("bad repair: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "agent:\n  max_turns: lots\n" {
		t.Errorf("file changed by a bad repair:\n%s", got)
	}
}
