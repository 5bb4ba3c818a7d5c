package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// Get returns the effective value of a dotted key (defaults included),
// rendered as YAML: a scalar on one line, a section as a block.
func Get(c *Config, key string) (string, error) {
	if _, _, err := resolveKey(key); err != nil {
		return "", err
	}
	v := reflect.ValueOf(c).Elem()
	path := ""
	for _, s := range strings.Split(key, ".") {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return "", nil
			}
			v = v.Elem()
		}
		switch {
		case isStruct(v.Type()):
			f, _ := lookupField(v.Type(), s)
			v = v.FieldByIndex(f.index)
		case v.Kind() == reflect.Map:
			e := v.MapIndex(reflect.ValueOf(s))
			if !e.IsValid() {
				return "", fmt.Errorf("%s: no entry %q in %s", key, s, path)
			}
			v = e
		case v.Kind() == reflect.Slice:
			i, _ := strconv.Atoi(s)
			if i < 0 || i >= v.Len() {
				return "", fmt.Errorf("%s: %s has %d entries", key, path, v.Len())
			}
			v = v.Index(i)
		}
		path = joinPath(path, s)
	}
	return Render(v.Interface())
}

// Render writes a config value as YAML without a trailing newline.
func Render(v any) (string, error) {
	if p, ok := v.(*float64); ok {
		if p == nil {
			return "null", nil
		}
		v = *p
	}
	if d, ok := v.(Duration); ok {
		return d.String(), nil
	}
	out, err := yaml.MarshalWithOptions(v, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return "", fmt.Errorf("render: %w", err)
	}
	return strings.TrimRight(string(out), "\n"), nil
}
