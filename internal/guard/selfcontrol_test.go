package guard

import (
	"strings"
	"testing"
)

// TestSelfControlDenialReason: a denied command that touches hermes's own
// controls never suggests command_allowlist; it says what the user runs
// and that an agent must not change its own approvals. Other denials keep
// the allowlist hint.
func TestSelfControlDenialReason(t *testing.T) {
	t.Parallel()
	pol := Policy{Home: "/home/alice", HermesHome: "/home/alice/.hermes"}
	smart := pol
	smart.Unattended = UnattendedSmart
	tests := []struct {
		name    string
		command string
		policy  Policy
		guard   bool // through Guard.Check (no approval model / no prompt) rather than Explain
		context Context
		want    []string
		notWant []string
	}{
		{"self_tamper unattended", "sed -i 's/mode: manual/mode: off/' ~/.hermes/config.yaml", pol, false, Context{Unattended: true},
			[]string{"hermes.self_tamper", "`hermes config set KEY VALUE`", "must not change its own approvals"}, []string{"command_allowlist", "approvals.unattended to"}},
		{"read_secrets unattended", "cat ~/.hermes/.env", pol, false, Context{Unattended: true},
			[]string{"hermes.read_secrets", "the user reads or edits", "must not change its own approvals"}, []string{"command_allowlist"}},
		{"git in the home unattended", "git -C ~/.hermes checkout config.yaml", pol, false, Context{Unattended: true},
			[]string{"hermes.self_tamper", "hermes config set"}, []string{"command_allowlist"}},
		{"smart without a model", "hermes config set approvals.mode off", smart, true, Context{Unattended: true},
			[]string{"hermes.self_tamper", "hermes config set", "must not change its own approvals"}, []string{"command_allowlist"}},
		{"no prompt connected", "echo 'approvals: {mode: off}' > ~/.hermes/config.yaml", pol, true, Context{},
			[]string{"hermes.self_tamper", "hermes config set"}, []string{"command_allowlist"}},
		{"other keys keep the allowlist hint", cmdDangerous, pol, false, Context{Unattended: true},
			[]string{"command_allowlist"}, []string{"must not change its own approvals"}},
		{"other keys without a prompt", cmdDangerous, pol, true, Context{},
			[]string{"command_allowlist"}, []string{"must not change its own approvals"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var reason string
			var dec Decision
			if tt.guard {
				out := check(t, &Guard{Policy: tt.policy}, NewSession("s"), tt.command, tt.context)
				reason, dec = out.Reason, out.Decision
			} else {
				r := Explain(tt.command, tt.policy, nil, tt.context)
				reason, dec = r.Reason, r.Decision
			}
			if dec != Block {
				t.Fatalf("decision %s, want block: %s", dec, reason)
			}
			for _, w := range tt.want {
				if !strings.Contains(reason, w) {
					t.Errorf("reason %q lacks %q", reason, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(reason, w) {
					t.Errorf("reason %q has %q", reason, w)
				}
			}
		})
	}
}
