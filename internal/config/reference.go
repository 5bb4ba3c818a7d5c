package config

import (
	"fmt"
	"reflect"
	"strings"
)

// Reference renders every key of config.yaml as Markdown: one table per
// section with the key, its type, its default and what it does. It is
// the source of docs/config-reference.md (a test keeps the two equal).
func Reference() string {
	var b strings.Builder
	b.WriteString("# config.yaml reference\n\n")
	b.WriteString("Generated from the schema in internal/config (`go test ./internal/config -update` rewrites it).\n")
	b.WriteString("Every key is optional; a key left out has the default shown. `<name>` stands for a name you choose,\n")
	b.WriteString("`<n>` for a list position. Secrets never go here: they belong in `.env`.\n")
	def := reflect.ValueOf(Default()).Elem()
	t := def.Type()
	for _, f := range fieldsOf(t) {
		fmt.Fprintf(&b, "\n## %s\n\n%s.\n\n", f.name, upperFirst(f.desc))
		b.WriteString("| key | type | default | description |\n|---|---|---|---|\n")
		referenceRows(&b, t.FieldByIndex(f.index).Type, def.FieldByIndex(f.index), f, f.name)
	}
	return b.String()
}

func referenceRows(b *strings.Builder, t reflect.Type, def reflect.Value, f field, path string) {
	elemDefault := func(et reflect.Type) reflect.Value {
		v := reflect.New(et).Elem()
		if isStruct(et) {
			elementDefaults(v.Addr().Interface())
		}
		return v
	}
	switch {
	case t.Kind() == reflect.Pointer:
		referenceRows(b, t.Elem(), reflect.Value{}, f, path)
	case isStruct(t):
		for _, sub := range fieldsOf(t) {
			var d reflect.Value
			if def.IsValid() {
				d = def.FieldByIndex(sub.index)
			}
			referenceRows(b, t.FieldByIndex(sub.index).Type, d, sub, path+"."+sub.name)
		}
	case t.Kind() == reflect.Map && isStruct(t.Elem()):
		referenceRows(b, t.Elem(), elemDefault(t.Elem()), field{}, path+".<name>")
	case t.Kind() == reflect.Slice && isStruct(t.Elem()):
		referenceRows(b, t.Elem(), elemDefault(t.Elem()), field{}, path+".<n>")
	default:
		desc := f.desc
		if why, ok := notUsedYet(path); ok {
			desc = "**not used yet** (" + why + "): " + desc
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", path, typeName(t, f), defaultText(def), cell(desc))
	}
}

func typeName(t reflect.Type, f field) string {
	var s string
	switch {
	case t == durationType:
		s = "duration"
	case t.Kind() == reflect.String && f.hasEnum:
		var vals []string
		for _, e := range f.enum {
			if e != "" {
				vals = append(vals, e)
			}
		}
		s = strings.Join(vals, " \\| ")
	case t.Kind() == reflect.String:
		s = "string"
	case t.Kind() == reflect.Int:
		s = "integer"
	case t.Kind() == reflect.Float64:
		s = "number"
	case t.Kind() == reflect.Bool:
		s = "bool"
	case t.Kind() == reflect.Slice:
		s = "list of " + typeName(t.Elem(), field{})
	case t.Kind() == reflect.Map:
		s = "map of " + typeName(t.Elem(), field{})
	default:
		s = t.Kind().String()
	}
	if f.min != "" && f.max != "" {
		s += fmt.Sprintf(" (%s to %s)", f.min, f.max)
	}
	return s
}

func defaultText(v reflect.Value) string {
	if !v.IsValid() {
		return "unset"
	}
	if v.IsZero() && v.Kind() != reflect.Bool && v.Kind() != reflect.Int && v.Kind() != reflect.Float64 {
		return ""
	}
	out, err := Render(v.Interface())
	if err != nil {
		return ""
	}
	return "`" + strings.ReplaceAll(out, "\n", " ") + "`"
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
