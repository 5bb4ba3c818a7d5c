package gateway

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/gateway/pairing"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/store"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestAuthOrder(t *testing.T) {
	t.Parallel()
	dmMsg := platform.Message{Platform: "telegram", ChatID: "5", ChatType: platform.DM, UserID: "5"}
	group := platform.Message{Platform: "telegram", ChatID: "-100", ChatType: platform.Group, UserID: "7"}
	tests := []struct {
		name string
		env  map[string]string
		m    platform.Message
		ok   bool
		by   string
	}{
		{"nothing configured denies", nil, dmMsg, false, ""},
		{"platform allow all", map[string]string{"TELEGRAM_ALLOW_ALL_USERS": "true"}, dmMsg, true, "TELEGRAM_ALLOW_ALL_USERS"},
		{"allow all false", map[string]string{"TELEGRAM_ALLOW_ALL_USERS": "false"}, dmMsg, false, ""},
		{"other platform's allow all", map[string]string{"DISCORD_ALLOW_ALL_USERS": "true"}, dmMsg, false, ""},
		{"group allowlist", map[string]string{"TELEGRAM_ALLOWED_GROUPS": "-100"}, group, true, "TELEGRAM_ALLOWED_GROUPS"},
		{"group allowlist is not a DM allowlist", map[string]string{"TELEGRAM_ALLOWED_GROUPS": "5"}, dmMsg, false, ""},
		{"user allowlist", map[string]string{"TELEGRAM_ALLOWED_USERS": "1, 5 ,9"}, dmMsg, true, "TELEGRAM_ALLOWED_USERS"},
		{"user allowlist exact ids", map[string]string{"TELEGRAM_ALLOWED_USERS": "55"}, dmMsg, false, ""},
		{"gateway allowlist", map[string]string{"GATEWAY_ALLOWED_USERS": "5"}, dmMsg, true, "GATEWAY_ALLOWED_USERS"},
		{"gateway allow all", map[string]string{"GATEWAY_ALLOW_ALL_USERS": "1"}, dmMsg, true, "GATEWAY_ALLOW_ALL_USERS"},
		{"first match wins", map[string]string{"TELEGRAM_ALLOW_ALL_USERS": "yes", "TELEGRAM_ALLOWED_USERS": "5"}, dmMsg, true, "TELEGRAM_ALLOW_ALL_USERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := &Auth{Env: envOf(tt.env), Pairing: pairing.Open(filepath.Join(t.TempDir(), "pairing"))}
			ok, by := a.Allowed(tt.m)
			if ok != tt.ok || by != tt.by {
				t.Fatalf("Allowed = %v by %q, want %v by %q", ok, by, tt.ok, tt.by)
			}
		})
	}
}

func TestAuthPairingFlow(t *testing.T) {
	t.Parallel()
	ps := pairing.Open(filepath.Join(t.TempDir(), "pairing"))
	var logged []string
	a := &Auth{Env: envOf(nil), Pairing: ps, Logf: func(f string, args ...any) { logged = append(logged, f) }}
	m := platform.Message{Platform: "telegram", ChatID: "5", ChatType: platform.DM, UserID: "5"}
	d := a.Decide(context.Background(), m)
	if d.Allow || !strings.Contains(d.Reply, "pairing code is ") {
		t.Fatalf("unknown DM: %+v", d)
	}
	code := strings.Fields(strings.SplitAfter(d.Reply, "pairing code is ")[1])[0]
	for _, l := range logged {
		if strings.Contains(l, code) {
			t.Fatal("the code was logged")
		}
	}
	if d := a.Decide(context.Background(), m); d.Allow || !strings.Contains(d.Reply, "less than 10 minutes") {
		t.Fatalf("second ask: %+v", d)
	}
	if _, err := ps.Approve("telegram", code); err != nil {
		t.Fatal(err)
	}
	if d := a.Decide(context.Background(), m); !d.Allow {
		t.Fatalf("after approval: %+v", d)
	}
	g := platform.Message{Platform: "telegram", ChatID: "-1", ChatType: platform.Group, UserID: "8"}
	if d := a.Decide(context.Background(), g); d.Allow || d.Reply != "" {
		t.Fatalf("unknown group member: %+v", d)
	}
}

func TestAuthDMBehavior(t *testing.T) {
	t.Parallel()
	m := platform.Message{Platform: "telegram", ChatID: "5", ChatType: platform.DM, UserID: "5"}
	tests := []struct {
		name    string
		env     map[string]string
		own, gw string
		pair    bool
	}{
		{"default pairs", nil, "", "pair", true},
		{"gateway ignore", nil, "", "ignore", false},
		{"allowlist ignores others", map[string]string{"TELEGRAM_ALLOWED_USERS": "1"}, "", "pair", false},
		{"platform pair wins over allowlist", map[string]string{"TELEGRAM_ALLOWED_USERS": "1"}, "pair", "pair", true},
		{"platform ignore", nil, "ignore", "pair", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := &Auth{Env: envOf(tt.env), Pairing: pairing.Open(filepath.Join(t.TempDir(), "pairing")),
				DMBehavior: func(string) (string, string) { return tt.own, tt.gw }}
			d := a.Decide(context.Background(), m)
			if d.Allow || (d.Reply != "") != tt.pair {
				t.Fatalf("decision %+v, want pairing reply %v", d, tt.pair)
			}
		})
	}
}

// TestUnknownUserThroughCore: an unknown DM gets a code and no turn; once
// approved, the next message reaches the agent.
func TestUnknownUserThroughCore(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	ps := pairing.Open(filepath.Join(t.TempDir(), "pairing"))
	a := newMem("mem")
	auth := &Auth{Env: envOf(nil), Pairing: ps}
	start(t, Options{Store: st, Agent: echo(), Adapters: []platform.Adapter{a}, Authorize: auth.Decide})
	a.in <- dm("1", "hi")
	got := a.next(t)
	if !strings.Contains(got.Text, "pairing code is ") {
		t.Fatalf("unknown user got %q", got.Text)
	}
	code := strings.Fields(strings.SplitAfter(got.Text, "pairing code is ")[1])[0]
	if _, err := ps.Approve("mem", code); err != nil {
		t.Fatal(err)
	}
	a.in <- dm("2", "now?")
	if got := a.next(t); got.Text != "echo: now?" {
		t.Fatalf("approved user got %q", got.Text)
	}
	waitStatus(t, st, "mem:42:1", store.InboundAnswered)
}
