package config

import (
	"strings"
	"testing"
)

// TestTerminalSandboxKeys: auto is the default with the network on;
// terminal.expose takes only the hidden credential paths.
func TestTerminalSandboxKeys(t *testing.T) {
	t.Parallel()
	d := Default()
	if d.Terminal.Backend != "auto" || !d.Terminal.Network || len(d.Terminal.Expose) != 0 {
		t.Errorf("defaults: backend %q network %v expose %v", d.Terminal.Backend, d.Terminal.Network, d.Terminal.Expose)
	}
	tests := []struct {
		src     string
		problem string // "" for none
		sev     Severity
	}{
		{"terminal: {backend: auto, network: false, expose: ['~/.ssh', '~/.docker/config.json']}", "", Error},
		{"terminal: {backend: local}", "", Error},
		{"terminal: {expose: ['~/.bashrc']}", "terminal.expose.0: want one of", Error},
		{"terminal: {expose: [/root/.ssh]}", "terminal.expose.0: want one of", Error},
		{"terminal: {backend: local, expose: ['~/.ssh']}", "applies only to the bubblewrap sandbox", Warning},
		{"terminal: {bubblewrap: {network: false}}", "terminal.bubblewrap.network: unknown key; it moved to terminal.network", Warning},
	}
	for _, tt := range tests {
		_, problems := Parse(FileName, []byte(tt.src))
		var got []string
		for _, p := range problems {
			got = append(got, p.String())
		}
		all := strings.Join(got, "\n")
		switch {
		case tt.problem == "" && len(problems) > 0:
			t.Errorf("%s: unexpected problems:\n%s", tt.src, all)
		case tt.problem != "" && (len(problems) == 0 || !strings.Contains(all, tt.problem) || problems[0].Severity != tt.sev):
			t.Errorf("%s: want %v %q, got:\n%s", tt.src, tt.sev, tt.problem, all)
		}
	}
}

// TestWebhookRouteWithoutSecret: a route without secret_env is a warning
// while the gateway listens on loopback only, and an error beyond it.
func TestWebhookRouteWithoutSecret(t *testing.T) {
	t.Parallel()
	route := "platforms: {webhooks: {routes: {gh: {prompt: hi}}}}\n"
	tests := []struct {
		src     string
		problem string
		sev     Severity
	}{
		{route, "accepts any request that reaches the gateway's loopback listener", Warning},
		{route + "gateway: {health_listen: 'localhost:8643'}", "loopback listener", Warning},
		{route + "gateway: {health_listen: '0.0.0.0:8643'}", "needs secret_env when the gateway listens beyond this machine", Error},
		{route + "gateway: {health_listen: '[::]:8643'}", "needs secret_env", Error},
		{"platforms: {webhooks: {routes: {gh: {prompt: hi, secret_env: GH}}}}\ngateway: {health_listen: '0.0.0.0:8643'}", "", Error},
	}
	for _, tt := range tests {
		_, problems := Parse(FileName, []byte(tt.src))
		var got []string
		for _, p := range problems {
			got = append(got, p.String())
		}
		all := strings.Join(got, "\n")
		switch {
		case tt.problem == "" && len(problems) > 0:
			t.Errorf("%s: unexpected problems:\n%s", tt.src, all)
		case tt.problem != "" && (len(problems) != 1 || !strings.Contains(all, tt.problem) || problems[0].Severity != tt.sev):
			t.Errorf("%s: want one %v %q, got:\n%s", tt.src, tt.sev, tt.problem, all)
		}
	}
}
