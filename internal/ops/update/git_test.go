package update

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRun runs git in dir with a fixed identity.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, dir, "add", name)
	gitRun(t, dir, "commit", "-q", "-m", "change "+name)
	return gitRun(t, dir, "rev-parse", "HEAD")
}

// repos makes an upstream repository and a checkout that tracks it.
func repos(t *testing.T) (upstream, checkout string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	base := t.TempDir()
	upstream, checkout = filepath.Join(base, "upstream"), filepath.Join(base, "checkout")
	gitRun(t, base, "init", "-q", "-b", "main", upstream)
	commitFile(t, upstream, "cmd/hermes/main.go", "package main\n")
	gitRun(t, base, "clone", "-q", upstream, checkout)
	return upstream, checkout
}

func TestCheckoutPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	upstream, checkout := repos(t)
	co := Checkout{Dir: checkout}
	head := gitRun(t, checkout, "rev-parse", "HEAD")
	tg, err := co.Plan(ctx)
	if err != nil || tg.Commit != head || tg.Behind != 0 || tg.Upstream != "origin/main" {
		t.Fatalf("up to date: %+v %v", tg, err)
	}
	next := commitFile(t, upstream, "README", "new\n")
	tg, err = co.Plan(ctx)
	if err != nil || tg.Commit != next || tg.Head != head || tg.Behind != 1 {
		t.Fatalf("behind: %+v %v", tg, err)
	}
	if err := co.FastForward(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if got := gitRun(t, checkout, "rev-parse", "HEAD"); got != next {
		t.Fatalf("after fast-forward HEAD is %s, want %s", got, next)
	}
	// A dirty tree is refused before anything is fetched.
	os.WriteFile(filepath.Join(checkout, "README"), []byte("edited\n"), 0o644)
	if _, err := co.Plan(ctx); err == nil || !strings.Contains(err.Error(), "uncommitted changes") || !strings.Contains(err.Error(), "README") {
		t.Fatalf("dirty: %v", err)
	}
	gitRun(t, checkout, "checkout", "-q", "README")
	// Local commits ahead are built as they are.
	local := commitFile(t, checkout, "LOCAL", "mine\n")
	if tg, err = co.Plan(ctx); err != nil || tg.Commit != local || tg.Ahead != 1 {
		t.Fatalf("ahead: %+v %v", tg, err)
	}
	// Diverged history is refused.
	commitFile(t, upstream, "OTHER", "theirs\n")
	if _, err := co.Plan(ctx); err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "rebase") {
		t.Fatalf("diverged: %v", err)
	}
}

func TestCheckoutValidate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, checkout := repos(t)
	if err := (Checkout{Dir: t.TempDir()}).Validate(ctx); err == nil || !strings.Contains(err.Error(), "not a hermes source checkout") {
		t.Fatalf("empty dir: %v", err)
	}
	if err := (Checkout{Dir: filepath.Join(checkout, "cmd")}).Validate(ctx); err == nil {
		t.Fatal("a sub-directory passed as the checkout")
	}
	if err := (Checkout{Dir: checkout}).Validate(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestMakefileStampsTheSame: a binary built by `make build` and one built
// by hermes update carry the same -X flags.
func TestMakefileStampsTheSame(t *testing.T) {
	t.Parallel()
	mk, err := os.ReadFile(filepath.Join("..", "..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for v, val := range map[string]string{"Version": "v", "Commit": "c", "Source": "s"} {
		if !strings.Contains(LDFlags("v", "c", "s"), "/internal/version."+v+"="+val) || !strings.Contains(string(mk), "$(VPKG)."+v+"=") {
			t.Errorf("the Makefile's LDFLAGS do not set %s as LDFlags does", v)
		}
	}
	if !strings.Contains(string(mk), "-s -w -X") || !strings.HasPrefix(LDFlags("v", "c", "s"), "-s -w -X") {
		t.Error("the Makefile and LDFlags strip differently")
	}
	if !strings.Contains(string(mk), "TAGS       ?= "+BuildTags+"\n") {
		t.Errorf("the Makefile's TAGS are not %q as Build's", BuildTags)
	}
}
