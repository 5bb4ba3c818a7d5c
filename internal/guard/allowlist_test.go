package guard

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
)

// configCopy copies testdata/config.yaml into a temp dir.
func configCopy(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func allowlistOf(t *testing.T, path string) []string {
	t.Helper()
	l, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return l.Config.CommandAllowlist
}

func TestConfigAllowlistKeepsComments(t *testing.T) {
	t.Parallel()
	path := configCopy(t)
	st := ConfigAllowlist(path)
	for _, p := range []string{"git push --force origin main", `rm -rf build/\*`, "yes", "echo 'a: b' # not a comment"} {
		if err := st.AddAllowlist(p); err != nil {
			t.Fatalf("add %q: %v", p, err)
		}
	}
	// Already there: not added twice.
	if err := st.AddAllowlist("git status"); err != nil {
		t.Fatal(err)
	}
	want := []string{"make test", "git status", "git push --force origin main", `rm -rf build/\*`, "yes", "echo 'a: b' # not a comment"}
	if got := allowlistOf(t, path); !slices.Equal(got, want) {
		t.Errorf("allowlist %q, want %q", got, want)
	}
	data, _ := os.ReadFile(path)
	for _, c := range []string{"# hermes config", "# the main provider", "# ask for every dangerous command", "# Commands approved for good.", "# our CI entry point"} {
		if !strings.Contains(string(data), c) {
			t.Errorf("comment %q lost:\n%s", c, data)
		}
	}
}

// TestConfigAllowlistMerges edits the file behind the store's back and
// from many writers at once: nothing is lost.
func TestConfigAllowlistMerges(t *testing.T) {
	t.Parallel()
	path := configCopy(t)
	st := ConfigAllowlist(path)
	if err := st.AddAllowlist("first"); err != nil {
		t.Fatal(err)
	}
	// Another process (or the user) edits the file meanwhile.
	if err := config.Append(path, "command_allowlist", "by hand"); err != nil {
		t.Fatal(err)
	}
	if err := config.Set(path, "approvals.mode", "smart"); err != nil {
		t.Fatal(err)
	}
	if err := st.AddAllowlist("second"); err != nil {
		t.Fatal(err)
	}
	// Concurrent writers, each with its own store, as separate processes would be.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() { errs <- ConfigAllowlist(path).AddAllowlist(fmt.Sprintf("writer %d", i%8)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got := allowlistOf(t, path)
	want := []string{"make test", "git status", "first", "by hand", "second"}
	for i := range 8 {
		want = append(want, fmt.Sprintf("writer %d", i))
	}
	if len(got) != len(want) {
		t.Fatalf("allowlist %q, want the %d entries %q", got, len(want), want)
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%q lost: %q", w, got)
		}
	}
	l, _ := config.Load(path)
	if l.Config.Approvals.Mode != "smart" {
		t.Error("the concurrent edit of approvals.mode was lost")
	}
}

func TestConfigAllowlistErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A missing file is created.
	fresh := filepath.Join(dir, "config.yaml")
	if err := ConfigAllowlist(fresh).AddAllowlist("make lint"); err != nil {
		t.Fatal(err)
	}
	if got := allowlistOf(t, fresh); !slices.Equal(got, []string{"make lint"}) {
		t.Errorf("new file: %q", got)
	}
	// A broken file is reported and left alone.
	broken := filepath.Join(dir, "broken.yaml")
	const bad = "model: [unclosed\n"
	if err := os.WriteFile(broken, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ConfigAllowlist(broken).AddAllowlist("x"); err == nil {
		t.Error("a broken config was edited")
	}
	if data, _ := os.ReadFile(broken); string(data) != bad {
		t.Errorf("broken config changed: %q", data)
	}
	if err := ConfigAllowlist(fresh).AddAllowlist(""); err == nil {
		t.Error("an empty pattern was added")
	}
	// No directory: the lock cannot be taken.
	if err := ConfigAllowlist(filepath.Join(dir, "missing", "config.yaml")).AddAllowlist("x"); err == nil {
		t.Error("no error for a missing directory")
	}
}

// TestGuardAlwaysWritesConfig is the whole "always" path onto a real file.
func TestGuardAlwaysWritesConfig(t *testing.T) {
	t.Parallel()
	path := configCopy(t)
	l, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{Policy: PolicyFromConfig(l.Config), Human: answer(ChoiceAlways), Store: ConfigAllowlist(path)}
	check(t, g, NewSession("a"), cmdDangerous, Context{})
	if got := allowlistOf(t, path); !slices.Contains(got, cmdDangerous) {
		t.Fatalf("not saved: %q", got)
	}
	// A new process loading the file allows it without asking.
	l, _ = config.Load(path)
	if r := Explain(cmdDangerous, PolicyFromConfig(l.Config), NewSession("b"), Context{}); r.Stage != StageAllowlist {
		t.Errorf("after reload: %+v", r)
	}
}

func TestPolicyFromConfig(t *testing.T) {
	t.Parallel()
	l, err := config.Load(configCopy(t))
	if err != nil {
		t.Fatal(err)
	}
	p := PolicyFromConfig(l.Config)
	home, _ := os.UserHomeDir()
	if p.Mode != Manual || p.Unattended != UnattendedDeny || p.Timeout != DefaultTimeout || p.SmartBreaker != 3 ||
		!p.ContainerSkip || p.Home != home || !slices.Equal(p.Deny, []string{"curl * | sh"}) ||
		!slices.Equal(p.Allowlist, []string{"make test", "git status"}) {
		t.Errorf("%+v", p)
	}
	p.Allowlist[0] = "changed"
	if l.Config.CommandAllowlist[0] != "make test" {
		t.Error("the policy shares the config's slice")
	}
}
