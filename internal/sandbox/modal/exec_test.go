package modal

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	pb "github.com/modal-labs/libmodal/modal-go/proto/modal_proto"
	"google.golang.org/protobuf/proto"

	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
	"github.com/hermes-go/hermes/internal/testenv"
)

func TestRun(t *testing.T) {
	f := startFake(t)
	b := open(t, testOptions(t))
	cases := []struct {
		name   string
		spec   sandbox.Spec
		output string
		exit   int
	}{
		{"true", sandbox.Spec{Command: "true"}, "", 0},
		{"false", sandbox.Spec{Command: "false"}, "", 1},
		{"exit 7", sandbox.Spec{Command: "exit 7"}, "", 7},
		{"subshell status", sandbox.Spec{Command: "(exit 42)"}, "", 42},
		{"not found", sandbox.Spec{Command: "no-such-command-xyz 2>/dev/null"}, "", 127},
		{"stdout and stderr in order", sandbox.Spec{Command: "echo out; echo err >&2; printf tail"}, "out\nerr\ntail", 0},
		{"stdin", sandbox.Spec{Command: "cat", Stdin: strings.NewReader("line one\nit's $HOME `x`\n\tend")}, "line one\nit's $HOME `x`\n\tend", 0},
		{"no stdin is empty", sandbox.Spec{Command: "cat; echo eof"}, "eof\n", 0},
		{"quotes survive", sandbox.Spec{Command: `printf '%s|' "a b" '$x' "it's"`}, "a b|$x|it's|", 0},
	}
	for _, c := range cases {
		res := run(t, b, c.spec)
		if res.Output != c.output || res.ExitCode != c.exit || res.TimedOut || res.Truncated {
			t.Errorf("%s: %q exit %d (timed out %v, truncated %v); want %q exit %d",
				c.name, res.Output, res.ExitCode, res.TimedOut, res.Truncated, c.output, c.exit)
		}
	}
	execs := userExecs(f)
	if len(execs) != len(cases) {
		t.Fatalf("%d wrapped execs, want %d", len(execs), len(cases))
	}
	for i, r := range execs {
		if r.GetCommand()[4] != cases[i].spec.Command || r.GetTaskId() != "ta-1" {
			t.Errorf("exec %d: argv %q in task %q, want the command as the wrapper's $1 in ta-1", i, r.GetCommand(), r.GetTaskId())
		}
		if got, want := r.GetTimeoutSecs(), uint32((sandbox.DefaultTimeout + backstopSlack).Seconds()); got != want {
			t.Errorf("exec %d: Modal timeout %ds, want the %ds backstop", i, got, want)
		}
	}
}

func TestTruncation(t *testing.T) {
	startFake(t)
	b := open(t, testOptions(t))
	res := run(t, b, sandbox.Spec{MaxOutput: 2000,
		Command: "echo first; i=0; while [ $i -lt 5000 ]; do echo line-$i; i=$((i+1)); done; echo last"})
	if !res.Truncated || len(res.Output) > 2100 || !strings.HasPrefix(res.Output, "first\n") || !strings.HasSuffix(res.Output, "line-4999\nlast\n") {
		t.Errorf("truncated %v, %d bytes: %.60q ... %q", res.Truncated, len(res.Output), res.Output, res.Output[max(0, len(res.Output)-30):])
	}
}

func TestWorkdir(t *testing.T) {
	f := startFake(t)
	b := open(t, testOptions(t))
	if err := os.MkdirAll(f.hostPath("/workspace/sub dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{"": "/workspace", "sub dir": "/workspace/sub dir", "/workspace/sub dir/": "/workspace/sub dir", "/tmp": "/tmp"}
	for dir, want := range dirs {
		run(t, b, sandbox.Spec{Command: "true", Dir: dir})
		execs := userExecs(f)
		if got := execs[len(execs)-1].GetWorkdir(); got != want {
			t.Errorf("Spec.Dir %q: exec workdir %q, want %q", dir, got, want)
		}
	}
}

// TestEnvTravelsOnlyInTheSecret checks that a command's variables reach it
// through the ephemeral secret of its exec, are never in the command text
// or any other request, and never include a blocked or host-only name.
func TestEnvTravelsOnlyInTheSecret(t *testing.T) {
	f := startFake(t)
	b := open(t, testOptions(t))
	res := run(t, b, sandbox.Spec{
		Command: `printf '%s|' "$HERMES_KEEP" "$HERMES_PASSED" "$HERMES_CMD" "$OPENAI_API_KEY" "$MODAL_TOKEN_ID" "$MODAL_SERVER_URL" "$GH_TOKEN" "$HOME"`,
		Env:     map[string]string{"HERMES_CMD": "cmd-value 'q'", "GH_TOKEN": "ghp-must-not-leak"},
	})
	if want := "kept-value|from-dotenv|cmd-value 'q'||||||"; res.Output != want {
		t.Errorf("the command saw %q, want %q", res.Output, want)
	}
	exec := userExecs(f)[0]
	secrets := f.requests("SecretGetOrCreate")
	if len(secrets) == 0 {
		t.Fatal("no SecretGetOrCreate request")
	}
	sr := secrets[len(secrets)-1].req.(*pb.SecretGetOrCreateRequest)
	dict := sr.GetEnvDict()
	if dict["HERMES_KEEP"] != "kept-value" || dict["HERMES_PASSED"] != "from-dotenv" || dict["HERMES_CMD"] != "cmd-value 'q'" {
		t.Errorf("secret env %v lacks the command's variables", dict)
	}
	for _, name := range []string{"OPENAI_API_KEY", "MODAL_TOKEN_ID", "MODAL_SERVER_URL", "GH_TOKEN", "PATH", "HOME"} {
		if _, ok := dict[name]; ok {
			t.Errorf("secret env carries %s", name)
		}
	}
	if sr.GetObjectCreationType() != pb.ObjectCreationType_OBJECT_CREATION_TYPE_EPHEMERAL {
		t.Errorf("secret creation %v, want ephemeral", sr.GetObjectCreationType())
	}
	if len(exec.GetSecretIds()) != 1 {
		t.Errorf("exec secret ids %q, want the one env secret", exec.GetSecretIds())
	}
	for _, c := range f.allCalls() {
		if c.method == "SecretGetOrCreate" {
			continue
		}
		body, _ := proto.Marshal(c.req)
		for _, v := range []string{"kept-value", "from-dotenv", "cmd-value"} {
			if strings.Contains(string(body), v) {
				t.Errorf("%s request carries the value %q", c.method, v)
			}
		}
	}
}

func TestTimeoutKillsTheTree(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []fakeOption
	}{
		{"exec leads its group", nil},
		{"exec in the runtime's group", []fakeOption{noGroupLeader()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := startFake(t, c.opts...)
			b := open(t, testOptions(t))
			mark := f.hostPath("/workspace/tree-mark")
			start := time.Now()
			res := run(t, b, sandbox.Spec{Timeout: 300 * time.Millisecond,
				Command: "(sleep 1; touch /workspace/tree-mark) & setsid sh -c 'sleep 1; touch /workspace/tree-mark' & echo started; sleep 60"})
			if !res.TimedOut || res.ExitCode != -1 || !strings.Contains(res.Output, "started") {
				t.Errorf("%+v; want timed out, exit -1, the output before the timeout", res)
			}
			if d := time.Since(start); d > sandboxtest.Slack {
				t.Errorf("a 300ms timeout took %v", d)
			}
			kills := 0
			for _, c := range f.requests("ContainerExec") {
				if cmd := c.req.(*pb.ContainerExecRequest).GetCommand(); len(cmd) == 4 && cmd[2] == killScript {
					kills++
				}
			}
			if kills != 1 {
				t.Errorf("%d kill execs, want 1", kills)
			}
			time.Sleep(1500 * time.Millisecond)
			if _, err := os.Stat(mark); err == nil {
				t.Error("a child of the timed-out command survived and touched its mark")
			}
		})
	}
}

func TestCancel(t *testing.T) {
	startFake(t)
	b := open(t, testOptions(t))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	res, err := b.Run(ctx, sandbox.Spec{Command: "echo up; sleep 60"})
	if !errors.Is(err, context.Canceled) || res == nil || res.ExitCode != -1 || res.TimedOut || res.Output != "up\n" {
		t.Fatalf("after cancel: %+v, %v; want exit -1, the output so far and context.Canceled", res, err)
	}
	if d := time.Since(start); d > sandboxtest.Slack {
		t.Errorf("cancel took %v", d)
	}
	if _, err := b.Run(ctx, sandbox.Spec{Command: "true"}); !errors.Is(err, context.Canceled) {
		t.Errorf("run with a cancelled ctx: %v", err)
	}
}

func TestBackground(t *testing.T) {
	f := startFake(t)
	b := open(t, testOptions(t))
	ctx := context.Background()
	short, err := b.Start(ctx, sandbox.Spec{Command: "echo hi; echo err >&2; exit 4"})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, short)
	if code, ok := short.ExitCode(); code != 4 || !ok {
		t.Errorf("exit %d, %v; want 4, true", code, ok)
	}
	if out, _ := short.Output(); out != "hi\nerr\n" {
		t.Errorf("output %q", out)
	}
	long, err := b.Start(ctx, sandbox.Spec{Command: "echo up; sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	if long.ID() == short.ID() || !strings.HasPrefix(long.ID(), "bg-") || long.Command() != "echo up; sleep 60" {
		t.Errorf("ids %q, %q, command %q", short.ID(), long.ID(), long.Command())
	}
	if _, ended := long.ExitCode(); ended {
		t.Error("a running process reports an exit code")
	}
	if err := long.Kill(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, long)
	if code, ok := long.ExitCode(); code != -1 || !ok {
		t.Errorf("killed: exit %d, %v; want -1, true", code, ok)
	}
	if err := long.Kill(); err != nil {
		t.Errorf("a second Kill: %v", err)
	}
	if n := len(userExecs(f)); n != 2 {
		t.Errorf("%d wrapped execs, want 2", n)
	}
	if r := userExecs(f)[1]; r.GetTimeoutSecs() != 0 {
		t.Errorf("background exec has a Modal timeout of %ds, want none", r.GetTimeoutSecs())
	}
}

func TestCloseTerminates(t *testing.T) {
	f := startFake(t)
	b := open(t, testOptions(t))
	p, err := b.Start(context.Background(), sandbox.Spec{Command: "sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
	if code, _ := p.ExitCode(); code != -1 {
		t.Errorf("background exit %d after Close, want -1", code)
	}
	terms := f.requests("SandboxTerminate")
	if len(terms) != 1 || terms[0].req.(*pb.SandboxTerminateRequest).GetSandboxId() != "sb-1" {
		t.Fatalf("terminate requests %v, want one for sb-1", terms)
	}
	if err := b.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if n := len(f.requests("SandboxTerminate")); n != 1 {
		t.Errorf("a second Close sent another terminate")
	}
	if _, err := b.Run(context.Background(), sandbox.Spec{Command: "true"}); !errors.Is(err, ErrClosed) {
		t.Errorf("run after Close: %v, want ErrClosed", err)
	}
	if _, err := b.Start(context.Background(), sandbox.Spec{Command: "true"}); !errors.Is(err, ErrClosed) {
		t.Errorf("start after Close: %v, want ErrClosed", err)
	}
}

// TestContract runs the shared backend contract with every exec under
// bubblewrap, so /workspace and pwd are what a real sandbox shows.
func TestContract(t *testing.T) {
	bwrap := testenv.Bwrap(t)
	o := testOptions(t)
	sandboxtest.Contract(t, func(t *testing.T) sandbox.Backend {
		startFake(t, withBwrap(bwrap))
		return open(t, o)
	})
}

func waitDone(t *testing.T, p sandbox.Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(sandboxtest.Slack):
		t.Fatalf("process %s did not end", p.ID())
	}
}

func TestWorkingDir(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "/workspace", ".": "/workspace", "a/b": "/workspace/a/b", "../etc": "/etc", "/x//y/": "/x/y"} {
		if got := workingDir(in); got != want {
			t.Errorf("workingDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExecEnvDropsBlockedAndHostNames(t *testing.T) {
	t.Parallel()
	b := &Backend{parent: sandboxParent([]string{"PATH=/x", "home=/h", "KEEP=1", "ANTHROPIC_API_KEY=k", "MODAL_PROFILE=p"}),
		pass: map[string]string{"PASSED": "2"}}
	got := b.execEnv(map[string]string{"EXTRA": "3", "KEEP": "override", "HF_TOKEN": "t"})
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"EXTRA", "KEEP", "PASSED"}) || got["KEEP"] != "override" {
		t.Errorf("exec env %v", got)
	}
}
