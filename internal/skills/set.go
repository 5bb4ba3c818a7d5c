package skills

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/contextfiles"
	"github.com/hermes-go/hermes/internal/home"
)

// SkillFile is the file that makes a directory a skill.
const SkillFile = "SKILL.md"

// maxDepth bounds how deep under a tree a SKILL.md is looked for
// (<category>/<name>/SKILL.md is depth 2).
const maxDepth = 3

// maxSkillBytes bounds the SKILL.md and reference files read.
const maxSkillBytes = 1 << 20

// Skill is one loaded skill.
type Skill struct {
	Frontmatter
	Category string   `json:"category,omitempty"`
	Dir      string   `json:"dir"`
	External bool     `json:"external,omitempty"` // from skills.external_dirs
	Disabled bool     `json:"disabled,omitempty"` // listed in skills.disabled
	Blocked  []string `json:"blocked,omitempty"`  // scan finding ids that block it
	Body     string   `json:"-"`
}

// Available reports whether the skill is offered to the agent: not
// disabled, not blocked, and made for this platform.
func (s *Skill) Available() bool { return s.Status() == "" }

// Status says why a skill is not offered, or "" when it is.
func (s *Skill) Status() string {
	switch {
	case s.Disabled:
		return "disabled (skills.disabled)"
	case len(s.Blocked) > 0:
		return "blocked by the injection scan: " + strings.Join(s.Blocked, ", ")
	case !platformOK(s.Platforms):
		return "not for " + platformName() + " (platforms: " + strings.Join(s.Platforms, ", ") + ")"
	}
	return ""
}

func platformName() string {
	if runtime.GOOS == "darwin" {
		return "macos"
	}
	return runtime.GOOS
}

func platformOK(ps []string) bool {
	if len(ps) == 0 {
		return true
	}
	return slices.ContainsFunc(ps, func(p string) bool {
		p = strings.ToLower(p)
		return p == platformName() || p == runtime.GOOS || p == "all" || p == "any"
	})
}

// Problem is a skill that could not be loaded: the file and line, and
// what is wrong with it.
type Problem struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
	Msg  string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", p.Path, p.Line, p.Col, p.Msg)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Msg)
	}
	return p.Path + ": " + p.Msg
}

// Set is the skills of one home. It is safe for concurrent use; the
// manage methods reload it after each change.
type Set struct {
	root string // <home>/skills
	cfg  config.Skills

	mu     sync.RWMutex
	skills []*Skill // sorted by category, then name
}

// Load reads <home>/skills and cfg.ExternalDirs. Skills that cannot be
// read are reported and skipped; a name already taken keeps the first
// skill (the home's own come first).
func Load(homeDir string, cfg config.Skills) (*Set, []Problem) {
	s := &Set{root: filepath.Join(homeDir, home.SkillsDir), cfg: cfg}
	probs := s.reload()
	return s, probs
}

// Root is <home>/skills.
func (s *Set) Root() string { return s.root }

func (s *Set) reload() []Problem {
	var all []*Skill
	var probs []Problem
	seen := map[string]string{}
	trees := append([]string{s.root}, s.cfg.ExternalDirs...)
	for i, tree := range trees {
		found, p := loadTree(tree, i > 0)
		probs = append(probs, p...)
		for _, sk := range found {
			if prev, dup := seen[sk.Name]; dup {
				probs = append(probs, Problem{Path: filepath.Join(sk.Dir, SkillFile), Msg: fmt.Sprintf("skill name %q is already taken by %s; skipped", sk.Name, prev)})
				continue
			}
			seen[sk.Name] = sk.Dir
			sk.Disabled = slices.Contains(s.cfg.Disabled, sk.Name)
			all = append(all, sk)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Category != all[j].Category {
			return all[i].Category < all[j].Category
		}
		return all[i].Name < all[j].Name
	})
	s.mu.Lock()
	s.skills = all
	s.mu.Unlock()
	return probs
}

// loadTree finds every SKILL.md under tree; external trees are scanned.
func loadTree(tree string, external bool) ([]*Skill, []Problem) {
	var out []*Skill
	var probs []Problem
	if _, err := os.Stat(tree); err != nil {
		if external {
			probs = append(probs, Problem{Path: tree, Msg: fmt.Sprintf("skills.external_dirs entry cannot be read: %v", err)})
		}
		return nil, probs
	}
	_ = filepath.WalkDir(tree, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			probs = append(probs, Problem{Path: path, Msg: err.Error()})
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(tree, path)
		depth := 0
		if rel != "." {
			depth = strings.Count(rel, string(filepath.Separator)) + 1
		}
		if path != tree && strings.HasPrefix(d.Name(), ".") || depth > maxDepth {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, SkillFile)); err != nil || path == tree {
			return nil
		}
		sk, p := loadSkill(tree, path, external)
		if p != nil {
			probs = append(probs, *p)
		} else {
			out = append(out, sk)
		}
		return filepath.SkipDir
	})
	return out, probs
}

// loadSkill reads dir/SKILL.md.
func loadSkill(tree, dir string, external bool) (*Skill, *Problem) {
	file := filepath.Join(dir, SkillFile)
	data, err := readLimited(file)
	if err != nil {
		return nil, &Problem{Path: file, Msg: err.Error()}
	}
	fm, body, err := Parse(data)
	if err != nil {
		pe := err.(*ParseError)
		return nil, &Problem{Path: file, Line: pe.Line, Col: pe.Col, Msg: pe.Msg}
	}
	if fm.Name != filepath.Base(dir) {
		return nil, &Problem{Path: file, Line: 2, Msg: fmt.Sprintf("name %q differs from the directory name %q; rename one so they match", fm.Name, filepath.Base(dir))}
	}
	sk := &Skill{Frontmatter: fm, Dir: dir, External: external, Body: body}
	if rel, _ := filepath.Rel(tree, filepath.Dir(dir)); rel != "." {
		sk.Category = filepath.ToSlash(rel)
	}
	// Every skill is scanned as it is loaded, the home's own too: a
	// SKILL.md may have been changed on disk since skill_manage scanned it.
	if sk.Blocked = scanSkill(dir, string(data)); len(sk.Blocked) > 0 {
		slog.Warn("skill blocked: potential prompt injection", "skill", sk.Name, "file", file, "ids", strings.Join(sk.Blocked, ","))
	}
	return sk, nil
}

// scanSkill scans SKILL.md and every file under references/ and returns
// the finding ids.
func scanSkill(dir, skillMD string) []string {
	findings := scanAll(skillMD)
	_ = filepath.WalkDir(filepath.Join(dir, "references"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if b, err := readLimited(path); err == nil {
			findings = append(findings, scanAll(string(b))...)
		}
		return nil
	})
	return contextfiles.IDs(findings)
}

// scanOverlap is how far consecutive windows of scanAll overlap, so a
// phrase across a window's edge is seen whole in one of them.
const scanOverlap = 4 << 10

// scanAll scans the whole of text, which may be longer than the scan's
// contextfiles.ScanLimit, in overlapping windows: a skill of up to
// maxSkillBytes reaches the model whole, so all of it is scanned.
func scanAll(text string) []contextfiles.Finding {
	var out []contextfiles.Finding
	for start := 0; ; start += contextfiles.ScanLimit - scanOverlap {
		out = append(out, contextfiles.ScanText(text[start:])...)
		if len(text)-start <= contextfiles.ScanLimit {
			return out
		}
	}
}

func readLimited(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxSkillBytes {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", filepath.Base(path), fi.Size(), maxSkillBytes)
	}
	return os.ReadFile(path)
}

// All returns every loaded skill, offered or not.
func (s *Set) All() []*Skill {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.skills)
}

// Available returns the skills offered to the agent.
func (s *Set) Available() []*Skill {
	var out []*Skill
	for _, sk := range s.All() {
		if sk.Available() {
			out = append(out, sk)
		}
	}
	return out
}

// Get returns the skill called name, offered or not.
func (s *Set) Get(name string) (*Skill, bool) {
	for _, sk := range s.All() {
		if sk.Name == name {
			return sk, true
		}
	}
	return nil, false
}

// BlockedNotices are the [BLOCKED: ...] lines that stand for the skills
// the injection scan blocked (contextfiles.BlockedNotice), in Set order.
func (s *Set) BlockedNotices() []string {
	var out []string
	for _, sk := range s.All() {
		if len(sk.Blocked) > 0 && !sk.Disabled {
			out = append(out, contextfiles.BlockedNotice("skill "+sk.Name+" ("+filepath.Join(sk.Dir, SkillFile)+")", sk.Blocked))
		}
	}
	return out
}

// Index lists the offered skills' names and descriptions by category for
// the system prompt, then a [BLOCKED: ...] line for each blocked skill; ""
// when there are neither.
func (s *Set) Index() string {
	avail := s.Available()
	blocked := s.BlockedNotices()
	if len(avail) == 0 {
		if len(blocked) == 0 {
			return ""
		}
		return strings.Join(blocked, "\n") + "\n"
	}
	var b strings.Builder
	b.WriteString("Skills (load one with skill_view before following it):\n")
	cat := "\x00"
	for _, sk := range avail {
		if sk.Category != cat {
			cat = sk.Category
			name := cat
			if name == "" {
				name = "general"
			}
			fmt.Fprintf(&b, "%s:\n", name)
		}
		fmt.Fprintf(&b, "  - %s: %s\n", sk.Name, oneLine(sk.Description))
	}
	for _, l := range blocked {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
