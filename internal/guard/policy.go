package guard

import (
	"os"
	"slices"
	"time"

	"github.com/hermes-go/hermes/internal/config"
)

// Mode is approvals.mode.
type Mode string

// The approval modes.
const (
	Manual Mode = "manual" // every dangerous command asks the human
	Smart  Mode = "smart"  // an auxiliary model answers the clear cases first
	Off    Mode = "off"    // everything but the hardline blocklist and deny globs runs
)

// Decision is what happens to a command.
type Decision string

// The decisions.
const (
	Allow Decision = "allow"
	Ask   Decision = "ask"
	Block Decision = "block"
)

// Unattended is approvals.unattended: what a dangerous command gets where
// nobody can answer (cron, one-shot -q, the API server, webhooks).
type Unattended string

// The unattended policies.
const (
	UnattendedDeny  Unattended = "deny"  // block (the default)
	UnattendedSmart Unattended = "smart" // the judge decides; anything but APPROVE blocks
	UnattendedAllow Unattended = "allow" // run it
)

// Defaults for a Policy whose fields are zero.
const (
	DefaultTimeout      = 300 * time.Second
	DefaultSmartBreaker = 3
)

// Policy is the approval configuration. The zero value is manual mode with
// the defaults above and unattended commands denied.
type Policy struct {
	Mode          Mode
	Deny          []string // globs always blocked, matched case-insensitively
	Allowlist     []string // exact text or globs allowed without asking (command_allowlist)
	Unattended    Unattended
	Timeout       time.Duration // how long a human prompt waits; then it is a deny
	SmartBreaker  int           // judge denials in a row after which every command asks the human
	ContainerSkip bool          // skip detection in containers without host mounts
	Home          string        // the user's home, for folding ~ and $HOME
	HermesHome    string        // the hermes home, whose .env and config.yaml are sensitive
}

// PolicyFromConfig builds the Policy of c. Home is the user's home
// directory; the caller sets HermesHome when it knows the active home.
func PolicyFromConfig(c *config.Config) Policy {
	home, _ := os.UserHomeDir()
	a := c.Approvals
	return Policy{
		Mode:          Mode(a.Mode),
		Deny:          slices.Clone(a.Deny),
		Allowlist:     slices.Clone(c.CommandAllowlist),
		Unattended:    Unattended(a.Unattended),
		Timeout:       time.Duration(a.Timeout),
		SmartBreaker:  a.SmartBreaker,
		ContainerSkip: a.ContainerSkip,
		Home:          home,
	}
}

// mode returns the mode, treating anything unknown as Manual.
func (p Policy) mode() Mode {
	switch p.Mode {
	case Smart, Off:
		return p.Mode
	}
	return Manual
}

// unattended returns the unattended policy, treating anything unknown as
// UnattendedDeny.
func (p Policy) unattended() Unattended {
	switch p.Unattended {
	case UnattendedSmart, UnattendedAllow:
		return p.Unattended
	}
	return UnattendedDeny
}

func (p Policy) timeout() time.Duration {
	if p.Timeout <= 0 {
		return DefaultTimeout
	}
	return p.Timeout
}

func (p Policy) breaker() int {
	if p.SmartBreaker <= 0 {
		return DefaultSmartBreaker
	}
	return p.SmartBreaker
}

// Context says where a command runs.
type Context struct {
	Cwd string // the working directory; grants are bound to it
	// Unattended: nobody can answer a prompt (cron, -q, API server, webhooks).
	Unattended bool
	// Container: a container backend without host mounts. With
	// Policy.ContainerSkip only the hardline blocklist and deny globs apply.
	Container bool
}
