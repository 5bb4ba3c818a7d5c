package doctor

import (
	"errors"
	"os"
	"regexp"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
)

// Options are what the checks take from outside the home.
type Options struct {
	// Live adds one real request per provider and starts each MCP
	// server to list its tools.
	Live bool
	// Getenv is the process environment, which wins over .env; nil is
	// os.Getenv.
	Getenv func(string) string
	// Gateway reads a home's gateway state the way `hermes gateway status`
	// does; nil skips the gateway checks.
	Gateway func(h *home.Home) (GatewayState, error)
	// Toolsets are the toolset names the tool registry provides (tools
	// Default and tools.Provided); nil skips the toolsets check.
	Toolsets []string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

func (o Options) getenv(name string) string {
	if o.Getenv == nil {
		return os.Getenv(name)
	}
	return o.Getenv(name)
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// GatewayState is what `hermes gateway status --json` says of a home.
type GatewayState struct {
	Running   bool
	PID       int
	StalePID  int // a pid file names this dead process
	Platforms map[string]Adapter
}

// Adapter is one platform's connection in a running gateway.
type Adapter struct {
	Connected bool
	Error     string
}

// target is one profile's home with its config.yaml and .env read once
// for all of its checks.
type target struct {
	h      *home.Home
	prefix string // "" for the active profile, "NAME: " for the others
	o      Options

	cfg      *config.Config // nil when config.yaml does not load
	cfgFile  bool           // config.yaml exists (else the defaults apply)
	cfgErr   error
	warnings []config.Problem // unknown keys and other warnings

	env     *config.Env // nil when .env does not parse
	envErr  error
	envWarn []config.Problem
	envText string // .env as written, to find commented-out keys
}

func loadTarget(h *home.Home, prefix string, o Options) *target {
	t := &target{h: h, prefix: prefix, o: o}
	l, err := config.Load(h.Path(home.ConfigFile))
	if err != nil {
		t.cfgErr = err
	} else {
		t.cfg, t.warnings, t.cfgFile = l.Config, l.Warnings, l.Exists
	}
	t.env, t.envWarn, t.envErr = config.LoadEnv(h.Path(home.EnvFile))
	if b, err := os.ReadFile(h.Path(home.EnvFile)); err == nil {
		t.envText = string(b)
	}
	return t
}

func (t *target) name(n string) string { return t.prefix + n }

// lookup reads a variable from the process environment, then .env.
func (t *target) lookup(name string) (string, bool) {
	if v := t.o.getenv(name); v != "" {
		return v, true
	}
	v, ok := t.env.Lookup(name)
	return v, ok && v != ""
}

// commentedOut returns the line of .env where name is assigned in a
// comment ("# NAME=..."), or 0.
func (t *target) commentedOut(name string) int {
	re := regexp.MustCompile(`(?m)^[ \t]*#[ \t#]*(?:export[ \t]+)?` + regexp.QuoteMeta(name) + `[ \t]*=`)
	loc := re.FindStringIndex(t.envText)
	if loc == nil {
		return 0
	}
	line := 1
	for _, c := range t.envText[:loc[0]] {
		if c == '\n' {
			line++
		}
	}
	return line
}

// messaging lists the enabled messaging platforms and services.
func messaging(c *config.Config) []string {
	var out []string
	p := c.Platforms
	for _, e := range []struct {
		name string
		on   bool
	}{
		{"telegram", p.Telegram.Enabled}, {"discord", p.Discord.Enabled}, {"slack", p.Slack.Enabled},
		{"matrix", p.Matrix.Enabled}, {"email", p.Email.Enabled}, {"api_server", p.APIServer.Enabled}, {"webhooks", p.Webhooks.Enabled},
	} {
		if e.on {
			out = append(out, e.name)
		}
	}
	return out
}

// exists reports whether path exists (without following a last link).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
