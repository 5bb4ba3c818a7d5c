package skills

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/contextfiles"
)

// View returns SKILL.md of the skill called name (file "" or "SKILL.md"),
// followed by the list of its other files, or the text of one file under
// the skill's directory. Paths that leave the directory, directly or
// through a symlink, are refused.
func (s *Set) View(name, file string) (string, error) {
	sk, ok := s.Get(name)
	if !ok {
		return "", fmt.Errorf("no skill called %q; list them with skills_list", name)
	}
	if st := sk.Status(); st != "" {
		return "", fmt.Errorf("skill %q is not available: %s", name, st)
	}
	path, err := resolveIn(sk.Dir, file)
	if err != nil {
		return "", err
	}
	data, err := readLimited(path)
	if err != nil {
		return "", fmt.Errorf("read %s of skill %q: %w", relName(file), name, err)
	}
	// Scanned again as it is loaded: the file may have changed since Load,
	// and files outside SKILL.md and references/ were not scanned then.
	if ids := contextfiles.IDs(scanAll(string(data))); len(ids) > 0 {
		slog.Warn("skill file blocked: potential prompt injection", "skill", name, "file", path, "ids", strings.Join(ids, ","))
		return "", fmt.Errorf("%s", contextfiles.BlockedNotice("skill "+name+" file "+relName(file), ids))
	}
	if file != "" && file != SkillFile {
		return string(data), nil
	}
	text := string(data)
	if files := listFiles(sk.Dir); len(files) > 0 {
		text = strings.TrimRight(text, "\n") + "\n\n---\nFiles of this skill (view one with file=PATH): " + strings.Join(files, ", ") + "\n"
	}
	return text, nil
}

func relName(file string) string {
	if file == "" {
		return SkillFile
	}
	return file
}

// resolveIn turns file (relative to dir) into a path inside dir, refusing
// absolute paths, ".." and symlinks that point out of dir.
func resolveIn(dir, file string) (string, error) {
	if file == "" {
		file = SkillFile
	}
	clean := filepath.Clean(filepath.FromSlash(file))
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) || clean == "." {
		return "", fmt.Errorf("file %q is outside the skill; give a path inside it like references/api.md", file)
	}
	path := filepath.Join(dir, clean)
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("resolve skill directory: %w", err)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("the skill has no file %q; SKILL.md lists the files it has", file)
	}
	if rel, err := filepath.Rel(realDir, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("file %q links outside the skill; refused", file)
	}
	fi, err := os.Stat(real)
	if err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%q is not a file of the skill", file)
	}
	return path, nil
}

// listFiles lists the files of a skill other than SKILL.md, slash
// separated and sorted.
func listFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if rel != SkillFile && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}
