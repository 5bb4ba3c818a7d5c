package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
)

func newLocal(t testing.TB, o sandbox.Options) sandbox.Backend {
	t.Helper()
	if o.Workspace == "" {
		o.Workspace = t.TempDir()
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	o.Terminal.Backend = "local"
	b, err := sandbox.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestContract(t *testing.T) {
	t.Parallel()
	sandboxtest.Contract(t, func(t *testing.T) sandbox.Backend { return newLocal(t, sandbox.Options{}) })
}

func TestCredentialsNeverReachCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("ANTHROPIC_API_KEY=sk-ant-dotenv\nDOTENV_OK=fromdotenv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"OPENAI_API_KEY=sk-secret-openai", "TELEGRAM_BOT_TOKEN=123:secret-telegram",
		"GH_TOKEN=ghp_secretgh", "SUDO_PASSWORD=secret-sudo", "openai_api_key=sk-lower"}
	o := sandbox.Options{
		HomeDir: home,
		Env:     append([]string{"PATH=" + os.Getenv("PATH"), "HARMLESS=visible"}, secrets...),
		Terminal: config.Terminal{EnvPassthrough: []string{"OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "GH_TOKEN",
			"SUDO_PASSWORD", "openai_api_key", "ANTHROPIC_API_KEY", "HARMLESS", "DOTENV_OK"}},
	}
	b := newLocal(t, o)
	check := func(where, out string) {
		t.Helper()
		for _, bad := range []string{"secret", "sk-", "OPENAI", "TELEGRAM", "GH_TOKEN", "SUDO"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: %q leaked into the environment:\n%s", where, bad, out)
			}
		}
		if !strings.Contains(out, "HARMLESS=visible") || !strings.Contains(out, "DOTENV_OK=fromdotenv") {
			t.Errorf("%s: passthrough variables missing:\n%s", where, out)
		}
	}
	res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: "env", Env: map[string]string{"GH_TOKEN": "secret-spec"}})
	check("run", res.Output)
	sh, err := b.(sandbox.ShellBackend).Shell(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sh.Close() }()
	res, err = sh.Run(context.Background(), sandbox.Spec{Command: "env"})
	if err != nil {
		t.Fatal(err)
	}
	check("shell", res.Output)
}

func TestBadDir(t *testing.T) {
	t.Parallel()
	b := newLocal(t, sandbox.Options{})
	if _, err := b.Run(context.Background(), sandbox.Spec{Command: "true", Dir: "/tmp/$(id)"}); err == nil || !strings.Contains(err.Error(), "'$'") {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkLocalRun(b *testing.B) {
	be := newLocal(b, sandbox.Options{})
	for b.Loop() {
		if _, err := be.Run(context.Background(), sandbox.Spec{Command: "true"}); err != nil {
			b.Fatal(err)
		}
	}
}

// Issue 10: credentials by name shape or by value never reach a command,
// one-off or through the persistent shell, with or without its own Env.
func TestIssue10SecretsHidden(t *testing.T) {
	t.Parallel()
	b := newLocal(t, sandbox.Options{Env: append([]string{"PATH=" + os.Getenv("PATH"), "HARMLESS=visible"}, sandboxtest.SecretEnv...)})
	sandboxtest.HidesSecrets(t, b, "HARMLESS=visible")
}
