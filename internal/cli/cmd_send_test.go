package cli

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// clitestAdapter is an in-memory platform, enabled by CLITEST_ENABLED;
// CLITEST_FAIL makes every send fail.
type clitestAdapter struct{ fail bool }

var (
	clitestMu   sync.Mutex
	clitestSent = map[string][]platform.Outbound{} // by chat
)

func init() {
	platform.RegisterAdapter("clitest", func(d platform.Deps) (platform.Adapter, error) {
		if v, _ := d.Env("CLITEST_ENABLED"); v == "" {
			return nil, platform.ErrDisabled
		}
		_, fail := d.Env("CLITEST_FAIL")
		return &clitestAdapter{fail: fail}, nil
	})
}

func (a *clitestAdapter) Name() string { return "clitest" }
func (a *clitestAdapter) MaxLen() int  { return 100 }
func (a *clitestAdapter) Run(ctx context.Context, h platform.Handler) error {
	h.Connected("clitest", true, nil)
	<-ctx.Done()
	return ctx.Err()
}
func (a *clitestAdapter) Send(_ context.Context, o platform.Outbound) (platform.Sent, error) {
	if a.fail {
		return platform.Sent{}, errors.New("platform down")
	}
	clitestMu.Lock()
	defer clitestMu.Unlock()
	clitestSent[o.ChatID] = append(clitestSent[o.ChatID], o)
	return platform.Sent{ID: "1"}, nil
}

func TestSend(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, home+"/config.yaml", "gateway:\n  delivery_retries: 1\n", 0o600)
	on := map[string]string{"CLITEST_ENABLED": "1"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		out  string
	}{
		{"sent", on, []string{"send", "clitest:send-1", "hello"}, 0, "sent to clitest:send-1"},
		{"no args", on, []string{"send"}, 2, "TARGET"},
		{"bad target", on, []string{"send", "a b", "x"}, 2, "no spaces"},
		{"local refused", on, []string{"send", "local", "x"}, 2, "chat platforms only"},
		{"empty stdin", on, []string{"send", "clitest:send-2"}, 2, "nothing to send"},
		{"not running", nil, []string{"send", "clitest:send-3", "x"}, 1, "not running"},
		{"no home channel", on, []string{"send", "clitest", "x"}, 1, "home_channel"},
		{"fails", map[string]string{"CLITEST_ENABLED": "1", "CLITEST_FAIL": "1"}, []string{"send", "clitest:send-4", "x"}, 1, "platform down"},
	}
	for _, tt := range tests {
		r := hermes(t, home, tt.env, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.out) {
			t.Fatalf("%s: code %d, want %d; %q %q", tt.name, r.code, tt.code, r.stdout, r.stderr)
		}
	}
	clitestMu.Lock()
	defer clitestMu.Unlock()
	if got := clitestSent["send-1"]; len(got) != 1 || got[0].Text != "hello" || got[0].Key == "" {
		t.Fatalf("sent %+v", got)
	}
	if len(clitestSent["send-4"]) != 0 {
		t.Fatal("a failed send was recorded as sent")
	}
}
