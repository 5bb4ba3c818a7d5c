package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// EnvFileName is the name of the secrets file inside a home.
const EnvFileName = ".env"

// Env is the parsed .env of a home: secrets by name, with the line each
// was set on. A commented-out line sets nothing.
type Env struct {
	Path    string
	vars    map[string]string
	lines   map[string]int
	entries []EnvEntry
}

// EnvEntry is one assignment in .env, in file order, repeats included.
type EnvEntry struct {
	Name, Value string
	Line        int // first line of the assignment
	EndLine     int // last line (a double-quoted value may span lines)
}

// Entries lists every assignment in file order.
func (e *Env) Entries() []EnvEntry {
	if e == nil {
		return nil
	}
	return e.entries
}

// Lookup returns the value .env sets for name.
func (e *Env) Lookup(name string) (string, bool) {
	if e == nil {
		return "", false
	}
	v, ok := e.vars[name]
	return v, ok
}

// Get returns the value of name from the process environment, which wins
// so a one-off `VAR=x hermes ...` overrides, else from .env. source says
// which: "environment" or ".env".
func (e *Env) Get(name string) (value, source string, ok bool) {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v, "environment", true
	}
	if v, ok := e.Lookup(name); ok && v != "" {
		return v, EnvFileName, true
	}
	return "", "", false
}

// Line returns the line that set name, or 0.
func (e *Env) Line(name string) int {
	if e == nil {
		return 0
	}
	return e.lines[name]
}

// Names lists the variables set, sorted.
func (e *Env) Names() []string {
	if e == nil {
		return nil
	}
	return sortedKeys(e.vars)
}

// LoadEnv reads the .env at path. A missing file is an empty Env. Syntax
// errors come back as a *LoadError naming each line; repeated names and a
// file readable by others are warnings.
func LoadEnv(path string) (*Env, []Problem, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Env{Path: path, vars: map[string]string{}, lines: map[string]int{}}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	env, problems := ParseEnv(filepath.Base(path), data)
	env.Path = path
	var warns []Problem
	for _, p := range problems {
		if p.Severity == Error {
			return nil, nil, &LoadError{Path: path, Problems: problems}
		}
		warns = append(warns, p)
	}
	if p := EnvModeProblem(path); p != nil {
		warns = append(warns, *p)
	}
	return env, warns, nil
}

// EnvModeProblem warns when .env can be read or written by group or others,
// or returns nil.
func EnvModeProblem(path string) *Problem {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	return &Problem{
		File: EnvFileName, Severity: Warning,
		Msg:  fmt.Sprintf("readable by others (mode %04o); it holds secrets", fi.Mode().Perm()),
		Hint: "run chmod 600 " + path + "",
	}
}

// ParseEnv parses .env text: `KEY=value` lines, optionally prefixed with
// `export`, values bare (a ` #` starts a comment), 'single-quoted'
// (literal) or "double-quoted" (with \n \t \" \\ escapes, and may span
// lines). Values are taken literally: $VAR is not expanded.
func ParseEnv(name string, data []byte) (*Env, []Problem) {
	env := &Env{vars: map[string]string{}, lines: map[string]int{}}
	lines := strings.Split(string(data), "\n")
	var problems []Problem
	bad := func(line int, msg, hint string) {
		problems = append(problems, Problem{File: name, Line: line, Msg: msg, Hint: hint, Severity: Error, Source: sourceLine(lines, line)})
	}
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(strings.TrimRight(lines[i], "\r"))
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		key, rest, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			bad(lineNo, fmt.Sprintf("want NAME=value, got %q", clip(line)), "")
			continue
		}
		if !envNameRE.MatchString(key) {
			bad(lineNo, fmt.Sprintf("bad variable name %q", clip(key)), "names are letters, digits and _, not starting with a digit")
			continue
		}
		value, consumed, err := envValue(strings.TrimLeft(rest, " \t"), lines[i+1:])
		if err != "" {
			bad(lineNo, key+": "+err, "")
			i += consumed
			continue
		}
		if first, dup := env.lines[key]; dup {
			problems = append(problems, Problem{File: name, Line: lineNo, Severity: Warning, Source: sourceLine(lines, lineNo),
				Msg: fmt.Sprintf("%s is set again (first on line %d); this later value wins", key, first), Hint: "remove one"})
		}
		env.vars[key] = value
		env.lines[key] = lineNo
		env.entries = append(env.entries, EnvEntry{Name: key, Value: value, Line: lineNo, EndLine: lineNo + consumed})
		i += consumed
	}
	sort.SliceStable(problems, func(a, b int) bool { return problems[a].Line < problems[b].Line })
	return env, problems
}

// envValue parses the value after '='. more holds the following lines for
// a double-quoted value that spans lines; consumed says how many it used.
func envValue(s string, more []string) (value string, consumed int, err string) {
	switch {
	case strings.HasPrefix(s, "'"):
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", 0, "unclosed single quote"
		}
		if tail := strings.TrimSpace(s[end+2:]); tail != "" && !strings.HasPrefix(tail, "#") {
			return "", 0, "unexpected text after the closing quote"
		}
		return s[1 : end+1], 0, ""
	case strings.HasPrefix(s, `"`):
		return doubleQuoted(s[1:], more)
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "\t#"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(strings.TrimRight(s, "\r")), 0, ""
}

func doubleQuoted(s string, more []string) (string, int, string) {
	var b strings.Builder
	consumed := 0
	for {
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s):
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				default:
					b.WriteByte(s[i])
				}
			case c == '"':
				if tail := strings.TrimSpace(s[i+1:]); tail != "" && !strings.HasPrefix(tail, "#") {
					return "", consumed, "unexpected text after the closing quote"
				}
				return b.String(), consumed, ""
			default:
				b.WriteByte(c)
			}
		}
		if consumed >= len(more) {
			return "", consumed, "unclosed double quote"
		}
		b.WriteByte('\n')
		s = strings.TrimRight(more[consumed], "\r")
		consumed++
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
