package sandbox

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
)

// PassthroughEnv returns the terminal.env_passthrough variables a backend
// hands its commands: each name looked up in the hermes home's .env, then
// in o.Env; blocked names never come back (Passthrough cannot re-allow a
// credential). Backends call it once, when they are built.
func PassthroughEnv(o Options) (map[string]string, error) {
	if len(o.Terminal.EnvPassthrough) == 0 {
		return map[string]string{}, nil
	}
	var dotenv *config.Env
	if o.HomeDir != "" {
		e, _, err := config.LoadEnv(filepath.Join(o.HomeDir, config.EnvFileName))
		if err != nil {
			return nil, fmt.Errorf("terminal.env_passthrough: %w", err)
		}
		dotenv = e
	}
	parent := map[string]string{}
	for _, kv := range o.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			parent[k] = v
		}
	}
	return Passthrough(o.Terminal.EnvPassthrough, func(name string) (string, bool) {
		if v, ok := dotenv.Lookup(name); ok {
			return v, true
		}
		v, ok := parent[name]
		return v, ok
	}), nil
}

// ChildEnv is the environment of one command: parent filtered, then the
// passthrough values, then the command's own Env (later wins), blocked
// names dropped throughout.
func ChildEnv(parent []string, pass, extra map[string]string) []string {
	all := maps.Clone(pass)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, extra)
	return FilterEnv(parent, all)
}
