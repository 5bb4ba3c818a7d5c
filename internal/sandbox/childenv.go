package sandbox

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
)

// PassthroughEnv returns the terminal.env_passthrough variables a backend
// hands its commands: each name looked up in the hermes home's .env, then
// in o.Env. Reserved names never come back, nor the key_env of any
// provider the home's config.yaml configures (model, providers,
// fallback_providers, auxiliary): passthrough cannot hand a command the
// keys hermes itself uses. Backends call it once, when they are built.
func PassthroughEnv(o Options) (map[string]string, error) {
	if len(o.Terminal.EnvPassthrough) == 0 {
		return map[string]string{}, nil
	}
	var dotenv *config.Env
	names := o.Terminal.EnvPassthrough
	if o.HomeDir != "" {
		keys := ProviderKeys(o.HomeDir)
		names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return keys[strings.ToUpper(n)] })
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
	return Passthrough(names, func(name string) (string, bool) {
		if v, ok := dotenv.Lookup(name); ok {
			return v, true
		}
		v, ok := parent[name]
		return v, ok
	}), nil
}

// ChildEnv is the environment of one command: parent filtered (FilterEnv:
// no Blocked name, no value the redactor would mask), then the passthrough
// values, then the command's own Env (later wins), Reserved names dropped
// throughout.
func ChildEnv(parent []string, pass, extra map[string]string) []string {
	all := maps.Clone(pass)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, extra)
	return FilterEnv(parent, all)
}

// ProviderKeys returns the key_env names (upper case) of every provider
// the config.yaml of homeDir configures: model, providers,
// fallback_providers and auxiliary, wherever a key_env field is. A missing
// or broken file configures none (the built-in providers' keys are
// Reserved anyway).
func ProviderKeys(homeDir string) map[string]bool {
	out := map[string]bool{}
	data, err := os.ReadFile(filepath.Join(homeDir, config.FileName))
	if err != nil {
		return out
	}
	c, _ := config.Parse(config.FileName, data)
	if c != nil {
		keyEnvs(reflect.ValueOf(c), out)
	}
	return out
}

// keyEnvs collects every non-empty string field named KeyEnv under v.
func keyEnvs(v reflect.Value, out map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			keyEnvs(v.Elem(), out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Name == "KeyEnv" && f.Type.Kind() == reflect.String {
				if k := v.Field(i).String(); k != "" {
					out[strings.ToUpper(k)] = true
				}
				continue
			}
			keyEnvs(v.Field(i), out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			keyEnvs(v.Index(i), out)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			keyEnvs(it.Value(), out)
		}
	}
}

// WithoutHost returns env without the variables hostOnly names (compared
// upper case): the parent environment of a backend whose commands run in a
// container or on another machine, where the host's PATH, HOME or
// SSH_AUTH_SOCK mean nothing or the wrong thing. Every backend then makes
// each command's environment with ChildEnv (or ChildEnvMap) from it, the
// PassthroughEnv values and the command's own Env: one filter, the same
// for all backends. Passthrough and a command's own Env are not subject to
// hostOnly: they were named on purpose.
func WithoutHost(env []string, hostOnly map[string]bool) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !hostOnly[strings.ToUpper(k)] {
			out = append(out, kv)
		}
	}
	return out
}

// ChildEnvMap is ChildEnv as a map, for backends that send variables by
// name through a shell (ssh, singularity's env file): names a POSIX shell
// cannot export are left out.
func ChildEnvMap(parent []string, pass, extra map[string]string) map[string]string {
	out := map[string]string{}
	for _, kv := range ChildEnv(parent, pass, extra) {
		if k, v, ok := strings.Cut(kv, "="); ok && config.IsEnvName(k) {
			out[k] = v
		}
	}
	return out
}
