package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/hermes-go/hermes/internal/redact"
)

// checkSecrets reports every value written in the file that holds what
// the redactor would mask, under any key, known or not: config.yaml may be
// shared, secrets belong in .env. It walks the nodes as written (an
// anchored value once, aliases not again), so it spends nothing of the
// alias budget and reports each secret at the line that holds it.
func (d *decoder) checkSecrets(n ast.Node, path string, depth int) {
	if depth > 64 {
		return
	}
	switch t := unwrapNode(n).(type) {
	case *ast.MappingNode:
		for _, mv := range t.Values {
			d.checkSecretEntry(mv, path, depth)
		}
	case *ast.MappingValueNode:
		d.checkSecretEntry(t, path, depth)
	case *ast.SequenceNode:
		for i, v := range t.Values {
			d.checkSecrets(v, joinPath(path, strconv.Itoa(i)), depth+1)
		}
	case nil, *ast.AliasNode:
	default:
		s, ok := scalarText(t)
		if !ok || d.vetted[t] {
			return
		}
		masked, secret := redact.Secret(secretName(path), s)
		if !secret {
			return
		}
		d.add(Error, t, path, fmt.Sprintf("holds what looks like a secret (%s)", firstLine(masked)), secretFix(path))
		if p := &d.problems[len(d.problems)-1]; p.Source != "" {
			p.Source = strings.ReplaceAll(p.Source, s, masked)
			if m, ok := redact.Secret("", p.Source); ok {
				p.Source = m
			}
		}
	}
}

func (d *decoder) checkSecretEntry(mv *ast.MappingValueNode, path string, depth int) {
	if _, merge := mv.Key.(*ast.MergeKeyNode); merge {
		d.checkSecrets(mv.Value, path, depth+1)
		return
	}
	name := keyString(mv.Key)
	kp := joinPath(path, name)
	if masked, secret := redact.Secret("", name); secret {
		d.add(Error, mv.Key, path, fmt.Sprintf("a key holds what looks like a secret (%s)", masked), secretFix(kp))
		return
	}
	d.checkSecrets(mv.Value, kp, depth+1)
}

// secretName is the name a value at path is judged under: its key, or
// for a list item the list's key (args, not 0).
func secretName(path string) string {
	segs := strings.Split(path, ".")
	for i := len(segs) - 1; i >= 0; i-- {
		if _, err := strconv.Atoi(segs[i]); err != nil {
			return segs[i]
		}
	}
	return ""
}

// secretFix says where the secret at path goes instead: a .env variable,
// referred to as ${VAR} where hermes reads references (an MCP server's
// env, headers, url and args) or named by key_env for a model endpoint.
func secretFix(path string) string {
	segs := strings.Split(path, ".")
	const where = "config.yaml may be shared: put it in the .env beside it as "
	if len(segs) >= 3 && segs[0] == "mcp_servers" {
		name := envName(segs[1] + "_" + segs[len(segs)-1])
		if segs[2] == "env" && len(segs) == 4 {
			name = envName(segs[3])
		}
		if len(segs) >= 4 && segs[2] == "args" {
			name = envName(segs[1] + "_ARG" + segs[3])
		}
		return where + name + "=... and write ${" + name + "} here in its place"
	}
	if at, ok := endpointOf(segs); ok && segs[len(segs)-1] != "base_url" {
		name := envName(strings.Join(append([]string(nil), segs[:len(segs)-1]...), "_") + "_API_KEY")
		if at == "model" {
			name = "MODEL_API_KEY"
		}
		return where + name + "=..., remove this key and set " + at + ".key_env: " + name
	}
	name := envName(strings.Join(segs[max(0, len(segs)-2):], "_"))
	return where + name + "=... and write ${" + name + "} in its place, or name the variable in the setting's *_env key"
}

// endpointOf returns the model endpoint a path lies under, if any: the
// sections that read their key from the variable key_env names.
func endpointOf(segs []string) (string, bool) {
	n := len(segs)
	switch {
	case n >= 2 && segs[0] == "model":
		return "model", true
	case n >= 3 && (segs[0] == "providers" || segs[0] == "auxiliary" || segs[0] == "fallback_providers"):
		return segs[0] + "." + segs[1], true
	case n >= 3 && segs[0] == "delegation" && segs[1] == "model":
		return "delegation.model", true
	}
	return "", false
}

// envName turns a key into a variable name: upper case, with _ for every
// run of other characters.
func envName(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if !under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = true
			continue
		}
		under = false
	}
	return strings.TrimSuffix(b.String(), "_")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
