package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/gateway/pairing"
)

func TestPairingCLI(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	ps := pairing.Open(filepath.Join(home, "platforms", "pairing"))
	code, err := ps.Request("telegram", "555", "Ann")
	if err != nil {
		t.Fatal(err)
	}
	r := hermes(t, home, nil, "pairing", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "pending  555 Ann") || strings.Contains(r.stdout, code) {
		t.Fatalf("list: %+v", r)
	}
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"pairing", "approve", "telegram"}, 2, "PLATFORM and CODE"},
		{[]string{"pairing", "approve", "telegram", "0000"}, 2, "pairing code"},
		{[]string{"pairing", "approve", "telegram", "ABCD2345"}, 1, "no pending code on telegram matches"},
		{[]string{"pairing", "approve", "telegram", strings.ToLower(code)}, 0, "approved telegram user 555"},
		{[]string{"pairing", "revoke", "telegram", "555"}, 0, "revoked telegram user 555"},
		{[]string{"pairing", "revoke", "telegram", "555"}, 1, "was not paired"},
		{[]string{"pairing", "approve", "../x", "ABCD2345"}, 1, "bad platform name"},
		{[]string{"pairing", "clear-pending"}, 0, "dropped 0 pending codes"},
	}
	for _, tt := range tests {
		r := hermes(t, home, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.out) {
			t.Fatalf("%v: code %d, want %d; out %q %q", tt.args, r.code, tt.code, r.stdout, r.stderr)
		}
	}
	ps.Request("discord", "9", "")
	r = hermes(t, home, nil, "pairing", "list", "--json")
	var list []pairing.Entry
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 2 || list[0].Platform != "discord" {
		t.Fatalf("json list %q: %v", r.stdout, err)
	}
	if r := hermes(t, home, nil, "pairing", "clear-pending", "discord"); !strings.Contains(r.stdout, "dropped 1 pending code\n") {
		t.Fatalf("clear: %+v", r)
	}
}
