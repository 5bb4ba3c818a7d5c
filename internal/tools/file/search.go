package file

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hermes-go/hermes/internal/tools"
)

// Limits of search_files.
const (
	DefaultMaxResults = 100
	MaxMaxResults     = 1000
	// MaxMatchChars is where the text of a long matching line is cut.
	MaxMatchChars = 300
	// MaxSearchFile is the largest file the Go walker searches.
	MaxSearchFile = 10 << 20
)

// SearchFiles is the search_files tool. RgPath, when set, is the ripgrep
// binary to use; empty looks up `rg` on PATH, and "-" forces the Go walker.
type SearchFiles struct {
	RgPath string
}

var _ tools.Tool = SearchFiles{}

func (SearchFiles) Name() string    { return "search_files" }
func (SearchFiles) Toolset() string { return Toolset }
func (SearchFiles) Description() string {
	return "Search file contents for a regular expression; results are `path:line:text`. " +
		"`path` is a directory (default: the working directory) or one file; `glob` filters file names (\"*.go\", \"src/**/*.ts\"). " +
		"Skips .git, node_modules, binary and .gitignored files."
}
func (SearchFiles) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"pattern":{"type":"string","description":"regular expression (RE2/ripgrep syntax) to look for in each line"},` +
		`"path":{"type":"string","description":"directory or file to search (default: the working directory)"},` +
		`"glob":{"type":"string","description":"only files whose name (or path, if it has a /) matches, e.g. *.go"},` +
		`"max_results":{"type":"integer","minimum":1,"maximum":1000,"description":"most matches to return (default 100)"}},` +
		`"required":["pattern"],"additionalProperties":false}`)
}

type searchArgs struct {
	Pattern    string `json:"pattern"`
	Path       string `json:"path"`
	Glob       string `json:"glob"`
	MaxResults int    `json:"max_results"`
}

// match is one matching line.
type match struct {
	path string // absolute
	line int
	text string
}

// search is one search_files query, resolved.
type search struct {
	re    *regexp.Regexp
	root  string // absolute directory or file
	globR *regexp.Regexp
	max   int
	// secret are the hermes home's files read_file refuses, as they are
	// and with symlinks resolved; a search never reads them.
	secret map[string]bool
	// secretFiles are those files as found, to catch other names for them
	// (hard links).
	secretFiles []os.FileInfo
}

// skip reports whether the file at p must not be searched: a secret by
// its name or another name of the same file.
func (s *search) skip(p string) bool {
	if s.secret[p] {
		return true
	}
	if len(s.secretFiles) == 0 {
		return false
	}
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	for _, sf := range s.secretFiles {
		if os.SameFile(fi, sf) {
			return true
		}
	}
	return false
}

func (t SearchFiles) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a searchArgs
	if res, ok := decode(t.Name(), raw, &a); !ok {
		return res, nil
	}
	s, res, ok := newSearch(env, a)
	if !ok {
		return res, nil
	}
	var (
		matches []match
		more    bool
		err     error
	)
	if rg := t.rg(); rg != "" {
		matches, more, err = s.ripgrep(ctx, rg)
	} else {
		matches, more, err = s.walk(ctx)
	}
	if err != nil {
		return tools.Errorf("search_files: %v", err), nil
	}
	return tools.Result{Content: render(env, a, matches, more)}, nil
}

func newSearch(env *tools.Env, a searchArgs) (*search, tools.Result, bool) {
	if a.Pattern == "" {
		return nil, tools.Errorf("search_files: pattern is missing; pass a regular expression to look for"), false
	}
	re, err := regexp.Compile(a.Pattern)
	if err != nil {
		return nil, tools.Errorf("search_files: pattern is not a valid regular expression (%v); escape special characters like ( [ . * with \\", err), false
	}
	s := &search{re: re, max: DefaultMaxResults}
	switch {
	case a.MaxResults < 0 || a.MaxResults > MaxMaxResults:
		return nil, tools.Errorf("search_files: max_results %d is out of range; use 1 to %d", a.MaxResults, MaxMaxResults), false
	case a.MaxResults > 0:
		s.max = a.MaxResults
	}
	if a.Glob != "" {
		s.globR, err = globRegexp(strings.TrimPrefix(a.Glob, "/"), strings.Contains(a.Glob, "/"), true)
		if err != nil {
			return nil, tools.Errorf("search_files: glob %q is not valid (%v); use wildcards like *.go or src/**/*.ts", a.Glob, err), false
		}
	}
	root := a.Path
	if root == "" {
		root = "."
	}
	if s.root, err = resolve(env, root); err != nil {
		return nil, tools.Errorf("search_files: %v", err), false
	}
	if _, err := os.Stat(s.root); err != nil {
		return nil, tools.Errorf("search_files: %s does not exist or cannot be read; check the path", root), false
	}
	if n := readRefusal(env, s.root); n != "" {
		return nil, tools.Errorf("search_files: %s is the hermes home's %s, which holds secrets; it cannot be searched", root, n), false
	}
	s.secret = map[string]bool{}
	if h, ok := homesOf(env); ok {
		for _, f := range h.secrets() {
			s.secret[f], s.secret[realPath(f)] = true, true
			if fi, err := os.Stat(f); err == nil {
				s.secretFiles = append(s.secretFiles, fi)
			}
		}
	}
	return s, tools.Result{}, true
}

// rg returns the ripgrep binary to run, or "" for the Go walker.
func (t SearchFiles) rg() string {
	switch t.RgPath {
	case "-":
		return ""
	case "":
		p, err := exec.LookPath("rg")
		if err != nil {
			return ""
		}
		return p
	}
	return t.RgPath
}

func render(env *tools.Env, a searchArgs, matches []match, more bool) string {
	where := a.Path
	if where == "" {
		where = "the working directory"
	}
	if len(matches) == 0 {
		return fmt.Sprintf("no matches for %q in %s", a.Pattern, where)
	}
	var b strings.Builder
	for _, m := range matches {
		fmt.Fprintf(&b, "%s:%d:%s\n", display(env, m.path), m.line, clipLine(m.text))
	}
	if more {
		fmt.Fprintf(&b, "[the first %d matches shown; there are more: narrow the pattern, path or glob, or raise max_results]\n", len(matches))
	}
	return b.String()
}

// clipLine drops the line terminator and cuts a long line.
func clipLine(s string) string {
	s = strings.TrimRight(s, "\r\n")
	if len(s) <= MaxMatchChars {
		return s
	}
	cut := MaxMatchChars
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
