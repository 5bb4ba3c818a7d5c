package guard

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExplainStages(t *testing.T) {
	t.Parallel()
	yolo := NewSession("yolo")
	yolo.SetYolo(true)
	granted := NewSession("granted")
	granted.Grant(cmdDangerous, "/work/app")

	tests := []struct {
		name     string
		command  string
		policy   Policy
		session  *Session
		ctx      Context
		decision Decision
		stage    string
		reason   []string // substrings of Reason
	}{
		{"hardline manual", cmdHardline, Policy{}, nil, Context{}, Block, StageHardline, []string{"hardline", "`rm -rf /`"}},
		{"hardline yolo", cmdHardline, Policy{}, yolo, Context{}, Block, StageHardline, nil},
		{"hardline mode off", cmdHardline, Policy{Mode: Off}, nil, Context{}, Block, StageHardline, nil},
		{"hardline allowlisted", cmdHardline, Policy{Allowlist: []string{cmdHardline, "*"}}, nil, Context{}, Block, StageHardline, nil},
		{"hardline in container", cmdHardline, Policy{ContainerSkip: true}, nil, Context{Container: true}, Block, StageHardline, nil},
		{"hardline unattended allow", cmdHardline, Policy{Unattended: UnattendedAllow}, nil, Context{Unattended: true}, Block, StageHardline, nil},
		{"unparseable", cmdBadQuote, Policy{}, nil, Context{}, Block, StageUnparseable, []string{"cannot be parsed"}},
		{"unparseable yolo", cmdBadQuote, Policy{Mode: Off}, yolo, Context{}, Block, StageUnparseable, nil},
		{"deny glob case-insensitive", cmdSafe, Policy{Deny: []string{"LS *"}}, nil, Context{}, Block, StageDeny, []string{`"LS *"`, "approvals.deny"}},
		{"deny glob on a sub-command", "echo hi && ls -la", Policy{Deny: []string{"ls -la"}}, nil, Context{}, Block, StageDeny, []string{"`ls -la`"}},
		{"deny glob star crosses slashes", "curl https://example.com/x/y", Policy{Deny: []string{"curl *"}}, nil, Context{}, Block, StageDeny, nil},
		{"deny beats yolo", cmdDangerous, Policy{Deny: []string{"git push*"}}, yolo, Context{}, Block, StageDeny, nil},
		{"deny beats mode off", cmdSafe, Policy{Mode: Off, Deny: []string{"ls*"}}, nil, Context{}, Block, StageDeny, nil},
		{"deny beats allowlist", cmdSafe, Policy{Deny: []string{"ls*"}, Allowlist: []string{cmdSafe}}, nil, Context{}, Block, StageDeny, nil},
		{"deny no match", cmdSafe, Policy{Deny: []string{"rm *"}}, nil, Context{}, Allow, StageSafe, nil},
		{"yolo", cmdDangerous, Policy{}, yolo, Context{}, Allow, StageYolo, []string{"/yolo"}},
		{"yolo unattended", cmdDangerous, Policy{}, yolo, Context{Unattended: true}, Allow, StageYolo, nil},
		{"mode off", cmdDangerous, Policy{Mode: Off}, nil, Context{}, Allow, StageModeOff, []string{"approvals.mode is off"}},
		{"allowlist exact", cmdDangerous, Policy{Allowlist: []string{cmdDangerous}}, nil, Context{}, Allow, StageAllowlist, []string{"command_allowlist"}},
		{"allowlist glob", cmdDangerous, Policy{Allowlist: []string{"git push *"}}, nil, Context{}, Allow, StageAllowlist, nil},
		{"allowlist glob is case-sensitive", cmdDangerous, Policy{Allowlist: []string{"GIT PUSH *"}}, nil, Context{}, Ask, StageDetected, nil},
		{"allowlist beats unattended deny", cmdDangerous, Policy{Allowlist: []string{"git push *"}}, nil, Context{Unattended: true}, Allow, StageAllowlist, nil},
		{"allowlist never for compound (glob)", cmdCompound, Policy{Allowlist: []string{"git push *", "*"}}, nil, Context{}, Ask, StageDetected, nil},
		{"allowlist never for compound (exact)", cmdCompound, Policy{Allowlist: []string{cmdCompound}}, nil, Context{}, Ask, StageDetected, nil},
		{"escaped entry matches its text", "rm -rf build/*", Policy{Allowlist: []string{`rm -rf build/\*`}}, nil, Context{}, Allow, StageAllowlist, nil},
		{"escaped entry is not a glob", "rm -rf build/ other", Policy{Allowlist: []string{`rm -rf build/\*`}}, nil, Context{}, Ask, StageDetected, nil},
		{"grant same cwd", cmdDangerous, Policy{}, granted, Context{Cwd: "/work/app/"}, Allow, StageGrant, []string{"/work/app"}},
		{"grant other cwd", cmdDangerous, Policy{}, granted, Context{Cwd: "/work/other"}, Ask, StageDetected, nil},
		{"grant other session", cmdDangerous, Policy{}, NewSession("fresh"), Context{Cwd: "/work/app"}, Ask, StageDetected, nil},
		{"safe", cmdSafe, Policy{}, nil, Context{}, Allow, StageSafe, []string{"nothing dangerous"}},
		{"safe unattended", cmdSafe, Policy{}, nil, Context{Unattended: true}, Allow, StageSafe, nil},
		{"container skip", cmdDangerous, Policy{ContainerSkip: true}, nil, Context{Container: true}, Allow, StageContainer, []string{"container"}},
		{"container without skip", cmdDangerous, Policy{}, nil, Context{Container: true}, Ask, StageDetected, nil},
		{"container deny glob", cmdSafe, Policy{ContainerSkip: true, Deny: []string{"ls *"}}, nil, Context{Container: true}, Block, StageDeny, nil},
		{"unattended default deny", cmdDangerous, Policy{}, nil, Context{Unattended: true}, Block, StageUnattended,
			[]string{"nobody can approve", "approvals.unattended", "command_allowlist", "`git push --force origin main`"}},
		{"unattended unknown is deny", cmdDangerous, Policy{Unattended: "maybe"}, nil, Context{Unattended: true}, Block, StageUnattended, nil},
		{"unattended smart", cmdDangerous, Policy{Unattended: UnattendedSmart}, nil, Context{Unattended: true}, Ask, StageUnattended, []string{"approval model"}},
		{"unattended allow", cmdDangerous, Policy{Unattended: UnattendedAllow}, nil, Context{Unattended: true}, Allow, StageUnattended, nil},
		{"manual asks", cmdDangerous, Policy{Mode: Manual}, nil, Context{}, Ask, StageDetected, []string{"needs approval", "`git push --force origin main`"}},
		{"smart asks", cmdDangerous, Policy{Mode: Smart}, nil, Context{}, Ask, StageDetected, nil},
		{"unknown mode is manual", cmdDangerous, Policy{Mode: "later"}, nil, Context{}, Ask, StageDetected, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Explain(tt.command, tt.policy, tt.session, tt.ctx)
			if r.Decision != tt.decision || r.Stage != tt.stage {
				t.Fatalf("Explain(%q) = %s at %s, want %s at %s\nreason: %s", tt.command, r.Decision, r.Stage, tt.decision, tt.stage, r.Reason)
			}
			if r.Command != tt.command || r.Reason == "" {
				t.Errorf("command %q reason %q", r.Command, r.Reason)
			}
			for _, want := range tt.reason {
				if !strings.Contains(r.Reason, want) {
					t.Errorf("reason %q lacks %q", r.Reason, want)
				}
			}
			if r.Stage == StageDetected || r.Stage == StageUnattended {
				// The reason names each match's description.
				for _, m := range r.Matches {
					if !strings.Contains(r.Reason, m.Description) {
						t.Errorf("reason %q lacks the description %q", r.Reason, m.Description)
					}
				}
				if len(r.Keys) == 0 {
					t.Errorf("no keys for a dangerous command")
				}
			}
		})
	}
}

func TestExplainHardlineKeys(t *testing.T) {
	t.Parallel()
	r := Explain(cmdHardline+"; git push --force", Policy{}, nil, Context{})
	if r.Decision != Block || r.Stage != StageHardline {
		t.Fatalf("got %s at %s", r.Decision, r.Stage)
	}
	for _, k := range r.Keys {
		found := false
		for _, m := range r.Matches {
			found = found || (m.Key == k && m.Hardline)
		}
		if !found {
			t.Errorf("key %q is not a hardline match (keys %v)", k, r.Keys)
		}
	}
	if len(r.Keys) == 0 {
		t.Error("no hardline keys")
	}
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{cmdSafe, cmdDangerous, cmdHardline} {
		data, err := json.Marshal(Explain(cmd, Policy{}, nil, Context{}))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"decision", "keys", "reason", "stage", "command", "matches"} {
			v, ok := m[k]
			if !ok || string(v) == "null" {
				t.Errorf("%s: %q is %s in %s", cmd, k, v, data)
			}
		}
	}
	var r Report
	data, _ := json.Marshal(Explain(cmdDangerous, Policy{}, nil, Context{}))
	if err := json.Unmarshal(data, &r); err != nil || r.Decision != Ask || r.Stage != StageDetected {
		t.Errorf("round trip: %+v %v", r, err)
	}
}

func TestPolicyDefaults(t *testing.T) {
	t.Parallel()
	var p Policy
	if p.mode() != Manual || p.unattended() != UnattendedDeny || p.timeout() != DefaultTimeout || p.breaker() != DefaultSmartBreaker {
		t.Errorf("zero policy: %s %s %s %d", p.mode(), p.unattended(), p.timeout(), p.breaker())
	}
}
