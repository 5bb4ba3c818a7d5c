package update

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/version"
)

// Checkout is a git checkout of the project that hermes is built from.
type Checkout struct {
	Dir string
	// Env is the environment of git and go; nil is the process's.
	Env []string
}

// git runs git in the checkout and returns its trimmed stdout.
func (c Checkout) git(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", c.Dir}, args...)...)
	cmd.Env = c.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("git is not installed: install it, or set update.method: release")
		}
		return "", fmt.Errorf("git %s in %s: %v: %s", strings.Join(args, " "), c.Dir, err, errTail(stderr.Bytes()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

func (c Checkout) env() []string {
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	// Never stop for a password or an editor: the update runs unattended.
	return append(append([]string{}, env...), "GIT_TERMINAL_PROMPT=0", "GIT_EDITOR=true")
}

// Validate checks that Dir is the top of a git checkout of hermes.
func (c Checkout) Validate(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.Dir, "cmd", "hermes")); err != nil {
		return fmt.Errorf("%s is not a hermes source checkout (no cmd/hermes): set update.source to the checkout, or update.method: release", c.Dir)
	}
	top, err := c.git(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return err
	}
	a, _ := filepath.EvalSymlinks(top)
	b, _ := filepath.EvalSymlinks(c.Dir)
	if a != b {
		return fmt.Errorf("%s is inside the checkout %s, not its top: set update.source to %s", c.Dir, top, top)
	}
	return nil
}

// Target is where a checkout would be updated to.
type Target struct {
	Head     string // the checkout's HEAD before the update
	Commit   string // the commit to build
	Upstream string // e.g. origin/main; "" when the branch tracks nothing
	Behind   int    // commits the fast-forward brings in
	Ahead    int    // local commits not upstream (built as they are)
}

// Plan fetches the upstream of the checkout's branch and works out the
// commit to build. A dirty tree or history that diverged from upstream is
// an error that says what to do.
func (c Checkout) Plan(ctx context.Context) (Target, error) {
	var t Target
	if err := c.Validate(ctx); err != nil {
		return t, err
	}
	if dirty, err := c.git(ctx, "status", "--porcelain", "--untracked-files=no"); err != nil {
		return t, err
	} else if dirty != "" {
		return t, fmt.Errorf("the checkout %s has uncommitted changes:\n%s\ncommit or stash them (git -C %s stash), then update again", c.Dir, indent(dirty), c.Dir)
	}
	head, err := c.git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return t, err
	}
	t.Head, t.Commit = head, head
	up, err := c.git(ctx, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
	if err != nil {
		// A detached HEAD or a branch without upstream: build what is
		// checked out.
		return t, nil
	}
	t.Upstream = up
	if _, err := c.git(ctx, "fetch", "--quiet", "--tags"); err != nil {
		return t, err
	}
	counts, err := c.git(ctx, "rev-list", "--left-right", "--count", "HEAD...@{upstream}")
	if err != nil {
		return t, err
	}
	if _, err := fmt.Sscanf(counts, "%d %d", &t.Ahead, &t.Behind); err != nil {
		return t, fmt.Errorf("git rev-list printed %q", counts)
	}
	switch {
	case t.Ahead > 0 && t.Behind > 0:
		return t, fmt.Errorf("the checkout %s has diverged from %s (%d local commit(s), %d upstream): rebase (git -C %s rebase %s) or reset it, then update again",
			c.Dir, up, t.Ahead, t.Behind, c.Dir, up)
	case t.Behind > 0:
		t.Commit, err = c.git(ctx, "rev-parse", "@{upstream}")
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// FastForward moves the checkout to t.Commit (merge --ff-only); nothing
// to do when it is already there.
func (c Checkout) FastForward(ctx context.Context, t Target) error {
	if t.Commit == t.Head {
		return nil
	}
	_, err := c.git(ctx, "merge", "--ff-only", "--quiet", t.Commit)
	return err
}

// Describe is the version a build of HEAD gets: git describe --tags
// --always --dirty, as in the Makefile.
func (c Checkout) Describe(ctx context.Context, rev string) (string, error) {
	if rev == "" || rev == "HEAD" {
		return c.git(ctx, "describe", "--tags", "--always", "--dirty")
	}
	return c.git(ctx, "describe", "--tags", "--always", rev)
}

// LDFlags are the -ldflags of a build: the same -X flags as the Makefile
// (TestMakefileStampsTheSame checks it).
func LDFlags(ver, commit, source string) string {
	return fmt.Sprintf("-s -w -X %s.Version=%s -X %s.Commit=%s -X %s.Source=%s",
		version.Package, ver, version.Package, commit, version.Package, source)
}

// BuildTags are the Makefile's TAGS: goolm gives the Matrix adapter its
// pure-Go end-to-end encryption.
const BuildTags = "goolm"

// Build compiles the checkout's HEAD into out (static, CGO_ENABLED=0,
// -trimpath, the Makefile's -tags and -ldflags) and returns the version
// stamped in.
func (c Checkout) Build(ctx context.Context, out string) (string, error) {
	ver, err := c.Describe(ctx, "HEAD")
	if err != nil {
		return "", err
	}
	commit, err := c.git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(c.Dir+ver, " \t\n'\"") {
		return "", fmt.Errorf("cannot stamp %q / %q into -ldflags: move the checkout to a path without spaces or quotes", c.Dir, ver)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", BuildTags, "-trimpath", "-ldflags", LDFlags(ver, commit, c.Dir), "-o", out, "./cmd/hermes")
	cmd.Dir = c.Dir
	cmd.Env = append(c.env(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("go is not installed (or not in PATH): install Go, or set update.method: release")
		}
		return "", fmt.Errorf("go build in %s: %v:\n%s", c.Dir, err, indent(errTail(stderr.Bytes())))
	}
	return ver, nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
