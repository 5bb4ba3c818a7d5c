package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llm/pool"
	"github.com/hermes-go/hermes/internal/mcp"
)

// checkConfig: config.yaml parses and its values are valid; every error
// is shown at FILE:LINE:COL, never as "running on defaults"; unknown keys
// are warnings with their "did you mean".
func (t *target) checkConfig(context.Context) []Result {
	name := t.name("config")
	if t.cfgErr != nil {
		var le *config.LoadError
		if !errors.As(t.cfgErr, &le) {
			return []Result{{Name: name, Status: Fail, Message: t.cfgErr.Error(), Fix: "make config.yaml readable by you"}}
		}
		var rows []Result
		for _, p := range le.Problems {
			st := Warn
			if p.Severity == config.Error {
				st = Fail
			}
			fix := p.Hint
			if fix == "" {
				fix = "fix it with `hermes config edit`, then `hermes config check`"
			}
			rows = append(rows, Result{Name: name, Status: st, Message: problemText(p), Fix: fix})
		}
		return rows
	}
	if !t.cfgFile {
		return []Result{{Name: name, Status: OK, Message: "no config.yaml: the documented defaults apply (`hermes config edit` makes one)"}}
	}
	if len(t.warnings) == 0 {
		return []Result{{Name: name, Status: OK, Message: "config.yaml parses and its values are valid"}}
	}
	var rows []Result
	for _, p := range t.warnings {
		fix := p.Hint
		if fix == "" {
			fix = "fix it with `hermes config edit`"
		}
		rows = append(rows, Result{Name: name, Status: Warn, Message: problemText(p), Fix: fix})
	}
	return rows
}

// problemText is a problem without its hint: FILE:LINE:COL: key: message.
func problemText(p config.Problem) string {
	p.Hint = ""
	return p.String()
}

// checkEnv: .env parses; keys repeated and a loose mode are warnings.
func (t *target) checkEnv(context.Context) []Result {
	name := t.name(".env")
	if t.envErr != nil {
		var le *config.LoadError
		if errors.As(t.envErr, &le) {
			var rows []Result
			for _, p := range le.Problems {
				if p.Severity == config.Error {
					rows = append(rows, Result{Name: name, Status: Fail, Message: problemText(p), Fix: "fix the line with any editor; lines look like NAME=value"})
				}
			}
			return rows
		}
		return []Result{{Name: name, Status: Fail, Message: t.envErr.Error(), Fix: "make .env readable by you"}}
	}
	var rows []Result
	for _, p := range t.envWarn {
		rows = append(rows, Result{Name: name, Status: Warn, Message: problemText(p), Fix: p.Hint})
	}
	if len(rows) == 0 {
		rows = append(rows, Result{Name: name, Status: OK, Message: fmt.Sprintf("%d variable(s) set", len(t.env.Names()))})
	}
	return rows
}

// needed is a variable the config relies on, what for, and the
// credential pool whose keys stand in for it ("" for none).
type needed struct{ name, what, pool string }

// neededVars lists the variables config.yaml names: provider keys of the
// primary and every fallback, platform tokens of enabled platforms,
// webhook secrets.
func (t *target) neededVars() []needed {
	c := t.cfg
	var out []needed
	all := *c
	all.Model.AutoFallback = true
	if chain, err := llm.Chain(&all); err == nil {
		for _, ep := range chain {
			if ep.KeyEnv != "" && !ep.Keyless {
				out = append(out, needed{ep.KeyEnv, "the key of " + ep.Label(), ep.Pool})
			}
		}
	}
	p := c.Platforms
	if p.Telegram.Enabled {
		out = append(out, needed{"TELEGRAM_BOT_TOKEN", "platforms.telegram", ""})
	}
	if p.Discord.Enabled {
		out = append(out, needed{"DISCORD_BOT_TOKEN", "platforms.discord", ""})
	}
	if p.Slack.Enabled {
		out = append(out, needed{"SLACK_BOT_TOKEN", "platforms.slack", ""}, needed{"SLACK_APP_TOKEN", "platforms.slack", ""})
	}
	if p.Email.Enabled {
		out = append(out, needed{"EMAIL_PASSWORD", "platforms.email", ""})
	}
	if p.Webhooks.Enabled {
		for _, r := range sortedKeys(p.Webhooks.Routes) {
			if v := p.Webhooks.Routes[r].SecretEnv; v != "" {
				out = append(out, needed{v, "platforms.webhooks.routes." + r, ""})
			}
		}
	}
	if c.Cron.WebhookSecretEnv != "" {
		out = append(out, needed{c.Cron.WebhookSecretEnv, "cron.webhook_secret_env", ""})
	}
	return out
}

// checkKeys: every variable config.yaml relies on is set; one that is
// only in a comment of .env is not.
func (t *target) checkKeys(context.Context) []Result {
	name := t.name("keys")
	if t.cfg == nil || t.env == nil {
		return []Result{{Name: name, Status: Warn, Message: "not checked: config.yaml or .env does not load", Fix: "fix the rows above first"}}
	}
	var rows []Result
	seen := map[string]bool{}
	for _, n := range t.neededVars() {
		if seen[n.name] {
			continue
		}
		seen[n.name] = true
		if _, ok := t.lookup(n.name); ok || t.pooled(n.pool) {
			continue
		}
		msg := fmt.Sprintf("%s (%s) is not set", n.name, n.what)
		fix := fmt.Sprintf("add %s=... to %s", n.name, t.h.Path(".env"))
		if line := t.commentedOut(n.name); line > 0 {
			msg = fmt.Sprintf("%s (%s) is commented out in .env line %d, so it is not configured", n.name, n.what, line)
			fix = fmt.Sprintf("remove the # at .env:%d if the key is still valid", line)
		}
		rows = append(rows, Result{Name: name, Status: Fail, Message: msg, Fix: fix})
	}
	if len(rows) == 0 {
		rows = append(rows, Result{Name: name, Status: OK, Message: fmt.Sprintf("%d variable(s) that config.yaml names are set", len(seen))})
	}
	return rows
}

// checkFallback: a fallback provider is configured and used.
func (t *target) checkFallback(context.Context) []Result {
	name := t.name("fallback")
	c := t.cfg
	switch {
	case c == nil:
		return nil
	case len(c.FallbackProviders) == 0:
		return []Result{{Name: name, Status: Warn, Message: "no fallback provider: when " + c.Model.Provider + " fails, every turn and cron job fails",
			Fix: "add one with `hermes fallback add PROVIDER MODEL`"}}
	case !c.Model.AutoFallback:
		return []Result{{Name: name, Status: Warn, Message: fmt.Sprintf("%d fallback provider(s) configured but model.auto_fallback is off", len(c.FallbackProviders)),
			Fix: "run `hermes fallback auto on`"}}
	}
	return []Result{{Name: name, Status: OK, Message: fmt.Sprintf("%d fallback provider(s) after %s", len(c.FallbackProviders), c.Model.Provider)}}
}

// checkApprovals: dangerous commands are not approved blindly on a
// profile that messaging platforms can reach.
func (t *target) checkApprovals(context.Context) []Result {
	name := t.name("approvals")
	c := t.cfg
	if c == nil {
		return nil
	}
	msg := messaging(c)
	var bad []string
	if c.Approvals.Mode == "off" {
		bad = append(bad, "approvals.mode is off")
	}
	if c.Approvals.Unattended == "allow" {
		bad = append(bad, "approvals.unattended is allow")
	}
	switch {
	case len(bad) == 0:
		return []Result{{Name: name, Status: OK, Message: "mode " + c.Approvals.Mode + ", unattended " + c.Approvals.Unattended}}
	case len(msg) == 0:
		return []Result{{Name: name, Status: OK, Message: strings.Join(bad, " and ") + " (no messaging platform enabled)"}}
	}
	return []Result{{Name: name, Status: Warn,
		Message: strings.Join(bad, " and ") + " while " + strings.Join(msg, ", ") + " can reach this profile: anyone allowed to chat runs commands unchecked",
		Fix:     "run `hermes config set approvals.mode manual` and `hermes config set approvals.unattended deny`"}}
}

// checkRedaction: secrets are masked.
func (t *target) checkRedaction(context.Context) []Result {
	name := t.name("redaction")
	if t.cfg == nil {
		return nil
	}
	if !t.cfg.Security.RedactSecrets {
		return []Result{{Name: name, Status: Warn, Message: "secret redaction is off: keys may reach logs, the session store and chats",
			Fix: "run `hermes config set security.redact_secrets true`"}}
	}
	return []Result{{Name: name, Status: OK, Message: "secrets are masked in logs, sessions and deliveries"}}
}

// checkToolsets: every toolset config.yaml names for a frontend exists
// (a name nobody registered stops the frontend from starting).
func (t *target) checkToolsets(context.Context) []Result {
	name := t.name("toolsets")
	if t.cfg == nil || t.o.Toolsets == nil {
		return nil
	}
	known := map[string]bool{}
	for _, n := range t.o.Toolsets {
		known[n] = true
	}
	for n := range t.cfg.MCPServers {
		known[mcp.Toolset(n)] = true
	}
	ts := t.cfg.Agent.Toolsets
	var rows []Result
	for _, f := range []struct {
		key   string
		names []string
	}{{"agent.toolsets.cli", ts.CLI}, {"agent.toolsets.gateway", ts.Gateway}, {"agent.toolsets.cron", ts.Cron},
		{"agent.toolsets.api_server", ts.APIServer}, {"agent.toolsets.mcp_serve", ts.MCPServe}, {"delegation.toolsets", t.cfg.Delegation.Toolsets}} {
		for _, n := range f.names {
			if !known[n] {
				rows = append(rows, Result{Name: name, Status: Fail, Message: fmt.Sprintf("%s names %q, which no tool provides: that frontend will not start", f.key, n),
					Fix: "remove it with `hermes config edit` (known: " + strings.Join(sortedKeys(known), ", ") + ")"})
			}
		}
	}
	if len(rows) == 0 {
		rows = append(rows, Result{Name: name, Status: OK, Message: fmt.Sprintf("cli: %s", strings.Join(ts.CLI, ", "))})
	}
	return rows
}

// pooled reports whether the credential pool name (auth.json) holds a key
// added with `hermes auth add`, which stands in for its variable.
func (t *target) pooled(name string) bool {
	if name == "" || !exists(t.h.Path(home.AuthFile)) {
		return false
	}
	p, err := pool.Open(t.h.Path(home.AuthFile), clock.Real{}).Pool(name)
	if err != nil {
		return false
	}
	for _, e := range p.Entries {
		if e.Source == "manual" {
			return true
		}
	}
	return false
}
