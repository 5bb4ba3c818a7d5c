package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Severity says whether a problem stops hermes or is only reported.
type Severity int

const (
	// Error stops every command that needs the config.
	Error Severity = iota
	// Warning is printed once; `hermes config check` still fails on it.
	Warning
	// Notice is only reported by `hermes config check`, which does not fail
	// on it: a key that nothing uses yet (NotUsedYet).
	Notice
)

// Problem is one thing wrong with config.yaml or .env, at a place in it.
type Problem struct {
	File     string // display name: "config.yaml" or ".env"
	Line     int    // 1-based; 0 when the problem has no place
	Col      int    // 1-based; 0 for .env problems, which name a line
	Path     string // the key, dotted ("agent.max_turns"); empty for syntax errors
	Msg      string // what is wrong
	Hint     string // how to fix it, e.g. "did you mean approvals.mode?"
	Severity Severity
	Source   string // the offending line of the file, without its newline
}

// String renders the problem on one line, starting with FILE:LINE:COL:.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	if p.Hint != "" {
		b.WriteString("; ")
		b.WriteString(p.Hint)
	}
	return b.String()
}

// Detail renders the problem followed by its source line and a caret under
// the column, the way compilers show an error.
func (p Problem) Detail() string {
	s := p.String()
	if p.Source == "" || p.Line == 0 {
		return s
	}
	prefix := fmt.Sprintf("  %4d | ", p.Line)
	s += "\n" + prefix + expandTabs(p.Source)
	if p.Col > 0 {
		s += "\n" + strings.Repeat(" ", len(prefix)-2) + "| " + strings.Repeat(" ", caretOffset(p.Source, p.Col)) + "^"
	}
	return s
}

// caretOffset converts a 1-based column (counted in runes) to the screen
// offset of that rune with tabs expanded.
func caretOffset(line string, col int) int {
	n := 0
	for i, r := range []rune(line) {
		if i == col-1 {
			break
		}
		if r == '\t' {
			n += 4 - n%4
		} else {
			n++
		}
	}
	return n
}

func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == '\t' {
			w := 4 - n%4
			b.WriteString(strings.Repeat(" ", w))
			n += w
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// LoadError is returned when config.yaml or .env cannot be used. It holds
// every problem found, not only the first.
type LoadError struct {
	Path     string // the file's full path
	Problems []Problem
	// Written: an edit was saved, as it fixed some of the file's
	// problems; Problems are the ones that remain.
	Written bool
}

// Error renders every problem with its source line, then where the file is
// and how to fix it.
func (e *LoadError) Error() string {
	var b strings.Builder
	if e.Written {
		b.WriteString("the change is saved; the file still has these problems:\n")
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(p.Detail())
	}
	if filepath.Base(e.Path) != EnvFileName {
		fmt.Fprintf(&b, "\n(in %s; fix it with `hermes config edit`, then `hermes config check`)", e.Path)
		return b.String()
	}
	// .env is not edited through hermes (it holds secrets): name the file
	// and the line to open in any editor.
	where := e.Path
	for _, p := range e.Problems {
		if p.Severity == Error && p.Line > 0 {
			where = fmt.Sprintf("%s:%d", e.Path, p.Line)
			break
		}
	}
	fmt.Fprintf(&b, "\n(fix the line in %s with any editor; lines look like NAME=value; then `hermes config check`)", where)
	return b.String()
}

// sourceLine returns line n (1-based) of lines, or "".
func sourceLine(lines []string, n int) string {
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[n-1], "\r")
}

// HasErrors reports whether any problem is an error (not a warning).
func HasErrors(problems []Problem) bool {
	for _, p := range problems {
		if p.Severity == Error {
			return true
		}
	}
	return false
}
