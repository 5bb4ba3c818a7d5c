package guard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/guard/detect"
)

// Approver is the human: the CLI prompt or the gateway's /approve and
// /deny. Approve blocks until the human answers or ctx ends.
type Approver interface {
	Approve(ctx context.Context, req Request) (Answer, error)
}

// Request is what the human is asked about.
type Request struct {
	SessionID string         `json:"session_id"`
	Command   string         `json:"command"`
	Cwd       string         `json:"cwd"`
	Matches   []detect.Match `json:"matches"`
	Reason    string         `json:"reason"` // the Report's reason: what was found
}

// Choice is the human's answer.
type Choice string

// The answers a human can give.
const (
	ChoiceOnce    Choice = "once"    // run it this time
	ChoiceSession Choice = "session" // run it whenever this session asks again, in this cwd
	ChoiceAlways  Choice = "always"  // add it to command_allowlist
	ChoiceDeny    Choice = "deny"    // refuse; Answer.Reason is relayed to the model
)

// Answer is the human's choice and, for a deny, why.
type Answer struct {
	Choice Choice `json:"choice"`
	Reason string `json:"reason,omitempty"`
}

// Judge is the smart-mode auxiliary model.
type Judge interface {
	Judge(ctx context.Context, command string, matches []detect.Match) (Verdict, error)
}

// Verdict is the judge's answer.
type Verdict string

// The judge's answers.
const (
	VerdictApprove  Verdict = "approve"
	VerdictDeny     Verdict = "deny"
	VerdictEscalate Verdict = "escalate" // ask the human
)

// AllowlistStore keeps command_allowlist, merging with what is on disk.
type AllowlistStore interface {
	AddAllowlist(pattern string) error
}

// Who decided an Outcome.
const (
	ByPolicy  = "policy"  // Explain decided without asking
	ByJudge   = "judge"   // the smart-mode model
	ByHuman   = "human"   // the human's answer
	ByTimeout = "timeout" // nobody answered in time, or the prompt was cancelled or failed
)

// DefaultJudgeTimeout bounds one judge call when Guard.JudgeTimeout is 0.
const DefaultJudgeTimeout = 60 * time.Second

// Guard applies a Policy and asks the judge and the human when the Policy
// says Ask. Set its fields before the first Check; it is then safe for
// concurrent use by many sessions.
type Guard struct {
	Policy       Policy
	Human        Approver       // nil: nobody can answer, so a command that needs approval is blocked
	Smart        Judge          // smart mode's judge; nil: smart mode asks the human
	Store        AllowlistStore // where "always" answers are saved; nil: kept in memory only
	Clock        clock.Clock    // times the human prompt; nil: the real clock
	JudgeTimeout time.Duration  // 0: DefaultJudgeTimeout

	mu    sync.Mutex
	added []string // command_allowlist entries added by "always" answers
}

// Outcome is the final decision about one command.
type Outcome struct {
	Decision  Decision `json:"decision"` // Allow or Block, never Ask
	Report    Report   `json:"report"`   // the decision before anyone was asked
	DecidedBy string   `json:"decided_by"`
	Verdict   Verdict  `json:"verdict,omitempty"` // the judge's, when it was asked
	Answer    *Answer  `json:"answer,omitempty"`  // the human's, when they answered
	// Reason says why, as one sentence; relay it to the model on a Block
	// (it carries the human's deny reason).
	Reason string `json:"reason"`
	Note   string `json:"note,omitempty"` // anything else the user should know
}

// Check decides command for session s, asking the judge and the human as
// the Policy says. A prompt not answered within Policy.Timeout, a
// cancelled ctx, or a failed prompt is a Block. The Outcome is always
// meaningful; err is non-nil only when s is nil or an "always" answer
// could not be saved (the command is then allowed for this session only).
func (g *Guard) Check(ctx context.Context, s *Session, command string, c Context) (Outcome, error) {
	if s == nil {
		return Outcome{Decision: Block, DecidedBy: ByPolicy, Reason: "blocked: no session"},
			errors.New("guard: Check needs a session: create one with NewSession")
	}
	p := g.policy()
	rep := Explain(command, p, s, c)
	out := Outcome{Decision: rep.Decision, Report: rep, DecidedBy: ByPolicy, Reason: rep.Reason}
	if rep.Decision != Ask {
		return out, nil
	}
	if c.Unattended {
		return g.judgeAlone(ctx, rep), nil
	}
	if p.mode() == Smart {
		if g.Smart == nil {
			out.Note = "smart mode has no approval model; asking you"
		} else if s.BreakerOpen() {
			out.Note = fmt.Sprintf("the approval model denied %d commands in a row in this session; asking you until you answer", p.breaker())
		} else {
			v, err := g.judge(ctx, rep)
			out.Verdict = v
			switch {
			case err == nil && v == VerdictApprove:
				s.judgeApproved()
				out.Decision, out.DecidedBy, out.Reason = Allow, ByJudge, "allowed by the approval model: "+describe(rep.Matches)
				return out, nil
			case err == nil && v == VerdictDeny:
				s.judgeDenied(p.breaker())
				out.Decision, out.DecidedBy, out.Reason = Block, ByJudge, "denied by the approval model: "+describe(rep.Matches)
				return out, nil
			case err != nil:
				out.Verdict = VerdictEscalate
				out.Note = fmt.Sprintf("the approval model failed (%v); asking you", err)
			default:
				out.Note = "the approval model escalated to you"
			}
		}
	}
	return g.askHuman(ctx, s, command, c, out)
}

// policy returns the Policy with the entries "always" answers added.
func (g *Guard) policy() Policy {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.Policy
	if len(g.added) > 0 {
		p.Allowlist = append(slices.Clone(p.Allowlist), g.added...)
	}
	return p
}

func (g *Guard) clock() clock.Clock {
	if g.Clock == nil {
		return clock.Real{}
	}
	return g.Clock
}

// judge asks the judge with a time limit, also when it ignores ctx.
func (g *Guard) judge(ctx context.Context, rep Report) (Verdict, error) {
	d := g.JudgeTimeout
	if d <= 0 {
		d = DefaultJudgeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type reply struct {
		v   Verdict
		err error
	}
	ch := make(chan reply, 1)
	go func() {
		v, err := g.Smart.Judge(ctx, rep.Command, rep.Matches)
		ch <- reply{v, err}
	}()
	select {
	case r := <-ch:
		if r.err == nil && r.v != VerdictApprove && r.v != VerdictDeny && r.v != VerdictEscalate {
			return VerdictEscalate, fmt.Errorf("unknown verdict %q", r.v)
		}
		return r.v, r.err
	case <-ctx.Done():
		return VerdictEscalate, fmt.Errorf("no verdict: %w", ctx.Err())
	}
}

// judgeAlone decides an unattended command under approvals.unattended:
// smart: only the judge's APPROVE runs it; anything else blocks, since
// nobody can be asked.
func (g *Guard) judgeAlone(ctx context.Context, rep Report) Outcome {
	out := Outcome{Decision: Block, Report: rep, DecidedBy: ByJudge}
	nobody := "; nobody can approve it here (an unattended run), so anything but the approval model's approval is a deny; " +
		allowHint(rep.Matches, "to allow it, add the command to command_allowlist or set approvals.unattended to allow")
	if g.Smart == nil {
		out.DecidedBy = ByPolicy
		out.Reason = "blocked: " + describe(rep.Matches) + "; approvals.unattended is smart but no approval model is configured" + nobody
		return out
	}
	v, err := g.judge(ctx, rep)
	out.Verdict = v
	switch {
	case err != nil:
		out.Verdict = VerdictEscalate
		out.Reason = fmt.Sprintf("blocked: %s; the approval model failed (%v)%s", describe(rep.Matches), err, nobody)
	case v == VerdictApprove:
		out.Decision, out.Reason = Allow, "allowed by the approval model: "+describe(rep.Matches)
	case v == VerdictDeny:
		out.Reason = "denied by the approval model: " + describe(rep.Matches)
	default:
		out.Reason = "blocked: " + describe(rep.Matches) + "; the approval model escalated" + nobody
	}
	return out
}
