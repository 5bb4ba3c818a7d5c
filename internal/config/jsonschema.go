package config

import (
	"encoding/json"
	"reflect"
)

// JSONSchema returns a JSON Schema (draft 2020-12) of config.yaml, with
// every key's description and default, for editors such as VS Code's YAML
// extension (`# yaml-language-server: $schema=...`).
func JSONSchema() ([]byte, error) {
	s := schemaFor(reflect.TypeOf(Config{}), reflect.ValueOf(Default()).Elem(), field{})
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["title"] = "hermes config.yaml"
	s["description"] = "Preferences of a hermes home. Secrets belong in .env, never here."
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

var formatPatterns = map[string]string{
	"envname": `^[A-Za-z_][A-Za-z0-9_]*$`,
	"keyname": `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`,
	"cwd":     `^(/|~$|~/)[\p{L}\p{N}/\\:_.~ +@=,-]*$`,
}

// schemaFor describes type t whose default is def (may be invalid).
func schemaFor(t reflect.Type, def reflect.Value, f field) map[string]any {
	s := map[string]any{}
	if f.desc != "" {
		s["description"] = f.desc
	}
	switch {
	case t == durationType:
		s["type"] = []string{"string", "integer"}
		s["pattern"] = `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^[0-9]+$`
		s["minimum"] = 0
		if def.IsValid() && def.Int() != 0 {
			s["default"] = Duration(def.Int()).String()
		}
	case t.Kind() == reflect.Pointer:
		inner := schemaFor(t.Elem(), reflect.Value{}, f)
		for k, v := range inner {
			s[k] = v
		}
	case t.Kind() == reflect.Struct:
		structSchema(s, t, def)
	case t.Kind() == reflect.Map:
		s["type"] = "object"
		elem := reflect.New(t.Elem()).Elem()
		if isStruct(t.Elem()) {
			elementDefaults(elem.Addr().Interface())
		}
		s["additionalProperties"] = schemaFor(t.Elem(), elem, field{})
		if p, ok := formatPatterns[f.format]; ok {
			s["propertyNames"] = map[string]any{"pattern": p}
		}
	case t.Kind() == reflect.Slice:
		s["type"] = "array"
		elem := reflect.New(t.Elem()).Elem()
		if isStruct(t.Elem()) {
			elementDefaults(elem.Addr().Interface())
		}
		s["items"] = schemaFor(t.Elem(), elem, field{enum: f.enum, hasEnum: f.hasEnum, format: f.format})
		if def.IsValid() && def.Len() > 0 {
			s["default"] = def.Interface()
		}
	default:
		scalarSchema(s, t, def, f)
	}
	return s
}

func structSchema(s map[string]any, t reflect.Type, def reflect.Value) {
	s["type"] = "object"
	s["additionalProperties"] = false
	props := map[string]any{}
	for _, f := range fieldsOf(t) {
		var fd reflect.Value
		if def.IsValid() {
			fd = def.FieldByIndex(f.index)
		}
		props[f.name] = schemaFor(t.FieldByIndex(f.index).Type, fd, f)
	}
	s["properties"] = props
}

func scalarSchema(s map[string]any, t reflect.Type, def reflect.Value, f field) {
	switch t.Kind() {
	case reflect.String:
		s["type"] = "string"
		if f.hasEnum {
			enum := f.enum
			if !contains(enum, "") {
				enum = append([]string{""}, enum...) // "" means unset
			}
			s["enum"] = enum
		}
		if p, ok := formatPatterns[f.format]; ok {
			s["pattern"] = p
		}
		if f.format == "url" {
			s["format"] = "uri"
		}
	case reflect.Int:
		s["type"] = "integer"
	case reflect.Float64:
		s["type"] = "number"
	case reflect.Bool:
		s["type"] = "boolean"
	}
	if lo, ok := parseBound(f.min); ok {
		s["minimum"] = lo
	}
	if hi, ok := parseBound(f.max); ok {
		s["maximum"] = hi
	}
	if def.IsValid() {
		s["default"] = def.Interface()
	}
}
