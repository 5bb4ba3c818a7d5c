package migrate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// leaf is one value of a foreign config file: its dotted path, the line
// it is on, and its value (a scalar, or a whole list).
type leaf struct {
	Path  string
	Line  int
	Value any
}

// maxLeaves bounds what one config file may hold.
const maxLeaves = 100000

// leaves parses YAML (or JSON, which is YAML) and lists its leaves in
// file order. Lists are leaves; mappings are walked.
func leaves(data []byte) ([]leaf, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s", oneLine(yaml.FormatError(err, false, false)))
	}
	var out []leaf
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if err := walk(doc.Body, "", &out, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func walk(n ast.Node, path string, out *[]leaf, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%s: nested too deep", path)
	}
	if len(*out) > maxLeaves {
		return fmt.Errorf("more than %d values", maxLeaves)
	}
	switch x := n.(type) {
	case *ast.DocumentNode:
		if x.Body == nil {
			return nil
		}
		return walk(x.Body, path, out, depth+1)
	case *ast.TagNode:
		return walk(x.Value, path, out, depth+1)
	case *ast.AnchorNode:
		return walk(x.Value, path, out, depth+1)
	case *ast.CommentGroupNode:
		return nil
	case *ast.MappingNode:
		for _, kv := range x.Values {
			if err := walkPair(kv, path, out, depth); err != nil {
				return err
			}
		}
		return nil
	case *ast.MappingValueNode:
		return walkPair(x, path, out, depth)
	}
	var v any
	if err := yaml.NodeToValue(n, &v); err != nil {
		return fmt.Errorf("%s: %w", orRoot(path), err)
	}
	line := 0
	if t := n.GetToken(); t != nil && t.Position != nil {
		line = t.Position.Line
	}
	*out = append(*out, leaf{Path: path, Line: line, Value: v})
	return nil
}

func walkPair(kv *ast.MappingValueNode, path string, out *[]leaf, depth int) error {
	if kv == nil || kv.Key == nil {
		return nil
	}
	var k any
	if err := yaml.NodeToValue(kv.Key, &k); err != nil {
		return err
	}
	key := fmt.Sprint(k)
	if key == "<<" {
		return fmt.Errorf("%s: merge keys (<<) are not read: write the values out", orRoot(path))
	}
	p := key
	if path != "" {
		p = path + "." + key
	}
	if kv.Value == nil {
		*out = append(*out, leaf{Path: p, Line: kv.Key.GetToken().Position.Line})
		return nil
	}
	// a key's line is where the key is, also for a block under it
	before := len(*out)
	if err := walk(kv.Value, p, out, depth+1); err != nil {
		return err
	}
	if len(*out) == before+1 && (*out)[before].Line == 0 {
		(*out)[before].Line = kv.Key.GetToken().Position.Line
	}
	return nil
}

func orRoot(p string) string {
	if p == "" {
		return "(top)"
	}
	return p
}

// rule maps a source key onto ours. Src and Dst may hold one "*" (a
// name: a provider, an MCP server). Conv turns the value into ours; it
// returns a reason when the value has no equivalent. A rule with no Dst
// documents a key we knowingly do not bring over.
type rule struct {
	Src, Dst string
	Conv     func(v any) (string, string)
	Why      string // for rules with no Dst
	re       *regexp.Regexp
}

func compile(rules []rule) []rule {
	for i := range rules {
		pat := "^" + strings.ReplaceAll(regexp.QuoteMeta(rules[i].Src), `\*`, `([^.]+)`) + "$"
		rules[i].re = regexp.MustCompile(pat)
	}
	return rules
}

// mapLeaves turns a file's leaves into config values and report items.
func mapLeaves(b *bundle, file string, ls []leaf, rules []rule) {
	for _, l := range ls {
		where := fmt.Sprintf("%s:%d", file, l.Line)
		r, name := match(rules, l.Path)
		switch {
		case r == nil:
			b.note("config", l.Path, NoEquivalent, "no hermes setting matches", where)
		case r.Dst == "":
			b.note("config", l.Path, NoEquivalent, r.Why, where)
		default:
			conv := r.Conv
			if conv == nil {
				conv = plain
			}
			v, why := conv(l.Value)
			if why != "" {
				b.note("config", l.Path, NoEquivalent, why, where)
				continue
			}
			dst := strings.Replace(r.Dst, "*", name, 1)
			if strings.HasPrefix(dst, "env:") {
				b.env = append(b.env, envValue{Name: strings.TrimPrefix(dst, "env:"), Src: l.Path, Where: where, Value: v})
				continue
			}
			b.config = append(b.config, configValue{Src: l.Path, Where: where, Key: dst, Value: v})
		}
	}
}

func match(rules []rule, path string) (*rule, string) {
	for i := range rules {
		if m := rules[i].re.FindStringSubmatch(path); m != nil {
			name := ""
			if len(m) > 1 {
				name = m[1]
			}
			return &rules[i], name
		}
	}
	return nil, ""
}

// plain keeps a scalar or list as it is.
func plain(v any) (string, string) {
	if v == nil {
		return "", "empty"
	}
	return render(v), ""
}

// oneOf keeps a value that is one of ours, mapping some names.
func oneOf(m map[string]string) func(any) (string, string) {
	return func(v any) (string, string) {
		s := strings.ToLower(render(v))
		if to, ok := m[s]; ok {
			if to == "" {
				return "", fmt.Sprintf("%q has no equivalent", s)
			}
			return to, ""
		}
		return "", fmt.Sprintf("%q has no equivalent", s)
	}
}

// secret is a value for .env; an empty one is nothing to bring.
func secret(v any) (string, string) {
	s, ok := v.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return "", "empty"
	}
	if strings.HasPrefix(s, "${") {
		return "", "a reference to a variable (" + s + "), not a value: that variable comes with .env"
	}
	return s, ""
}
