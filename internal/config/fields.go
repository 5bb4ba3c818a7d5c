package config

import (
	"reflect"
	"strings"
	"sync"
)

// field is one key of a struct in the schema.
type field struct {
	name    string // the YAML key
	index   []int  // reflect field index, through inline structs
	desc    string
	enum    []string
	min     string
	max     string
	format  string
	hasEnum bool
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists the YAML keys of struct type t in declaration order,
// flattening `yaml:",inline"` embedded structs.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" {
			for _, inner := range fieldsOf(sf.Type) {
				inner.index = append([]int{i}, inner.index...)
				out = append(out, inner)
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		f := field{
			name:   name,
			index:  []int{i},
			desc:   sf.Tag.Get("desc"),
			min:    sf.Tag.Get("min"),
			max:    sf.Tag.Get("max"),
			format: sf.Tag.Get("format"),
		}
		if e, ok := sf.Tag.Lookup("enum"); ok {
			f.enum = strings.Split(e, ",")
			f.hasEnum = true
		}
		out = append(out, f)
	}
	fieldCache.Store(t, out)
	return out
}

// lookupField finds the key name in struct type t.
func lookupField(t reflect.Type, name string) (field, bool) {
	for _, f := range fieldsOf(t) {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

var durationType = reflect.TypeOf(Duration(0))

// isStruct reports whether t is a schema section (a struct that is not a
// scalar type such as Duration).
func isStruct(t reflect.Type) bool { return t.Kind() == reflect.Struct && t != durationType }

// knownPaths lists every key path of the schema, with "<name>" standing for
// the keys of a map and "<n>" for list positions. It feeds "did you mean".
func knownPaths() []string {
	pathsOnce.Do(func() { allPaths = collectPaths(reflect.TypeOf(Config{}), "") })
	return allPaths
}

var (
	pathsOnce sync.Once
	allPaths  []string
)

func collectPaths(t reflect.Type, prefix string) []string {
	var out []string
	for _, f := range fieldsOf(t) {
		p := joinPath(prefix, f.name)
		out = append(out, p)
		ft := t.FieldByIndex(f.index).Type
		out = append(out, collectChildPaths(ft, p)...)
	}
	return out
}

func collectChildPaths(t reflect.Type, p string) []string {
	switch {
	case t.Kind() == reflect.Pointer:
		return collectChildPaths(t.Elem(), p)
	case isStruct(t):
		return collectPaths(t, p)
	case t.Kind() == reflect.Map && isStruct(t.Elem()):
		return collectPaths(t.Elem(), p+".<name>")
	case t.Kind() == reflect.Slice && isStruct(t.Elem()):
		return collectPaths(t.Elem(), p+".<n>")
	}
	return nil
}

func joinPath(prefix, name string) string {
	if name == "" {
		return prefix
	}
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
