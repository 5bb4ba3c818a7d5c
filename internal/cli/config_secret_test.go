package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliGHP = "ghp_Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4sD6gH"

// config set refuses a secret-shaped value under any key, names the file,
// line and key and the .env + ${VAR} fix, and writes nothing.
func TestConfigSetRefusesSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, value, want string
	}{
		{"mcp_servers.gh.env.TOKEN", cliGHP, "config.yaml:8: mcp_servers.gh.env.TOKEN: holds what looks like a secret (ghp_"},
		{"mcp_servers.gh.args", "[serve, " + cliGHP + "]", "mcp_servers.gh.args.1: holds what looks like a secret"},
		{"mcp_servers.gh.headers.Authorization", "Bearer Xk29fjQ8zPqL3mN7vB2cR5tY", "write ${GH_AUTHORIZATION}"},
		{"model.base_url", "https://u:Xk29fjQ8zPqL3mN7@api.example/v1", "model.base_url: holds what looks like a secret"},
		{"model.default", "sk-proj-Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4sD6gH", "model.default: holds what looks like a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			cfg := filepath.Join(home, "config.yaml")
			orig := "model:\n  provider: openai\n  default: gpt-4o\nmcp_servers:\n  gh:\n    command: npx\n"
			writeFile(t, cfg, orig, 0o600)
			r := hermes(t, home, nil, "config", "set", tt.key, tt.value)
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, ".env") || !strings.Contains(r.stderr, "config.yaml is unchanged") {
				t.Fatalf("config set %s: %+v, want %q", tt.key, r, tt.want)
			}
			if strings.Contains(r.stderr, "Xk29fjQ8zPqL3mN7") {
				t.Errorf("the error repeats the secret: %s", r.stderr)
			}
			if data, _ := os.ReadFile(cfg); string(data) != orig {
				t.Errorf("config.yaml changed:\n%s", data)
			}
		})
	}
	t.Run("a reference is written", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		writeFile(t, filepath.Join(home, "config.yaml"), "mcp_servers:\n  gh:\n    command: npx\n", 0o600)
		if r := hermes(t, home, nil, "config", "set", "mcp_servers.gh.env.TOKEN", "${GITHUB_TOKEN}"); r.code != 0 {
			t.Fatalf("%+v", r)
		}
	})
}

// config check reports a secret already in the file as a problem, with
// its line, and never prints the secret.
func TestConfigCheckReportsSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
		code             int
	}{
		{"mcp env", "mcp_servers:\n  gh:\n    command: npx\n    env:\n      TOKEN: " + cliGHP + "\n",
			"config.yaml:5:14: mcp_servers.gh.env.TOKEN: holds what looks like a secret (ghp_", 1},
		{"custom key", "model:\n  provider: openai\n  default: gpt-4o\nmy_keys:\n  github: " + cliGHP + "\n",
			"config.yaml:5:11: my_keys.github: holds what looks like a secret", 1},
		{"references only", "mcp_servers:\n  gh:\n    command: npx\n    env:\n      TOKEN: ${GITHUB_TOKEN}\n", "ok:", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			writeFile(t, filepath.Join(home, "config.yaml"), tt.yaml, 0o600)
			r := hermes(t, home, nil, "config", "check")
			if r.code != tt.code || !strings.Contains(r.stdout, tt.want) {
				t.Fatalf("config check: %+v, want code %d and %q", r, tt.code, tt.want)
			}
			if strings.Contains(r.stdout+r.stderr, "Xk29fjQ8zPqL3mN7") {
				t.Errorf("config check repeats the secret:\n%s", r.stdout)
			}
			r = hermes(t, home, nil, "config", "check", "--json")
			if strings.Contains(r.stdout, "Xk29fjQ8zPqL3mN7") {
				t.Errorf("config check --json repeats the secret:\n%s", r.stdout)
			}
		})
	}
}
