package skills

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
)

// Frontmatter is the YAML header of a SKILL.md.
type Frontmatter struct {
	Name        string         `yaml:"name" json:"name"`
	Description string         `yaml:"description" json:"description"`
	Version     string         `yaml:"version" json:"version,omitempty"`
	License     string         `yaml:"license" json:"license,omitempty"`
	Platforms   []string       `yaml:"platforms" json:"platforms,omitempty"`
	RequiredEnv []string       `yaml:"-" json:"required_environment_variables,omitempty"`
	Metadata    map[string]any `yaml:"metadata" json:"metadata,omitempty"`
}

// rawFrontmatter is what the YAML decodes into before normalising.
type rawFrontmatter struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Version     any            `yaml:"version"`
	License     string         `yaml:"license"`
	Platforms   any            `yaml:"platforms"`
	RequiredEnv []any          `yaml:"required_environment_variables"`
	Metadata    map[string]any `yaml:"metadata"`
}

// Limits from the agentskills.io format.
const (
	maxNameLen = 64
	maxDescLen = 1024
)

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// CheckName reports whether name may name a skill or a category:
// lowercase letters, digits and single hyphens, at most 64 characters.
func CheckName(name string) error {
	if len(name) > maxNameLen || !nameRE.MatchString(name) {
		return fmt.Errorf("invalid skill name %q: use lowercase letters, digits and hyphens (like \"deploy-docs\"), at most %d characters", name, maxNameLen)
	}
	return nil
}

// ParseError is a SKILL.md that cannot be read, with the 1-based line
// (and column when known) in the file.
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%d: %s", e.Line, e.Msg)
}

// Parse splits a SKILL.md into its frontmatter and body and checks the
// required fields. Errors are *ParseError with positions in the file.
func Parse(data []byte) (fm Frontmatter, body string, err error) {
	text := strings.TrimPrefix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\uFEFF")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return fm, "", &ParseError{Line: 1, Msg: "SKILL.md must start with a '---' line opening the YAML frontmatter"}
	}
	yml, body, ok := cutClosing(rest)
	if !ok {
		return fm, "", &ParseError{Line: 1, Msg: "the frontmatter opened on line 1 is never closed with a '---' line"}
	}
	var raw rawFrontmatter
	if err := decodeYAML(yml, &raw); err != nil {
		return fm, "", err
	}
	fm, err = normalise(raw, yml)
	return fm, body, err
}

// cutClosing finds the closing "---" line.
func cutClosing(rest string) (yml, body string, ok bool) {
	if strings.HasPrefix(rest, "---\n") || rest == "---" {
		return "", strings.TrimPrefix(rest, "---\n"), true
	}
	i := strings.Index(rest, "\n---\n")
	if i < 0 {
		if strings.HasSuffix(rest, "\n---") {
			return rest[:len(rest)-4], "", true
		}
		return "", "", false
	}
	return rest[:i+1], rest[i+5:], true
}

// decodeYAML decodes the frontmatter, turning parser errors (and panics)
// into positioned ParseErrors; line 1 of the YAML is line 2 of the file.
func decodeYAML(yml string, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &ParseError{Line: 2, Msg: fmt.Sprintf("frontmatter YAML: %v", r)}
		}
	}()
	if strings.TrimSpace(yml) == "" {
		return &ParseError{Line: 2, Msg: "the frontmatter is empty; it needs at least name and description"}
	}
	err = yaml.Unmarshal([]byte(yml), v)
	if err == nil {
		return nil
	}
	var ye interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
		p := ye.GetToken().Position
		return &ParseError{Line: p.Line + 1, Col: p.Column, Msg: "frontmatter YAML: " + ye.GetMessage()}
	}
	return &ParseError{Line: 2, Msg: "frontmatter YAML: " + firstLine(err.Error())}
}

// normalise checks the fields and accepts the loose spellings seen in the
// wild (a number as version, a string as platforms, env variables as
// strings or {name: ...} maps).
func normalise(raw rawFrontmatter, yml string) (Frontmatter, error) {
	fm := Frontmatter{Name: strings.TrimSpace(raw.Name), Description: strings.TrimSpace(raw.Description), License: raw.License, Metadata: raw.Metadata}
	switch {
	case fm.Name == "":
		return fm, &ParseError{Line: keyLine(yml, "name"), Msg: "the frontmatter has no name"}
	case CheckName(fm.Name) != nil:
		return fm, &ParseError{Line: keyLine(yml, "name"), Msg: CheckName(fm.Name).Error()}
	case fm.Description == "":
		return fm, &ParseError{Line: keyLine(yml, "description"), Msg: "the frontmatter has no description; say in one sentence what the skill does and when to use it"}
	case len(fm.Description) > maxDescLen:
		return fm, &ParseError{Line: keyLine(yml, "description"), Msg: fmt.Sprintf("the description is %d bytes, over %d", len(fm.Description), maxDescLen)}
	}
	if raw.Version != nil {
		fm.Version = fmt.Sprint(raw.Version)
	}
	switch p := raw.Platforms.(type) {
	case nil:
	case string:
		fm.Platforms = []string{p}
	case []any:
		for _, x := range p {
			fm.Platforms = append(fm.Platforms, fmt.Sprint(x))
		}
	default:
		return fm, &ParseError{Line: keyLine(yml, "platforms"), Msg: "platforms must be a list like [linux, macos]"}
	}
	for _, e := range raw.RequiredEnv {
		switch e := e.(type) {
		case string:
			fm.RequiredEnv = append(fm.RequiredEnv, e)
		case map[string]any:
			if n, ok := e["name"].(string); ok && n != "" {
				fm.RequiredEnv = append(fm.RequiredEnv, n)
				continue
			}
			return fm, &ParseError{Line: keyLine(yml, "required_environment_variables"), Msg: "an entry of required_environment_variables has no name"}
		default:
			return fm, &ParseError{Line: keyLine(yml, "required_environment_variables"), Msg: "required_environment_variables must list names"}
		}
	}
	return fm, nil
}

// keyLine is the file line of a top-level key, or of the frontmatter
// start when the key is missing.
func keyLine(yml, key string) int {
	for i, line := range strings.Split(yml, "\n") {
		if strings.HasPrefix(line, key+":") {
			return i + 2
		}
	}
	return 1
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
