package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSlackManifest(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := hermes(t, home, nil, "slack", "manifest")
	var m map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &m) != nil || !strings.Contains(r.stdout, `"socket_mode_enabled": true`) {
		t.Fatalf("socket: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = hermes(t, home, nil, "slack", "manifest", "--mode", "events", "--url", "https://h.example.org", "--name", "Ops Agent")
	if r.code != 0 || !strings.Contains(r.stdout, "https://h.example.org/slack/events") || !strings.Contains(r.stdout, `"Ops Agent"`) {
		t.Fatalf("events: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = hermes(t, home, nil, "slack", "manifest", "--mode", "events")
	if r.code != 2 || !strings.Contains(r.stderr, "--url https://") {
		t.Fatalf("events without url: %d %q", r.code, r.stderr)
	}
}
