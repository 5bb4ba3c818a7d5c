package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/tools"
)

// maxDescribedArgs bounds the arguments shown in an approval prompt.
const maxDescribedArgs = 400

// approve decides a call to a server marked trust: ask with the session's
// approval rules, the way guard.Check decides a dangerous shell command:
//
//  1. /yolo in the session, or approvals.mode: off: allow
//  2. a grant in this session for this server's tool: allow
//  3. nobody can answer (env.Unattended, or no Approver connected):
//     approvals.unattended: allow runs it; deny and smart block it (the
//     judge is for shell commands, so smart does not apply to MCP calls)
//  4. otherwise the human is asked through guard.Approver, with the
//     policy's timeout after which silence is a deny. "once" runs it;
//     "session" and "always" grant this tool for the session (an MCP call
//     is never written to command_allowlist: trust: auto trusts a server
//     for good); "deny" blocks it and relays the reason.
//
// A nil env.Guard or env.Session blocks: there are no rules to pass.
// The returned reason is what the model sees on a block.
func approve(ctx context.Context, env *tools.Env, server, tool string, args json.RawMessage, red *redact.Redactor) (bool, string) {
	if env == nil || env.Guard == nil || env.Session == nil {
		return false, fmt.Sprintf("blocked: mcp server %s is marked trust: ask and this session has no approval rules", server)
	}
	g, s := env.Guard, env.Session
	p := g.Policy
	if p.Mode == guard.Off || s.Yolo() {
		return true, ""
	}
	key := grantKey(server, tool)
	if s.Granted(key, "") {
		return true, ""
	}
	if env.Unattended || g.Human == nil {
		if p.Unattended == guard.UnattendedAllow {
			return true, ""
		}
		return false, fmt.Sprintf("blocked: mcp server %s is marked trust: ask and nobody can approve the call here (approvals.unattended: %s); "+
			"to allow it, set mcp_servers.%s.trust: auto", server, orDefault(string(p.Unattended), string(guard.UnattendedDeny)), server)
	}
	req := guard.Request{
		SessionID: s.ID(),
		Command:   red.String(describeCall(server, tool, args)),
		Cwd:       env.Cwd,
		Reason:    fmt.Sprintf("mcp server %s is marked trust: ask", server),
	}
	ans, err := askHuman(ctx, g, req, p.Timeout)
	if err != nil {
		return false, "denied: " + err.Error()
	}
	switch ans.Choice {
	case guard.ChoiceOnce:
		return true, ""
	case guard.ChoiceSession, guard.ChoiceAlways:
		s.Grant(key, "")
		return true, ""
	case guard.ChoiceDeny:
		reason := "denied by the user"
		if ans.Reason != "" {
			reason += ": " + ans.Reason
		}
		return false, reason
	default:
		return false, fmt.Sprintf("denied: the approval prompt gave the unknown answer %q", ans.Choice)
	}
}

// grantKey is what a session grant of an MCP tool is stored under; no
// shell command looks like it.
func grantKey(server, tool string) string { return "\x00mcp\x00" + server + "\x00" + tool }

// describeCall is the approval prompt's one line about the call.
func describeCall(server, tool string, args json.RawMessage) string {
	a := string(args)
	if len(a) > maxDescribedArgs {
		a = a[:maxDescribedArgs] + "..."
	}
	return fmt.Sprintf("mcp %s.%s %s", server, tool, a)
}

// askHuman waits for the Approver at most timeout (0: the guard's
// default), through the guard's own prompt.
func askHuman(ctx context.Context, g *guard.Guard, req guard.Request, timeout time.Duration) (guard.Answer, error) {
	if timeout <= 0 {
		timeout = guard.DefaultTimeout
	}
	return g.Prompt(ctx, req, timeout)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
