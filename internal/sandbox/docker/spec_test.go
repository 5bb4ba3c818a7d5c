package docker

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
)

func mkdir(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(parts...)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseVolume(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	home := mkdir(t, root, "home")
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("OPENAI_API_KEY=sk-x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := mkdir(t, root, "data")
	clean := mkdir(t, home, "cache")
	secret := mkdir(t, home, "profiles", "work")
	if err := os.WriteFile(filepath.Join(secret, "auth.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := mkdir(t, root, "run")
	sock := filepath.Join(run, "docker.sock")
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, want, err string
	}{
		{in: data + ":/data", want: data + ":/data:rw"},
		{in: data + ":/data:ro", want: data + ":/data:ro"},
		{in: clean + ":/cache", want: clean + ":/cache:rw"},
		{in: data, err: "want host:container"},
		{in: data + ":/a:ro:x", err: "want host:container"},
		{in: data + ":/data:rx", err: "neither ro nor rw"},
		{in: "rel:/data", err: "must be absolute"},
		{in: data + ":data", err: "absolute and clean"},
		{in: data + ":/data/../x", err: "absolute and clean"},
		{in: data + ":/workspace", err: "reserved"},
		{in: data + ":/workspace/sub", err: "reserved"},
		{in: data + ":/", err: "reserved"},
		{in: data + ":/proc/x", err: "reserved"},
		{in: filepath.Join(root, "missing") + ":/m", err: "no such file"},
		{in: home + ":/h", err: "is the hermes home"},
		{in: root + ":/r", err: "contains the hermes home"},
		{in: "/:/host", err: "contains the hermes home"},
		{in: filepath.Join(home, "profiles") + ":/p", err: "holds " + filepath.Join(secret, "auth.json")},
		{in: sock + ":/var/run/docker.sock", err: "docker socket"},
		{in: run + ":/r2", err: "docker socket"},
	}
	for _, tt := range tests {
		got, err := parseVolume(tt.in, home, "unix://"+sock)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseVolume(%q) = %q, %v; want error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseVolume(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestWorkingDir(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "/workspace", "sub/dir": "/workspace/sub/dir", "/etc/": "/etc", "../x": "/x"} {
		if got := workingDir(in); got != want {
			t.Errorf("workingDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestContainerEnv(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("FROM_DOTENV=dot\nOPENAI_API_KEY=sk-dot\nGITHUB_PAT=github_pat_dot\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte("model:\n  provider: custom\n  base_url: http://127.0.0.1:1/v1\n  key_env: MY_LLM_KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := sandbox.Options{
		HomeDir: home,
		Env: []string{"PATH=/host/bin", "HOME=/root", "LANG=C.UTF-8", "OPENAI_API_KEY=sk-secret",
			"TELEGRAM_BOT_TOKEN=123:abc", "GH_TOKEN=ghp", "FROM_PARENT=par", "NPM_TOKEN=npm_x", "VAULT_ADDR=http://v",
			"MY_LLM_KEY=k", "SSH_AUTH_SOCK=/tmp/agent"},
		Terminal: config.Terminal{EnvPassthrough: []string{"FROM_DOTENV", "FROM_PARENT", "OPENAI_API_KEY", "UNSET", "GITHUB_PAT", "MY_LLM_KEY"}},
	}
	parent, pass, err := containerEnv(o)
	if err != nil {
		t.Fatal(err)
	}
	b := &Backend{parent: parent, pass: pass}
	tests := []struct {
		name  string
		extra map[string]string
		want  []string
	}{
		// The provider's key_env is never passed through, even when named.
		{"shell", nil, []string{"FROM_DOTENV=dot", "FROM_PARENT=par", "GITHUB_PAT=github_pat_dot", "LANG=C.UTF-8"}},
		// A command's own Env does not filter the passthrough values a
		// second time (GITHUB_PAT stays), and cannot add a reserved name.
		{"exec with its own env", map[string]string{"X": "1", "OPENAI_API_KEY": "sk-x"},
			[]string{"FROM_DOTENV=dot", "FROM_PARENT=par", "GITHUB_PAT=github_pat_dot", "LANG=C.UTF-8", "X=1"}},
	}
	for _, tt := range tests {
		if got := b.execEnv(tt.extra); !slices.Equal(got, tt.want) {
			t.Errorf("%s: env = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestBuildSpecHardening(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	tests := []struct {
		name     string
		docker   config.Docker
		caps     []string
		network  string
		cpus     int64
		memory   int64
		pids     int64
		user     string
		prefixed string
	}{
		{name: "defaults", docker: config.Docker{Image: "img"}, caps: []string{"DAC_OVERRIDE", "CHOWN", "FOWNER", "SETUID", "SETGID"},
			network: "none", cpus: 1e9, memory: 5120 << 20, pids: 256, prefixed: "hermes-"},
		{name: "host user", docker: config.Docker{Image: "img", RunAsHostUser: true, CPUs: 0.5, MemoryMB: 256, PidsLimit: 64},
			caps: []string{"DAC_OVERRIDE", "CHOWN", "FOWNER"}, network: "none", cpus: 5e8, memory: 256 << 20, pids: 64, user: "1000:1000", prefixed: "hermes-"},
		{name: "network persistent", docker: config.Docker{Image: "img", Network: true, Persistent: true},
			caps: []string{"DAC_OVERRIDE", "CHOWN", "FOWNER", "SETUID", "SETGID"}, network: "default", cpus: 1e9, memory: 5120 << 20, pids: 256, prefixed: "hermes-ws-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := buildSpec(sandbox.Options{Terminal: config.Terminal{Docker: tt.docker}}, ws, "", tt.user)
			if err != nil {
				t.Fatal(err)
			}
			h := s.host
			if !slices.Equal(h.CapDrop, []string{"ALL"}) || !slices.Equal(h.CapAdd, tt.caps) {
				t.Errorf("caps: drop %v add %v, want ALL and %v", h.CapDrop, h.CapAdd, tt.caps)
			}
			if !slices.Equal(h.SecurityOpt, []string{"no-new-privileges"}) {
				t.Errorf("SecurityOpt = %v", h.SecurityOpt)
			}
			if string(h.NetworkMode) != tt.network {
				t.Errorf("NetworkMode = %q, want %q", h.NetworkMode, tt.network)
			}
			if h.NanoCPUs != tt.cpus || h.Memory != tt.memory || *h.PidsLimit != tt.pids {
				t.Errorf("limits: cpus %d memory %d pids %d", h.NanoCPUs, h.Memory, *h.PidsLimit)
			}
			if h.Tmpfs["/tmp"] != "rw,nosuid,nodev" || h.Tmpfs["/var/tmp"] != "rw,noexec,nosuid,nodev" || h.Tmpfs["/run"] != "rw,noexec,nosuid,nodev" {
				t.Errorf("Tmpfs = %v", h.Tmpfs)
			}
			if !slices.Equal(h.Binds, []string{ws + ":/workspace"}) || s.config.WorkingDir != "/workspace" {
				t.Errorf("Binds %v WorkingDir %q", h.Binds, s.config.WorkingDir)
			}
			if s.config.User != tt.user || !strings.HasPrefix(s.name, tt.prefixed) {
				t.Errorf("User %q name %q", s.config.User, s.name)
			}
			if s.labels[LabelManaged] != "true" || s.labels[LabelWorkspace] != ws || s.labels[LabelPersistent] != map[bool]string{true: "true", false: "false"}[tt.docker.Persistent] {
				t.Errorf("labels = %v", s.labels)
			}
		})
	}
}

func TestBuildSpecRefusesHome(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	home := mkdir(t, root, ".hermes")
	o := sandbox.Options{HomeDir: home, Terminal: config.Terminal{Docker: config.Docker{Image: "img"}}}
	for _, ws := range []string{home, root} {
		if _, err := buildSpec(o, ws, "", ""); err == nil || !strings.Contains(err.Error(), "hermes home") {
			t.Errorf("workspace %s: err = %v, want a refusal naming the hermes home", ws, err)
		}
	}
	o.Terminal.Docker.Volumes = []string{root + ":/mnt/r:ro"}
	if _, err := buildSpec(o, mkdir(t, t.TempDir(), "ws"), "", ""); err == nil || !strings.Contains(err.Error(), "contains the hermes home") {
		t.Errorf("volume holding the home: err = %v", err)
	}
}

func TestConfigHashFollowsSettings(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	spec := func(d config.Docker) string {
		s, err := buildSpec(sandbox.Options{Terminal: config.Terminal{Docker: d}}, ws, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return s.labels[LabelConfig]
	}
	a, b := spec(config.Docker{Image: "img", Persistent: true}), spec(config.Docker{Image: "img", Persistent: true})
	c := spec(config.Docker{Image: "img", Persistent: true, MemoryMB: 1024})
	if a != b || a == c {
		t.Errorf("config hashes: same settings %s %s, other memory %s", a, b, c)
	}
}

func FuzzParseVolume(f *testing.F) {
	root := f.TempDir()
	for _, s := range []string{root + ":/data", root + ":/data:ro", "/:/x", "a:b:c:d", root + "::", ":" + root, root + ":/workspace/x:rw"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := parseVolume(v, filepath.Join(root, "home"), "")
		if err != nil {
			return
		}
		parts := strings.Split(got, ":")
		if len(parts) != 3 || !filepath.IsAbs(parts[0]) || !strings.HasPrefix(parts[1], "/") || parts[1] == "/" ||
			parts[1] == Workdir || strings.HasPrefix(parts[1], Workdir+"/") || (parts[2] != "ro" && parts[2] != "rw") {
			t.Fatalf("parseVolume(%q) = %q: not a safe host:container:mode bind", v, got)
		}
	})
}
