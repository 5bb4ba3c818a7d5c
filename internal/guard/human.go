package guard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errTimeout is a human prompt nobody answered in time.
var errTimeout = errors.New("nobody answered in time")

// askHuman puts the request to the Approver and applies the answer. out
// carries the Report and any note from the judge.
func (g *Guard) askHuman(ctx context.Context, s *Session, command string, c Context, out Outcome) (Outcome, error) {
	rep := out.Report
	out.Decision = Block
	if g.Human == nil {
		out.DecidedBy = ByPolicy
		out.Reason = "blocked: " + describe(rep.Matches) + "; nobody can approve it here (no approval prompt is connected); " +
			allowHint(rep.Matches, "to allow it, add the command to command_allowlist")
		return out, nil
	}
	req := Request{SessionID: s.ID(), Command: command, Cwd: c.Cwd, Matches: rep.Matches, Reason: rep.Reason}
	ans, denied := g.promptPending(ctx, s, req, g.Policy.timeout())
	if denied != "" {
		out.DecidedBy, out.Reason = ByTimeout, denied
		return out, nil
	}
	out.DecidedBy, out.Answer = ByHuman, &ans
	return g.apply(s, command, c, ans, out)
}

// promptPending puts req to the human as a pending request of s and waits
// at most d. Without an answer it returns the deny reason instead.
func (g *Guard) promptPending(ctx context.Context, s *Session, req Request, d time.Duration) (Answer, string) {
	id := s.addPending(req)
	defer s.donePending(id)
	ans, err := g.prompt(ctx, req, d)
	if err != nil {
		return Answer{}, "denied: " + promptFailure(ctx, err, d)
	}
	s.humanAnswered()
	return ans, ""
}

// promptFailure says why a prompt waited d and got no answer.
func promptFailure(ctx context.Context, err error, d time.Duration) string {
	switch {
	case errors.Is(err, errTimeout):
		return fmt.Sprintf("nobody answered the approval prompt within %s, and silence is not consent", d)
	case ctx.Err() != nil:
		return "the approval prompt was cancelled before anyone answered"
	default:
		return fmt.Sprintf("the approval prompt failed: %v", err)
	}
}

// Prompt puts req to the Human approver and waits at most d (0: the
// policy's approvals.timeout) on the Guard's clock, for callers outside
// the shell-command path (MCP trust: ask). Silence, a cancelled ctx and a
// failed prompt are errors saying which, and so a deny.
func (g *Guard) Prompt(ctx context.Context, req Request, d time.Duration) (Answer, error) {
	if g.Human == nil {
		return Answer{}, errors.New("nobody can approve it here (no approval prompt is connected)")
	}
	if d <= 0 {
		d = g.Policy.timeout()
	}
	ans, err := g.prompt(ctx, req, d)
	if err != nil {
		return Answer{}, errors.New(promptFailure(ctx, err, d))
	}
	return ans, nil
}

// prompt asks the human and waits at most d on the Guard's clock. ctx
// ending is an error; so is the timeout (errTimeout).
func (g *Guard) prompt(ctx context.Context, req Request, d time.Duration) (Answer, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type reply struct {
		a   Answer
		err error
	}
	answered := make(chan reply, 1)
	go func() {
		a, err := g.Human.Approve(ctx, req)
		answered <- reply{a, err}
	}()
	expired := make(chan error, 1)
	go func() { expired <- g.clock().Sleep(ctx, d) }()
	select {
	case r := <-answered:
		return r.a, r.err
	case err := <-expired:
		if err == nil {
			return Answer{}, errTimeout
		}
		return Answer{}, err
	case <-ctx.Done():
		return Answer{}, ctx.Err()
	}
}

// apply turns the human's answer into the outcome, recording grants.
func (g *Guard) apply(s *Session, command string, c Context, ans Answer, out Outcome) (Outcome, error) {
	rep := out.Report
	switch ans.Choice {
	case ChoiceOnce:
		out.Decision, out.Reason = Allow, "allowed once by the user"
	case ChoiceSession:
		s.Grant(command, c.Cwd)
		out.Decision, out.Reason = Allow, fmt.Sprintf("allowed by the user for this session in %s", cwdName(c.Cwd))
	case ChoiceAlways:
		out.Decision = Allow
		if rep.Compound {
			s.Grant(command, c.Cwd)
			out.Reason = fmt.Sprintf("allowed by the user for this session in %s", cwdName(c.Cwd))
			out.Note = joinNote(out.Note, "a compound command is never added to command_allowlist, so it was approved for this session only")
			return out, nil
		}
		return g.always(s, command, c, out)
	case ChoiceDeny:
		out.Reason = "denied by the user"
		if ans.Reason != "" {
			out.Reason += ": " + ans.Reason
		}
	default:
		out.Reason = fmt.Sprintf("denied: the approval prompt gave the unknown answer %q", ans.Choice)
	}
	return out, nil
}

// always adds the command to the allowlist: in memory for this Guard and
// through the Store on disk. The entry is the command with its glob
// characters escaped, so it allows exactly this text.
func (g *Guard) always(s *Session, command string, c Context, out Outcome) (Outcome, error) {
	entry := escapeGlob(command)
	if g.Store == nil {
		g.addAllowlist(entry)
		out.Reason = "allowed by the user from now on"
		out.Note = joinNote(out.Note, "no allowlist store is connected: the approval lasts until hermes restarts")
		return out, nil
	}
	if err := g.Store.AddAllowlist(entry); err != nil {
		s.Grant(command, c.Cwd)
		out.Reason = fmt.Sprintf("allowed by the user for this session in %s", cwdName(c.Cwd))
		out.Note = joinNote(out.Note, fmt.Sprintf("could not save it to command_allowlist (%v): approved for this session only", err))
		return out, fmt.Errorf("guard: save %q to command_allowlist: %w", entry, err)
	}
	g.addAllowlist(entry)
	out.Reason = "allowed by the user from now on (added to command_allowlist)"
	return out, nil
}

func (g *Guard) addAllowlist(entry string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range g.added {
		if e == entry {
			return
		}
	}
	g.added = append(g.added, entry)
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
