package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// decoder walks the YAML tree of config.yaml against the schema, assigning
// every value it can into a Config that starts from the defaults, and
// records a positioned problem for every value it cannot.
type decoder struct {
	file     string
	lines    []string
	anchors  map[string]ast.Node
	problems []Problem
	values   map[string]ast.Node // key path -> value node
	keys     map[string]ast.Node // key path -> key node
	vetted   map[ast.Node]bool   // values whose type rules out a secret: enums, numbers, booleans, durations
	aliases  int                 // alias expansions left; see maxAliases
	overrun  bool                // the budget ran out and was reported
}

// maxAliases bounds how many *alias expansions one file may cause, so a
// self-referencing or exponentially fanning file ("billion laughs") is a
// problem, not a hang or a crash.
const (
	maxAliases    = 10_000
	maxMergeDepth = 16
)

func newDecoder(file string, data []byte) *decoder {
	return &decoder{
		file:    file,
		lines:   strings.Split(string(data), "\n"),
		anchors: map[string]ast.Node{},
		values:  map[string]ast.Node{},
		keys:    map[string]ast.Node{},
		vetted:  map[ast.Node]bool{},
		aliases: maxAliases,
	}
}

// add records a problem at node n.
func (d *decoder) add(sev Severity, n ast.Node, path, msg, hint string) {
	line, col := position(n)
	d.problems = append(d.problems, Problem{
		File: d.file, Line: line, Col: col, Path: path, Msg: msg, Hint: hint,
		Severity: sev, Source: sourceLine(d.lines, line),
	})
}

// sorted returns the problems in file order.
func (d *decoder) sorted() []Problem {
	sort.SliceStable(d.problems, func(i, j int) bool {
		a, b := d.problems[i], d.problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return d.problems
}

// position returns where node n starts: for a mapping, its first key.
func position(n ast.Node) (line, col int) {
	switch t := n.(type) {
	case nil:
		return 0, 0
	case *ast.MappingNode:
		if len(t.Values) > 0 && !t.IsFlowStyle {
			return position(t.Values[0])
		}
	case *ast.MappingValueNode:
		return position(t.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// collectAnchors remembers every &anchor so *aliases can be followed.
func (d *decoder) collectAnchors(root ast.Node) {
	ast.Walk(anchorVisitor(d.anchors), root)
}

type anchorVisitor map[string]ast.Node

func (a anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.GetToken().Value] = an.Value
	}
	return a
}

// spendAlias takes one alias expansion from the budget, reporting once
// when it runs out.
func (d *decoder) spendAlias(at ast.Node) bool {
	if d.aliases > 0 {
		d.aliases--
		return true
	}
	if !d.overrun {
		d.overrun = true
		d.add(Error, at, "", fmt.Sprintf("more than %d alias expansions; the file refers to itself or fans out too far", maxAliases), "write the values out instead of nesting aliases")
	}
	return false
}

// unwrap looks through anchors, tags and aliases to the node that holds
// the value.
func (d *decoder) unwrap(n ast.Node) ast.Node {
	for range 32 {
		n = unwrapNode(n)
		alias, ok := n.(*ast.AliasNode)
		if !ok {
			return n
		}
		if alias.Value == nil || !d.spendAlias(alias) {
			return nil
		}
		if n, ok = d.anchors[alias.Value.GetToken().Value]; !ok {
			return nil
		}
	}
	return nil
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return n == nil || ok
}

// entry is one key: value of a mapping; merged entries come from `<<:`.
type entry struct {
	key    ast.Node
	value  ast.Node
	merged bool
}

// entries lists the key: value pairs of a mapping node, merge keys
// expanded first so the mapping's own keys override them.
func (d *decoder) entries(n ast.Node) ([]entry, bool) {
	return d.entriesDepth(n, 0)
}

func (d *decoder) entriesDepth(n ast.Node, depth int) ([]entry, bool) {
	var mvs []*ast.MappingValueNode
	switch t := n.(type) {
	case *ast.MappingNode:
		mvs = t.Values
	case *ast.MappingValueNode:
		mvs = []*ast.MappingValueNode{t}
	default:
		return nil, false
	}
	var merged, own []entry
	for _, mv := range mvs {
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			if depth >= maxMergeDepth {
				d.add(Error, mv.Key, "", fmt.Sprintf("merge keys (<<) nested more than %d deep", maxMergeDepth), "")
				continue
			}
			merged = append(merged, d.mergeEntries(mv.Value, depth+1)...)
			continue
		}
		own = append(own, entry{key: mv.Key, value: mv.Value})
	}
	return append(merged, own...), true
}

func (d *decoder) mergeEntries(v ast.Node, depth int) []entry {
	v = d.unwrap(v)
	var out []entry
	if seq, ok := v.(*ast.SequenceNode); ok {
		for _, item := range seq.Values {
			out = append(out, d.mergeEntries(d.unwrap(item), depth)...)
		}
		return out
	}
	es, _ := d.entriesDepth(v, depth)
	for _, e := range es {
		e.merged = true
		out = append(out, e)
	}
	return out
}

// keepEntry decides what a repeated key means: the mapping's own key
// overrides a merged one; among merged ones the first wins (YAML's merge
// rule); two own keys are a duplicate, reported here.
func (d *decoder) keepEntry(first, again entry, path string) bool {
	switch {
	case again.merged:
		return false
	case first.merged:
		return true
	}
	line, _ := position(first.key)
	d.add(Error, again.key, path, "duplicate key", fmt.Sprintf("the first is on line %d; keep one", line))
	return false
}

// keyString returns the text of a mapping key.
func keyString(k ast.Node) string {
	switch t := k.(type) {
	case *ast.StringNode:
		return t.Value
	case *ast.MappingKeyNode:
		return keyString(t.Value)
	case nil:
		return ""
	}
	return k.GetToken().Value
}

// decode assigns node n to v, the value at path with field tags f.
func (d *decoder) decode(path string, n ast.Node, v reflect.Value, f field) {
	n = d.unwrap(n)
	if isNull(n) {
		return // unset: the default stands
	}
	d.values[path] = n
	t := v.Type()
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Float64, reflect.Bool:
		d.vetted[n] = true // a duration is an Int64
	case reflect.String:
		d.vetted[n] = f.hasEnum
	}
	switch {
	case t == durationType:
		d.duration(path, n, v, f)
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(path, n, v.Elem(), f)
	case t.Kind() == reflect.Struct:
		d.structure(path, n, v)
	case t.Kind() == reflect.Map:
		d.mapping(path, n, v, f)
	case t.Kind() == reflect.Slice:
		d.list(path, n, v, f)
	case t.Kind() == reflect.String:
		d.str(path, n, v, f)
	case t.Kind() == reflect.Int:
		d.integer(path, n, v, f)
	case t.Kind() == reflect.Float64:
		d.float(path, n, v, f)
	case t.Kind() == reflect.Bool:
		d.boolean(path, n, v)
	default:
		panic(fmt.Sprintf("config: schema type %s at %s has no decoder", t, path))
	}
}

func (d *decoder) structure(path string, n ast.Node, v reflect.Value) {
	es, ok := d.entries(n)
	if !ok {
		if path == "" {
			d.add(Error, n, "", "want a mapping of sections (model:, agent:, ...), got "+describe(n), "")
			return
		}
		d.add(Error, n, path, "want a mapping of keys, got "+describe(n), "")
		return
	}
	fields := fieldsOf(v.Type())
	d.eachEntry(path, es, func(e entry, name, kp string) {
		f, ok := lookupField(v.Type(), name)
		if !ok {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.name
			}
			if hint, ok := movedKeys[kp]; ok {
				d.add(Warning, e.key, kp, "unknown key", hint)
				return
			}
			d.add(Warning, e.key, kp, "unknown key", didYouMean(suggestKey(path, names, name, kindOf(e.value))))
			return
		}
		d.keys[kp] = e.key
		d.decode(kp, e.value, v.FieldByIndex(f.index), f)
	})
}

// eachEntry calls fn for each entry of a mapping at path, once per key:
// repeats are resolved by keepEntry.
func (d *decoder) eachEntry(path string, es []entry, fn func(e entry, name, kp string)) {
	seen := map[string]entry{}
	for _, e := range es {
		name := keyString(e.key)
		kp := joinPath(path, name)
		if first, dup := seen[name]; dup && !d.keepEntry(first, e, kp) {
			continue
		}
		seen[name] = e
		fn(e, name, kp)
	}
}

func (d *decoder) mapping(path string, n ast.Node, v reflect.Value, f field) {
	es, ok := d.entries(n)
	if !ok {
		d.add(Error, n, path, "want a mapping of names to entries, got "+describe(n), "")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	et := v.Type().Elem()
	d.eachEntry(path, es, func(e entry, name, kp string) {
		if msg := checkFormat(f.format, name); msg != "" {
			d.add(Error, e.key, kp, msg, "")
			return
		}
		d.keys[kp] = e.key
		elem := reflect.New(et).Elem()
		if old := v.MapIndex(reflect.ValueOf(name)); old.IsValid() {
			elem.Set(old)
		} else if isStruct(et) {
			elementDefaults(elem.Addr().Interface())
		}
		d.decode(kp, e.value, elem, field{})
		v.SetMapIndex(reflect.ValueOf(name), elem)
	})
}

func (d *decoder) list(path string, n ast.Node, v reflect.Value, f field) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.add(Error, n, path, "want a list, got "+describe(n), "write it as [a, b] or as lines starting with -")
		return
	}
	et := v.Type().Elem()
	out := reflect.MakeSlice(v.Type(), 0, len(seq.Values))
	for i, item := range seq.Values {
		ip := fmt.Sprintf("%s.%d", path, i)
		elem := reflect.New(et).Elem()
		if isStruct(et) {
			elementDefaults(elem.Addr().Interface())
		}
		if isNull(d.unwrap(item)) {
			d.add(Error, item, ip, "empty list item", "remove the lone -, or give it a value")
			continue
		}
		d.decode(ip, item, elem, field{enum: f.enum, hasEnum: f.hasEnum, format: f.format})
		out = reflect.Append(out, elem)
	}
	v.Set(out)
}

// scalarText returns the text of a scalar node as written.
func scalarText(n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return "", true
		}
		return t.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	return "", false
}

// describe names what the user wrote, for "got ..." in messages.
func describe(n ast.Node) string {
	switch t := n.(type) {
	case *ast.StringNode:
		return strconv.Quote(t.Value)
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case nil, *ast.NullNode:
		return "nothing"
	}
	if s, ok := scalarText(n); ok {
		return s
	}
	return "a " + strings.ToLower(n.Type().String())
}

func (d *decoder) str(path string, n ast.Node, v reflect.Value, f field) {
	s, ok := scalarText(n)
	if !ok {
		d.add(Error, n, path, "want a string, got "+describe(n), "")
		return
	}
	if f.hasEnum && s == "" {
		return // "" is unset: the default stands
	}
	if f.hasEnum && !contains(f.enum, s) {
		d.add(Error, n, path, fmt.Sprintf("want one of %s; got %q", enumList(f.enum), s), didYouMean(closest(s, f.enum)))
		return
	}
	if msg := checkFormat(f.format, s); msg != "" {
		d.add(Error, n, path, msg, "")
		return
	}
	v.SetString(s)
}

func (d *decoder) integer(path string, n ast.Node, v reflect.Value, f field) {
	in, ok := n.(*ast.IntegerNode)
	var x int64
	if ok {
		switch val := in.Value.(type) {
		case int64:
			x = val
		case uint64:
			if val > math.MaxInt32 {
				ok = false
			} else {
				x = int64(val)
			}
		default:
			ok = false
		}
	}
	if !ok {
		d.add(Error, n, path, "want a whole number"+rangeText(f)+", got "+describe(n), "")
		return
	}
	if !inRange(f, float64(x)) {
		d.add(Error, n, path, fmt.Sprintf("want a whole number%s, got %d", rangeText(f), x), "")
		return
	}
	v.SetInt(x)
}

func (d *decoder) float(path string, n ast.Node, v reflect.Value, f field) {
	var x float64
	switch t := n.(type) {
	case *ast.IntegerNode:
		switch val := t.Value.(type) {
		case int64:
			x = float64(val)
		case uint64:
			x = float64(val)
		}
	case *ast.FloatNode:
		x = t.Value
	default:
		d.add(Error, n, path, "want a number"+rangeText(f)+", got "+describe(n), "")
		return
	}
	if math.IsNaN(x) || math.IsInf(x, 0) || !inRange(f, x) {
		d.add(Error, n, path, "want a number"+rangeText(f)+", got "+describe(n), "")
		return
	}
	v.SetFloat(x)
}

func (d *decoder) boolean(path string, n ast.Node, v reflect.Value) {
	b, ok := n.(*ast.BoolNode)
	if !ok {
		d.add(Error, n, path, "want true or false, got "+describe(n), "")
		return
	}
	v.SetBool(b.Value)
}

func (d *decoder) duration(path string, n ast.Node, v reflect.Value, f field) {
	var (
		dv  Duration
		err error
	)
	switch t := n.(type) {
	case *ast.IntegerNode, *ast.StringNode:
		s, _ := scalarText(t)
		dv, err = parseDuration(s)
	default:
		err = fmt.Errorf("not a duration")
	}
	lo, hasLo := durationBound(f.min)
	hi, hasHi := durationBound(f.max)
	if err != nil || (hasLo && dv < lo) || (hasHi && dv > hi) {
		d.add(Error, n, path, "want a duration like 30s, 5m or 1h"+durationRangeText(f)+", got "+describe(n), "")
		return
	}
	v.SetInt(int64(dv))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// enumList writes the allowed values of an enum for a message.
func enumList(enum []string) string {
	parts := make([]string, 0, len(enum))
	for _, e := range enum {
		if e == "" {
			parts = append(parts, `"" (unset)`)
			continue
		}
		parts = append(parts, e)
	}
	return strings.Join(parts, ", ")
}

// inRange checks x against the min and max tags of f.
func inRange(f field, x float64) bool {
	lo, hasLo := parseBound(f.min)
	hi, hasHi := parseBound(f.max)
	return (!hasLo || x >= lo) && (!hasHi || x <= hi)
}

func parseBound(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func durationBound(s string) (Duration, bool) {
	if s == "" {
		return 0, false
	}
	d, err := parseDuration(s)
	return d, err == nil
}

func rangeText(f field) string {
	switch {
	case f.min != "" && f.max != "":
		return fmt.Sprintf(" from %s to %s", f.min, f.max)
	case f.min != "":
		return " of at least " + f.min
	case f.max != "":
		return " of at most " + f.max
	}
	return ""
}

func durationRangeText(f field) string {
	if f.min == "" || f.max == "" {
		return rangeText(f)
	}
	return fmt.Sprintf(" from %s to %s", shortDuration(f.min), shortDuration(f.max))
}

// shortDuration writes "24h" rather than Go's "24h0m0s".
func shortDuration(s string) string {
	d, ok := durationBound(s)
	if !ok {
		return s
	}
	out := time.Duration(d).String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

// kindOf says whether n is a section (a mapping) or a single value; an
// empty value could be either.
func kindOf(n ast.Node) keyKind {
	if n == nil {
		return kindUnknown
	}
	switch unwrapNode(n).(type) {
	case *ast.NullNode:
		return kindUnknown
	case *ast.MappingNode, *ast.MappingValueNode:
		return kindSection
	}
	return kindValue
}

// movedKeys are keys that existed once, with what replaced them.
var movedKeys = map[string]string{
	"terminal.bubblewrap.network": "it moved to terminal.network, which is true by default: set terminal.network: false to keep the sandbox on loopback only",
}
