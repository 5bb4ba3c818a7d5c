package agentrun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
)

func testRunner(t *testing.T, baseURL string, env map[string]string) *Runner {
	t.Helper()
	dir := t.TempDir()
	h := &home.Home{Dir: dir}
	cfg := config.Default()
	cfg.Model.Provider, cfg.Model.Default, cfg.Model.BaseURL, cfg.Model.KeyEnv = "custom", "m", baseURL, "TEST_KEY"
	cfg.Agent.APIMaxRetries = 0
	cfg.Model.AutoFallback = false
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return &Runner{Home: h, Config: cfg, Lookup: lookup, Env: []string{"PATH=/usr/bin:/bin", "SECRET_TOKEN=abc"},
		Routers: func(c *config.Config) (*llm.Router, func(string) (*llm.Router, error), error) {
			r, err := llm.FromConfig(c, llm.Options{Env: lookup})
			return r, nil, err
		}}
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	r := testRunner(t, "http://127.0.0.1:1/v1", map[string]string{})
	err := r.Preflight(cron.Job{Name: "j", Prompt: "x"})
	if err == nil || !strings.Contains(err.Error(), "TEST_KEY") {
		t.Fatalf("no key: %v", err)
	}
	r = testRunner(t, "http://127.0.0.1:1/v1", map[string]string{"TEST_KEY": "k"})
	if err := r.Preflight(cron.Job{Name: "j", Prompt: "x"}); err != nil {
		t.Fatalf("with a key: %v", err)
	}
	if err := r.Preflight(cron.Job{Name: "j", Script: "missing.sh"}); err == nil || !strings.Contains(err.Error(), "scripts") {
		t.Fatalf("missing script: %v", err)
	}
}

// A provider nobody listens for is an unreachable error, which the
// scheduler retries.
func TestRunUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := testRunner(t, fmt.Sprintf("http://%s/v1", addr), map[string]string{"TEST_KEY": "k"})
	r.Config.Terminal.Backend = "local"
	_, err = r.Run(context.Background(), cron.Job{ID: "0123456789ab", Name: "j", Prompt: "hello"})
	if err == nil || !cron.IsUnreachable(err) {
		t.Fatalf("Run = %v, want an unreachable error", err)
	}
}

func TestScript(t *testing.T) {
	t.Parallel()
	r := testRunner(t, "http://127.0.0.1:1/v1", nil)
	os.MkdirAll(filepath.Join(r.Home.Dir, ScriptsDir), 0o700)
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(r.Home.Dir, ScriptsDir, name), []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write("ok.sh", "echo hello; echo \"token=${SECRET_TOKEN:-unset}\"\n")
	write("bad.sh", "rm -rf /\n")
	write("fail.sh", "echo partial; exit 3\n")
	res, err := r.Run(context.Background(), cron.Job{ID: "0123456789ab", Name: "ok", Script: "ok.sh"})
	if err != nil || !strings.Contains(res.Text, "hello") || !strings.Contains(res.Text, "token=unset") {
		t.Fatalf("ok.sh: %q %v (a credential must not reach the script)", res.Text, err)
	}
	if _, err := r.Run(context.Background(), cron.Job{ID: "0123456789ab", Name: "bad", Script: "bad.sh"}); err == nil || !strings.Contains(err.Error(), "guard") {
		t.Fatalf("bad.sh ran: %v", err)
	}
	res, err = r.Run(context.Background(), cron.Job{ID: "0123456789ab", Name: "fail", Script: "fail.sh"})
	var ee interface{ ExitCode() int }
	if err == nil || !errors.As(err, &ee) || !strings.Contains(res.Text, "partial") {
		t.Fatalf("fail.sh: %q %v", res.Text, err)
	}
}

// A job without a workdir runs in its own private folder, never in the
// hermes home (which the bubblewrap sandbox refuses to show).
func TestDefaultWorkdir(t *testing.T) {
	t.Parallel()
	r := testRunner(t, "http://127.0.0.1:1", nil)
	dir, err := r.workdir(cron.Job{ID: "j1", Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if dir == r.Home.Dir || !strings.HasPrefix(dir, r.Home.Dir+string(filepath.Separator)) {
		t.Fatalf("workdir %q: want a folder inside %q", dir, r.Home.Dir)
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("workdir %q: %v %v", dir, fi, err)
	}
	own := t.TempDir()
	if got, _ := r.workdir(cron.Job{ID: "j2", Workdir: own}); got != own {
		t.Fatalf("workdir %q, want the job's own %q", got, own)
	}
}
