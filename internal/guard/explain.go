package guard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hermes-go/hermes/internal/guard/detect"
)

// Stage names the step of the decision order that decided.
const (
	StageHardline    = "hardline"
	StageUnparseable = "unparseable"
	StageDeny        = "deny"
	StageYolo        = "yolo"
	StageModeOff     = "mode_off"
	StageAllowlist   = "allowlist"
	StageGrant       = "grant"
	StageUnattended  = "unattended"
	StageContainer   = "container"
	StageDetected    = "detected"
	StageSafe        = "safe"
)

// Report is the pure decision about one command and why: what `hermes
// approvals check` prints.
type Report struct {
	Decision Decision       `json:"decision"`
	Keys     []string       `json:"keys"`   // keys of the matches that decided
	Reason   string         `json:"reason"` // one human sentence
	Stage    string         `json:"stage"`  // the step that decided, one of the Stage constants
	Command  string         `json:"command"`
	Matches  []detect.Match `json:"matches"`
	Compound bool           `json:"compound"` // more than one simple command: never allowlisted
}

// Explain decides what happens to command under p in session s (nil: a
// fresh session) and context c, without asking anyone. An Ask means a
// human (or in smart mode the judge) must answer; Guard.Check does that.
func Explain(command string, p Policy, s *Session, c Context) Report {
	res := detect.Scan(command, detect.Options{Home: p.Home, HermesHome: p.HermesHome, Cwd: c.Cwd})
	r := Report{Command: command, Matches: res.Matches, Keys: res.Keys(), Compound: res.Compound}
	if r.Matches == nil {
		r.Matches = []detect.Match{}
	}
	if r.Keys == nil {
		r.Keys = []string{}
	}
	decide := func(d Decision, stage, reason string) Report {
		r.Decision, r.Stage, r.Reason = d, stage, reason
		return r
	}
	norm := res.Normalized

	if res.Hardline() {
		hard := hardlineMatches(res.Matches)
		r.Keys = keysOf(hard)
		return decide(Block, StageHardline, "blocked: "+describe(hard)+
			"; this is on the hardline blocklist, which no mode, allowlist or /yolo can override")
	}
	if res.Unparseable != nil {
		return decide(Block, StageUnparseable, fmt.Sprintf("blocked: %v; a command that cannot be parsed cannot be checked", res.Unparseable))
	}
	// Deny globs meet every command as written and as it will run
	// (`sudo rm`, `\rm`, `busybox rm`, `G=git; $G push` are rm and git push).
	if glob, sub, ok := denied(p.Deny, command, norm, append(slices.Clip(res.Commands), res.Argvs...)); ok {
		return decide(Block, StageDeny, fmt.Sprintf("blocked: `%s` matches %q in approvals.deny", sub, glob))
	}
	if len(res.Matches) == 0 {
		// Nothing to approve: the allowlist, grants and modes cannot change
		// the answer, so they are not consulted (the common case stays fast).
		return decide(Allow, StageSafe, "allowed: nothing dangerous found")
	}
	found := "; found " + describe(res.Matches)
	switch {
	case s != nil && s.Yolo():
		return decide(Allow, StageYolo, "allowed: /yolo is on in this session (the hardline blocklist and approvals.deny still apply)"+found)
	case p.mode() == Off:
		return decide(Allow, StageModeOff, "allowed: approvals.mode is off (the hardline blocklist and approvals.deny still apply)"+found)
	}
	if !res.Compound {
		if entry, ok := allowlisted(p.Allowlist, command, norm); ok {
			return decide(Allow, StageAllowlist, fmt.Sprintf("allowed: the command matches %q in command_allowlist", entry)+found)
		}
	}
	if s != nil && s.Granted(command, c.Cwd) {
		return decide(Allow, StageGrant, fmt.Sprintf("allowed: approved for this session in %s", cwdName(c.Cwd))+found)
	}
	if c.Container && p.ContainerSkip {
		return decide(Allow, StageContainer, "allowed: it runs in a container without host mounts and approvals.container_skip is on"+found)
	}
	if c.Unattended {
		return unattendedReport(r, p.unattended())
	}
	return decide(Ask, StageDetected, "needs approval: "+describe(res.Matches))
}

// unattendedReport decides a dangerous command where nobody can answer.
func unattendedReport(r Report, u Unattended) Report {
	r.Stage = StageUnattended
	what := describe(r.Matches)
	switch u {
	case UnattendedAllow:
		r.Decision, r.Reason = Allow, "allowed: "+what+"; approvals.unattended is allow"
	case UnattendedSmart:
		r.Decision, r.Reason = Ask, "needs approval: "+what+"; nobody can answer here, so the approval model decides (approvals.unattended: smart)"
	default:
		r.Decision, r.Reason = Block, "blocked: "+what+"; nobody can approve it here (an unattended run) and approvals.unattended is deny; "+
			allowHint(r.Matches, "to allow it, set approvals.unattended to smart or allow, or add the command to command_allowlist")
	}
	return r
}

// describe names each match: its description, the sub-command and the key.
func describe(ms []detect.Match) string {
	parts := make([]string, 0, len(ms))
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s in `%s` [%s]", m.Description, m.Command, m.Key))
	}
	return strings.Join(parts, "; ")
}

func hardlineMatches(ms []detect.Match) []detect.Match {
	var out []detect.Match
	for _, m := range ms {
		if m.Hardline {
			out = append(out, m)
		}
	}
	return out
}

func keysOf(ms []detect.Match) []string {
	out := []string{}
	for _, m := range ms {
		if !slices.Contains(out, m.Key) {
			out = append(out, m.Key)
		}
	}
	return out
}

// denied finds the first deny glob matching the raw or normalised command
// or one of its simple commands, case-insensitively.
func denied(globs []string, raw, norm string, subs []string) (glob, sub string, ok bool) {
	texts := append([]string{norm, raw}, subs...)
	for _, g := range globs {
		lg := strings.ToLower(g)
		for _, t := range texts {
			m, err := matchGlob(lg, strings.ToLower(t))
			if err != nil {
				m = strings.EqualFold(g, t)
			}
			if m {
				return g, t, true
			}
		}
	}
	return "", "", false
}

// allowlisted finds the command_allowlist entry that allows a simple
// command: its exact text (also as stored escaped by an "always" answer)
// or a glob over the normalised command. Matching is case-sensitive.
func allowlisted(entries []string, raw, norm string) (string, bool) {
	escaped := escapeGlob(raw)
	for _, e := range entries {
		if e == "" {
			continue
		}
		if e == raw || e == norm || e == escaped {
			return e, true
		}
		if m, err := matchGlob(e, norm); err == nil && m {
			return e, true
		}
	}
	return "", false
}

func cwdName(cwd string) string {
	if cwd == "" {
		return "the default directory"
	}
	return cwd
}
