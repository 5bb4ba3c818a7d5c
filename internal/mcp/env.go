package mcp

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
)

// allowedEnv names the variables of hermes's environment a stdio server
// inherits (security layer 4); XDG_* is matched by prefix.
var allowedEnv = []string{"PATH", "HOME", "USER", "LANG", "LC_ALL", "TERM", "SHELL", "TMPDIR"}

// inherited reports whether the variable name passes the allowlist.
func inherited(name string) bool {
	if strings.HasPrefix(name, "XDG_") {
		return true
	}
	for _, a := range allowedEnv {
		if name == a {
			return true
		}
	}
	return false
}

// serverEnv builds the environment of a stdio server: the allowlisted
// entries of parent, then the server's env block with ${VAR} resolved by
// lookup. The env block wins over an inherited variable of the same name.
func serverEnv(parent []string, block map[string]string, lookup func(string) (string, bool)) ([]string, error) {
	vals := map[string]string{}
	for _, kv := range parent {
		name, value, ok := strings.Cut(kv, "=")
		if ok && inherited(name) {
			vals[name] = value
		}
	}
	for name, raw := range block {
		v, err := expand(raw, lookup)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", name, err)
		}
		vals[name] = v
	}
	out := make([]string, 0, len(vals))
	for name, v := range vals {
		out = append(out, name+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

// expand replaces each ${NAME} in s with lookup(NAME). A `$` not followed
// by `{` is kept as it is; an unterminated or malformed reference, and a
// name lookup does not know, are errors that say how to fix them.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q: write ${NAME}", s)
		}
		name := s[i+2 : i+2+end]
		if !config.IsEnvName(name) {
			return "", fmt.Errorf("${%s} is not a variable reference: a name has letters, digits and _ and does not start with a digit", name)
		}
		v, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("${%s} is not set: add %s=... to the home's .env", name, name)
		}
		b.WriteString(v)
		s = s[i+2+end+1:]
	}
}

// envLookup returns the ${VAR} lookup of o: o.Env, else the process
// environment and then the home's .env (config.Env.Get's order). A .env
// that cannot be read is an error, so a server never starts with a secret
// silently missing.
func envLookup(o Options) (func(string) (string, bool), error) {
	if o.Env != nil {
		return o.Env, nil
	}
	var env *config.Env
	if o.HomeDir != "" {
		e, _, err := config.LoadEnv(filepath.Join(o.HomeDir, config.EnvFileName))
		if err != nil {
			return nil, fmt.Errorf("mcp: read .env for ${VAR} references: %w", err)
		}
		env = e
	}
	return func(name string) (string, bool) {
		if env == nil {
			return os.LookupEnv(name)
		}
		v, _, ok := env.Get(name)
		return v, ok
	}, nil
}
