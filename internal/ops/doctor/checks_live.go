package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llm/pool"
	"github.com/hermes-go/hermes/internal/mcp"
)

// LiveTimeout bounds the one request --live sends to each provider.
const LiveTimeout = 10 * time.Second

// providerChecks: with --live, one short request to the primary and to
// each fallback, each alone; 401 and 403 are an invalid key.
func (t *target) providerChecks() []Check {
	if !t.o.Live || t.cfg == nil {
		return nil
	}
	all := *t.cfg
	all.Model.AutoFallback = true
	chain, err := llm.Chain(&all)
	if err != nil {
		return []Check{Func{CheckName: t.name("providers"), Fn: func(context.Context) []Result {
			return []Result{{Status: Fail, Message: err.Error(), Fix: "fix the model section with `hermes model set`"}}
		}}}
	}
	var out []Check
	for i, ep := range chain {
		role := "primary"
		if i > 0 {
			role = fmt.Sprintf("fallback %d", i)
		}
		out = append(out, Func{CheckName: t.name("provider " + ep.Label()), Timeout: LiveTimeout + 2*time.Second,
			Fn: func(ctx context.Context) []Result { return t.liveRequest(ctx, role, ep) }})
	}
	return out
}

func (t *target) liveRequest(ctx context.Context, role string, ep llm.Endpoint) []Result {
	ep.Timeout = LiveTimeout
	ctx, cancel := context.WithTimeout(ctx, LiveTimeout)
	defer cancel()
	// Keys added with `hermes auth add` are tried as the agent would; the
	// pool records the request as `hermes model test` does.
	var pools *pool.Store
	if ep.Pool != "" && exists(t.h.Path(home.AuthFile)) {
		pools = pool.Open(t.h.Path(home.AuthFile), clock.Real{})
		defer pools.Flush()
	}
	r := llm.NewRouter([]llm.Endpoint{ep}, llm.Options{Pools: pools, Env: t.lookup, Retries: 0})
	start := time.Now()
	_, err := r.Chat(ctx, llm.Request{MaxTokens: 16, Messages: []llm.Message{{Role: llm.RoleUser, Content: "Reply with the single word OK."}}}, nil)
	if err == nil {
		return []Result{{Status: OK, Message: fmt.Sprintf("%s answered in %s", role, time.Since(start).Round(time.Millisecond))}}
	}
	var ce *llm.ChainError
	if errors.As(err, &ce) && len(ce.Errors) == 1 {
		err = ce.Errors[0]
	}
	var le *llm.Error
	if errors.As(err, &le) {
		switch le.Kind {
		case llm.KindAuth:
			return []Result{{Status: Fail, Message: fmt.Sprintf("%s: invalid key (%d from %s)", role, le.Status, ep.Host()),
				Fix: fmt.Sprintf("replace %s in .env with a valid key (or `hermes auth add %s --key ...`)", keyName(ep), ep.Provider)}}
		case llm.KindNoKey:
			return []Result{{Status: Fail, Message: role + ": " + le.Message, Fix: fmt.Sprintf("add %s=... to .env", keyName(ep))}}
		case llm.KindTimeout:
			return []Result{{Status: Fail, Message: fmt.Sprintf("%s: no answer within %s", role, LiveTimeout), Fix: "check the network and " + ep.BaseURL}}
		}
	}
	return []Result{{Status: Fail, Message: role + ": " + err.Error(), Fix: "run `hermes model test` for details"}}
}

func keyName(ep llm.Endpoint) string {
	if ep.KeyEnv != "" {
		return ep.KeyEnv
	}
	return "its key"
}

var refRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// mcpChecks: offline, every enabled server's command is installed and its
// ${VAR} references are set; with --live, each starts and lists its tools.
func (t *target) mcpChecks() []Check {
	if t.cfg == nil || len(t.cfg.MCPServers) == 0 {
		return nil
	}
	var out []Check
	for _, n := range sortedKeys(t.cfg.MCPServers) {
		s := t.cfg.MCPServers[n]
		if !s.Enabled {
			continue
		}
		timeout := DefaultDeadline
		if t.o.Live {
			timeout = 35 * time.Second
			if d := time.Duration(s.ConnectTimeout); d > 0 {
				timeout = d + 5*time.Second
			}
		}
		out = append(out, Func{CheckName: t.name("mcp " + n), Timeout: timeout, Fn: func(ctx context.Context) []Result {
			if r := t.mcpOffline(s); r != nil {
				return r
			}
			if !t.o.Live {
				what := s.URL
				if s.Command != "" {
					what = s.Command
				}
				return []Result{{Status: OK, Message: what + " (configured; --live starts it)"}}
			}
			rep, err := mcp.Test(ctx, n, s, mcp.Options{HomeDir: t.h.Dir, Env: t.lookup, StartTimeout: timeout - 5*time.Second})
			if err != nil {
				return []Result{{Status: Fail, Message: err.Error(), Fix: "run `hermes mcp test " + n + "` for details"}}
			}
			return []Result{{Status: OK, Message: fmt.Sprintf("started in %s, %d tool(s)", rep.Start.Round(time.Millisecond), len(rep.Tools))}}
		}})
	}
	return out
}

func (t *target) mcpOffline(s configMCP) []Result {
	if s.Command != "" {
		if filepath.IsAbs(s.Command) {
			if _, err := os.Stat(s.Command); err != nil {
				return []Result{{Status: Fail, Message: err.Error(), Fix: "install it, or fix the command in mcp_servers"}}
			}
		} else if _, err := exec.LookPath(s.Command); err != nil {
			return []Result{{Status: Fail, Message: s.Command + " is not on PATH", Fix: "install it, or give its full path in mcp_servers"}}
		}
	}
	texts := append([]string{s.URL, s.Cwd}, s.Args...)
	for _, v := range s.Env {
		texts = append(texts, v)
	}
	for _, v := range s.Headers {
		texts = append(texts, v)
	}
	for _, x := range texts {
		for _, m := range refRE.FindAllStringSubmatch(x, -1) {
			if _, ok := t.lookup(m[1]); !ok {
				msg := "${" + m[1] + "} is not set"
				if line := t.commentedOut(m[1]); line > 0 {
					msg += fmt.Sprintf(" (it is commented out in .env line %d)", line)
				}
				return []Result{{Status: Fail, Message: msg, Fix: "add " + m[1] + "=... to .env"}}
			}
		}
	}
	return nil
}

type configMCP = config.MCPServer
