package singularity

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
)

func TestArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"start, no network", StartArgs("/w", "img.sif", "hermes-1", false), []string{
			"instance", "start", "--containall", "--no-home", "--cleanenv", "--bind", "/w:/workspace",
			"--net", "--network", "none", "img.sif", "hermes-1"}},
		{"start, network", StartArgs("/w", "docker://alpine", "hermes-1", true), []string{
			"instance", "start", "--containall", "--no-home", "--cleanenv", "--bind", "/w:/workspace",
			"docker://alpine", "hermes-1"}},
		{"exec", ExecArgs("/workspace/sub", "/tmp/e", "hermes-1", "echo 'a b'"), []string{
			"exec", "--pwd", "/workspace/sub", "--cleanenv", "--env-file", "/tmp/e", "instance://hermes-1",
			"sh", "-c", "echo 'a b'"}},
		{"stop", StopArgs("hermes-1"), []string{"instance", "stop", "hermes-1"}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestEnvFileAndDirs(t *testing.T) {
	t.Parallel()
	got, err := EnvFile(map[string]string{"B": "it's", "A": "$x\n"})
	if want := "A='$x\n'\nB='it'\\''s'\n"; err != nil || got != want {
		t.Errorf("EnvFile = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []map[string]string{{"A-B": "1"}, {"A": "\x00"}} {
		if _, err := EnvFile(bad); err == nil {
			t.Errorf("EnvFile(%q) accepted", bad)
		}
	}
	dirs := map[string]string{"": "/workspace", "sub": "/workspace/sub", "/tmp": "/tmp", "a;b": "", "/x/../y": ""}
	for in, want := range dirs {
		got, err := containerDir(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("containerDir(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// fake is a test setup around testdata/fake-apptainer.
type fake struct {
	exe, log, state, ws, image string
	o                          sandbox.Options
}

func newFake(t *testing.T) *fake {
	t.Helper()
	dir := t.TempDir()
	f := &fake{
		exe: filepath.Join(dir, "bin", "apptainer"), log: filepath.Join(dir, "log"),
		state: filepath.Join(dir, "state"), ws: filepath.Join(dir, "ws"), image: filepath.Join(dir, "img.sif"),
	}
	src, err := os.ReadFile("testdata/fake-apptainer")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(f.exe), f.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, f.exe, string(src), 0o755)
	write(t, f.image, "SIF", 0o644)
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(home, ".env"), "PROJECT_TOKEN=pt-dotenv\nOPENAI_API_KEY=sk-dotenv\n", 0o600)
	f.o = sandbox.Options{
		Terminal: config.Terminal{
			Backend:        "singularity",
			EnvPassthrough: []string{"PROJECT_TOKEN", "OPENAI_API_KEY"},
			Singularity:    config.Singularity{Image: f.image},
		},
		Workspace: f.ws, HomeDir: home,
		Env: []string{
			"PATH=" + filepath.Dir(f.exe) + ":/usr/bin:/bin", "HOME=/host/home",
			"FAKE_APPTAINER_LOG=" + f.log, "FAKE_APPTAINER_STATE=" + f.state,
			"OPENAI_API_KEY=sk-parent", "HARMLESS=kept-4711",
		},
	}
	return f
}

func write(t *testing.T, p, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

// calls returns the recorded argument vectors.
func (f *fake) calls(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile(f.log)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, rec := range strings.Split(strings.TrimSuffix(string(data), "\036"), "\036") {
		out = append(out, strings.Split(strings.TrimSuffix(rec, "\037"), "\037"))
	}
	return out
}

func (f *fake) backend(t *testing.T) *Backend {
	t.Helper()
	b, err := New(context.Background(), f.o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b.(*Backend)
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	b := f.backend(t)
	if b.Workspace() != "/workspace" || b.Name() != "singularity" {
		t.Fatalf("workspace %q name %q", b.Workspace(), b.Name())
	}
	if c := f.calls(t); len(c) != 1 || !slices.Equal(c[0], StartArgs(f.ws, f.image, b.name, false)) {
		t.Fatalf("start call %q", c)
	}
	res, err := b.Run(context.Background(), sandbox.Spec{Command: "echo hi > out.txt; env; exit 5",
		Env: map[string]string{"OWN": "own-1", "GH_TOKEN": "gh-x"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 5 {
		t.Errorf("exit %d: %s", res.ExitCode, res.Output)
	}
	for _, good := range []string{"PROJECT_TOKEN=pt-dotenv", "HARMLESS=kept-4711", "OWN=own-1", "PATH=/usr/local/bin"} {
		if !strings.Contains(res.Output, good) {
			t.Errorf("env lacks %s:\n%s", good, res.Output)
		}
	}
	for _, bad := range []string{"sk-", "GH_TOKEN", "/host/home"} {
		if strings.Contains(res.Output, bad) {
			t.Errorf("env holds %s:\n%s", bad, res.Output)
		}
	}
	if data, err := os.ReadFile(filepath.Join(f.ws, "out.txt")); err != nil || string(data) != "hi\n" {
		t.Errorf("workspace file %q %v", data, err)
	}
	calls := f.calls(t)
	ex := calls[len(calls)-1]
	if len(ex) != 10 || !slices.Equal(ex, ExecArgs("/workspace", ex[5], b.name, ex[9])) {
		t.Errorf("exec call %q", ex)
	}
	if strings.Contains(strings.Join(ex, " "), "kept-4711") {
		t.Error("an env value is on the command line")
	}
	if _, err := os.Stat(ex[5]); !os.IsNotExist(err) {
		t.Errorf("env file left behind: %v", err)
	}

	if err := os.Mkdir(filepath.Join(f.ws, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The fake maps /workspace to the host folder, so pwd shows that.
	res, err = b.Run(context.Background(), sandbox.Spec{Command: "tr a-z A-Z; pwd", Dir: "sub", Stdin: strings.NewReader("abc\n")})
	if want := "ABC\n" + filepath.Join(f.ws, "sub") + "\n"; err != nil || res.Output != want {
		t.Errorf("stdin and dir: %+v %v, want %q", res, err, want)
	}
}

func TestTimeoutAndBackground(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	b := f.backend(t)
	pidFile := filepath.Join(f.ws, "pid")
	res, err := b.Run(context.Background(), sandbox.Spec{
		Command: "sleep 60 & echo $! > pid; sleep 61; echo never", Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != -1 || strings.Contains(res.Output, "never") {
		t.Fatalf("result %+v", res)
	}
	assertDead(t, pidFile)

	p, err := b.Start(context.Background(), sandbox.Spec{Command: "echo started; sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(b.tmp)
	for _, e := range entries { // the env file while it is in use
		if fi, err := e.Info(); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("env file mode %v", fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(b.tmp); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("env folder %v %v", fi.Mode(), err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Close left the background process")
	}
	if code, ended := p.ExitCode(); !ended || code != -1 {
		t.Errorf("exit %d %v", code, ended)
	}
	calls := f.calls(t)
	if last := calls[len(calls)-1]; !slices.Equal(last, StopArgs(b.name)) {
		t.Errorf("last call %q", last)
	}
	if _, err := os.Stat(filepath.Join(f.state, b.name)); !os.IsNotExist(err) {
		t.Error("instance not stopped")
	}
	if _, err := os.Stat(b.tmp); !os.IsNotExist(err) {
		t.Error("env folder left behind")
	}
	if _, err := b.Run(context.Background(), sandbox.Spec{Command: "true"}); err != ErrClosed {
		t.Errorf("Run after Close: %v", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	b := f.backend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := b.Run(ctx, sandbox.Spec{Command: "sleep 30"})
	if err != context.DeadlineExceeded || res.ExitCode != -1 || res.TimedOut {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(f *fake)
		want string
	}{
		{"no image", func(f *fake) { f.o.Terminal.Singularity.Image = "" }, "image is empty"},
		{"missing image", func(f *fake) { f.o.Terminal.Singularity.Image = "/nonexistent.sif" }, "could not open image"},
		{"no executable", func(f *fake) { f.o.Env[0] = "PATH=/nonexistent" }, "install apptainer"},
		{"bad executable", func(f *fake) { f.o.Terminal.Singularity.Executable = "/nonexistent/apptainer" }, "not an executable"},
		{"workspace in home", func(f *fake) { f.o.Workspace = filepath.Join(f.o.HomeDir, "ws") }, "must never be mounted"},
		{"home in workspace", func(f *fake) { f.o.Workspace = filepath.Dir(f.o.HomeDir) }, "must never be mounted"},
		{"colon", func(f *fake) { f.o.Workspace = f.ws + ":x" }, "--bind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			tt.edit(f)
			b, err := New(context.Background(), f.o)
			if err == nil {
				_ = b.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestSingularityFallback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "singularity"), "#!/bin/sh\n", 0o755)
	got, err := findExecutable("", []string{"PATH=" + dir})
	if err != nil || got != filepath.Join(dir, "singularity") {
		t.Errorf("got %q %v", got, err)
	}
}

func assertDead(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(stat), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
	}
}

// Issue 10: the env file a command gets holds the same filtered
// environment as the local and bubblewrap backends (the fake runtime runs
// the command with it).
func TestSecretsHidden(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.o.Env = append(f.o.Env, sandboxtest.SecretEnv...)
	b := f.backend(t)
	sandboxtest.HidesSecrets(t, b, "HARMLESS=kept-4711")
	env := b.commandEnv(map[string]string{"OWN": "1", "OPENAI_API_KEY": "sk-own"})
	for _, name := range append(sandboxtest.SecretNames(), "HOME", "PATH") {
		if _, ok := env[name]; ok {
			t.Errorf("the env file would hold %s: %v", name, env)
		}
	}
	if env["OWN"] != "1" || env["PROJECT_TOKEN"] != "pt-dotenv" {
		t.Errorf("the env file lacks the command's own or the passthrough variable: %v", env)
	}
}
