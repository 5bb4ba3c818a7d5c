package bwrap

import (
	"context"
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

// fakeUserHome makes a user home with credentials and points HOME at it
// (so the test cannot run in parallel).
func fakeUserHome(t *testing.T) string {
	t.Helper()
	home := filepath.Join(t.TempDir(), "user")
	files := map[string]string{
		".ssh/id_ed25519":       "ssh-secret",
		".aws/credentials":      "aws-secret",
		".gnupg/secring":        "gpg-secret",
		".config/gcloud/creds":  "gcloud-secret",
		".kube/config":          "kube-secret",
		".netrc":                "machine x password netrc-secret",
		".docker/config.json":   `{"auths":"docker-secret"}`,
		"private-notes.txt":     "notes-secret",
		"proj/README":           "project file",
		"proj/.ssh/known_hosts": "ws-ssh-secret",
	}
	for name, body := range files {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", home)
	return home
}

func TestProfile(t *testing.T) {
	testenv.Bwrap(t)
	home := fakeUserHome(t)
	hermes := filepath.Join(t.TempDir(), "hermes")
	writeHome(t, hermes)
	proj := filepath.Join(home, "proj")
	hostTmp, err := os.MkdirTemp("", "hermes-host-tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(hostTmp)
	if err := os.WriteFile(filepath.Join(hostTmp, "f"), []byte("hostfile-content"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ws      string
		term    config.Terminal
		cmd     string
		want    []string // each must be in the output
		notWant []string // none may be
		ok      bool     // the command must succeed
	}{
		{"home hidden but the workspace", proj, config.Terminal{},
			`cat README; ls -A "$HOME"; cat ~/private-notes.txt ~/.ssh/id_ed25519 ~/.aws/credentials ~/.netrc 2>&1; echo HOME=$HOME`,
			[]string{"project file", "proj", "HOME=" + home}, []string{"notes-secret", "ssh-secret", "aws-secret", "netrc-secret"}, false},
		{"workspace is the home: credentials hidden, the rest visible", home, config.Terminal{},
			`cat private-notes.txt; for f in .ssh/id_ed25519 .aws/credentials .gnupg/secring .config/gcloud/creds .kube/config .netrc .docker/config.json; do cat $f 2>&1; done; ls -A .ssh; echo end`,
			[]string{"notes-secret", "end"}, []string{"ssh-secret", "aws-secret", "gpg-secret", "gcloud-secret", "kube-secret", "netrc-secret", "docker-secret"}, true},
		{"a .ssh inside the workspace hides nothing of the user's", proj, config.Terminal{},
			`cat .ssh/known_hosts`, []string{"ws-ssh-secret"}, nil, true},
		{"exposed ~/.ssh is read-only", proj, config.Terminal{Expose: []string{"~/.ssh"}},
			`cat ~/.ssh/id_ed25519; echo; cat ~/.aws/credentials 2>&1; echo x > ~/.ssh/planted 2>&1 && echo WROTE`,
			[]string{"ssh-secret"}, []string{"aws-secret", "WROTE"}, false},
		{"exposed in a workspace that is the home", home, config.Terminal{Expose: []string{"~/.netrc", "~/.kube"}},
			`cat .netrc .kube/config; cat .ssh/id_ed25519 2>&1`, []string{"netrc-secret", "kube-secret"}, []string{"ssh-secret"}, false},
		{"a bind of the home hides credentials too", filepath.Join(t.TempDir(), "ws"), config.Terminal{Bubblewrap: config.Bubblewrap{ROBinds: []string{home}}},
			`cat ` + sandbox.ShellQuote(home) + `/private-notes.txt; cat ` + sandbox.ShellQuote(home) + `/.ssh/id_ed25519 2>&1`,
			[]string{"notes-secret"}, []string{"ssh-secret"}, false},
		{"network false leaves only loopback", proj, config.Terminal{Network: false},
			`tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '`, []string{"lo"}, []string{"eth", "en", "wl", "docker"}, true},
		{"private /tmp", proj, config.Terminal{},
			`cat ` + sandbox.ShellQuote(hostTmp+"/f") + ` 2>&1; echo x > /tmp/hermes-private-probe && cat /tmp/hermes-private-probe`, []string{"x"}, []string{"hostfile-content"}, false},
		{"new pid namespace", proj, config.Terminal{},
			`ls /proc | grep -c '^[0-9]'`, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := sandbox.New(context.Background(), sandbox.Options{Terminal: withBackend(tt.term), Workspace: tt.ws, HomeDir: hermes, Env: os.Environ()})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: tt.cmd})
			if tt.ok && res.ExitCode != 0 {
				t.Errorf("exit %d: %s", res.ExitCode, res.Output)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Output, w) {
					t.Errorf("output lacks %q:\n%s", w, res.Output)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(res.Output, w) {
					t.Errorf("output has %q:\n%s", w, res.Output)
				}
			}
			if n, err := strconv.Atoi(strings.TrimSpace(res.Output)); tt.name == "new pid namespace" && (err != nil || n > 5) {
				t.Errorf("the sandbox sees %s processes", res.Output)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh", "planted")); err == nil {
		t.Error("a command wrote into the exposed ~/.ssh")
	}
	if _, err := os.Stat("/tmp/hermes-private-probe"); err == nil {
		_ = os.Remove("/tmp/hermes-private-probe")
		t.Error("the sandbox's /tmp is the host's")
	}
	if _, err := os.Stat(filepath.Join(proj, ".ssh", "known_hosts")); err != nil {
		t.Error("the workspace's own .ssh was damaged")
	}
}

func withBackend(t config.Terminal) config.Terminal {
	t.Backend = "bubblewrap"
	return t
}

func TestProfileRefuses(t *testing.T) {
	testenv.Bwrap(t)
	home := fakeUserHome(t)
	hermes := filepath.Join(t.TempDir(), "hermes")
	writeHome(t, hermes)
	tests := []struct {
		name string
		ws   string
		term config.Terminal
		err  string
	}{
		{"workspace inside ~/.ssh", filepath.Join(home, ".ssh"), config.Terminal{}, "terminal.expose"},
		{"bind inside ~/.aws", filepath.Join(home, "proj"), config.Terminal{Bubblewrap: config.Bubblewrap{ROBinds: []string{filepath.Join(home, ".aws")}}}, "~/.aws"},
	}
	for _, tt := range tests {
		_, err := sandbox.New(context.Background(), sandbox.Options{Terminal: withBackend(tt.term), Workspace: tt.ws, HomeDir: hermes, Env: os.Environ()})
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: got %v, want an error about %q", tt.name, err, tt.err)
		}
	}
	// Exposed, the same workspace is fine.
	b, err := sandbox.New(context.Background(), sandbox.Options{Terminal: withBackend(config.Terminal{Expose: []string{"~/.ssh"}}), Workspace: filepath.Join(home, ".ssh"), HomeDir: hermes, Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
}

// TestHardLinkToSecret: a hard link to the hermes .env in the workspace
// would show it under another name; no command runs while one exists.
func TestHardLinkToSecret(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	root := t.TempDir()
	hermes := filepath.Join(root, "hermes")
	writeHome(t, hermes)
	profile := filepath.Join(hermes, "profiles", "work")
	writeHome(t, profile)
	ws := filepath.Join(root, "ws")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(profile, ".env"), filepath.Join(ws, "innocent.txt")); err != nil {
		t.Skipf("hard links unsupported here: %v", err)
	}
	o := sandbox.Options{Terminal: withBackend(config.Terminal{}), Workspace: ws, HomeDir: hermes, Env: os.Environ()}
	if _, err := sandbox.New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "hard links") {
		t.Fatalf("New with a hard link in the workspace: %v", err)
	}
	if err := os.Remove(filepath.Join(ws, "innocent.txt")); err != nil {
		t.Fatal(err)
	}
	b, err := sandbox.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sh, err := b.(sandbox.ShellBackend).Shell(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	// A link made while the session runs (by an escalated command, say).
	if err := os.Link(filepath.Join(hermes, "auth.json"), filepath.Join(ws, "later.txt")); err != nil {
		t.Fatal(err)
	}
	for name, run := range map[string]func() (*sandbox.Result, error){
		"run": func() (*sandbox.Result, error) {
			return b.Run(context.Background(), sandbox.Spec{Command: "cat later.txt"})
		},
		"shell": func() (*sandbox.Result, error) {
			return sh.Run(context.Background(), sandbox.Spec{Command: "cat later.txt"})
		},
	} {
		res, err := run()
		if err == nil || !strings.Contains(err.Error(), "hard links") || res != nil && strings.Contains(res.Output, "secret") {
			t.Errorf("%s with a hard link: %v %+v", name, err, res)
		}
	}
}

// TestProfilesHidden: a workspace holding the profiles folder sees no
// profile's .env, and a workspace that is a profile's folder is refused.
func TestProfilesHidden(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	root := filepath.Join(t.TempDir(), "hermes")
	writeHome(t, root)
	work := filepath.Join(root, "profiles", "work")
	writeHome(t, work)
	o := sandbox.Options{Terminal: withBackend(config.Terminal{}), Workspace: filepath.Join(root, "profiles"), HomeDir: root, Env: os.Environ()}
	b, err := sandbox.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res := sandboxtest.MustRun(t, b, sandbox.Spec{Command: "cat work/.env work/auth.json 2>&1; ls -A work"})
	if strings.Contains(res.Output, "secret") || strings.Contains(res.Output, "config.yaml") {
		t.Errorf("a profile is visible: %s", res.Output)
	}
	o.Workspace = work
	if _, err := sandbox.New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "hermes home") {
		t.Errorf("a profile's folder as the workspace: %v", err)
	}
}
