package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/contextfiles"
	"github.com/hermes-go/hermes/internal/guard/detect"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/testenv"
)

// TestSecurityPatternsDoc keeps docs/security-patterns.md equal to the
// patterns in the code (go test -update rewrites it).
func TestSecurityPatternsDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Security patterns\n\n" +
		"Generated from the code by `go test ./internal/cli -run SecurityPatternsDoc -update`; do not edit by hand.\n" +
		"How they are used: [security.md](security.md).\n\n")

	b.WriteString("## Hardline blocklist\n\nBlocked in every mode, `/yolo` and `approvals.mode: off` included.\n\n| key | what |\n|---|---|\n")
	for _, p := range detect.Patterns() {
		if p.Hardline {
			fmt.Fprintf(&b, "| `%s` | %s |\n", p.Key, p.Description)
		}
	}
	b.WriteString("\n## Dangerous commands\n\nAsk for approval (`approvals.mode`), denied where nobody can answer (`approvals.unattended`).\n\n| key | category | what |\n|---|---|---|\n")
	for _, p := range detect.Patterns() {
		if !p.Hardline {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Key, p.Category, p.Description)
		}
	}
	b.WriteString("\n## Secret detectors\n\nWhat `hermes redact` and every way out of the process mask.\n\n| id | what |\n|---|---|\n")
	for _, d := range redact.Detectors() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", d.ID, escapeCell(d.Description))
	}
	b.WriteString("\n## Context file scan\n\nA project context file, SOUL.md or memory write with any of these is blocked.\n\n| id | what |\n|---|---|\n")
	for _, p := range contextfiles.Patterns() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", p.ID, escapeCell(p.Description))
	}
	testenv.Golden(t, "../../docs/security-patterns.md", b.String())
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func TestApprovalsPatterns(t *testing.T) {
	t.Parallel()
	r := hermes(t, t.TempDir(), nil, "approvals", "patterns")
	if r.code != 0 || !strings.Contains(r.stdout, "hardline.rm_root") || strings.Count(r.stdout, "\n") != len(detect.Patterns()) {
		t.Errorf("patterns: %+v", r)
	}
}
