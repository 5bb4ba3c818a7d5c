package terminal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/testenv"
)

// hostFile is a file outside the workspace, which the sandbox cannot see
// (its /tmp is private) and the host can.
func hostFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "host-only.txt")
	if err := os.WriteFile(p, []byte("host-content"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEscalation(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	tests := []struct {
		name       string
		answer     guard.Choice
		unattended bool
		args       map[string]any // besides command
		calls      int            // how many times the tool is called with the same request
		wantAsked  int
		want       []string // in the last result
		notWant    []string
		isError    bool
	}{
		{"approved once runs on the host", guard.ChoiceOnce, false, nil, 2, 2,
			[]string{"host-content", "OUTSIDE the sandbox", "allowed outside the sandbox once"}, nil, false},
		{"session asks once", guard.ChoiceSession, false, nil, 2, 1, []string{"host-content", "for this session"}, nil, false},
		{"always asks once", guard.ChoiceAlways, false, nil, 2, 1, []string{"host-content", "command_allowlist"}, nil, false},
		{"denied", guard.ChoiceDeny, false, nil, 1, 1, []string{"not run outside the sandbox", "denied by the user: the user said no"}, []string{"host-content"}, true},
		{"unattended is denied without asking", guard.ChoiceOnce, true, nil, 1, 0, []string{"unattended", "outside-sandbox: cat"}, []string{"host-content"}, true},
		{"a justification is required", guard.ChoiceOnce, false, map[string]any{"justification": " "}, 1, 0, []string{"needs a justification"}, nil, true},
		{"background is refused", guard.ChoiceOnce, false, map[string]any{"background": true}, 1, 0, []string{"foreground only"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			human := answering(tt.answer)
			f := newFixtureOn(t, "bubblewrap", human)
			f.env.Unattended = tt.unattended
			host := hostFile(t)
			args := map[string]any{"command": "cat " + host, "sandbox": false, "justification": "the file lives outside the workspace"}
			for k, v := range tt.args {
				args[k] = v
			}
			var content string
			var isErr bool
			for range tt.calls {
				m := f.call("terminal", args)
				content, isErr = m.Content, m.IsError
			}
			if human.calls() != tt.wantAsked {
				t.Errorf("asked %d times, want %d", human.calls(), tt.wantAsked)
			}
			if isErr != tt.isError {
				t.Errorf("IsError = %v: %s", isErr, content)
			}
			mustContain(t, tt.name, content, tt.want...)
			for _, w := range tt.notWant {
				if strings.Contains(content, w) {
					t.Errorf("result has %q: %s", w, content)
				}
			}
			if tt.wantAsked > 0 {
				req := human.asked[0]
				mustContain(t, "the question", req.Reason, "OUTSIDE the sandbox", "the file lives outside the workspace")
			}
			// The same command in the sandbox still cannot see the file.
			if m := f.call("terminal", map[string]any{"command": "cat " + host}); strings.Contains(m.Content, "host-content") {
				t.Errorf("the sandbox sees the host file after the escalation: %s", m.Content)
			}
		})
	}
}

func TestEscalationBlockedCommandNeverAsks(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	human := answering(guard.ChoiceOnce)
	f := newFixtureOn(t, "bubblewrap", human)
	m := f.call("terminal", map[string]any{"command": "rm -rf /", "sandbox": false, "justification": "clean up"})
	if !m.IsError || human.calls() != 0 || !strings.Contains(m.Content, "hardline") {
		t.Errorf("a hardline command escalated: asked %d, %s", human.calls(), m.Content)
	}
}

func TestEscalationOnLocalRunsAsUsual(t *testing.T) {
	t.Parallel()
	human := answering(guard.ChoiceDeny)
	f := newFixture(t, human)
	m := f.call("terminal", map[string]any{"command": "echo plain", "sandbox": false, "justification": "why not"})
	if m.IsError || human.calls() != 0 {
		t.Fatalf("asked %d: %s", human.calls(), m.Content)
	}
	mustContain(t, "local", m.Content, "plain", "not a sandbox")
}

func TestSandboxDenialHint(t *testing.T) {
	t.Parallel()
	testenv.Bwrap(t)
	f := newFixtureOn(t, "bubblewrap", answering(guard.ChoiceDeny))
	tests := []struct {
		cmd  string
		hint bool
	}{
		{"touch /usr/hermes-escalation-probe", true},
		{"mkdir /usr/hermes-escalation-probe", true},
		{"sh -c 'echo Operation not permitted >&2; exit 1'", true},
		{"echo Permission denied", false}, // exit 0: nothing failed
		{"ls /nonexistent-path", false},   // a plain failure
	}
	for _, tt := range tests {
		m := f.call("terminal", map[string]any{"command": tt.cmd})
		if got := strings.Contains(m.Content, "sandbox: false and a justification"); got != tt.hint {
			t.Errorf("%s: hint %v, want %v:\n%s", tt.cmd, got, tt.hint, m.Content)
		}
	}
	if exists("/usr/hermes-escalation-probe") || exists("/usr/hermes-escalation-probe") && false {
		t.Error("a probe reached the host's system folders")
	}
	// The local backend never hints: there is nothing to step out of.
	l := newFixture(t, nil)
	if m := l.call("terminal", map[string]any{"command": "sh -c 'echo Permission denied >&2; exit 1'"}); strings.Contains(m.Content, "sandbox: false") {
		t.Errorf("local hinted at escalation: %s", m.Content)
	}
}
