package cli

import (
	"fmt"
	"path/filepath"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llm/pool"
)

// pools opens the active profile's credential pools, once; Main flushes
// their pending request counts when the command ends.
func (a *App) pools() (*pool.Store, error) {
	if a.poolStore != nil {
		return a.poolStore, nil
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	a.poolStore = pool.Open(filepath.Join(h.Dir, home.AuthFile), clock.Real{})
	return a.poolStore, nil
}

// envLookup reads a variable from the process environment, then .env.
func (a *App) envLookup() (func(string) (string, bool), error) {
	env, err := a.Env()
	if err != nil {
		return nil, err
	}
	return func(name string) (string, bool) {
		if v := a.Getenv(name); v != "" {
			return v, true
		}
		v, ok := env.Lookup(name)
		return v, ok && v != ""
	}, nil
}

// keyStatus says where an endpoint's keys come from, masked.
func keyStatus(ep llm.Endpoint, lookup func(string) (string, bool), pools *pool.Store) string {
	var parts []string
	if ep.KeyEnv != "" {
		if v, ok := lookup(ep.KeyEnv); ok {
			parts = append(parts, fmt.Sprintf("%s (%s)", ep.KeyEnv, pool.Mask(v)))
		} else if !ep.Keyless {
			parts = append(parts, ep.KeyEnv+" is not set")
		}
	}
	if ep.Pool != "" && pools != nil {
		if p, err := pools.Pool(ep.Pool); err == nil {
			manual := 0
			for _, e := range p.Entries {
				if e.Source == "manual" {
					manual++
				}
			}
			if manual > 0 {
				parts = append(parts, fmt.Sprintf("%d key%s in the pool", manual, plural(manual)))
			}
		}
	}
	switch {
	case len(parts) == 0 && ep.Keyless:
		return "none needed"
	case len(parts) == 0:
		return "none"
	case len(parts) == 1:
		return parts[0]
	}
	return parts[0] + "; " + parts[1]
}

// checkProvider refuses a provider name config would not accept.
func checkProvider(cfg *config.Config, name string) error {
	if config.IsBuiltinProvider(name) {
		return nil
	}
	if _, ok := cfg.Providers[name]; ok {
		return nil
	}
	return usageError{fmt.Errorf("unknown provider %q: want openrouter, openai, anthropic, ollama, custom, or a name under providers: in config.yaml", name)}
}
