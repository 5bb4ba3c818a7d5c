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
