// Package audit owns `hermes security audit`: a read-only review of a
// home's security posture. Each finding has a stable id (scripts and
// docs/doctor.md rely on them), a severity, what was found and the fix.
// The audit reads config.yaml, .env and file modes; it writes nothing,
// and it reuses the config package's own secret detection and the
// sandbox package's probe of terminal.backend auto.
package audit

import (
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/sandbox"
)

// Severity ranks a finding.
type Severity string

// The severities, worst first.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
	Info   Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case High:
		return 0
	case Medium:
		return 1
	case Low:
		return 2
	}
	return 3
}

// Finding is one weakness of the home's posture.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
}

// Report is what `hermes security audit --json` prints.
type Report struct {
	Home     string    `json:"home"`
	Findings []Finding `json:"findings"`
	High     int       `json:"high"`
	Medium   int       `json:"medium"`
	Low      int       `json:"low"`
	Info     int       `json:"info"`
}

// Options are what the audit takes from outside the home.
type Options struct {
	// Getenv is the process environment (the gateway reads allowlists
	// from .env, then from it); nil is os.Getenv.
	Getenv func(string) string
	// Auto resolves terminal.backend auto; nil is sandbox.ResolveAuto.
	Auto func() sandbox.Choice
}

// subject is what the rules look at.
type subject struct {
	h    *home.Home
	cfg  *config.Config
	prob []config.Problem // config.yaml's problems, secrets included
	env  *config.Env
	o    Options
}

func (s *subject) lookup(name string) string {
	getenv := s.o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if v, ok := s.env.Lookup(name); ok && v != "" {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(getenv(name))
}

// rule is one family of findings.
type rule func(s *subject) []Finding

var rules = []rule{
	permissions, apiServer, healthListen, webhooks, openDMs, groupSessions, mutableAllowlist,
	localSandbox, approvals, redaction, configSecrets, mcpSecrets, mcpTrust,
}

// Run audits h. It fails only when config.yaml cannot be read at all; a
// config.yaml with problems is audited for what it says.
func Run(h *home.Home, o Options) (Report, error) {
	rep := Report{Home: h.Dir, Findings: []Finding{}}
	s := &subject{h: h, o: o}
	data, err := os.ReadFile(h.Path(home.ConfigFile))
	switch {
	case err == nil:
		s.cfg, s.prob = config.Parse(home.ConfigFile, data)
	case os.IsNotExist(err):
		s.cfg = config.Default()
	default:
		return rep, fmt.Errorf("read config: %w", err)
	}
	var add []Finding
	if s.cfg == nil {
		msg := "config.yaml does not parse, so its settings were not audited"
		if len(s.prob) > 0 {
			msg += ": " + s.prob[0].String()
		}
		add = append(add, Finding{ID: "config.unparseable", Severity: High, Message: msg, Fix: "fix it (`hermes doctor` shows where), then audit again"})
		s.cfg = config.Default()
	}
	env, _, err := config.LoadEnv(h.Path(home.EnvFile))
	if err != nil {
		add = append(add, Finding{ID: "env.unparseable", Severity: Medium, Message: ".env does not parse, so allowlists were audited from the environment only", Fix: "fix .env (`hermes doctor` shows the line)"})
		env, _ = config.ParseEnv(home.EnvFile, nil)
	}
	s.env = env
	for _, r := range rules {
		add = append(add, r(s)...)
	}
	red := redact.Default()
	for _, f := range add {
		f.Message, f.Fix = red.String(f.Message), red.String(f.Fix)
		rep.Findings = append(rep.Findings, f)
		switch f.Severity {
		case High:
			rep.High++
		case Medium:
			rep.Medium++
		case Low:
			rep.Low++
		default:
			rep.Info++
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool { return rep.Findings[i].Severity.rank() < rep.Findings[j].Severity.rank() })
	return rep, nil
}

// Render prints the findings, worst first, then a summary line.
func Render(w io.Writer, rep Report) {
	if len(rep.Findings) == 0 {
		fmt.Fprintf(w, "No findings for %s\n", rep.Home)
		return
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "%-6s %s\n       %s\n", strings.ToUpper(string(f.Severity)), f.ID, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "       fix: %s\n", f.Fix)
		}
	}
	fmt.Fprintf(w, "\n%d finding(s): %d high, %d medium, %d low, %d info\n", len(rep.Findings), rep.High, rep.Medium, rep.Low, rep.Info)
}

// loopback reports whether a listen address stays on this machine.
func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// chatPlatforms are the enabled platforms people chat on, by env prefix.
func chatPlatforms(c *config.Config) map[string]config.Chat {
	p := c.Platforms
	out := map[string]config.Chat{}
	for name, ch := range map[string]config.Chat{
		"telegram": p.Telegram.Chat, "discord": p.Discord.Chat, "slack": p.Slack.Chat, "matrix": p.Matrix.Chat, "email": p.Email.Chat,
	} {
		if ch.Enabled {
			out[name] = ch
		}
	}
	return out
}

// messaging lists what can reach the agent from outside: enabled chat
// platforms, the API server and webhooks.
func messaging(c *config.Config) []string {
	var out []string
	for n := range chatPlatforms(c) {
		out = append(out, n)
	}
	if c.Platforms.APIServer.Enabled {
		out = append(out, "api_server")
	}
	if c.Platforms.Webhooks.Enabled {
		out = append(out, "webhooks")
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
