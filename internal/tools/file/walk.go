package file

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errEnough stops the walk once the result cap is passed.
var errEnough = errors.New("enough matches")

// skipDirs are never searched.
var skipDirs = map[string]bool{".git": true, "node_modules": true}

// walk is the search without ripgrep: it walks s.root in lexical order,
// honouring the .gitignore files it meets.
func (s *search) walk(ctx context.Context) ([]match, bool, error) {
	var matches []match
	more := false
	ignores := map[string][]ignoreRule{} // directory -> its .gitignore
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable entries are skipped, as rg does
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			if p != s.root && (skipDirs[d.Name()] || s.isIgnored(ignores, p, true)) {
				return filepath.SkipDir
			}
			if data, err := os.ReadFile(filepath.Join(p, ".gitignore")); err == nil {
				ignores[p] = parseGitignore(string(data))
			}
			return nil
		}
		if !d.Type().IsRegular() || s.skip(p) || (p != s.root && (s.isIgnored(ignores, p, false) || !s.globOK(p))) {
			return nil
		}
		found, err := s.grepFile(p, s.max+1-len(matches))
		if err != nil {
			return nil
		}
		matches = append(matches, found...)
		if len(matches) > s.max {
			matches, more = matches[:s.max], true
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, false, err
	}
	return matches, more, nil
}

// isIgnored applies the .gitignore files of p's ancestors inside the
// root, the deepest deciding last.
func (s *search) isIgnored(ignores map[string][]ignoreRule, p string, dir bool) bool {
	for d := filepath.Dir(p); ; d = filepath.Dir(d) {
		if rules, ok := ignores[d]; ok {
			rel, err := filepath.Rel(d, p)
			if err == nil {
				if ig, decided := ignored(rules, filepath.ToSlash(rel), dir); decided {
					return ig // the deepest .gitignore that has a say wins
				}
			}
		}
		if d == s.root || d == filepath.Dir(d) || !strings.HasPrefix(d, s.root) {
			return false
		}
	}
}

// globOK reports whether p passes the glob argument: against the path
// relative to the root when the glob has a slash, else the name.
func (s *search) globOK(p string) bool {
	if s.globR == nil {
		return true
	}
	rel, err := filepath.Rel(s.root, p)
	if err != nil {
		return false
	}
	return s.globR.MatchString(filepath.ToSlash(rel))
}

// grepFile returns up to limit matching lines of a text file.
func (s *search) grepFile(p string, limit int) ([]match, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() > MaxSearchFile {
		return nil, err
	}
	r := bufio.NewReaderSize(f, 64<<10)
	if head, _ := r.Peek(sniffSize); isBinary(head) {
		return nil, nil
	}
	var out []match
	for n := 1; len(out) < limit; n++ {
		text, err := r.ReadString('\n')
		if text == "" && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return out, err
		}
		if s.re.MatchString(strings.TrimRight(text, "\r\n")) {
			out = append(out, match{path: p, line: n, text: text})
		}
		if err == io.EOF {
			break
		}
	}
	return out, nil
}
