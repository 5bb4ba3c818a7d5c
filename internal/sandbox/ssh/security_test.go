package ssh

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
)

func TestHostKeyRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	other := writeKey(t, filepath.Join(t.TempDir(), "other"))
	tests := []struct {
		name, knownHosts string
		want             []string
	}{
		{"unknown host", "[127.0.0.1]:1 " + strings.TrimSpace(knownHostsLine(1, other)[len("[127.0.0.1]:1 "):]) + "\n", []string{"is not in", "ssh-keyscan -p"}},
		{"changed key", knownHostsLine(s.port, other), []string{"HOST KEY CHANGED", "ssh-keygen -R", "ssh-keyscan -p"}},
		{"missing file", "", []string{"known_hosts", "ssh-keyscan -p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := s.options(t, s.dir)
			kh := filepath.Join(t.TempDir(), "known_hosts")
			if tt.knownHosts != "" {
				mustWrite(t, kh, tt.knownHosts)
			}
			o.Terminal.SSH.KnownHostsFile = kh
			b, err := New(context.Background(), o)
			if err == nil {
				_ = b.Close()
				t.Fatal("connected despite the host key")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestWrongUserKeyRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	o := s.options(t, s.dir)
	o.Terminal.SSH.KeyFile = filepath.Join(t.TempDir(), "wrong")
	writeKey(t, o.Terminal.SSH.KeyFile)
	b, err := New(context.Background(), o)
	if err == nil {
		_ = b.Close()
		t.Fatal("logged in with a key the server does not know")
	}
	if !strings.Contains(err.Error(), "logging in") || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("error = %v", err)
	}
}

func TestRemoteDirValidated(t *testing.T) {
	t.Parallel()
	// No server: a bad directory is refused before any connection.
	for _, dir := range []string{"relative", "/tmp/a;rm -rf ~", "/tmp/$(id)", "/tmp/a\nb", "/tmp/../etc"} {
		o := sandbox.Options{Terminal: sandboxTerminal(dir)}
		kh := filepath.Join(t.TempDir(), "kh")
		mustWrite(t, kh, "")
		o.Terminal.SSH.KnownHostsFile = kh
		o.Terminal.SSH.KeyFile = filepath.Join(t.TempDir(), "k")
		writeKey(t, o.Terminal.SSH.KeyFile)
		_, err := newBackend(context.Background(), o, func(context.Context, string, string) (net.Conn, error) {
			t.Fatalf("dialled for remote_dir %q", dir)
			return nil, nil
		})
		if err == nil || !strings.Contains(err.Error(), "remote_dir") {
			t.Errorf("remote_dir %q: err = %v", dir, err)
		}
	}
}

func TestEnvironmentFilter(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	o := s.options(t, s.dir)
	mustWrite(t, filepath.Join(o.HomeDir, ".env"), "OPENAI_API_KEY=sk-fromdotenv\nPROJECT_TOKEN=pt-fromdotenv\n")
	o.Terminal.EnvPassthrough = []string{"PROJECT_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"}
	o.Env = append(o.Env,
		"OPENAI_API_KEY=sk-parent", "ANTHROPIC_API_KEY=sk-ant", "TELEGRAM_BOT_TOKEN=tg", "GH_TOKEN=gh",
		"PATH=/hermes/host/bin", "HOME=/hermes/host/home", "USER=hermes-host-user", "TMPDIR=/hermes/host/tmp",
		"HARMLESS=kept-value-7788")
	b, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	res, err := b.Run(context.Background(), sandbox.Spec{Command: "env", Env: map[string]string{"GEMINI_API_KEY": "x", "OWN": "own-1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"sk-", "TELEGRAM", "GH_TOKEN", "GEMINI", "/hermes/host", "hermes-host-user"} {
		if strings.Contains(res.Output, bad) {
			t.Errorf("remote env holds %q:\n%s", bad, res.Output)
		}
	}
	for _, good := range []string{"PROJECT_TOKEN=pt-fromdotenv", "HARMLESS=kept-value-7788", "OWN=own-1", "PATH=/"} {
		if !strings.Contains(res.Output, good) {
			t.Errorf("remote env lacks %q:\n%s", good, res.Output)
		}
	}
}

// TestEnvNotOnCommandLine scans every local process's command line (sshd
// is local) while a command runs: the values travel on stdin only.
func TestEnvNotOnCommandLine(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.backend(t, s.dir)
	const secret = "value-on-stdin-5f3a9c"
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = b.Run(context.Background(), sandbox.Spec{Command: "sleep 1.5", Env: map[string]string{"V": secret}})
	}()
	seen, scans := false, 0
	for deadline := time.Now().Add(1200 * time.Millisecond); time.Now().Before(deadline); scans++ {
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			if data, _ := os.ReadFile(p); strings.Contains(string(data), secret) {
				seen = true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	if seen {
		t.Fatal("an env value showed in a process's command line")
	}
	if scans == 0 {
		t.Fatal("no scan ran")
	}
}

// TestNothingCopied: the hermes home's files never reach the remote side,
// and a fresh remote_dir holds only what commands write.
func TestNothingCopied(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	remote := filepath.Join(s.dir, "remote")
	o := s.options(t, remote)
	mustWrite(t, filepath.Join(o.HomeDir, ".env"), "OPENAI_API_KEY=sk-home-secret\n")
	mustWrite(t, filepath.Join(o.HomeDir, "auth.json"), `{"k":"sk-home-secret"}`)
	b, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	res, err := b.Run(context.Background(), sandbox.Spec{Command: "ls -A; env | grep -c sk-home-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != "0\n" {
		t.Fatalf("remote saw %q", res.Output)
	}
	entries, err := os.ReadDir(remote)
	if err != nil || len(entries) != 0 {
		t.Fatalf("remote dir holds %v (%v)", entries, err)
	}
}

func sandboxTerminal(dir string) (c configTerminal) {
	c.Backend = "ssh"
	c.SSH.Host = "127.0.0.1"
	c.SSH.Port = 1
	c.SSH.RemoteDir = dir
	return c
}

// Issue 10: the remote command gets the same filtered environment as the
// local and bubblewrap backends.
func TestSecretsHidden(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	o := s.options(t, s.dir)
	o.Env = append(o.Env, "HARMLESS=kept-value-7788")
	o.Env = append(o.Env, sandboxtest.SecretEnv...)
	b, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	sandboxtest.HidesSecrets(t, b, "HARMLESS=kept-value-7788")
}
