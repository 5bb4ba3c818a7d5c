package audit

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/sandbox"
)

// permissions: the home and its secrets are the owner's alone.
func permissions(s *subject) []Finding {
	var out []Finding
	dirs := []string{s.h.Root}
	if s.h.Dir != s.h.Root {
		dirs = append(dirs, s.h.Dir)
	}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o077 != 0 {
			out = append(out, Finding{ID: "home.permissions", Severity: High,
				Message: fmt.Sprintf("%s is open to others (mode %04o): other users can read sessions, memories and keys", d, fi.Mode().Perm()),
				Fix:     "chmod 700 " + d + " (or `hermes doctor --fix`)"})
		}
	}
	for _, f := range []struct {
		name, id string
		sev      Severity
		what     string
	}{
		{home.EnvFile, "secrets.env.permissions", High, "provider keys and platform tokens"},
		{home.AuthFile, "secrets.auth.permissions", High, "credential pools"},
		{home.StateDB, "state.permissions", Medium, "every conversation"},
	} {
		p := s.h.Path(f.name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			out = append(out, Finding{ID: f.id, Severity: f.sev,
				Message: fmt.Sprintf("%s is readable by others (mode %04o); it holds %s", f.name, fi.Mode().Perm(), f.what),
				Fix:     "chmod 600 " + p + " (or `hermes doctor --fix`)"})
		}
	}
	return out
}

// apiServer: the API server stays on loopback and has a long key.
func apiServer(s *subject) []Finding {
	a := s.cfg.Platforms.APIServer
	if !a.Enabled {
		return nil
	}
	var out []Finding
	if !loopback(a.Listen) {
		out = append(out, Finding{ID: "gateway.api_server.public", Severity: High,
			Message: "the API server listens on " + a.Listen + ", beyond this machine: anyone who reaches it and has API_SERVER_KEY runs the agent with its tools",
			Fix:     "hermes config set platforms.api_server.listen 127.0.0.1:8642, and reach it through an SSH tunnel or a reverse proxy with TLS"})
	}
	key := s.lookup("API_SERVER_KEY")
	switch {
	case key == "":
		out = append(out, Finding{ID: "gateway.api_server.no_key", Severity: High,
			Message: "platforms.api_server is enabled but API_SERVER_KEY is not set (the server refuses to start)",
			Fix:     "add API_SERVER_KEY=<at least 32 random characters> to .env (openssl rand -hex 32)"})
	case len(key) < 24:
		out = append(out, Finding{ID: "gateway.api_server.weak_key", Severity: Medium,
			Message: fmt.Sprintf("API_SERVER_KEY is only %d characters long", len(key)),
			Fix:     "replace it with at least 32 random characters (openssl rand -hex 32)"})
	}
	return out
}

// healthListen: the gateway's health, metrics and webhook listener stays
// on loopback.
func healthListen(s *subject) []Finding {
	g := s.cfg.Gateway
	if len(messaging(s.cfg)) == 0 || loopback(g.HealthListen) {
		return nil
	}
	return []Finding{{ID: "gateway.listener.public", Severity: Medium,
		Message: "gateway.health_listen is " + g.HealthListen + ": /healthz, /metrics and the webhook routes answer beyond this machine",
		Fix:     "hermes config set gateway.health_listen 127.0.0.1:8643 and put a reverse proxy in front of the routes you mean to publish"}}
}

// webhooks: every route checks a signature or a token.
func webhooks(s *subject) []Finding {
	w := s.cfg.Platforms.Webhooks
	if !w.Enabled {
		return nil
	}
	var out []Finding
	public := !loopback(s.cfg.Gateway.HealthListen)
	for _, n := range sortedKeys(w.Routes) {
		r := w.Routes[n]
		switch {
		case r.SecretEnv == "":
			sev := Medium
			where := "anything on this machine can trigger it"
			if public {
				sev, where = High, "anyone who reaches "+s.cfg.Gateway.HealthListen+" can trigger it"
			}
			out = append(out, Finding{ID: "gateway.webhook.no_auth", Severity: sev,
				Message: "webhook route " + n + " has no secret_env, so requests are not authenticated: " + where,
				Fix:     "set platforms.webhooks.routes." + n + ".secret_env to a .env variable holding a random secret (auth: hmac)"})
		case s.lookup(r.SecretEnv) == "":
			out = append(out, Finding{ID: "gateway.webhook.secret_missing", Severity: Low,
				Message: "webhook route " + n + " names " + r.SecretEnv + ", which is not set (the route will not start)",
				Fix:     "add " + r.SecretEnv + "=<random secret> to .env"})
		}
	}
	return out
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func envPrefix(p string) string { return strings.ToUpper(p) }

// openDMs: no enabled platform lets everyone talk to the agent.
func openDMs(s *subject) []Finding {
	var out []Finding
	chats := chatPlatforms(s.cfg)
	for _, n := range sortedKeys(chats) {
		v := envPrefix(n) + "_ALLOW_ALL_USERS"
		if isTrue(s.lookup(v)) {
			out = append(out, Finding{ID: "gateway.dm.open", Severity: High,
				Message: v + " is on: anyone who finds the " + n + " bot can use the agent and its tools",
				Fix:     "remove " + v + " from .env and approve people with `hermes pairing approve` or " + envPrefix(n) + "_ALLOWED_USERS"})
		}
	}
	if len(chats) > 0 && isTrue(s.lookup("GATEWAY_ALLOW_ALL_USERS")) {
		out = append(out, Finding{ID: "gateway.dm.open", Severity: High,
			Message: "GATEWAY_ALLOW_ALL_USERS is on: anyone on any enabled platform can use the agent and its tools",
			Fix:     "remove GATEWAY_ALLOW_ALL_USERS from .env and approve people with `hermes pairing approve`"})
	}
	return out
}

// groupSessions: in groups, each participant has a session of their own,
// so one person's conversation is not another's context.
func groupSessions(s *subject) []Finding {
	var out []Finding
	chats := chatPlatforms(s.cfg)
	for _, n := range sortedKeys(chats) {
		if chats[n].GroupSessionsPerUser || n == "email" {
			continue
		}
		out = append(out, Finding{ID: "gateway.groups.shared_session", Severity: Medium,
			Message: "platforms." + n + ".group_sessions_per_user is false: everyone in a group shares one session, so each sees what the others told the agent",
			Fix:     "hermes config set platforms." + n + ".group_sessions_per_user true"})
	}
	return out
}

var (
	digits  = regexp.MustCompile(`^-?[0-9]+$`)
	slackID = regexp.MustCompile(`^[UWB][A-Z0-9]{6,}$`)
)

// mutable says why an allowlist entry names something its owner (or
// anyone) can change, or "".
func mutable(platform, entry string) string {
	switch platform {
	case "TELEGRAM", "DISCORD":
		if !digits.MatchString(entry) {
			return "a username, which its owner can change and someone else can then take"
		}
	case "SLACK":
		if !slackID.MatchString(entry) {
			return "a display name, which is not unique and can be changed"
		}
	case "GATEWAY":
		if strings.HasPrefix(entry, "@") && !strings.Contains(entry, ":") {
			return "a username, which its owner can change and someone else can then take"
		}
	}
	return ""
}

// mutableAllowlist: allowlists name users by their immutable ids.
func mutableAllowlist(s *subject) []Finding {
	var out []Finding
	for _, p := range []string{"TELEGRAM", "DISCORD", "SLACK", "GATEWAY"} {
		v := p + "_ALLOWED_USERS"
		for _, e := range strings.Split(s.lookup(v), ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if why := mutable(p, e); why != "" {
				out = append(out, Finding{ID: "gateway.allowlist.mutable", Severity: Medium,
					Message: fmt.Sprintf("%s lists %q, %s", v, e, why),
					Fix:     "list the numeric user id instead (the gateway log and `hermes pairing list` show it)"})
			}
		}
	}
	return out
}

// localSandbox: commands from messaging run in a sandbox.
func localSandbox(s *subject) []Finding {
	m := messaging(s.cfg)
	if len(m) == 0 {
		return nil
	}
	b := s.cfg.Terminal.Backend
	reason := ""
	switch b {
	case "", "local":
		reason = "terminal.backend is local"
	case sandbox.Auto:
		auto := s.o.Auto
		if auto == nil {
			auto = sandbox.ResolveAuto
		}
		if c := auto(); !c.Isolated() {
			reason = "terminal.backend auto fell back to local (" + c.Reason + ")"
		}
	}
	if reason == "" {
		return nil
	}
	return []Finding{{ID: "sandbox.local.messaging", Severity: High,
		Message: reason + " while " + strings.Join(m, ", ") + " can reach the agent: commands run on this machine as you",
		Fix:     "install bubblewrap (terminal.backend auto uses it) or set terminal.backend to docker"}}
}

// approvals: dangerous commands are asked about.
func approvals(s *subject) []Finding {
	a := s.cfg.Approvals
	sev := Medium
	where := ""
	if m := messaging(s.cfg); len(m) > 0 {
		sev, where = High, " and "+strings.Join(m, ", ")+" can reach the agent"
	}
	var out []Finding
	if a.Mode == "off" {
		out = append(out, Finding{ID: "approvals.off", Severity: sev,
			Message: "approvals.mode is off: every dangerous command runs without asking" + where,
			Fix:     "hermes config set approvals.mode manual"})
	}
	if a.Unattended == "allow" {
		out = append(out, Finding{ID: "approvals.unattended.allow", Severity: sev,
			Message: "approvals.unattended is allow: cron jobs, webhooks and the API server run dangerous commands unchecked" + where,
			Fix:     "hermes config set approvals.unattended deny"})
	}
	return out
}

// redaction: secrets are masked.
func redaction(s *subject) []Finding {
	if s.cfg.Security.RedactSecrets {
		return nil
	}
	return []Finding{{ID: "redaction.off", Severity: Medium,
		Message: "security.redact_secrets is false: keys that reach tool output go to logs, the session store and chats as they are",
		Fix:     "hermes config set security.redact_secrets true"}}
}

// configSecrets: config.yaml holds no secret (the config package's own
// detection), outside mcp_servers (mcpSecrets).
func configSecrets(s *subject) []Finding {
	var out []Finding
	for _, p := range s.prob {
		if !strings.Contains(p.Msg, "looks like a secret") || strings.HasPrefix(p.Path, "mcp_servers") {
			continue
		}
		out = append(out, Finding{ID: "config.secret", Severity: High,
			Message: fmt.Sprintf("config.yaml:%d:%d: %s %s (config.yaml may be shared or backed up in the clear)", p.Line, p.Col, p.Path, p.Msg),
			Fix:     p.Hint})
	}
	return out
}

var secretName = regexp.MustCompile(`(?i)(key|token|secret|passw|pass$|credential|auth)`)

// mcpSecrets: an MCP server gets its secrets as ${VAR} from .env, not
// written in config.yaml.
func mcpSecrets(s *subject) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, p := range s.prob {
		if strings.Contains(p.Msg, "looks like a secret") && strings.HasPrefix(p.Path, "mcp_servers") {
			seen[p.Path] = true
			out = append(out, Finding{ID: "mcp.secret_in_config", Severity: High,
				Message: fmt.Sprintf("config.yaml:%d:%d: %s %s", p.Line, p.Col, p.Path, p.Msg), Fix: p.Hint})
		}
	}
	for _, n := range sortedKeys(s.cfg.MCPServers) {
		m := s.cfg.MCPServers[n]
		for _, kv := range []struct {
			section string
			vals    map[string]string
		}{{"env", m.Env}, {"headers", m.Headers}} {
			for _, k := range sortedKeys(kv.vals) {
				v := kv.vals[k]
				path := "mcp_servers." + n + "." + kv.section + "." + k
				if seen[path] || v == "" || strings.Contains(v, "${") || !secretName.MatchString(k) {
					continue
				}
				out = append(out, Finding{ID: "mcp.secret_in_config", Severity: High,
					Message: path + " is written in config.yaml rather than read from .env",
					Fix:     "put it in .env as " + strings.ToUpper(n+"_"+k) + "=... and write ${" + strings.ToUpper(n+"_"+k) + "} here"})
			}
		}
	}
	return out
}

// mcpTrust: a server on another machine does not get trust auto.
func mcpTrust(s *subject) []Finding {
	var out []Finding
	for _, n := range sortedKeys(s.cfg.MCPServers) {
		m := s.cfg.MCPServers[n]
		if !m.Enabled || m.URL == "" || m.Trust == "ask" {
			continue
		}
		u, err := url.Parse(m.URL)
		if err != nil || loopback(u.Hostname()) {
			continue
		}
		out = append(out, Finding{ID: "mcp.remote.trust_auto", Severity: Medium,
			Message: "mcp server " + n + " at " + u.Host + " has trust auto: its tools run without approval and whoever runs that server chooses what they do",
			Fix:     "hermes config set mcp_servers." + n + ".trust ask"})
	}
	return out
}
