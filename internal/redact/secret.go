package redact

import "strings"

// Secret reports whether value, written as the value of a setting or
// variable called name (name may be empty), holds a secret: the redactor
// would mask something in the value alone or in "name=value". It is the
// redactor's own judgement, so a word, a path, a number, a call, a
// reference such as ${VAR} and a public key are not secrets, while a
// vendor token is one under any name and any non-plain value is one under
// a name that says it holds a secret (TOKEN, api_key, password).
//
// masked is the value as the redactor would show it, for messages that
// must say which value is meant without repeating it. Secret uses the
// built-in detectors, whatever Init chose: whether a value is a secret
// does not depend on whether the user wants output masked.
func Secret(name, value string) (masked string, ok bool) {
	r := builtin()
	if value == "" {
		return "", false
	}
	if m := r.String(value); m != value {
		return m, true
	}
	if name == "" || strings.ContainsAny(name, "=\n") {
		return "", false
	}
	pair := name + "=" + value
	if m := r.String(pair); m != pair && strings.HasPrefix(m, name+"=") {
		return m[len(name)+1:], true
	}
	return "", false
}
