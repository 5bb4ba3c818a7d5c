package contextfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree builds files under root; a name ending in "/" is a directory and
// ".git" entries without "/" become gitdir files like a worktree's.
func tree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// rel lists paths relative to root, with "$HOME/" for paths under home.
func rel(t testing.TB, root, home string, files []File) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		if home != "" && strings.HasPrefix(f.Path, home+string(filepath.Separator)) {
			out = append(out, "$HOME/"+filepath.ToSlash(strings.TrimPrefix(f.Path, home+string(filepath.Separator)))+" "+f.Kind)
			continue
		}
		r, err := filepath.Rel(root, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(r)+" "+f.Kind)
	}
	return out
}
