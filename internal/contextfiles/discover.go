package contextfiles

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hermes-go/hermes/internal/home"
)

// DefaultMaxBytes is how much of one context file is loaded when
// Options.MaxBytes is 0 (config security.context_file_max_kib: 64).
const DefaultMaxBytes = 64 << 10

// Kinds of context files, as File.Kind.
const (
	KindHermes = "hermes" // .hermes.md or HERMES.md
	KindAgents = "agents" // AGENTS.md
	KindClaude = "claude" // CLAUDE.md
	KindCursor = "cursor" // .cursorrules, .cursor/rules/*.mdc
	KindSoul   = "soul"   // SOUL.md in the hermes home
	KindFile   = "file"   // a file named to ScanPaths
)

// Status values of a File after Load or ScanPaths.
const (
	StatusLoaded  = "loaded"
	StatusBlocked = "blocked"
)

// Options says where the persona lives and how files are read.
type Options struct {
	Home     string // the hermes home, for SOUL.md; "" for none
	MaxBytes int    // bytes loaded per file; 0 means DefaultMaxBytes
	Scan     bool   // false loads without scanning (security.scan_context_files: false)
}

func (o Options) maxBytes() int {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

// File is one context file. Discover fills Path, Kind, Size and
// Truncated; Load and ScanPaths also fill the scan's verdict.
type File struct {
	Path      string    `json:"path"`
	Kind      string    `json:"kind"`
	Size      int64     `json:"size"`
	Truncated bool      `json:"truncated"`
	Blocked   bool      `json:"blocked"`
	Status    string    `json:"status"`
	IDs       []string  `json:"ids"`
	Findings  []Finding `json:"findings"`
}

// Discover lists the context files hermes would put into the system
// prompt for a session started in cwd, in prompt order: SOUL.md from the
// home first (the persona), then the first project family that exists:
//
//  1. .hermes.md or HERMES.md, the nearest one from cwd up to the git root;
//  2. every AGENTS.md from the git root down to cwd, root first;
//  3. CLAUDE.md, the nearest one from cwd up to the git root;
//  4. .cursorrules and .cursor/rules/*.mdc (sorted) in cwd, else in the
//     git root.
//
// The git root is the nearest ancestor of cwd (or cwd) holding a .git
// directory or file; without one only cwd itself is searched. Only
// regular files (or links to them) count.
func Discover(cwd string, o Options) ([]File, error) {
	abs, err := filepath.Abs(cwd)
	if err != nil {
		return nil, fmt.Errorf("contextfiles: resolve %q: %w", cwd, err)
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("contextfiles: working directory: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("contextfiles: working directory %s is not a directory", abs)
	}
	limit := o.maxBytes()
	var files []File
	add := func(path, kind string) bool {
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			return false
		}
		files = append(files, File{Path: path, Kind: kind, Size: fi.Size(), Truncated: fi.Size() > int64(limit)})
		return true
	}
	if o.Home != "" {
		add(filepath.Join(o.Home, home.SoulFile), KindSoul)
	}
	n := len(files)
	root := gitRoot(abs)
	chain := searchDirs(abs, root) // nearest first
	for _, dir := range chain {
		if add(filepath.Join(dir, ".hermes.md"), KindHermes) || add(filepath.Join(dir, "HERMES.md"), KindHermes) {
			return files, nil
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		add(filepath.Join(chain[i], "AGENTS.md"), KindAgents)
	}
	if len(files) > n {
		return files, nil
	}
	for _, dir := range chain {
		if add(filepath.Join(dir, "CLAUDE.md"), KindClaude) {
			return files, nil
		}
	}
	for _, dir := range []string{abs, root} {
		if dir == "" {
			continue
		}
		if addCursor(dir, add) {
			break
		}
	}
	return files, nil
}

// addCursor adds dir's .cursorrules and .cursor/rules/*.mdc and reports
// whether there were any.
func addCursor(dir string, add func(path, kind string) bool) bool {
	found := add(filepath.Join(dir, ".cursorrules"), KindCursor)
	mdc, _ := filepath.Glob(filepath.Join(dir, ".cursor", "rules", "*.mdc")) // the pattern is valid
	sort.Strings(mdc)
	for _, p := range mdc {
		if add(p, KindCursor) {
			found = true
		}
	}
	return found
}

// gitRoot returns the nearest directory from dir upwards that holds a .git
// directory or file (a worktree or submodule), or "" if there is none.
func gitRoot(dir string) string {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// searchDirs lists cwd and its ancestors up to root, nearest first; just
// cwd when there is no root.
func searchDirs(cwd, root string) []string {
	dirs := []string{cwd}
	if root == "" {
		return dirs
	}
	for dir := cwd; dir != root; {
		dir = filepath.Dir(dir)
		dirs = append(dirs, dir)
		if dir == filepath.Dir(dir) {
			break
		}
	}
	return dirs
}
