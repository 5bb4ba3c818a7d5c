package bwrap

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
	"github.com/hermes-go/hermes/internal/testenv"
)

// newBwrap builds a backend whose workspace and hermes home are fresh
// folders under one parent (so "the parent of the workspace" is testable).
func newBwrap(t testing.TB, o sandbox.Options) sandbox.Backend {
	t.Helper()
	testenv.Bwrap(t)
	root := t.TempDir()
	if o.Workspace == "" {
		o.Workspace = filepath.Join(root, "ws")
	}
	if o.HomeDir == "" {
		o.HomeDir = filepath.Join(root, "hermes-home")
		writeHome(t, o.HomeDir)
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	o.Terminal.Backend = "bubblewrap"
	b, err := sandbox.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func writeHome(t testing.TB, home string) {
	t.Helper()
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{".env": "OPENAI_API_KEY=sk-home-secret\n", "auth.json": `{"token":"home-secret"}`, "config.yaml": "model: {}\n"} {
		if err := os.WriteFile(filepath.Join(home, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestContract(t *testing.T) {
	sandboxtest.Contract(t, func(t *testing.T) sandbox.Backend { return newBwrap(t, sandbox.Options{}) })
}

func TestCredentialsNeverReachCommands(t *testing.T) {
	t.Parallel()
	o := sandbox.Options{
		Env: []string{"PATH=" + os.Getenv("PATH"), "HARMLESS=visible", "OPENAI_API_KEY=sk-secret-openai",
			"TELEGRAM_BOT_TOKEN=123:secret-telegram", "GH_TOKEN=ghp_secretgh", "SUDO_PASSWORD=secret-sudo"},
		Terminal: config.Terminal{EnvPassthrough: []string{"OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "GH_TOKEN", "SUDO_PASSWORD", "HARMLESS"}},
	}
	b := newBwrap(t, o)
	res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: "env"})
	for _, bad := range []string{"secret", "OPENAI", "TELEGRAM", "GH_TOKEN", "SUDO"} {
		if strings.Contains(res.Output, bad) {
			t.Errorf("%q leaked into the sandbox environment:\n%s", bad, res.Output)
		}
	}
	userHome, _ := os.UserHomeDir()
	if !strings.Contains(res.Output, "HARMLESS=visible") || !strings.Contains(res.Output, "HOME="+userHome) {
		t.Errorf("environment lacks the passthrough variable or HOME:\n%s", res.Output)
	}
}

func TestEscapes(t *testing.T) {
	t.Parallel()
	b := newBwrap(t, sandbox.Options{})
	ws := b.Workspace()
	parent := filepath.Dir(ws)
	home := filepath.Join(parent, "hermes-home")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("host-listener\n"))
			_ = c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	userHome, _ := os.UserHomeDir()
	tests := []struct{ name, cmd string }{
		{"write /etc", "echo x > /etc/hermes-escape"},
		{"write /usr", "echo x > /usr/hermes-escape"},
		// The parent exists only on the sandbox's own /tmp: the write may
		// succeed there, but must not reach the host (checked below).
		{"write the workspace's parent", fmt.Sprintf("echo x > %s/escape; false", sandbox.ShellQuote(parent))},
		{"read the hermes .env", "cat " + sandbox.ShellQuote(home+"/.env")},
		{"read the hermes auth.json", "cat " + sandbox.ShellQuote(home+"/auth.json")},
		{"list the user's home", "ls -A " + sandbox.ShellQuote(userHome) + " | grep ."},
		// /dev/tcp is bash's; without bash the test is vacuous, so use it only when present.
		{"reach a host listener", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d && cat <&3", port)},
		{"see the test's pid", "test -e /proc/" + strconv.Itoa(os.Getpid())},
	}
	for _, tt := range tests {
		cmd := tt.cmd
		if strings.Contains(cmd, "/dev/tcp") {
			cmd = "bash -c " + sandbox.ShellQuote(cmd)
		}
		res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: cmd})
		if res.ExitCode == 0 || strings.Contains(res.Output, "secret") || strings.Contains(res.Output, "host-listener") {
			t.Errorf("%s: escaped (exit %d): %q", tt.name, res.ExitCode, res.Output)
		}
	}
	if _, err := os.Stat(home); err != nil {
		t.Fatalf("the test's hermes home is missing: %v", err)
	}
	for _, p := range []string{"/etc/hermes-escape", "/usr/hermes-escape", filepath.Join(parent, "escape")} {
		if _, err := os.Stat(p); err == nil {
			_ = os.Remove(p)
			t.Errorf("%s was written from inside the sandbox", p)
		}
	}
	// The sandbox sees only its own processes: sh and what it runs.
	res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: "ls /proc | grep -c '^[0-9]'"})
	if n, err := strconv.Atoi(strings.TrimSpace(res.Output)); err != nil || n > 5 {
		t.Errorf("the sandbox sees %q processes", res.Output)
	}
	// The workspace itself is writable and visible from the host.
	sandboxtest.MustRun(t, b, sandbox.Spec{Command: "echo ok > inside"})
	if data, err := os.ReadFile(filepath.Join(ws, "inside")); err != nil || string(data) != "ok\n" {
		t.Errorf("workspace write: %q %v", data, err)
	}
}

func TestNetworkOption(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Write([]byte("host-listener\n"))
			_ = c.Close()
		}
	}()
	b := newBwrap(t, sandbox.Options{Terminal: config.Terminal{Network: true}})
	res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: fmt.Sprintf("bash -c 'exec 3<>/dev/tcp/127.0.0.1/%d && cat <&3'", ln.Addr().(*net.TCPAddr).Port)})
	if !strings.Contains(res.Output, "host-listener") {
		t.Fatalf("network: true did not share the host network: %+v", res)
	}
}

func TestHermesHomePlacement(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	root := t.TempDir()
	home := filepath.Join(root, "home")
	writeHome(t, home)
	ro := t.TempDir()
	tests := []struct {
		name string
		o    sandbox.Options
		err  string
	}{
		{"workspace is the home", sandbox.Options{Workspace: home, HomeDir: home}, "hermes home"},
		{"bind inside the home", sandbox.Options{Workspace: filepath.Join(root, "w1"), HomeDir: home,
			Terminal: config.Terminal{Bubblewrap: config.Bubblewrap{ROBinds: []string{home}}}}, "hermes home"},
		{"bad bind", sandbox.Options{Workspace: filepath.Join(root, "w2"), HomeDir: home,
			Terminal: config.Terminal{Bubblewrap: config.Bubblewrap{RWBinds: []string{"/tmp/$(id)"}}}}, "'$'"},
		{"workspace inside the home is fine", sandbox.Options{Workspace: filepath.Join(home, "ws"), HomeDir: home,
			Terminal: config.Terminal{Bubblewrap: config.Bubblewrap{ROBinds: []string{ro}}}}, ""},
	}
	for _, tt := range tests {
		tt.o.Terminal.Backend = "bubblewrap"
		b, err := sandbox.New(context.Background(), tt.o)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got %v, want an error about %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: "cat ../.env ../auth.json; touch " + sandbox.ShellQuote(ro+"/x")})
		if res.ExitCode == 0 || strings.Contains(res.Output, "secret") {
			t.Errorf("%s: %+v", tt.name, res)
		}
		_ = b.Close()
	}
}

func TestHomeHiddenWhenWorkspaceContainsIt(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	ws := t.TempDir()
	home := filepath.Join(ws, ".hermes")
	writeHome(t, home)
	b := newBwrap(t, sandbox.Options{Workspace: ws, HomeDir: home})
	if res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: "ls -A .hermes"}); res.ExitCode != 0 || res.Output != "" {
		t.Errorf("hermes home listed: %+v", res)
	}
	res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: "cat .hermes/.env .hermes/auth.json; echo planted > .hermes/.env"})
	if strings.Contains(res.Output, "secret") {
		t.Errorf("hermes home visible: %q", res.Output)
	}
	if data, _ := os.ReadFile(filepath.Join(home, ".env")); strings.Contains(string(data), "planted") {
		t.Error("a command replaced the hermes home's .env")
	}
}

func TestMissingBwrap(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := New(context.Background(), sandbox.Options{Workspace: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "apt-get install bubblewrap") {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkBwrapRun(b *testing.B) {
	be := newBwrap(b, sandbox.Options{})
	for b.Loop() {
		if _, err := be.Run(context.Background(), sandbox.Spec{Command: "true"}); err != nil {
			b.Fatal(err)
		}
	}
}

// Issue 10: credentials by name shape or by value never reach a command
// inside bubblewrap, one-off or through the persistent shell.
func TestIssue10SecretsHidden(t *testing.T) {
	t.Parallel()
	b := newBwrap(t, sandbox.Options{Env: append([]string{"PATH=" + os.Getenv("PATH"), "HARMLESS=visible"}, sandboxtest.SecretEnv...)})
	sandboxtest.HidesSecrets(t, b, "HARMLESS=visible")
}
