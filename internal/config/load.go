package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// FileName is the name of the config file inside a home.
const FileName = "config.yaml"

// Loaded is a config.yaml read from disk.
type Loaded struct {
	*Config
	Path     string    // where it was read from
	Exists   bool      // false when the file is missing and defaults apply
	Warnings []Problem // unknown keys and other non-fatal findings
}

// Load reads config.yaml at path over the defaults. A missing file gives
// the defaults. Any error-level problem returns a *LoadError listing every
// problem found; nothing falls back to defaults silently.
func Load(path string) (*Loaded, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Loaded{Config: Default(), Path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, problems := Parse(filepath.Base(path), data)
	var errs, warns []Problem
	for _, p := range problems {
		if p.Severity == Error {
			errs = append(errs, p)
		} else {
			warns = append(warns, p)
		}
	}
	if len(errs) > 0 {
		return nil, &LoadError{Path: path, Problems: problems}
	}
	return &Loaded{Config: cfg, Path: path, Exists: true, Warnings: warns}, nil
}

// Parse decodes the bytes of a config file over the defaults. name is the
// file name shown in problems. The config is nil when the YAML itself
// cannot be parsed; otherwise it holds every value that was valid.
func Parse(name string, data []byte) (*Config, []Problem) {
	return parse(name, data, false)
}

// Check is Parse for `hermes config check`: it also notes, as Notice
// problems, the keys written in the file that nothing uses yet
// (NotUsedYet).
func Check(name string, data []byte) (*Config, []Problem) {
	return parse(name, data, true)
}

func parse(name string, data []byte, notices bool) (*Config, []Problem) {
	d := newDecoder(name, data)
	f, err := parseYAML(data, 0)
	if err != nil {
		return nil, []Problem{d.syntaxProblem(err)}
	}
	cfg := Default()
	body, extra := documentBody(f)
	if extra != nil {
		d.add(Error, extra, "", "a second YAML document (---) in config.yaml", "keep one document")
	}
	if body != nil {
		d.collectAnchors(body)
		d.decode("", body, reflect.ValueOf(cfg).Elem(), field{})
		d.semantic(cfg)
		d.checkSecrets(body, "", 0)
		if notices {
			d.checkNotUsed()
		}
	}
	return cfg, d.sorted()
}

// parseYAML runs the YAML parser, turning a panic inside it into an error
// so a hostile file cannot crash hermes.
func parseYAML(data []byte, mode parser.Mode) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this file: %v", r)
		}
	}()
	return parser.ParseBytes(data, mode)
}

// documentBody returns the body of the first document and the first node
// of a second document, if any.
func documentBody(f *ast.File) (body, extra ast.Node) {
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		return nil, nil
	}
	if len(docs) > 1 {
		extra = docs[1].Body
	}
	return docs[0].Body, extra
}

// syntaxProblem turns a parser error into a positioned problem with a hint
// for the usual mistakes.
func (d *decoder) syntaxProblem(err error) Problem {
	p := Problem{File: d.file, Msg: err.Error(), Severity: Error}
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil && se.Token.Position != nil {
		p.Line, p.Col = se.Token.Position.Line, se.Token.Position.Column
		p.Msg = se.Message
	}
	p.Msg = "YAML syntax: " + p.Msg
	p.Hint = syntaxHint(p.Msg)
	if p.Line == 0 {
		p.Line = 1
	}
	p.Source = sourceLine(d.lines, p.Line)
	return p
}

func syntaxHint(msg string) string {
	switch {
	case strings.Contains(msg, "could not find end character of"):
		return "close the quote"
	case strings.Contains(msg, "cannot start any token") && strings.Contains(msg, "\t"):
		return "YAML indents with spaces, not tabs"
	case strings.Contains(msg, "is not allowed in this context"):
		return "check the indentation, or quote a value that contains a colon"
	case strings.Contains(msg, "unexpected key name"), strings.Contains(msg, "non-map value is specified"):
		return "a key needs a colon and a space after it (key: value)"
	case strings.Contains(msg, "already defined"):
		return "keep one of the two"
	case strings.Contains(msg, "not found") && (strings.Contains(msg, "']'") || strings.Contains(msg, "'}'")):
		return "close the bracket"
	}
	return ""
}
