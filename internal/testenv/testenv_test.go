package testenv_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/testenv"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of ending
// the test, so the skip-or-fail decision itself can be checked. Everything
// else goes to the real test it wraps.
type recorder struct {
	testing.TB
	skipped []string
	failed  []string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = append(r.skipped, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func TestStrict(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want bool
	}{
		{"", false},
		{"0", false},
		{"false", false},
		{"yes", false},
		{"2", false},
		{"1", true},
		{"true", true},
		{"TRUE", true},
		{"True", true},
		{" 1 ", true},
	} {
		t.Run(fmt.Sprintf("%q", tc.val), func(t *testing.T) {
			t.Setenv(testenv.EnvStrict, tc.val)
			if got := testenv.Strict(); got != tc.want {
				t.Errorf("Strict() with %s=%q = %v, want %v", testenv.EnvStrict, tc.val, got, tc.want)
			}
		})
	}
}

func TestMissingSkipsWhenNotStrict(t *testing.T) {
	t.Setenv(testenv.EnvStrict, "")
	r := &recorder{TB: t}
	testenv.Missing(r, "docker", "no daemon")
	want := "testenv: docker not available: no daemon (run `make test` to install it)"
	if len(r.skipped) != 1 || r.skipped[0] != want {
		t.Errorf("skipped = %q, want [%q]", r.skipped, want)
	}
	if len(r.failed) != 0 {
		t.Errorf("failed = %q, want none", r.failed)
	}
}

func TestMissingFailsWhenStrict(t *testing.T) {
	t.Setenv(testenv.EnvStrict, "1")
	r := &recorder{TB: t}
	testenv.Missing(r, "docker", "no daemon")
	want := "testenv: docker not available: no daemon (run `make test` to install it) (HERMES_TEST_STRICT=1)"
	if len(r.failed) != 1 || r.failed[0] != want {
		t.Errorf("failed = %q, want [%q]", r.failed, want)
	}
	if len(r.skipped) != 0 {
		t.Errorf("skipped = %q, want none", r.skipped)
	}
}

// checkMissing runs get with a recorder, once not strict and once strict,
// and checks that it returned "" and skipped (then failed) with a message
// about part that contains why.
func checkMissing(t *testing.T, part, why string, get func(testing.TB) string) {
	t.Helper()
	for _, strict := range []bool{false, true} {
		t.Setenv(testenv.EnvStrict, map[bool]string{false: "", true: "1"}[strict])
		r := &recorder{TB: t}
		if got := get(r); got != "" {
			t.Errorf("strict=%v: got %q, want \"\"", strict, got)
		}
		msgs, other := r.skipped, r.failed
		if strict {
			msgs, other = r.failed, r.skipped
		}
		if len(msgs) != 1 || len(other) != 0 {
			t.Errorf("strict=%v: skipped %q, failed %q; want one message", strict, r.skipped, r.failed)
			continue
		}
		prefix := "testenv: " + part + " not available: "
		if !strings.HasPrefix(msgs[0], prefix) || !strings.Contains(msgs[0], why) {
			t.Errorf("strict=%v: message %q, want prefix %q and %q in it", strict, msgs[0], prefix, why)
		}
	}
}

func TestBogusParts(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mcp := func(tb testing.TB) string {
		node, script := testenv.MCPEverything(tb)
		if (node == "") != (script == "") {
			t.Errorf("MCPEverything = %q, %q: want both or neither", node, script)
		}
		return script
	}
	for _, tc := range []struct {
		name, key, val, part, why string
		get                       func(testing.TB) string
	}{
		{"bwrap not there", testenv.EnvBwrap, "/nonexistent/bwrap", "bubblewrap", "/nonexistent/bwrap", testenv.Bwrap},
		{"bwrap not runnable", testenv.EnvBwrap, notExec, "bubblewrap", notExec, testenv.Bwrap},
		{"docker unset", testenv.EnvDockerHost, "", "docker", testenv.EnvDockerHost + " is unset", testenv.DockerHost},
		{"docker no socket", testenv.EnvDockerHost, "unix:///nonexistent/docker.sock", "docker", "/nonexistent/docker.sock", testenv.DockerHost},
		{"docker not unix", testenv.EnvDockerHost, "tcp://127.0.0.1:1", "docker", "not a unix:// Docker host", testenv.DockerHost},
		{"docker socket is a file", testenv.EnvDockerHost, "unix://" + notExec, "docker", notExec, testenv.DockerHost},
		{"image without docker", testenv.EnvDockerHost, "unix:///nonexistent/docker.sock", "docker", "does not answer", testenv.DockerImage},
		{"sshd not there", testenv.EnvSSHD, "/nonexistent/sshd", "sshd", "/nonexistent/sshd", testenv.SSHD},
		{"sshd not executable", testenv.EnvSSHD, notExec, "sshd", "not an executable", testenv.SSHD},
		{"node not there", testenv.EnvNode, "/nonexistent/node", "node", "/nonexistent/node", testenv.Node},
		{"mcp unset", testenv.EnvMCPEverything, "", "MCP everything server", "is unset", mcp},
		{"mcp not there", testenv.EnvMCPEverything, "/nonexistent/index.js", "MCP everything server", "/nonexistent/index.js", mcp},
		{"mcp is a dir", testenv.EnvMCPEverything, dir, "MCP everything server", "is not a file", mcp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.key, tc.val)
			checkMissing(t, tc.part, tc.why, tc.get)
		})
	}
}

// TestMCPEverythingBogusNode: a real script but a node that does not run
// gives "node" as the missing part.
func TestMCPEverythingBogusNode(t *testing.T) {
	script := filepath.Join(t.TempDir(), "index.js")
	if err := os.WriteFile(script, []byte("// empty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(testenv.EnvMCPEverything, script)
	t.Setenv(testenv.EnvNode, "/nonexistent/node")
	checkMissing(t, "node", "/nonexistent/node", func(tb testing.TB) string {
		_, s := testenv.MCPEverything(tb)
		return s
	})
}

// TestDockerImageBogus needs the real daemon: an image it does not have is
// missing.
func TestDockerImageBogus(t *testing.T) {
	testenv.DockerHost(t)
	t.Setenv(testenv.EnvDockerImage, "hermes-test-no-such-image:latest")
	checkMissing(t, "docker image", "hermes-test-no-such-image:latest", testenv.DockerImage)
	t.Setenv(testenv.EnvDockerImage, "")
	checkMissing(t, "docker image", testenv.EnvDockerImage+" is unset", testenv.DockerImage)
}

func TestRepoRoot(t *testing.T) {
	root := testenv.RepoRoot(t)
	if !filepath.IsAbs(root) {
		t.Errorf("RepoRoot = %q, want an absolute path", root)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gomod), "module "+testenv.Module+"\n") {
		t.Errorf("%s/go.mod does not declare module %s", root, testenv.Module)
	}
	if fi, err := os.Stat(filepath.Join(root, "internal", "testenv")); err != nil || !fi.IsDir() {
		t.Errorf("RepoRoot = %q has no internal/testenv: %v", root, err)
	}
}

func TestBuildHermes(t *testing.T) {
	root := testenv.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "cmd", "hermes")); err != nil {
		t.Fatalf("cmd/hermes: %v", err)
	}
	p := testenv.BuildHermes(t)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not an executable file (%v)", p, fi.Mode())
	}
	if again := testenv.BuildHermes(t); again != p {
		t.Errorf("second BuildHermes = %q, want %q", again, p)
	}
}
