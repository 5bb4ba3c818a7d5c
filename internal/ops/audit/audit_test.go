package audit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/sandbox"
)

type fixture struct {
	config, env string
	modes       map[string]os.FileMode // file (or "." for the home) -> mode
	getenv      map[string]string
	auto        string // what auto resolves to: "" bubblewrap, else local
}

func (f fixture) run(t *testing.T) Report {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if f.config != "" {
		os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(f.config), 0o600)
	}
	if f.env != "" {
		os.WriteFile(filepath.Join(dir, ".env"), []byte(f.env), 0o600)
	}
	for name, m := range f.modes {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			os.WriteFile(p, []byte("{}"), 0o600)
		}
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	auto := func() sandbox.Choice { return sandbox.Choice{Backend: "bubblewrap", Reason: "bwrap works"} }
	if f.auto != "" {
		auto = func() sandbox.Choice { return sandbox.Choice{Backend: "local", Reason: f.auto} }
	}
	h := &home.Home{Root: dir, Profile: home.DefaultProfile, Dir: dir}
	rep, err := Run(h, Options{Getenv: func(k string) string { return f.getenv[k] }, Auto: auto})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func ids(rep Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.ID+"/"+string(f.Severity))
	}
	return out
}

const telegram = "platforms:\n  telegram:\n    enabled: true\n"

func TestFindings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		f    fixture
		want string // id/severity expected; "" for none of id
		id   string // the id looked at
	}{
		{"api server public", fixture{config: "platforms:\n  api_server:\n    enabled: true\n    listen: 0.0.0.0:8642\nterminal:\n  backend: docker\n", env: "API_SERVER_KEY=" + strings.Repeat("k", 40) + "\n"}, "gateway.api_server.public/high", "gateway.api_server.public"},
		{"api server loopback", fixture{config: "platforms:\n  api_server:\n    enabled: true\n    listen: 127.0.0.1:8642\n", env: "API_SERVER_KEY=" + strings.Repeat("k", 40) + "\n"}, "", "gateway.api_server.public"},
		{"api server off", fixture{config: "platforms:\n  api_server:\n    listen: 0.0.0.0:8642\n"}, "", "gateway.api_server.public"},
		{"api server no key", fixture{config: "platforms:\n  api_server:\n    enabled: true\n"}, "gateway.api_server.no_key/high", "gateway.api_server.no_key"},
		{"api server key commented out", fixture{config: "platforms:\n  api_server:\n    enabled: true\n", env: "# API_SERVER_KEY=" + strings.Repeat("k", 40) + "\n"}, "gateway.api_server.no_key/high", "gateway.api_server.no_key"},
		{"api server weak key", fixture{config: "platforms:\n  api_server:\n    enabled: true\n", env: "API_SERVER_KEY=short\n"}, "gateway.api_server.weak_key/medium", "gateway.api_server.weak_key"},
		{"api server good key", fixture{config: "platforms:\n  api_server:\n    enabled: true\n", env: "API_SERVER_KEY=" + strings.Repeat("k", 40) + "\n"}, "", "gateway.api_server.weak_key"},
		{"listener public", fixture{config: telegram + "gateway:\n  health_listen: 0.0.0.0:8643\n"}, "gateway.listener.public/medium", "gateway.listener.public"},
		{"listener public without messaging", fixture{config: "gateway:\n  health_listen: 0.0.0.0:8643\n"}, "", "gateway.listener.public"},
		{"webhook no auth", fixture{config: "platforms:\n  webhooks:\n    enabled: true\n    routes:\n      gh:\n        prompt: x\n"}, "gateway.webhook.no_auth/medium", "gateway.webhook.no_auth"},
		{"webhook no auth public", fixture{config: "gateway:\n  health_listen: 0.0.0.0:8643\nplatforms:\n  webhooks:\n    enabled: true\n    routes:\n      gh:\n        prompt: x\n"}, "gateway.webhook.no_auth/high", "gateway.webhook.no_auth"},
		{"webhook with secret", fixture{config: "platforms:\n  webhooks:\n    enabled: true\n    routes:\n      gh:\n        prompt: x\n        secret_env: GH_SECRET\n", env: "GH_SECRET=abc\n"}, "", "gateway.webhook.no_auth"},
		{"webhook secret unset", fixture{config: "platforms:\n  webhooks:\n    enabled: true\n    routes:\n      gh:\n        prompt: x\n        secret_env: GH_SECRET\n"}, "gateway.webhook.secret_missing/low", "gateway.webhook.secret_missing"},
		{"home open", fixture{modes: map[string]os.FileMode{".": 0o755}}, "home.permissions/high", "home.permissions"},
		{"home private", fixture{modes: map[string]os.FileMode{".": 0o700}}, "", "home.permissions"},
		{"env readable", fixture{env: "A=b\n", modes: map[string]os.FileMode{".env": 0o644}}, "secrets.env.permissions/high", "secrets.env.permissions"},
		{"env private", fixture{env: "A=b\n", modes: map[string]os.FileMode{".env": 0o600}}, "", "secrets.env.permissions"},
		{"auth readable", fixture{modes: map[string]os.FileMode{"auth.json": 0o640}}, "secrets.auth.permissions/high", "secrets.auth.permissions"},
		{"auth private", fixture{modes: map[string]os.FileMode{"auth.json": 0o600}}, "", "secrets.auth.permissions"},
		{"state readable", fixture{modes: map[string]os.FileMode{"state.db": 0o644}}, "state.permissions/medium", "state.permissions"},
		{"open dms", fixture{config: telegram, env: "TELEGRAM_ALLOW_ALL_USERS=true\n"}, "gateway.dm.open/high", "gateway.dm.open"},
		{"open dms gateway-wide", fixture{config: telegram, getenv: map[string]string{"GATEWAY_ALLOW_ALL_USERS": "1"}}, "gateway.dm.open/high", "gateway.dm.open"},
		{"open dms platform off", fixture{env: "TELEGRAM_ALLOW_ALL_USERS=true\n"}, "", "gateway.dm.open"},
		{"open dms false", fixture{config: telegram, env: "TELEGRAM_ALLOW_ALL_USERS=false\n"}, "", "gateway.dm.open"},
		{"shared group sessions", fixture{config: telegram + "    group_sessions_per_user: false\n"}, "gateway.groups.shared_session/medium", "gateway.groups.shared_session"},
		{"per-user group sessions", fixture{config: telegram}, "", "gateway.groups.shared_session"},
		{"allowlist username", fixture{env: "TELEGRAM_ALLOWED_USERS=12345,@alice\n"}, "gateway.allowlist.mutable/medium", "gateway.allowlist.mutable"},
		{"allowlist discord name", fixture{env: "DISCORD_ALLOWED_USERS=alice#1234\n"}, "gateway.allowlist.mutable/medium", "gateway.allowlist.mutable"},
		{"allowlist slack display name", fixture{env: "SLACK_ALLOWED_USERS=alice\n"}, "gateway.allowlist.mutable/medium", "gateway.allowlist.mutable"},
		{"allowlist ids", fixture{env: "TELEGRAM_ALLOWED_USERS=12345, 67890\nSLACK_ALLOWED_USERS=U024BE7LH\nGATEWAY_ALLOWED_USERS=@bob:matrix.org\n"}, "", "gateway.allowlist.mutable"},
		{"local sandbox with messaging", fixture{config: telegram + "terminal:\n  backend: local\n"}, "sandbox.local.messaging/high", "sandbox.local.messaging"},
		{"auto fell back with messaging", fixture{config: telegram, auto: "bwrap is not installed"}, "sandbox.local.messaging/high", "sandbox.local.messaging"},
		{"auto sandboxed with messaging", fixture{config: telegram}, "", "sandbox.local.messaging"},
		{"local sandbox without messaging", fixture{config: "terminal:\n  backend: local\n"}, "", "sandbox.local.messaging"},
		{"approvals off", fixture{config: "approvals:\n  mode: \"off\"\n"}, "approvals.off/medium", "approvals.off"},
		{"approvals off with messaging", fixture{config: telegram + "approvals:\n  mode: \"off\"\n"}, "approvals.off/high", "approvals.off"},
		{"approvals manual", fixture{config: telegram + "approvals:\n  mode: manual\n"}, "", "approvals.off"},
		{"unattended allow", fixture{config: "approvals:\n  unattended: allow\n"}, "approvals.unattended.allow/medium", "approvals.unattended.allow"},
		{"unattended deny", fixture{config: "approvals:\n  unattended: deny\n"}, "", "approvals.unattended.allow"},
		{"redaction off", fixture{config: "security:\n  redact_secrets: false\n"}, "redaction.off/medium", "redaction.off"},
		{"redaction on", fixture{config: "security:\n  redact_secrets: true\n"}, "", "redaction.off"},
		{"secret in config", fixture{config: "model:\n  provider: openai\n  default: gpt-4o\n  api_key: sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD\n"}, "config.secret/high", "config.secret"},
		{"no secret in config", fixture{config: "model:\n  provider: openai\n  default: gpt-4o\n"}, "", "config.secret"},
		{"mcp env secret", fixture{config: "mcp_servers:\n  gh:\n    command: gh-mcp\n    env:\n      GITHUB_TOKEN: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"}, "mcp.secret_in_config/high", "mcp.secret_in_config"},
		{"mcp env plain password", fixture{config: "mcp_servers:\n  db:\n    command: db-mcp\n    env:\n      DB_PASSWORD: hunter2\n"}, "mcp.secret_in_config/high", "mcp.secret_in_config"},
		{"mcp env reference", fixture{config: "mcp_servers:\n  gh:\n    command: gh-mcp\n    env:\n      GITHUB_TOKEN: ${GITHUB_TOKEN}\n      LOG_LEVEL: debug\n"}, "", "mcp.secret_in_config"},
		{"mcp remote trust auto", fixture{config: "mcp_servers:\n  docs:\n    url: https://mcp.example.com/mcp\n"}, "mcp.remote.trust_auto/medium", "mcp.remote.trust_auto"},
		{"mcp remote trust ask", fixture{config: "mcp_servers:\n  docs:\n    url: https://mcp.example.com/mcp\n    trust: ask\n"}, "", "mcp.remote.trust_auto"},
		{"mcp loopback trust auto", fixture{config: "mcp_servers:\n  docs:\n    url: http://127.0.0.1:3001/mcp\n"}, "", "mcp.remote.trust_auto"},
		{"config unparseable", fixture{config: "model:\n  default: \"x\n"}, "config.unparseable/high", "config.unparseable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rep := c.f.run(t)
			var got []string
			for _, x := range ids(rep) {
				if strings.HasPrefix(x, c.id+"/") {
					got = append(got, x)
				}
			}
			if c.want == "" {
				if len(got) > 0 {
					t.Fatalf("unexpected %v in %+v", got, rep.Findings)
				}
				return
			}
			if !slices.Contains(got, c.want) {
				t.Fatalf("want %s, got %v (all: %+v)", c.want, ids(rep), rep.Findings)
			}
		})
	}
}

func TestCleanHomeHasNoFindings(t *testing.T) {
	t.Parallel()
	rep := fixture{config: "model:\n  provider: openai\n  default: gpt-4o\n", env: "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD\n"}.run(t)
	if len(rep.Findings) != 0 || rep.High != 0 {
		t.Fatalf("findings on a clean home: %+v", rep.Findings)
	}
}

func TestSecretsNeverInFindings(t *testing.T) {
	t.Parallel()
	secret := "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"
	rep := fixture{config: "model:\n  provider: openai\n  default: gpt-4o\n  api_key: " + secret + "\nmcp_servers:\n  gh:\n    command: x\n    env:\n      GITHUB_TOKEN: " + secret + "\n"}.run(t)
	if rep.High < 2 {
		t.Fatalf("findings: %+v", rep.Findings)
	}
	for _, f := range rep.Findings {
		if strings.Contains(f.Message+f.Fix, secret) {
			t.Fatalf("a secret in a finding: %+v", f)
		}
	}
}

func TestSortedWorstFirst(t *testing.T) {
	t.Parallel()
	rep := fixture{config: "security:\n  redact_secrets: false\n", modes: map[string]os.FileMode{".": 0o755}}.run(t)
	if len(rep.Findings) < 2 || rep.Findings[0].Severity != High || rep.High != 1 || rep.Medium != 1 {
		t.Fatalf("%+v", rep)
	}
}
