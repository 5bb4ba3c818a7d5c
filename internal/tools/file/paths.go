package file

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-go/hermes/internal/tools"
)

// resolve turns the path argument into an absolute, clean path: ~ is the
// user's home directory and a relative path is taken from env.Cwd.
func resolve(env *tools.Env, p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", errors.New("path is empty; give a file path")
	}
	if strings.ContainsRune(p, 0) {
		return "", errors.New("path contains a NUL byte")
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", errors.New("cannot expand ~: the user's home directory is unknown; give an absolute path")
		}
		p = filepath.Join(home, p[1:])
	}
	if !filepath.IsAbs(p) {
		base := ""
		if env != nil {
			base = env.Cwd
		}
		if base == "" {
			wd, err := os.Getwd()
			if err != nil {
				return "", errors.New("relative path without a working directory; give an absolute path")
			}
			base = wd
		}
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p), nil
}

// realPath resolves symlinks in p; for a missing file it resolves the
// deepest existing parent and appends the rest.
func realPath(p string) string {
	rest := ""
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(p, rest)
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// display is how a path is shown to the model: relative to the working
// directory when inside it, else absolute.
func display(env *tools.Env, p string) string {
	if env != nil && env.Cwd != "" {
		if r, err := filepath.Rel(env.Cwd, p); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
			return r
		}
	}
	return p
}
