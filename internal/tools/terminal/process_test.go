package terminal

import (
	"strings"
	"testing"
	"time"
)

// startBackground starts command in the background and returns its id.
func (f *fixture) startBackground(command string) string {
	f.t.Helper()
	m := f.call("terminal", map[string]any{"command": command, "background": true})
	if m.IsError {
		f.t.Fatalf("background %q: %s", command, m.Content)
	}
	id, _, ok := strings.Cut(strings.TrimPrefix(m.Content, "started "), " ")
	if !ok || !strings.HasPrefix(id, "bg-") {
		f.t.Fatalf("no process id in %q", m.Content)
	}
	return id
}

func (f *fixture) process(args map[string]any) string {
	f.t.Helper()
	m := f.call("process", args)
	if m.IsError {
		f.t.Fatalf("process %v: %s", args, m.Content)
	}
	return m.Content
}

// pollUntil polls id until its new output holds want, and returns all the
// new output read.
func (f *fixture) pollUntil(id, want string) string {
	f.t.Helper()
	var all strings.Builder
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(all.String(), want) {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s never printed %q (read %q)", id, want, all.String())
		}
		got := f.process(map[string]any{"action": "poll", "id": id})
		_, out, _ := strings.Cut(got, "new output:\n")
		if out != "(none)" {
			all.WriteString(out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return all.String()
}

func TestBackgroundPollKill(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.startBackground("echo started; sleep 60")
	if got := f.pollUntil(id, "started\n"); got != "started\n" {
		t.Errorf("polled output %q, want it once", got)
	}
	got := f.process(map[string]any{"action": "poll", "id": id})
	mustContain(t, "second poll", got, id+" is running", "new output:\n(none)")
	mustContain(t, "list", f.process(map[string]any{"action": "list"}), id+" is running", "sleep 60")
	start := time.Now()
	got = f.process(map[string]any{"action": "kill", "id": id})
	if time.Since(start) > 5*time.Second {
		t.Errorf("kill took %s", time.Since(start))
	}
	mustContain(t, "kill", got, id+" ended with exit code")
	mustContain(t, "log", f.process(map[string]any{"action": "log", "id": id}), "ended", "started\n")
	lines := f.notified()
	if len(lines) < 3 || lines[0] != "$ echo started; sleep 60 &" || lines[1] != "started "+id || lines[len(lines)-1] != "killed "+id {
		t.Errorf("progress lines %q", lines)
	}
}

func TestBackgroundWait(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.startBackground("echo one; sleep 0.2; echo two; exit 4")
	got := f.process(map[string]any{"action": "wait", "id": id, "timeout": 20})
	mustContain(t, "wait", got, id+" ended with exit code 4", "one\ntwo\n")
	got = f.process(map[string]any{"action": "wait", "id": id})
	mustContain(t, "second wait", got, "new output:\n(none)")

	slow := f.startBackground("sleep 60")
	start := time.Now()
	got = f.process(map[string]any{"action": "wait", "id": slow, "timeout": 0.2})
	if time.Since(start) > 5*time.Second {
		t.Errorf("wait ignored its timeout (%s)", time.Since(start))
	}
	mustContain(t, "wait that times out", got, slow+" is running")
}

func TestBackgroundIsGuarded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	dir := f.mkdir("build")
	m := f.call("terminal", map[string]any{"command": "rm -r build", "background": true})
	if !m.IsError || !exists(dir) {
		t.Fatalf("unapproved background command: %+v", m)
	}
	mustContain(t, "list", f.process(map[string]any{"action": "list"}), "no background processes")
}

func TestProcessesArePerSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.startBackground("sleep 60")
	other := f.newSession("s2")
	m := callEnv(t, other, "process", map[string]any{"action": "kill", "id": id})
	if !m.IsError || !strings.Contains(m.Content, "no background process") {
		t.Errorf("another session reached %s: %+v", id, m)
	}
	if err := Close(f.env); err != nil {
		t.Fatal(err)
	}
	got := f.process(map[string]any{"action": "wait", "id": id, "timeout": 10})
	mustContain(t, "after Close", got, "ended")
}
