package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/testenv"
)

// realisticHome is a fresh home holding the realistic config from the
// config package's fixtures.
func realisticHome(tb testing.TB) string {
	home := tb.TempDir()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(tb), "internal/config/testdata/good/realistic.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return home
}

func hermesCmd(bin, home string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HERMES_HOME="+home, "HERMES_PROFILE=")
	return cmd
}

// TestBinary runs the built binary as a user would, through the
// interfaces other work relies on.
func TestBinary(t *testing.T) {
	bin := testenv.BuildHermes(t)

	out, err := hermesCmd(bin, t.TempDir(), "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "hermes ") || strings.Count(string(out), "\n") != 1 {
		t.Fatalf("version: %q %v", out, err)
	}

	home := filepath.Join(t.TempDir(), "new-home")
	if out, err := hermesCmd(bin, home, "config", "check").CombinedOutput(); err != nil {
		t.Fatalf("check on a fresh home: %v\n%s", err, out)
	}
	if fi, err := os.Stat(home); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("HERMES_HOME not created private: %v", err)
	}

	if out, err := hermesCmd(bin, realisticHome(t), "config", "check").CombinedOutput(); err != nil {
		t.Fatalf("realistic config: %v\n%s", err, out)
	}

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "config.yaml"), []byte("agent:\n  max_turns: lots\nmodel:\n  default: \"x\n"), 0o600)
	cmd := hermesCmd(bin, bad, "config", "check")
	out, err = cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("bad config: exit %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "config.yaml:4:12: YAML syntax") {
		t.Errorf("bad config output:\n%s", out)
	}
}

// TestBinaryIsStatic: one static binary, no dynamic loader needed.
func TestBinaryIsStatic(t *testing.T) {
	bin := testenv.BuildHermes(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary asks for a dynamic loader (built with cgo?)")
		}
	}
	fi, _ := os.Stat(bin)
	t.Logf("binary size: %.1f MiB", float64(fi.Size())/(1<<20))
}

// benchCold runs the binary as a new process b.N times and reports the
// median wall time of one run, which is what a user waits for.
func benchCold(b *testing.B, home string, args ...string) {
	bin := testenv.BuildHermes(b)
	if out, err := hermesCmd(bin, home, args...).CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", args, err, out)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := hermesCmd(bin, home, args...).Run(); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
	fi, _ := os.Stat(bin)
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB-binary")
}

func BenchmarkColdVersion(b *testing.B) { benchCold(b, b.TempDir(), "version") }

func BenchmarkColdConfigCheck(b *testing.B) {
	benchCold(b, realisticHome(b), "config", "check")
}

// TestModelTestAgainstScriptedServer: a custom endpoint from config.yaml
// with its key in .env, and a named Anthropic-format fallback whose key is
// refused, driven through the built binary over real HTTP.
func TestModelTestAgainstScriptedServer(t *testing.T) {
	bin := testenv.BuildHermes(t)
	s, err := llmtest.ParseScript([]byte(`
steps:
  - {match: {api: openai, key: sk-local-000000000000000001}, response: {text: "OK"}}
  - {match: {api: anthropic}, response: {status: 401, error: "invalid x-api-key"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := llmtest.New(t, s)
	home := t.TempDir()
	os.Chmod(home, 0o700) // a home open to others is warned about on stderr
	cfg := "model: {provider: custom, default: local-model, base_url: \"" + srv.OpenAIBaseURL() + "\", key_env: LOCAL_KEY}\n" +
		"providers:\n  lab: {base_url: \"" + srv.AnthropicBaseURL() + "\", api_mode: anthropic_messages, key_env: LAB_KEY}\n" +
		"fallback_providers: [{provider: lab, model: lab-1}]\n"
	os.WriteFile(filepath.Join(home, "config.yaml"), []byte(cfg), 0o600)
	os.WriteFile(filepath.Join(home, ".env"), []byte("LOCAL_KEY=sk-local-000000000000000001\nLAB_KEY=sk-ant-lab-0000000000000002\n"), 0o600)

	out, err := hermesCmd(bin, home, "model", "test").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "✓ primary     custom/local-model answered in") ||
		!strings.HasPrefix(lines[1], "✗ fallback 1  lab/lab-1: 401 Unauthorized: invalid x-api-key") {
		t.Fatalf("output:\n%s", out)
	}
	reqs := srv.Requests()
	if reqs[0].Key != "sk-local-000000000000000001" || reqs[1].Key != "sk-ant-lab-0000000000000002" || reqs[1].Model != "lab-1" {
		t.Errorf("keys sent: %q, %q", reqs[0].Key, reqs[1].Key)
	}
	// The refused key is recorded dead in the pool, masked in the listing.
	listing, _ := hermesCmd(bin, home, "auth", "list").CombinedOutput()
	if !strings.Contains(string(listing), "dead: invalid x-api-key") || strings.Contains(string(listing), "sk-ant-lab-0000000000000002") {
		t.Errorf("auth list:\n%s", listing)
	}
}
