package config

import (
	"os"
	"strings"
	"testing"
)

const (
	testGHP = "ghp_Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4sD6gH"
	testSK  = "sk-proj-Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4sD6gH"
)

func TestSecretsInConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		path string // the key reported; "" for none
		line int
		fix  string // part of the hint
	}{
		{"mcp env", "mcp_servers:\n  gh:\n    command: npx\n    env:\n      TOKEN: " + testGHP + "\n",
			"mcp_servers.gh.env.TOKEN", 5, "as TOKEN=... and write ${TOKEN}"},
		{"mcp header", "mcp_servers:\n  t:\n    url: https://mcp.example/mcp\n    headers:\n      Authorization: Bearer Xk29fjQ8zPqL3mN7vB2cR5tY\n",
			"mcp_servers.t.headers.Authorization", 5, "write ${T_AUTHORIZATION}"},
		{"mcp arg", "mcp_servers:\n  gh:\n    command: npx\n    args: [server, " + testGHP + "]\n",
			"mcp_servers.gh.args.1", 4, "${GH_ARG1}"},
		{"mcp url query", "mcp_servers:\n  t:\n    url: https://mcp.example/sse?token=Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4s\n",
			"mcp_servers.t.url", 3, "${T_URL}"},
		{"mcp url userinfo", "mcp_servers:\n  t:\n    url: https://bob:Xk29fjQ8zPqL3mN7@mcp.example/x\n",
			"mcp_servers.t.url", 3, ".env"},
		{"model api key", "model:\n  provider: openai\n  default: gpt-4o\n  api_key: " + testSK + "\n",
			"model.api_key", 4, "set model.key_env: MODEL_API_KEY"},
		{"provider key", "model:\n  provider: local\nproviders:\n  local:\n    base_url: http://127.0.0.1:8000/v1\n    token: hunter2\n",
			"providers.local.token", 6, "set providers.local.key_env: PROVIDERS_LOCAL_API_KEY"},
		{"provider base url with a key in the query", "model:\n  provider: local\nproviders:\n  local:\n    base_url: http://h.example/v1?api_key=" + testSK + "\n",
			"providers.local.base_url", 5, ".env"},
		{"custom section", "my_stuff:\n  nested:\n    password: correcthorsebattery\n",
			"my_stuff.nested.password", 3, "${NESTED_PASSWORD}"},
		{"a vendor token under a plain name", "agent:\n  notes: " + testGHP + "\n", "agent.notes", 2, ".env"},
		{"anchored once, reported once", "x: &a " + testGHP + "\ny: *a\n", "x", 1, ".env"},
		{"block text", "my_notes: |\n  first line\n  " + testGHP + "\n", "my_notes", 1, ".env"},

		{"reference in env", "mcp_servers:\n  gh:\n    command: npx\n    env:\n      TOKEN: ${GITHUB_TOKEN}\n", "", 0, ""},
		{"reference in a header", "mcp_servers:\n  t:\n    url: https://mcp.example/mcp\n    headers:\n      Authorization: Bearer ${T_TOKEN}\n", "", 0, ""},
		{"reference in a url", "mcp_servers:\n  t:\n    url: https://mcp.example/sse?token=${T_TOKEN}\n", "", 0, ""},
		{"key_env names a variable", "model:\n  provider: openai\n  default: gpt-4o\n  key_env: OPENAI_API_KEY\n", "", 0, ""},
		{"webhook auth mode", "platforms:\n  webhooks:\n    routes:\n      gh:\n        secret_env: GH_SECRET\n        auth: token\n", "", 0, ""},
		{"a path", "my_stuff:\n  secret: /etc/hermes/sa.json\n", "", 0, ""},
		{"a public key", "my_stuff:\n  public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n", "", 0, ""},
		{"a word", "my_stuff:\n  key: value\n  primary_key: id\n", "", 0, ""},
		{"a model and a url", "model:\n  provider: custom\n  default: accounts/fireworks/models/llama-v3p1-405b-instruct\n  base_url: https://api.example/v1\n", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, problems := Parse("config.yaml", []byte(tt.yaml))
			var found []Problem
			for _, p := range problems {
				if strings.Contains(p.Msg, "looks like a secret") {
					found = append(found, p)
				}
			}
			if tt.path == "" {
				if len(found) > 0 {
					t.Fatalf("a clean value was reported: %v", found)
				}
				return
			}
			if len(found) != 1 {
				t.Fatalf("want one secret problem at %s, got %v (all: %v)", tt.path, found, problems)
			}
			p := found[0]
			if p.Path != tt.path || p.Line != tt.line || p.Severity != Error {
				t.Errorf("got %s (line %d, severity %v), want %s at line %d as an error", p.Path, p.Line, p.Severity, tt.path, tt.line)
			}
			if !strings.Contains(p.Hint, tt.fix) || !strings.Contains(p.Hint, ".env") {
				t.Errorf("hint %q does not say %q", p.Hint, tt.fix)
			}
			for _, secret := range []string{testGHP, testSK, "Xk29fjQ8zPqL3mN7", "hunter2", "correcthorsebattery"} {
				if strings.Contains(p.Detail(), secret) {
					t.Errorf("the report repeats the secret: %s", p.Detail())
				}
			}
		})
	}
}

// SetMany refuses to write a secret and leaves the file as it was.
func TestSetRefusesSecret(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, value string }{
		{"mcp_servers.gh.env.TOKEN", testGHP},
		{"mcp_servers.t.url", "https://mcp.example/sse?token=Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4s"},
		{"mcp_servers.gh.args", "[server, " + testGHP + "]"},
		{"mcp_servers.t.headers.Authorization", "Bearer Xk29fjQ8zPqL3mN7vB2cR5tY"},
		{"model.default", testSK},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			path := t.TempDir() + "/config.yaml"
			orig := "mcp_servers:\n  gh:\n    command: npx\n  t:\n    url: https://mcp.example/sse\n"
			writeFile(t, path, orig)
			err := SetMany(path, []KeyValue{{Key: tt.key, Value: tt.value}})
			if err == nil || !strings.Contains(err.Error(), "looks like a secret") || !strings.Contains(err.Error(), ".env") {
				t.Fatalf("SetMany(%s) = %v, want a secret refusal naming .env", tt.key, err)
			}
			if strings.Contains(err.Error(), "Xk29fjQ8zPqL3mN7") {
				t.Errorf("the error repeats the secret: %v", err)
			}
			if got := readFile(t, path); got != orig {
				t.Errorf("the file changed:\n%s", got)
			}
		})
	}
	t.Run("a reference is written", func(t *testing.T) {
		t.Parallel()
		path := t.TempDir() + "/config.yaml"
		writeFile(t, path, "mcp_servers:\n  gh:\n    command: npx\n")
		if err := SetMany(path, []KeyValue{{Key: "mcp_servers.gh.env.TOKEN", Value: "${GITHUB_TOKEN}"}}); err != nil {
			t.Fatal(err)
		}
	})
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
