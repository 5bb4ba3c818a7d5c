package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// Set changes one key of the config file at path and writes the file
// atomically, keeping every comment and the order of keys. value is YAML
// for lists, mappings, numbers and booleans, and plain text for strings
// (so `config set model.default 4` stores the string "4"). The whole
// resulting file is validated first; on any error nothing is written.
func Set(path, key, value string) error {
	return SetMany(path, []KeyValue{{Key: key, Value: value}})
}

// KeyValue is one key to set and its value; Unset removes the key
// instead (a no-op when it is not there), so its default applies.
type KeyValue struct {
	Key, Value string
	Unset      bool
}

// SetMany sets several keys in one atomic write: the file is validated
// only with all of them applied, so keys that must change together (a
// provider and its base_url) never pass through an invalid state.
func SetMany(path string, kvs []KeyValue) error {
	type change struct {
		segs []string
		node ast.Node
	}
	changes := make([]change, 0, len(kvs))
	for _, kv := range kvs {
		segs, leaf, err := resolveKey(kv.Key)
		if err != nil {
			return err
		}
		var node ast.Node
		if !kv.Unset {
			if node, err = valueNode(leaf, kv.Value); err != nil {
				return fmt.Errorf("%s: %w", kv.Key, err)
			}
		}
		changes = append(changes, change{segs, node})
	}
	return edit(path, func(data []byte) ([]byte, error) {
		for _, c := range changes {
			out, err := setInSource(data, c.segs, c.node)
			if err != nil {
				return nil, err
			}
			data = out
		}
		return data, nil
	})
}

// edit reads the config file, applies change to its text, validates the
// result as a whole and writes it atomically with the file's mode. On any
// error nothing is written.
func edit(path string, change func([]byte) ([]byte, error)) error {
	return fileutil.WithLock(context.Background(), LockPath(path), editLockTimeout, func() error {
		return editLocked(path, change)
	})
}

// editLockTimeout bounds the wait for another process editing the file.
const editLockTimeout = 10 * time.Second

// LockPath is the advisory lock every writer of the config file at path
// holds while it reads, changes and replaces it, so two processes (hermes
// config set, an "always" approval, hermes fallback add) never lose each
// other's edits.
func LockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

func editLocked(path string, change func([]byte) ([]byte, error)) error {
	data, mode, err := readForEdit(path)
	if err != nil {
		return err
	}
	_, before := Parse(filepath.Base(path), data)
	out, err := change(data)
	if err != nil {
		if HasErrors(before) {
			// The file cannot be edited as it is (a YAML syntax error):
			// show what is wrong with it, not what the edit tripped on.
			return &LoadError{Path: path, Problems: before}
		}
		return err
	}
	if bytes.Equal(out, data) {
		if HasErrors(before) {
			return &LoadError{Path: path, Problems: before}
		}
		return nil
	}
	_, after := Parse(filepath.Base(path), out)
	if !HasErrors(after) {
		return fileutil.WriteFile(path, out, mode)
	}
	if HasErrors(before) && repairs(before, after) {
		// A broken file may be repaired one key at a time: the change
		// is written when it fixes problems and brings in none.
		if err := fileutil.WriteFile(path, out, mode); err != nil {
			return err
		}
		return &LoadError{Path: path, Problems: after, Written: true}
	}
	if HasErrors(before) {
		return &LoadError{Path: path, Problems: before}
	}
	return changeError(path, after)
}

// repairs reports whether after has fewer errors than before and none
// that before did not have.
func repairs(before, after []Problem) bool {
	had := map[string]bool{}
	n := 0
	for _, p := range before {
		if p.Severity == Error {
			had[p.Path+"\x00"+p.Msg] = true
			n++
		}
	}
	m := 0
	for _, p := range after {
		if p.Severity != Error {
			continue
		}
		if !had[p.Path+"\x00"+p.Msg] {
			return false
		}
		m++
	}
	return m < n
}

// changeError explains why a change was refused: the file was valid
// before, so every error is the change's doing. Each names the line the
// change would have written (FILE:LINE: KEY: what is wrong; the fix).
func changeError(path string, problems []Problem) error {
	var msgs []string
	for _, p := range problems {
		if p.Severity != Error {
			continue
		}
		msg := p.Msg
		if p.Path != "" {
			msg = p.Path + ": " + msg
		}
		if p.Line > 0 {
			msg = fmt.Sprintf("%s:%d: %s", filepath.Base(path), p.Line, msg)
		}
		if p.Hint != "" {
			msg += "; " + p.Hint
		}
		msgs = append(msgs, msg)
	}
	return fmt.Errorf("%s (%s is unchanged)", strings.Join(msgs, "\n"), filepath.Base(path))
}

// readForEdit reads the file and its mode; a missing file is empty and
// will be created private.
func readForEdit(path string) ([]byte, os.FileMode, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileutil.PrivateFile, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read config: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read config: %w", err)
	}
	return data, fi.Mode().Perm(), nil
}

// resolveKey splits a dotted key and checks it against the schema,
// returning its segments and the type of the value it names.
func resolveKey(key string) ([]string, reflect.Type, error) {
	if key == "" {
		return nil, nil, fmt.Errorf("no key given; keys look like agent.max_turns")
	}
	segs := strings.Split(key, ".")
	t := reflect.TypeOf(Config{})
	path := ""
	for i, s := range segs {
		if s == "" {
			return nil, nil, fmt.Errorf("%s: empty part in the key", key)
		}
		switch {
		case t.Kind() == reflect.Pointer:
			t = t.Elem()
			fallthrough
		case isStruct(t):
			f, ok := lookupField(t, s)
			if !ok {
				names := make([]string, 0)
				for _, f := range fieldsOf(t) {
					names = append(names, f.name)
				}
				kind := kindUnknown
				if i < len(segs)-1 {
					kind = kindSection
				}
				return nil, nil, unknownKeyError(joinPath(path, s), suggestKey(path, names, s, kind))
			}
			t = t.FieldByIndex(f.index).Type
		case t.Kind() == reflect.Map:
			t = t.Elem()
		case t.Kind() == reflect.Slice:
			if _, err := strconv.Atoi(s); err != nil {
				return nil, nil, fmt.Errorf("%s: %s is a list; index it with a number (%s.0)", key, path, path)
			}
			t = t.Elem()
		default:
			return nil, nil, fmt.Errorf("%s: %s is a single value and has no key %q", key, path, s)
		}
		path = joinPath(path, s)
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return segs, t, nil
}

// UnknownKeyError is a key that is not in the schema.
type UnknownKeyError struct {
	Key, Suggestion string
}

func (e *UnknownKeyError) Error() string {
	msg := "unknown key " + e.Key
	if e.Suggestion != "" {
		msg += "; " + didYouMean(e.Suggestion)
	}
	return msg
}

func unknownKeyError(key, suggestion string) error {
	return &UnknownKeyError{Key: key, Suggestion: suggestion}
}

// valueNode builds the YAML node for value as the type t.
func valueNode(t reflect.Type, value string) (ast.Node, error) {
	if t.Kind() == reflect.String {
		if strings.ContainsAny(value, "\n\r") {
			return parseValue(strconv.Quote(value))
		}
		return yaml.ValueToNode(value)
	}
	return parseValue(value)
}

func parseValue(value string) (ast.Node, error) {
	f, err := parseYAML([]byte(value), 0)
	if err != nil {
		return nil, fmt.Errorf("the value is not valid YAML: %v", err)
	}
	body, extra := documentBody(f)
	if extra != nil {
		return nil, fmt.Errorf("the value holds more than one YAML document")
	}
	if body == nil {
		return yaml.ValueToNode(nil)
	}
	return body, nil
}

// setInSource sets segs to node in the YAML text, creating the missing
// parents, and returns the new text.
func setInSource(data []byte, segs []string, node ast.Node) ([]byte, error) {
	f, err := parseYAML(data, parser.ParseComments)
	if err != nil {
		d := newDecoder(FileName, data)
		return nil, &LoadError{Path: FileName, Problems: []Problem{d.syntaxProblem(err)}}
	}
	body, _ := documentBody(f)
	if node == nil {
		if m, ok := body.(*ast.MappingNode); ok {
			unsetIn(m, segs)
			return render(f), nil
		}
		return data, nil
	}
	if _, ok := body.(*ast.CommentGroupNode); ok || body == nil {
		// Nothing but comments (or nothing): append the new key.
		text := strings.TrimRight(string(data), "\n")
		if text != "" {
			text += "\n"
		}
		return []byte(text + snippet(segs, node)), nil
	}
	if mv, ok := body.(*ast.MappingValueNode); ok {
		// A one-key document: make it a mapping so keys can be added.
		m := ast.Mapping(mv.GetToken(), false, mv)
		for _, doc := range f.Docs {
			if doc != nil && doc.Body == body {
				doc.Body = m
			}
		}
		body = m
	}
	if err := setIn(body, segs, node, 0); err != nil {
		return nil, err
	}
	return render(f), nil
}

// unsetIn removes the key at segs under m, if it is there.
func unsetIn(m *ast.MappingNode, segs []string) {
	for i, mv := range m.Values {
		if keyString(mv.Key) != segs[0] {
			continue
		}
		if len(segs) == 1 {
			m.Values = append(m.Values[:i], m.Values[i+1:]...)
			return
		}
		if child, ok := unwrapNode(mv.Value).(*ast.MappingNode); ok {
			unsetIn(child, segs[1:])
		}
		return
	}
}

// setIn walks n along segs and replaces or creates the value.
func setIn(n ast.Node, segs []string, node ast.Node, depth int) error {
	if depth > 32 {
		return fmt.Errorf("config set: the key is nested too deeply")
	}
	n = unwrapNode(n)
	if seq, ok := n.(*ast.SequenceNode); ok {
		return setInSequence(seq, segs, node, depth)
	}
	mvs, ok := mappingValues(n)
	if !ok {
		return fmt.Errorf("%s is not a mapping in config.yaml; fix it by hand first", segs[0])
	}
	for _, mv := range mvs {
		if keyString(mv.Key) != segs[0] {
			continue
		}
		if len(segs) == 1 {
			replaceValue(mv, node)
			return nil
		}
		if isNull(unwrapNode(mv.Value)) {
			m := parseSnippet(segs[1:], node)
			m.AddColumn(mv.Key.GetToken().Position.Column + 1)
			mv.Value = m
			return nil
		}
		return setIn(mv.Value, segs[1:], node, depth+1)
	}
	m := parseSnippet(segs, node)
	switch t := n.(type) {
	case *ast.MappingNode:
		if t.IsFlowStyle {
			m.SetIsFlowStyle(true)
		}
		t.Merge(m)
	default:
		return fmt.Errorf("cannot add %s here; edit config.yaml by hand", segs[0])
	}
	return nil
}

func setInSequence(seq *ast.SequenceNode, segs []string, node ast.Node, depth int) error {
	i, err := strconv.Atoi(segs[0])
	if err != nil || i < 0 || i >= len(seq.Values) {
		return fmt.Errorf("list index %s is out of range (the list has %d entries)", segs[0], len(seq.Values))
	}
	if len(segs) == 1 {
		col := seq.Values[i].GetToken().Position.Column
		node.AddColumn(col - 1)
		node.SetComment(seq.Values[i].GetComment())
		seq.Values[i] = node
		return nil
	}
	return setIn(seq.Values[i], segs[1:], node, depth+1)
}

// replaceValue puts node in place of mv's value, keeping its comment and
// indenting a block value under the key.
func replaceValue(mv *ast.MappingValueNode, node ast.Node) {
	if c := mv.Value.GetComment(); c != nil {
		_ = node.SetComment(c)
	}
	switch node.(type) {
	case *ast.MappingNode, *ast.SequenceNode:
		node.AddColumn(mv.Key.GetToken().Position.Column + 1)
	}
	mv.Value = node
}

// snippet writes "a:\n  b: VALUE\n" for segs [a b].
func snippet(segs []string, node ast.Node) string {
	var b strings.Builder
	for i, s := range segs {
		b.WriteString(strings.Repeat("  ", i))
		b.WriteString(quoteKey(s))
		b.WriteString(":")
		if i < len(segs)-1 {
			b.WriteString("\n")
		}
	}
	val := strings.TrimRight(node.String(), "\n")
	switch node.(type) {
	case *ast.MappingNode, *ast.SequenceNode:
		if !strings.HasPrefix(val, "{") && !strings.HasPrefix(val, "[") {
			indent := strings.Repeat("  ", len(segs))
			b.WriteString("\n" + indent + strings.ReplaceAll(strings.TrimRight(val, "\n"), "\n", "\n"+indent) + "\n")
			return b.String()
		}
	}
	b.WriteString(" " + val + "\n")
	return b.String()
}

// parseSnippet builds the mapping for segs = VALUE as a node at column 1.
func parseSnippet(segs []string, node ast.Node) *ast.MappingNode {
	f, err := parser.ParseBytes([]byte(snippet(segs, node)), parser.ParseComments)
	if err != nil {
		panic(fmt.Sprintf("config: snippet for %v does not parse: %v", segs, err))
	}
	body, _ := documentBody(f)
	switch b := body.(type) {
	case *ast.MappingNode:
		return b
	case *ast.MappingValueNode:
		return ast.Mapping(b.GetToken(), false, b)
	}
	panic(fmt.Sprintf("config: snippet for %v is a %T", segs, body))
}

func quoteKey(s string) string {
	n, err := yaml.ValueToNode(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return n.String()
}

func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch t := n.(type) {
	case *ast.MappingNode:
		return t.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{t}, true
	}
	return nil, false
}

// unwrapNode looks through anchors and tags (not aliases: an edit goes to
// the place the user wrote).
func unwrapNode(n ast.Node) ast.Node {
	for range 32 {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.TagNode:
			n = t.Value
		default:
			return n
		}
	}
	return n
}
