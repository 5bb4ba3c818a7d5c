package guard

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hermes-go/hermes/internal/guard/detect"
)

// EscalatePrefix marks the command_allowlist entries and session grants
// that let a command run outside the sandbox: "always" on an escalation
// request saves "outside-sandbox: COMMAND". Such an entry matches no real
// command (there is no program named "outside-sandbox:"), so it grants
// only the escalation.
const EscalatePrefix = "outside-sandbox: "

// Escalate decides whether command may run outside the sandbox, on the
// host, as the model asked with justification. It is always a question
// for the human, whatever approvals.mode, /yolo or the command's danger
// say, unless this session granted it or command_allowlist holds
// EscalatePrefix+command; the hardline blocklist and approvals.deny block
// it first. Unattended, or with nobody connected to answer, it is a
// Block. The answers are the usual ones: once, session (this command in
// this cwd), always (saved as above), deny.
func (g *Guard) Escalate(ctx context.Context, s *Session, command, justification string, c Context) (Outcome, error) {
	if s == nil {
		return Outcome{Decision: Block, DecidedBy: ByPolicy, Reason: "blocked: no session"},
			errors.New("guard: Escalate needs a session: create one with NewSession")
	}
	p := g.policy()
	rep := Explain(command, p, s, Context{Cwd: c.Cwd})
	out := Outcome{Decision: Block, Report: rep, DecidedBy: ByPolicy}
	if rep.Decision == Block {
		out.Reason = rep.Reason
		return out, nil
	}
	key := EscalatePrefix + command
	if entry, ok := allowlisted(p.Allowlist, key, EscalatePrefix+detect.Normalize(command)); ok {
		out.Decision, out.Reason = Allow, fmt.Sprintf("allowed outside the sandbox: the command matches %q in command_allowlist", entry)
		return out, nil
	}
	if s.Granted(key, c.Cwd) {
		out.Decision, out.Reason = Allow, fmt.Sprintf("allowed outside the sandbox: approved for this session in %s", cwdName(c.Cwd))
		return out, nil
	}
	const how = "; run it in the sandbox instead, or the user adds %q to command_allowlist"
	if c.Unattended {
		out.Reason = fmt.Sprintf("denied: running a command outside the sandbox needs the user's approval, and nobody can approve it here (an unattended run)"+how, key)
		return out, nil
	}
	if g.Human == nil {
		out.Reason = fmt.Sprintf("denied: running a command outside the sandbox needs the user's approval, and no approval prompt is connected"+how, key)
		return out, nil
	}
	why := "run OUTSIDE the sandbox, on this machine with your rights: " + strings.TrimSpace(justification)
	if len(rep.Matches) > 0 {
		why += "; also found " + describe(rep.Matches)
	}
	req := Request{SessionID: s.ID(), Command: command, Cwd: c.Cwd, Matches: rep.Matches, Reason: why}
	ans, denied := g.promptPending(ctx, s, req, p.timeout())
	if denied != "" {
		out.DecidedBy, out.Reason = ByTimeout, denied
		return out, nil
	}
	out.DecidedBy, out.Answer = ByHuman, &ans
	// The grants are the escalation's, under the prefixed key: approving
	// the escalation never approves the command's danger inside the
	// sandbox, nor the other way round.
	res, err := g.apply(s, key, c, ans, out)
	if res.Decision == Allow {
		res.Reason = strings.Replace(res.Reason, "allowed", "allowed outside the sandbox", 1)
	}
	return res, err
}
