package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
)

func TestBlocked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		blocked bool
	}{
		{"OPENAI_API_KEY", true}, {"openai_api_key", true}, {"Anthropic_Api_Key", true},
		{"OPENAI_BASE_URL", true}, {"OLLAMA_HOST", true}, {"GH_TOKEN", true}, {"gh_token", true},
		{"GITHUB_TOKEN", true}, {"SUDO_PASSWORD", true}, {"EMAIL_PASSWORD", true},
		{"TELEGRAM_BOT_TOKEN", true}, {"telegram_allowed_users", true}, {"DISCORD_BOT_TOKEN", true},
		{"SLACK_APP_TOKEN", true}, {"MODAL_TOKEN_SECRET", true}, {"E2B_API_KEY", true},
		{"SOME_VENDOR_API_KEY", true}, {"MY_ALLOWLIST", true}, {"HERMES_GATEWAY_SECRET", true},
		{"AWS_SECRET_ACCESS_KEY", true}, {"HF_TOKEN", true},
		{"PATH", false}, {"HOME", false}, {"LANG", false}, {"TERM", false}, {"GOPATH", false},
		{"MY_PROJECT_FLAG", false}, {"API_KEY_HELP_URL", false}, {"HERMES_HOME", false},
		// by shape
		{"GITHUB_PAT", true}, {"NPM_TOKEN", true}, {"VAULT_TOKEN", true}, {"VAULT_ADDR", true},
		{"CLOUDFLARE_API_TOKEN", true}, {"AWS_ACCESS_KEY_ID", true}, {"aws_region", true},
		{"DATABASE_PASSWORD", true}, {"MYSQL_PWD", true}, {"FTP_PASS", true}, {"ADMIN_PW", true},
		{"JWT_SECRET", true}, {"GOOGLE_CREDENTIALS", true}, {"STRIPE_KEY", true}, {"MY_API_KEY", true},
		{"PWD", false}, {"OLDPWD", false}, {"SHELL", false}, {"TOKENIZERS_PARALLELISM", false},
		{"KEYBOARD_LAYOUT", false}, {"PASSAGE", false}, {"SSH_AUTH_SOCK", false}, {"COMPASS", false},
	}
	for _, tt := range tests {
		if got := Blocked(tt.name); got != tt.blocked {
			t.Errorf("Blocked(%q) = %v, want %v", tt.name, got, tt.blocked)
		}
	}
}

func TestFilterEnv(t *testing.T) {
	t.Parallel()
	parent := []string{"PATH=/bin", "OPENAI_API_KEY=sk-x", "github_token=g", "NOEQUALS", "=bad", "A=1", "A=2"}
	got := FilterEnv(parent, map[string]string{"B": "b", "A": "3", "GH_TOKEN": "t", "": "x"})
	want := []string{"A=3", "B=b", "PATH=/bin"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestPassthroughCannotReallow(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OPENAI_API_KEY": "sk", "TELEGRAM_BOT_TOKEN": "1:x", "SAFE": "ok", "sudo_password": "pw"}
	lookup := func(n string) (string, bool) { v, ok := env[n]; return v, ok }
	got := Passthrough([]string{"OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "SAFE", "sudo_password", "UNSET"}, lookup)
	if len(got) != 1 || got["SAFE"] != "ok" {
		t.Fatalf("got %v", got)
	}
}

func TestPassthroughEnvReadsHomeDotenv(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("FROM_DOTENV=d\nGH_TOKEN=ghp_x\nBOTH=dotenv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{
		HomeDir:  home,
		Env:      []string{"BOTH=parent", "FROM_PARENT=p", "OPENAI_API_KEY=sk"},
		Terminal: config.Terminal{EnvPassthrough: []string{"FROM_DOTENV", "FROM_PARENT", "BOTH", "GH_TOKEN", "OPENAI_API_KEY"}},
	}
	pass, err := PassthroughEnv(o)
	if err != nil {
		t.Fatal(err)
	}
	got := ChildEnv(o.Env, pass, map[string]string{"X": "1", "GH_TOKEN": "again"})
	want := []string{"BOTH=dotenv", "FROM_DOTENV=d", "FROM_PARENT=p", "X=1"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// The variables an attacker found in the sandboxed shell, and secrets by
// value under harmless names, never reach a child; what a shell needs does.
func TestFilterEnvByShapeAndValue(t *testing.T) {
	t.Parallel()
	parent := []string{
		"GITHUB_PAT=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
		"NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789", "VAULT_TOKEN=hvs.CAESIabc", "VAULT_ADDR=https://vault:8200",
		"CLOUDFLARE_API_TOKEN=abcdef0123456789abcdef0123456789abcdef01", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"DATABASE_PASSWORD=hunter2", "MYSQL_PWD=hunter2",
		"DATABASE_URL=postgres://app:hunter2secret@db:5432/app",
		"NOTES=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
		"PATH=/usr/bin:/bin", "HOME=/home/u", "LANG=C.UTF-8", "TERM=xterm-256color", "PWD=/work",
		"GOFLAGS=-mod=mod", "SSH_AUTH_SOCK=/tmp/ssh-x/agent.1", "GIT_COMMIT=3f9c2a1b7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
	}
	got := FilterEnv(parent, nil)
	want := []string{
		"GIT_COMMIT=3f9c2a1b7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b", "GOFLAGS=-mod=mod", "HOME=/home/u", "LANG=C.UTF-8",
		"PATH=/usr/bin:/bin", "PWD=/work", "SSH_AUTH_SOCK=/tmp/ssh-x/agent.1", "TERM=xterm-256color",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

// terminal.env_passthrough lets a variable of a credential's shape through
// by name, whatever its value, but never a Reserved name nor the key of a
// provider config.yaml configures.
func TestPassthroughByName(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cfg := "model:\n  provider: custom\n  default: m\n  base_url: http://127.0.0.1:9/v1\n  key_env: VLLM_KEY\n" +
		"providers:\n  mine:\n    base_url: http://127.0.0.1:9/v1\n    key_env: MINE_TOKEN\n" +
		"fallback_providers:\n  - provider: mine\n    model: x\n    key_env: Fallback_Pat\n"
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("VLLM_KEY=v\nMINE_TOKEN=m\nFALLBACK_PAT=f\nNPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if keys := ProviderKeys(home); !keys["VLLM_KEY"] || !keys["MINE_TOKEN"] || !keys["FALLBACK_PAT"] {
		t.Errorf("ProviderKeys = %v", keys)
	}
	o := Options{
		HomeDir: home,
		Env:     []string{"GITHUB_PAT=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "OPENAI_API_KEY=sk-x", "AWS_PROFILE=dev", "PATH=/bin"},
		Terminal: config.Terminal{EnvPassthrough: []string{
			"GITHUB_PAT", "NPM_TOKEN", "AWS_PROFILE", "OPENAI_API_KEY", "VLLM_KEY", "mine_token", "FALLBACK_PAT",
		}},
	}
	pass, err := PassthroughEnv(o)
	if err != nil {
		t.Fatal(err)
	}
	got := ChildEnv(o.Env, pass, nil)
	want := []string{"AWS_PROFILE=dev", "GITHUB_PAT=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789", "PATH=/bin"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	// Without passthrough none of them reaches the child.
	if got := ChildEnv(o.Env, nil, nil); !slices.Equal(got, []string{"PATH=/bin"}) {
		t.Errorf("no passthrough: %v", got)
	}
}
