package terminal

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/testenv"
	"github.com/hermes-go/hermes/internal/tools"
)

func TestSafeCommandRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t, answering(guard.ChoiceDeny))
	got := f.run("echo hello; echo oops >&2; exit 0")
	if !strings.HasPrefix(got, "exit code 0\n") {
		t.Errorf("result %q does not start with the exit code", got)
	}
	mustContain(t, "result", got, "hello\n", "oops\n")
	if f.human.calls() != 0 {
		t.Errorf("a safe command asked the human")
	}
	lines := f.notified()
	if len(lines) != 2 || lines[0] != "$ echo hello; echo oops >&2; exit 0" || !strings.HasPrefix(lines[1], "exit 0 in ") {
		t.Errorf("progress lines %q, want the command and its exit", lines)
	}
	got = f.run("exit 7")
	if !strings.HasPrefix(got, "exit code 7\n") {
		t.Errorf("failing command: %q", got)
	}
}

func TestHardlineNeverRuns(t *testing.T) {
	t.Parallel()
	for _, choice := range []guard.Choice{guard.ChoiceOnce, guard.ChoiceAlways} {
		f := newFixture(t, answering(choice))
		f.env.Session.SetYolo(true)
		marker := filepath.Join(f.ws, "marker")
		// rm can never run here (false &&), but the guard must still refuse
		// the whole command, so the marker is never made.
		m := f.call("terminal", map[string]any{"command": "touch " + marker + "; false && rm -rf /"})
		if !m.IsError || strings.Contains(m.Content, "\n") {
			t.Errorf("hardline command: %+v, want a one-line error", m)
		}
		mustContain(t, "hardline refusal", m.Content, "was not run", "hardline")
		if exists(marker) {
			t.Fatalf("the hardline command ran: %s exists", marker)
		}
		if f.human.calls() != 0 {
			t.Errorf("a hardline command asked the human")
		}
	}
}

func TestDangerousAsksEachTimeWhenApprovedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, answering(guard.ChoiceOnce))
	for i := 1; i <= 2; i++ {
		dir := f.mkdir("build")
		f.run("rm -r build")
		if exists(dir) {
			t.Fatalf("run %d: the approved command did not run", i)
		}
		if f.human.calls() != i {
			t.Fatalf("run %d: the human was asked %d times, want %d", i, f.human.calls(), i)
		}
	}
	req := f.human.asked[0]
	if req.Command != "rm -r build" || req.SessionID != "s1" || req.Cwd != f.ws {
		t.Errorf("request %+v", req)
	}
}

func TestDeniedCommandRelaysTheReason(t *testing.T) {
	t.Parallel()
	f := newFixture(t, answering(guard.ChoiceDeny))
	dir := f.mkdir("build")
	m := f.call("terminal", map[string]any{"command": "rm -r build"})
	if !m.IsError || !exists(dir) {
		t.Fatalf("denied command: %+v (dir exists: %v)", m, exists(dir))
	}
	mustContain(t, "denial", m.Content, "denied by the user: the user said no")
	if lines := f.notified(); len(lines) != 1 || !strings.HasPrefix(lines[0], "✗ not run: denied by the user") {
		t.Errorf("progress lines %q", lines)
	}
}

func TestSessionGrantStaysInItsSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, answering(guard.ChoiceSession))
	for range 2 {
		f.mkdir("build")
		f.run("rm -r build")
	}
	if f.human.calls() != 1 {
		t.Fatalf("a session grant was asked %d times in its session, want 1", f.human.calls())
	}
	other := f.newSession("s2")
	f.mkdir("build")
	if m := callEnv(t, other, "terminal", map[string]any{"command": "rm -r build"}); m.IsError {
		t.Fatalf("second session: %s", m.Content)
	}
	if f.human.calls() != 2 {
		t.Errorf("another session was not asked (asked %d times)", f.human.calls())
	}
}

func TestUnattendedDenies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, answering(guard.ChoiceOnce))
	f.env.Unattended = true
	dir := f.mkdir("build")
	m := f.call("terminal", map[string]any{"command": "rm -r build"})
	if !m.IsError || !exists(dir) || f.human.calls() != 0 {
		t.Fatalf("unattended dangerous command: %+v, dir exists %v, asked %d", m, exists(dir), f.human.calls())
	}
	mustContain(t, "unattended refusal", m.Content, "unattended")
	if got := f.run("echo fine"); !strings.Contains(got, "fine") {
		t.Errorf("unattended safe command: %q", got)
	}
}

func TestNoApproverBlocks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	dir := f.mkdir("build")
	m := f.call("terminal", map[string]any{"command": "rm -r build"})
	if !m.IsError || !exists(dir) {
		t.Fatalf("no approver: %+v", m)
	}
	mustContain(t, "no approver", m.Content, "nobody can approve")
}

func TestSecretsInOutputAreRedacted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const secret = "sk-proj-Xk2mQ9vR4tL8wN1pZ6yB3cF7aa"
	// The full key exists only in the output, never in the command.
	got := f.run(`k=sk-proj-Xk2mQ9vR4; echo "OPENAI_API_KEY=${k}tL8wN1pZ6yB3cF7aa"`)
	if strings.Contains(got, secret) || strings.Contains(got, "tL8wN1pZ6yB3") {
		t.Fatalf("the key reached the tool message: %q", got)
	}
	mustContain(t, "redacted output", got, "OPENAI_API_KEY=")
}

func TestPersistentShell(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.mkdir("sub")
	f.run("cd sub && export GREETING=hi")
	got := f.run(`pwd; echo "$GREETING"`)
	mustContain(t, "second command", got, filepath.Join(f.ws, "sub")+"\n", "hi\n")

	got = f.run("exit 3")
	if !strings.HasPrefix(got, "exit code 3\n") {
		t.Errorf("exit in the shell: %q", got)
	}
	got = f.run("pwd")
	mustContain(t, "after the shell ended", got, "exit code 0\n", "new one", f.ws+"\n")
	if strings.Contains(got, "sub") {
		t.Errorf("the new shell kept the old directory: %q", got)
	}

	other := f.newSession("s2")
	if m := callEnv(t, other, "terminal", map[string]any{"command": "cd sub"}); m.IsError {
		t.Fatal(m.Content)
	}
	if got := f.run("pwd"); strings.Contains(got, "sub") {
		t.Errorf("cd in another session moved this one: %q", got)
	}
}

func TestWithoutPersistentShell(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	s := DefaultSettings()
	s.PersistentShell = false
	if err := Configure(f.env, s); err != nil {
		t.Fatal(err)
	}
	f.mkdir("sub")
	f.run("cd sub")
	if got := f.run("pwd"); strings.Contains(got, "sub") {
		t.Errorf("cd carried over without a persistent shell: %q", got)
	}
}

func TestWorkdir(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sub := f.mkdir("a/b")
	for _, dir := range []string{"a/b", sub} {
		got := f.call("terminal", map[string]any{"command": "pwd", "workdir": dir}).Content
		mustContain(t, "workdir "+dir, got, sub+"\n")
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	start := time.Now()
	m := f.call("terminal", map[string]any{"command": "echo before; sleep 30", "timeout": 0.5})
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("the timeout did not stop the command (took %s)", elapsed)
	}
	mustContain(t, "timed out result", m.Content, "timed out after 500ms", "exit code -1", "background", "before")
	if lines := f.notified(); !strings.HasPrefix(lines[len(lines)-1], "timed out after") {
		t.Errorf("progress lines %q", lines)
	}
	if got := f.run("echo still here"); !strings.Contains(got, "still here") {
		t.Errorf("the shell is unusable after a timeout: %q", got)
	}

	s := DefaultSettings()
	s.Timeout = 2 * time.Second
	if err := Configure(f.env, s); err != nil {
		t.Fatal(err)
	}
	got := f.call("terminal", map[string]any{"command": "true", "timeout": 1e6}).Content
	mustContain(t, "capped timeout", got, "lowered to 2s")
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct {
		name, args, want string
	}{
		{"terminal", `{}`, "command is empty"},
		{"terminal", `{"command":"  "}`, "command is empty"},
		{"terminal", `{"command":5}`, `"command" must be a string`},
		{"terminal", `{"command":"ls","background":"yes"}`, `"background" must be true or false`},
		{"terminal", `{"command":"ls","timeout":"10"}`, `"timeout" must be a number`},
		{"terminal", `{"command":"ls","timeout":0}`, "positive number of seconds"},
		{"terminal", `{"command":"ls","workdir":"a;b"}`, `character ';'`},
		{"terminal", `{"command":"ls","workdir":"~bob/x"}`, "~user"},
		{"terminal", `{"command":"ls","cmd":"ls"}`, `unknown argument "cmd"`},
		{"terminal", `{"command":"ls"`, "arguments are not a JSON object"},
		{"process", `{}`, `"action" is missing`},
		{"process", `{"action":"zap"}`, `unknown action "zap"`},
		{"process", `{"action":"poll"}`, `needs the process "id"`},
		{"process", `{"action":"kill","id":"bg-99"}`, `no background process "bg-99" in this session (known: none)`},
		{"process", `{"action":"wait","id":"bg-1","timeout":-3}`, `no background process`},
	}
	for _, tt := range tests {
		m := f.call(tt.name, tt.args)
		if !m.IsError || !strings.HasPrefix(m.Content, "error: ") || strings.Contains(m.Content, "\n") || !strings.Contains(m.Content, tt.want) {
			t.Errorf("%s %s: %+v, want a one-line error with %q", tt.name, tt.args, m, tt.want)
		}
	}
	if lines := f.notified(); len(lines) != 0 {
		t.Errorf("bad arguments showed progress: %q", lines)
	}
}

func TestSessionWithoutParts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	marker := filepath.Join(f.ws, "marker")
	for name, change := range map[string]func(e *tools.Env){
		"no guard":   func(e *tools.Env) { e.Guard = nil },
		"no backend": func(e *tools.Env) { e.Backend = nil },
		"no session": func(e *tools.Env) { e.Session = nil },
		"no values":  func(e *tools.Env) { e.Values = nil },
	} {
		env := *f.env
		change(&env)
		m := callEnv(t, &env, "terminal", map[string]any{"command": "touch " + marker})
		if !m.IsError || exists(marker) {
			t.Errorf("%s: %+v, marker made: %v", name, m, exists(marker))
		}
	}
}

func TestToolsAreRegistered(t *testing.T) {
	t.Parallel()
	ts, err := tools.Default.Enabled([]string{Toolset})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range ts {
		names = append(names, tl.Name())
	}
	if !slices.Equal(names, []string{"process", "terminal"}) {
		t.Errorf("toolset terminal holds %v", names)
	}
}

func TestBubblewrapBackend(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	f := newFixtureOn(t, "bubblewrap", answering(guard.ChoiceDeny))
	f.mkdir("sub")
	f.run("cd sub")
	mustContain(t, "bubblewrap shell", f.run("pwd; id -u"), "/sub\n")
	marker := filepath.Join(f.ws, "marker")
	if m := f.call("terminal", map[string]any{"command": "touch " + marker + "; false && rm -rf /"}); !m.IsError || exists(marker) {
		t.Fatalf("hardline in bubblewrap: %+v", m)
	}
	dir := f.mkdir("build")
	if m := f.call("terminal", map[string]any{"command": "rm -r " + dir}); !m.IsError || !exists(dir) {
		t.Fatalf("denied command in bubblewrap: %+v", m)
	}
}
