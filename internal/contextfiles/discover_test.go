package contextfiles

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDiscover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		cwd   string // relative to the tree's root
		want  []string
	}{
		{
			name:  "nothing",
			files: map[string]string{".git/": "", "a/b/": ""},
			cwd:   "a/b",
		},
		{
			name:  "hermes beats every other family",
			files: map[string]string{".git/": "", ".hermes.md": "h", "AGENTS.md": "a", "CLAUDE.md": "c", ".cursorrules": "r"},
			cwd:   ".",
			want:  []string{".hermes.md hermes"},
		},
		{
			name:  "dot hermes beats HERMES.md in the same directory",
			files: map[string]string{".git/": "", ".hermes.md": "h", "HERMES.md": "H"},
			cwd:   ".",
			want:  []string{".hermes.md hermes"},
		},
		{
			name:  "nearest HERMES.md wins",
			files: map[string]string{".git/": "", ".hermes.md": "root", "a/HERMES.md": "near", "a/b/AGENTS.md": "a"},
			cwd:   "a/b",
			want:  []string{"a/HERMES.md hermes"},
		},
		{
			name:  "HERMES.md above the git root is not seen",
			files: map[string]string{"HERMES.md": "outside", "repo/.git/": "", "repo/AGENTS.md": "a"},
			cwd:   "repo",
			want:  []string{"repo/AGENTS.md agents"},
		},
		{
			name:  "AGENTS.md chain root first, every level",
			files: map[string]string{".git/": "", "AGENTS.md": "r", "a/AGENTS.md": "a", "a/b/c/AGENTS.md": "c", "a/b/c/CLAUDE.md": "x"},
			cwd:   "a/b/c",
			want:  []string{"AGENTS.md agents", "a/AGENTS.md agents", "a/b/c/AGENTS.md agents"},
		},
		{
			name:  "AGENTS.md below cwd is not part of the chain",
			files: map[string]string{".git/": "", "AGENTS.md": "r", "a/b/AGENTS.md": "deeper"},
			cwd:   "a",
			want:  []string{"AGENTS.md agents"},
		},
		{
			name:  "without a git root only cwd counts",
			files: map[string]string{"AGENTS.md": "parent", "a/CLAUDE.md": "c"},
			cwd:   "a",
			want:  []string{"a/CLAUDE.md claude"},
		},
		{
			name:  "nearest CLAUDE.md wins",
			files: map[string]string{".git/": "", "CLAUDE.md": "root", "a/CLAUDE.md": "near", "a/b/": ""},
			cwd:   "a/b",
			want:  []string{"a/CLAUDE.md claude"},
		},
		{
			name:  "CLAUDE.md at the git root",
			files: map[string]string{".git/": "", "CLAUDE.md": "root", "a/b/": ""},
			cwd:   "a/b",
			want:  []string{"CLAUDE.md claude"},
		},
		{
			name:  "cursor rules in cwd, mdc sorted",
			files: map[string]string{".git/": "", ".cursorrules": "r", ".cursor/rules/b.mdc": "b", ".cursor/rules/a.mdc": "a", ".cursor/rules/notes.txt": "n"},
			cwd:   ".",
			want:  []string{".cursorrules cursor", ".cursor/rules/a.mdc cursor", ".cursor/rules/b.mdc cursor"},
		},
		{
			name:  "cursor rules from the git root when cwd has none",
			files: map[string]string{".git/": "", ".cursor/rules/x.mdc": "x", "sub/": ""},
			cwd:   "sub",
			want:  []string{".cursor/rules/x.mdc cursor"},
		},
		{
			name:  "cursor rules in cwd shadow the git root's",
			files: map[string]string{".git/": "", ".cursorrules": "root", "sub/.cursorrules": "sub"},
			cwd:   "sub",
			want:  []string{"sub/.cursorrules cursor"},
		},
		{
			name:  "a .git file marks a worktree root",
			files: map[string]string{"AGENTS.md": "outside", "wt/.git": "gitdir: /elsewhere\n", "wt/AGENTS.md": "w", "wt/x/AGENTS.md": "x"},
			cwd:   "wt/x",
			want:  []string{"wt/AGENTS.md agents", "wt/x/AGENTS.md agents"},
		},
		{
			name:  "the nearest git root wins (submodule)",
			files: map[string]string{".git/": "", "AGENTS.md": "outer", "mod/.git": "gitdir: ../.git/modules/mod\n", "mod/AGENTS.md": "inner"},
			cwd:   "mod",
			want:  []string{"mod/AGENTS.md agents"},
		},
		{
			name:  "a directory named AGENTS.md is not a file",
			files: map[string]string{".git/": "", "AGENTS.md/": "", "CLAUDE.md": "c"},
			cwd:   ".",
			want:  []string{"CLAUDE.md claude"},
		},
		{
			name:  "an empty file still claims its family",
			files: map[string]string{".git/": "", ".hermes.md": "", "AGENTS.md": "a"},
			cwd:   ".",
			want:  []string{".hermes.md hermes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			tree(t, root, tt.files)
			files, err := Discover(filepath.Join(root, tt.cwd), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := rel(t, root, "", files); !slices.Equal(got, tt.want) {
				t.Errorf("Discover = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiscoverSoul(t *testing.T) {
	t.Parallel()
	root, home := t.TempDir(), t.TempDir()
	tree(t, root, map[string]string{".git/": "", "AGENTS.md": "a"})
	tree(t, home, map[string]string{"SOUL.md": "You are terse.\n"})
	files, err := Discover(root, Options{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"$HOME/SOUL.md soul", "AGENTS.md agents"}
	if got := rel(t, root, home, files); !slices.Equal(got, want) {
		t.Errorf("Discover = %q, want %q", got, want)
	}
	// A home without SOUL.md adds nothing.
	files, err = Discover(root, Options{Home: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := rel(t, root, home, files); !slices.Equal(got, []string{"AGENTS.md agents"}) {
		t.Errorf("without SOUL.md: %q", got)
	}
}

func TestDiscoverSizes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	tree(t, root, map[string]string{".git/": "", "AGENTS.md": "0123456789"})
	for _, tt := range []struct {
		max       int
		truncated bool
	}{{0, false}, {10, false}, {9, true}} {
		files, err := Discover(root, Options{MaxBytes: tt.max})
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 || files[0].Size != 10 || files[0].Truncated != tt.truncated {
			t.Errorf("MaxBytes %d: %+v, want size 10 truncated %v", tt.max, files, tt.truncated)
		}
	}
}

func TestDiscoverBadCwd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cwd := range []string{filepath.Join(dir, "missing"), file} {
		if _, err := Discover(cwd, Options{}); err == nil {
			t.Errorf("Discover(%s) succeeded", cwd)
		}
	}
}
