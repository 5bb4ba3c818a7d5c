package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
	"github.com/hermes-go/hermes/internal/testenv"
)

// env is the test's view of a backend: the backend and the host folders
// behind it.
type env struct {
	b         *Backend
	host      string // the daemon
	workspace string // host side of /workspace
	home      string // a fake hermes home next to the workspace
}

// options are the test defaults: the test daemon and image, never a network.
func options(tb testing.TB) sandbox.Options {
	tb.Helper()
	img := testenv.DockerImage(tb)
	root := tb.TempDir()
	home := filepath.Join(root, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("OPENAI_API_KEY=sk-from-dotenv\nMY_SERVICE=from-dotenv\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return sandbox.Options{
		Terminal: config.Terminal{
			Backend:        "docker",
			EnvPassthrough: []string{"MY_SERVICE"},
			Docker:         config.Docker{Image: img, Host: os.Getenv(testenv.EnvDockerHost), CPUs: 1, MemoryMB: 256, PidsLimit: 128},
		},
		Workspace: filepath.Join(root, "ws"),
		HomeDir:   home,
		Env:       []string{"PATH=/host/only", "LANG=C.UTF-8", "OPENAI_API_KEY=sk-parent", "TELEGRAM_BOT_TOKEN=1:x", "PLAIN=kept"},
	}
}

func start(tb testing.TB, o sandbox.Options) *env {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := sandbox.New(ctx, o)
	if err != nil {
		tb.Fatalf("sandbox.New(docker): %v", err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return &env{b: b.(*Backend), host: o.Terminal.Docker.Host, workspace: o.Workspace, home: o.HomeDir}
}

func (e *env) run(t *testing.T, cmd string) *sandbox.Result {
	t.Helper()
	res, err := e.b.Run(context.Background(), sandbox.Spec{Command: cmd, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("Run(%q): %v", cmd, err)
	}
	return res
}

func (e *env) client(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.New(client.WithHost(e.host))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func TestDockerRun(t *testing.T) {
	e := start(t, options(t))
	tests := []struct {
		name string
		spec sandbox.Spec
		out  string
		code int
	}{
		{name: "stdout", spec: sandbox.Spec{Command: "echo out"}, out: "out\n"},
		{name: "stderr", spec: sandbox.Spec{Command: "echo err >&2"}, out: "err\n"},
		{name: "exit code", spec: sandbox.Spec{Command: "exit 7"}, code: 7},
		{name: "syntax error", spec: sandbox.Spec{Command: "if then"}, code: 2},
		{name: "cwd is workspace", spec: sandbox.Spec{Command: "pwd"}, out: "/workspace\n"},
		{name: "relative dir", spec: sandbox.Spec{Command: "mkdir -p sub && cd sub && pwd", Dir: ""}, out: "/workspace/sub\n"},
		{name: "absolute dir", spec: sandbox.Spec{Command: "pwd", Dir: "/tmp"}, out: "/tmp\n"},
		{name: "stdin", spec: sandbox.Spec{Command: "tr a-z A-Z", Stdin: strings.NewReader("hello")}, out: "HELLO"},
		{name: "spec env", spec: sandbox.Spec{Command: `echo "$GREETING"`, Env: map[string]string{"GREETING": "hi there", "ANTHROPIC_API_KEY": "x"}}, out: "hi there\n"},
		{name: "positional args stay the command's", spec: sandbox.Spec{Command: `echo "$0 $#"`}, out: "sh 0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := e.b.Run(context.Background(), tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if tt.out != "" && res.Output != tt.out || res.ExitCode != tt.code {
				t.Errorf("got %q exit %d, want %q exit %d", res.Output, res.ExitCode, tt.out, tt.code)
			}
		})
	}
	t.Run("max output", func(t *testing.T) {
		t.Parallel()
		res, err := e.b.Run(context.Background(), sandbox.Spec{Command: "seq 1 20000", MaxOutput: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Truncated || !strings.HasPrefix(res.Output, "1\n2\n") || !strings.HasSuffix(res.Output, "19999\n20000\n") || len(res.Output) > 1100 {
			t.Errorf("truncated %v, %d bytes: %.60q...", res.Truncated, len(res.Output), res.Output)
		}
	})
	t.Run("timeout kills the tree", func(t *testing.T) {
		t.Parallel()
		res, err := e.b.Run(context.Background(), sandbox.Spec{Command: "sleep 301 & sleep 302; echo never", Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if !res.TimedOut || res.ExitCode != -1 || strings.Contains(res.Output, "never") || res.Duration > 10*time.Second {
			t.Errorf("result %+v", res)
		}
		if ps := e.run(t, "ps -o args").Output; strings.Contains(ps, "sleep 301") || strings.Contains(ps, "sleep 302") {
			t.Errorf("processes survived the timeout:\n%s", ps)
		}
	})
	t.Run("cancel kills the tree", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		res, err := e.b.Run(ctx, sandbox.Spec{Command: "sh -c 'sleep 303' & sleep 304"})
		if !errors.Is(err, context.DeadlineExceeded) || res == nil || res.ExitCode != -1 || res.TimedOut {
			t.Errorf("Run = %+v, %v; want exit -1 and the ctx error", res, err)
		}
		if ps := e.run(t, "ps -o args").Output; strings.Contains(ps, "sleep 303") || strings.Contains(ps, "sleep 304") {
			t.Errorf("processes survived the cancel:\n%s", ps)
		}
	})
	t.Run("background", func(t *testing.T) {
		t.Parallel()
		p, err := e.b.Start(context.Background(), sandbox.Spec{Command: "echo started; sleep 305 & sleep 306"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.ID(), "bg-") || p.Command() != "echo started; sleep 305 & sleep 306" {
			t.Errorf("id %q command %q", p.ID(), p.Command())
		}
		waitFor(t, func() bool { out, _ := p.Output(); return out == "started\n" })
		if _, ended := p.ExitCode(); ended {
			t.Fatal("ended before Kill")
		}
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.Done()
		if code, ended := p.ExitCode(); !ended || code != -1 {
			t.Errorf("after Kill: exit %d ended %v", code, ended)
		}
		if ps := e.run(t, "ps -o args").Output; strings.Contains(ps, "sleep 305") {
			t.Errorf("background tree survived Kill:\n%s", ps)
		}
		done, err := e.b.Start(context.Background(), sandbox.Spec{Command: "exit 3"})
		if err != nil {
			t.Fatal(err)
		}
		<-done.Done()
		if code, ended := done.ExitCode(); !ended || code != 3 || done.Kill() != nil {
			t.Errorf("finished process: exit %d ended %v", code, ended)
		}
	})
	t.Run("workspace is the host folder", func(t *testing.T) {
		t.Parallel()
		e.run(t, "echo from-container > shared.txt")
		got, err := os.ReadFile(filepath.Join(e.workspace, "shared.txt"))
		if err != nil || string(got) != "from-container\n" {
			t.Errorf("host sees %q, %v", got, err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// capMask is the CapEff bits of the named capabilities.
func capMask(names ...string) string {
	bits := map[string]uint{"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "SETGID": 6, "SETUID": 7}
	var m uint64
	for _, n := range names {
		m |= 1 << bits[n]
	}
	return fmt.Sprintf("%016x", m)
}

func TestDockerHardening(t *testing.T) {
	e := start(t, options(t))
	ins, err := e.client(t).ContainerInspect(context.Background(), e.b.ContainerID(), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := ins.Container.HostConfig
	added := make([]string, 0, len(h.CapAdd))
	for _, c := range h.CapAdd {
		added = append(added, strings.TrimPrefix(c, "CAP_"))
	}
	slices.Sort(added)
	if !slices.Equal(h.CapDrop, []string{"ALL"}) || !slices.Equal(added, []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"}) {
		t.Errorf("caps: drop %v add %v", h.CapDrop, h.CapAdd)
	}
	if !slices.Contains(h.SecurityOpt, "no-new-privileges") || h.NetworkMode != "none" {
		t.Errorf("SecurityOpt %v NetworkMode %q", h.SecurityOpt, h.NetworkMode)
	}
	if h.PidsLimit == nil || *h.PidsLimit != 128 || h.Memory != 256<<20 || h.NanoCPUs != 1e9 {
		t.Errorf("limits: pids %v memory %d cpus %d", h.PidsLimit, h.Memory, h.NanoCPUs)
	}
	if ins.Container.Config.Labels[LabelManaged] != "true" || ins.Container.Config.Labels[LabelPersistent] != "false" {
		t.Errorf("labels %v", ins.Container.Config.Labels)
	}
	inside := []struct{ name, cmd, want string }{
		{"effective caps", "grep CapEff /proc/self/status", "CapEff:\t" + capMask("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID")},
		{"no new privileges", "grep NoNewPrivs /proc/self/status", "NoNewPrivs:\t1"},
		{"tmpfs mounts", "grep -E ' /(tmp|var/tmp|run) ' /proc/mounts | cut -d' ' -f2,3 | sort | tr '\\n' ' '", "/run tmpfs /tmp tmpfs /var/tmp tmpfs"},
		{"run is noexec", "cp /bin/busybox /run/bb && /run/bb true; echo rc=$?", "rc=126"},
		{"var/tmp is noexec", "cp /bin/busybox /var/tmp/bb && /var/tmp/bb true; echo rc=$?", "rc=126"},
		{"only loopback", "ls /sys/class/net | tr '\\n' ' '", "lo"},
		{"no mknod", "mknod /tmp/sda b 8 0 2>/dev/null; echo rc=$?", "rc=1"},
		{"no mount", "mount -t tmpfs none /mnt 2>&1; echo rc=$?", "permission denied (are you root?)\nrc=1"},
	}
	for _, tt := range inside {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := strings.TrimSpace(e.run(t, tt.cmd).Output); !strings.HasSuffix(got, tt.want) {
				t.Errorf("%s:\n got %q\nwant %q", tt.cmd, got, tt.want)
			}
		})
	}
}

func TestDockerRunAsHostUser(t *testing.T) {
	o := options(t)
	o.Terminal.Docker.RunAsHostUser = true
	e := start(t, o)
	want := fmt.Sprintf("%d:%d CapEff:\t%s", os.Getuid(), os.Getgid(), capMask())
	if os.Getuid() == 0 {
		// root keeps the three file capabilities but never SETUID/SETGID.
		want = fmt.Sprintf("0:%d CapEff:\t%s", os.Getgid(), capMask("CHOWN", "DAC_OVERRIDE", "FOWNER"))
	}
	if got := strings.TrimSpace(e.run(t, `echo "$(id -u):$(id -g) $(grep CapEff /proc/self/status)"`).Output); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDockerEscape(t *testing.T) {
	o := options(t)
	e := start(t, o)
	t.Run("root filesystem is the container's", func(t *testing.T) {
		marker := "hermes-escape-" + randomHex(4)
		res := e.run(t, "echo x > /"+marker+" && echo x > /etc/"+marker+" && echo ok")
		if res.Output != "ok\n" {
			t.Fatalf("writing in the container: %q", res.Output)
		}
		for _, p := range []string{"/" + marker, "/etc/" + marker} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s reached the host: %v", p, err)
			}
		}
	})
	t.Run("hermes home is invisible", func(t *testing.T) {
		res := e.run(t, "cat ../home/.env; find / \\( -path /proc -o -path /sys \\) -prune -o \\( -name .env -o -name auth.json \\) -print; echo end")
		if res.Output != "cat: can't open '../home/.env': No such file or directory\nend\n" {
			t.Errorf("the home's .env may be reachable:\n%s", res.Output)
		}
	})
	t.Run("credentials filtered, passthrough kept", func(t *testing.T) {
		got := e.run(t, "env | sort").Output
		for _, bad := range []string{"OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "sk-", "/host/only"} {
			if strings.Contains(got, bad) {
				t.Errorf("%s visible inside:\n%s", bad, got)
			}
		}
		for _, good := range []string{"MY_SERVICE=from-dotenv", "PLAIN=kept", "LANG=C.UTF-8"} {
			if !strings.Contains(got, good+"\n") {
				t.Errorf("%s missing inside:\n%s", good, got)
			}
		}
	})
	t.Run("host network unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = ln.Close() }()
		accepted := make(chan struct{}, 1)
		go func() {
			if c, err := ln.Accept(); err == nil {
				accepted <- struct{}{}
				_ = c.Close()
			}
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		res := e.run(t, fmt.Sprintf("echo hi | nc -w 2 127.0.0.1 %d; echo nc=$?; wget -q -T 2 -O- http://127.0.0.1:%d/; echo wget=$?", port, port))
		if !strings.Contains(res.Output, "nc=1") || !strings.Contains(res.Output, "wget=1") {
			t.Errorf("connections did not fail:\n%s", res.Output)
		}
		select {
		case <-accepted:
			t.Error("the host listener accepted a connection from the container")
		case <-time.After(100 * time.Millisecond):
		}
	})
	t.Run("host processes invisible", func(t *testing.T) {
		self := filepath.Base(os.Args[0])
		res := e.run(t, "cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo; ls -d /proc/[0-9]* | wc -l")
		if strings.Contains(res.Output, self) || strings.Contains(res.Output, "dockerd") {
			t.Errorf("host processes visible:\n%s", res.Output)
		}
	})
	t.Run("home as workspace is refused", func(t *testing.T) {
		bad := o
		bad.Workspace = o.HomeDir
		if _, err := New(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "hermes home") {
			t.Errorf("New with the home as workspace: %v", err)
		}
		bad = o
		bad.Terminal.Docker.Volumes = []string{filepath.Dir(o.HomeDir) + ":/mnt/up:ro"}
		if _, err := New(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "contains the hermes home") {
			t.Errorf("New with a volume holding the home: %v", err)
		}
	})
}

func TestDockerNew(t *testing.T) {
	o := options(t)
	o.Terminal.Docker.Image = "hermes-no-such-image:latest"
	if _, err := New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "docker pull") {
		t.Errorf("missing image: %v", err)
	}
	o = options(t)
	o.Terminal.Docker.Host = "unix://" + filepath.Join(t.TempDir(), "none.sock")
	if _, err := New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("dead daemon: %v", err)
	}
	o.Terminal.Docker.Host = "http://127.0.0.1:2375"
	if _, err := New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "unix:///") {
		t.Errorf("bad host: %v", err)
	}
}

func TestDockerCloseRemovesThrowaway(t *testing.T) {
	e := start(t, options(t))
	p, err := e.b.Start(context.Background(), sandbox.Spec{Command: "sleep 307"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("background process not done after Close")
	}
	if _, err := e.client(t).ContainerInspect(context.Background(), e.b.ContainerID(), client.ContainerInspectOptions{}); err == nil {
		t.Error("throwaway container still exists after Close")
	}
	if _, err := e.b.Run(context.Background(), sandbox.Spec{Command: "true"}); err == nil {
		t.Error("Run after Close succeeded")
	}
}

func TestDockerPersistent(t *testing.T) {
	o := options(t)
	o.Terminal.Docker.Persistent = true
	first := start(t, o)
	cli := first.client(t)
	t.Cleanup(func() {
		_, _ = cli.ContainerRemove(context.Background(), first.b.ContainerID(), client.ContainerRemoveOptions{Force: true})
	})
	first.run(t, "echo kept > /root/state")
	if err := first.b.Close(); err != nil {
		t.Fatal(err)
	}
	second := start(t, o)
	if second.b.ContainerID() != first.b.ContainerID() {
		t.Errorf("persistent container not reused: %.12s then %.12s", first.b.ContainerID(), second.b.ContainerID())
	}
	if got := second.run(t, "cat /root/state").Output; got != "kept\n" {
		t.Errorf("state in the persistent container: %q", got)
	}
	// Other settings replace the container.
	o.Terminal.Docker.PidsLimit = 64
	third := start(t, o)
	t.Cleanup(func() {
		_, _ = cli.ContainerRemove(context.Background(), third.b.ContainerID(), client.ContainerRemoveOptions{Force: true})
	})
	if third.b.ContainerID() == first.b.ContainerID() {
		t.Error("a persistent container with other settings was reused")
	}
}

func TestReap(t *testing.T) {
	o := options(t)
	ctx := context.Background()
	b, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	id := b.(*Backend).ContainerID()
	time.Sleep(1100 * time.Millisecond) // Created has a one-second resolution
	if n, err := Reap(ctx, o.Terminal.Docker.Host, time.Hour); err != nil || n != 0 {
		t.Errorf("Reap(1h) = %d, %v; want nothing that young removed", n, err)
	}
	n, err := Reap(ctx, o.Terminal.Docker.Host, time.Second)
	if err != nil || n < 1 {
		t.Errorf("Reap = %d, %v; want the stale container removed", n, err)
	}
	cli, err := client.New(client.WithHost(o.Terminal.Docker.Host))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cli.Close() }()
	if _, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil {
		t.Error("reaped container still exists")
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close after Reap: %v", err)
	}
}

func BenchmarkDockerExec(b *testing.B) {
	e := start(b, options(b))
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		res, err := e.b.Run(ctx, sandbox.Spec{Command: "true"})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("Run(true) = %+v, %v", res, err)
		}
	}
}

// Issue 10: the container gets the same filtered environment as the local
// and bubblewrap backends: no credential by name shape or by value, in an
// exec or the persistent shell, with or without a command's own Env.
func TestDockerSecretsHidden(t *testing.T) {
	t.Parallel()
	o := options(t)
	o.Env = append(o.Env, sandboxtest.SecretEnv...)
	e := start(t, o)
	sandboxtest.HidesSecrets(t, e.b, "PLAIN=kept")
}
