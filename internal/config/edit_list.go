package config

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Append adds value (YAML, e.g. "{provider: openai, model: gpt-4o}") to
// the end of the list at key, creating the list if it is missing. The
// rest of the file, comments included, is kept; the result is validated
// before it is written.
func Append(path, key, value string) error {
	return appendTo(path, key, value, false)
}

func appendTo(path, key, value string, unique bool) error {
	segs, t, err := resolveKey(key)
	if err != nil {
		return err
	}
	if t.Kind() != reflect.Slice {
		return fmt.Errorf("%s is not a list", key)
	}
	elem, err := valueNode(t.Elem(), value)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return edit(path, func(data []byte) ([]byte, error) {
		f, seq, _, err := findSequence(data, segs)
		if err != nil {
			return nil, err
		}
		if seq == nil {
			list, _ := parseValue("[" + inline(elem) + "]")
			return setInSource(data, segs, list)
		}
		if unique && holds(seq, value) {
			return data, nil
		}
		seq.Values = append(seq.Values, listItem(seq, elem))
		if len(seq.ValueHeadComments) > 0 {
			seq.ValueHeadComments = append(seq.ValueHeadComments, nil)
		}
		return render(f), nil
	})
}

// AppendUnique is Append of a string, unless the list already holds an
// entry equal to value; then the file is left as it is. The check and the
// append happen under the config's lock, so concurrent writers never add
// the same entry twice.
func AppendUnique(path, key, value string) error {
	return appendTo(path, key, value, true)
}

// RemoveAt removes entry index (0-based) of the list at key.
func RemoveAt(path, key string, index int) error {
	segs, t, err := resolveKey(key)
	if err != nil {
		return err
	}
	if t.Kind() != reflect.Slice {
		return fmt.Errorf("%s is not a list", key)
	}
	return edit(path, func(data []byte) ([]byte, error) {
		f, seq, parent, err := findSequence(data, segs)
		if err != nil {
			return nil, err
		}
		if seq == nil || index < 0 || index >= len(seq.Values) {
			n := 0
			if seq != nil {
				n = len(seq.Values)
			}
			return nil, fmt.Errorf("%s has no entry %d (it has %d)", key, index+1, n)
		}
		seq.Values = append(seq.Values[:index], seq.Values[index+1:]...)
		if index < len(seq.ValueHeadComments) {
			seq.ValueHeadComments = append(seq.ValueHeadComments[:index], seq.ValueHeadComments[index+1:]...)
		}
		if len(seq.Values) == 0 {
			empty, _ := parseValue("[]") // "key: []" rather than a null
			parent.Value = empty
		}
		return render(f), nil
	})
}

// findSequence parses data and finds the list at segs and the key that
// holds it; seq is nil when the key is missing or null.
func findSequence(data []byte, segs []string) (*ast.File, *ast.SequenceNode, *ast.MappingValueNode, error) {
	f, err := parseYAML(data, parser.ParseComments)
	if err != nil {
		d := newDecoder(FileName, data)
		return nil, nil, nil, &LoadError{Path: FileName, Problems: []Problem{d.syntaxProblem(err)}}
	}
	body, _ := documentBody(f)
	n := body
	var parent *ast.MappingValueNode
	for _, s := range segs {
		mvs, ok := mappingValues(unwrapNode(n))
		if !ok {
			return f, nil, nil, nil
		}
		n, parent = nil, nil
		for _, mv := range mvs {
			if keyString(mv.Key) == s {
				n, parent = mv.Value, mv
			}
		}
	}
	n = unwrapNode(n)
	if isNull(n) {
		return f, nil, nil, nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, nil, nil, fmt.Errorf("%s is not a list in config.yaml; fix it by hand first", strings.Join(segs, "."))
	}
	return f, seq, parent, nil
}

// holds reports whether seq has a scalar entry equal to value.
func holds(seq *ast.SequenceNode, value string) bool {
	for _, v := range seq.Values {
		var s string
		if err := yaml.NodeToValue(v, &s); err == nil && s == value {
			return true
		}
	}
	return false
}

// listItem shapes elem for seq: inline in a flow list, aligned with the
// other entries in a block list.
func listItem(seq *ast.SequenceNode, elem ast.Node) ast.Node {
	if seq.IsFlowStyle || len(seq.Values) == 0 {
		n, _ := parseValue(inline(elem))
		return n
	}
	sf, err := parseYAML([]byte("- "+block(elem)+"\n"), 0)
	if err != nil {
		return elem
	}
	body, _ := documentBody(sf)
	item := body.(*ast.SequenceNode).Values[0]
	_, want := position(seq.Values[0])
	_, got := position(item)
	item.AddColumn(want - got)
	return item
}

// block renders a node in block style, indented to follow "- ". The
// value is re-marshalled (keys in order): a node parsed from flow text
// keeps its flow columns and would not indent as a block.
func block(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.SequenceNode:
	default:
		// A scalar reads the same in both styles; re-marshalling the value
		// of a quoted one would quote its quotes.
		return inline(n)
	}
	var v any
	if err := yaml.NodeToValue(n, &v, yaml.UseOrderedMap()); err != nil {
		return inline(n)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		return inline(n)
	}
	return strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "\n  ")
}

// inline renders a node on one line (flow style).
func inline(n ast.Node) string {
	if m, ok := n.(*ast.MappingNode); ok {
		m.SetIsFlowStyle(true)
	}
	if s, ok := n.(*ast.SequenceNode); ok {
		s.SetIsFlowStyle(true)
	}
	return strings.TrimSpace(n.String())
}

// QuoteScalar writes s as a YAML scalar, quoted only when it must be.
func QuoteScalar(s string) string { return quoteKey(s) }

func render(f *ast.File) []byte {
	return []byte(strings.TrimRight(f.String(), "\n") + "\n")
}
