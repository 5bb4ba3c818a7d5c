package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecurityAudit(t *testing.T) {
	t.Parallel()
	dir := greenHome(t, "")
	if r := hermes(t, dir, nil, "security", "audit"); r.code != 0 || !strings.Contains(r.stdout, "No findings") {
		t.Fatalf("clean home: %+v", r)
	}
	cfg := strings.ReplaceAll(greenConfig, "%BASE%", "http://127.0.0.1:9/v1") +
		"platforms:\n  api_server:\n    enabled: true\n    listen: 0.0.0.0:8642\nsecurity:\n  redact_secrets: false\n"
	writeFile(t, filepath.Join(dir, "config.yaml"), cfg, 0o600)
	writeFile(t, filepath.Join(dir, ".env"), "PRIMARY_KEY=sk-primary-value-123\nBACKUP_KEY=sk-backup-value-456\nAPI_SERVER_KEY=0123456789abcdef0123456789abcdef\n", 0o600)
	r := hermes(t, dir, nil, "security", "audit")
	if r.code != 1 || !strings.Contains(r.stdout, "HIGH   gateway.api_server.public") || !strings.Contains(r.stdout, "MEDIUM redaction.off") ||
		!strings.Contains(r.stdout, "sandbox.local.messaging") {
		t.Fatalf("audit: %+v", r)
	}
	r = hermes(t, dir, nil, "security", "audit", "--json")
	var rep struct {
		Findings []struct{ ID, Severity, Message, Fix string }
		High     int
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 || rep.High != 2 {
		t.Fatalf("--json: %v %+v", err, r)
	}
	for _, f := range rep.Findings {
		if f.ID == "" || f.Severity == "" || f.Message == "" || f.Fix == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}
}
