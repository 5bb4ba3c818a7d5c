package skills

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/contextfiles"
	"github.com/hermes-go/hermes/internal/fileutil"
)

// DefaultCategory is where a skill created without a category goes.
const DefaultCategory = "general"

const (
	lockFile    = ".lock"
	lockTimeout = 10 * time.Second
)

// RefusedError is a skill write the injection scan stopped.
type RefusedError struct {
	Name string
	IDs  []string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to write skill %q: the text matches %s; write plain instructions for a task, without overriding the system prompt, hidden text or commands that send secrets out",
		e.Name, strings.Join(e.IDs, ", "))
}

func refuse(name, text string) error {
	if f := scanAll(text); len(f) > 0 {
		return &RefusedError{Name: name, IDs: contextfiles.IDs(f)}
	}
	return nil
}

// Create writes a new skill <home>/skills/<category>/<name>/SKILL.md with
// content, which must be a valid SKILL.md whose name is name.
func (s *Set) Create(ctx context.Context, name, category, content string) (*Skill, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if category == "" {
		category = DefaultCategory
	}
	if err := CheckName(category); err != nil {
		return nil, fmt.Errorf("invalid category: %w", err)
	}
	fm, _, err := Parse([]byte(content))
	if err != nil {
		return nil, fmt.Errorf("the content is not a valid SKILL.md: line %w", err)
	}
	if fm.Name != name {
		return nil, fmt.Errorf("the frontmatter names the skill %q but you are creating %q; make them equal", fm.Name, name)
	}
	if err := refuse(name, content); err != nil {
		return nil, err
	}
	dir := filepath.Join(s.root, category, name)
	err = s.locked(ctx, func() error {
		if sk, ok := s.Get(name); ok {
			return fmt.Errorf("a skill called %q already exists in %s; patch it or choose another name", name, sk.Dir)
		}
		if err := fileutil.EnsureDir(dir, fileutil.PrivateDir); err != nil {
			return err
		}
		return fileutil.WriteFile(filepath.Join(dir, SkillFile), []byte(content), fileutil.PublicFile)
	})
	if err != nil {
		return nil, err
	}
	sk, _ := s.Get(name)
	return sk, nil
}

// Patch replaces the one occurrence of oldText in a file of the skill
// (file "" is SKILL.md) with newText. A SKILL.md must stay valid and keep
// its name; the result is scanned. Skills of external trees are read-only.
func (s *Set) Patch(ctx context.Context, name, file, oldText, newText string) error {
	sk, err := s.own(name)
	if err != nil {
		return err
	}
	if oldText == "" {
		return errors.New("old_text is empty; quote the text to replace exactly")
	}
	path, err := resolveIn(sk.Dir, file)
	if err != nil {
		return err
	}
	return s.locked(ctx, func() error {
		data, err := readLimited(path)
		if err != nil {
			return err
		}
		text := string(data)
		switch n := strings.Count(text, oldText); n {
		case 0:
			return fmt.Errorf("%s of skill %q does not contain old_text; view it and quote the text exactly", relName(file), name)
		case 1:
		default:
			return fmt.Errorf("old_text occurs %d times in %s of skill %q; include more of the surrounding text so it is unique", n, relName(file), name)
		}
		text = strings.Replace(text, oldText, newText, 1)
		if path == filepath.Join(sk.Dir, SkillFile) {
			fm, _, err := Parse([]byte(text))
			if err != nil {
				return fmt.Errorf("the patch would break SKILL.md: line %w", err)
			}
			if fm.Name != name {
				return fmt.Errorf("the patch renames the skill to %q; a skill keeps its name (create a new one instead)", fm.Name)
			}
		}
		if err := refuse(name, text); err != nil {
			return err
		}
		return fileutil.WriteFile(path, []byte(text), fileutil.PublicFile)
	})
}

// Remove deletes a skill of the home's own tree, and its category
// directory if that is left empty.
func (s *Set) Remove(ctx context.Context, name string) error {
	sk, err := s.own(name)
	if err != nil {
		return err
	}
	return s.locked(ctx, func() error {
		// Rename away first so no reader sees a half-deleted skill.
		gone := filepath.Join(s.root, fmt.Sprintf(".removed-%s-%x", name, rand.Uint64()))
		if err := os.Rename(sk.Dir, gone); err != nil {
			return fmt.Errorf("remove skill %q: %w", name, err)
		}
		if err := os.RemoveAll(gone); err != nil {
			return fmt.Errorf("remove skill %q: %w", name, err)
		}
		if parent := filepath.Dir(sk.Dir); parent != s.root {
			_ = os.Remove(parent) // fails, as it should, when not empty
		}
		return nil
	})
}

// own returns a skill of the home's tree, which may be changed.
func (s *Set) own(name string) (*Skill, error) {
	sk, ok := s.Get(name)
	if !ok {
		return nil, fmt.Errorf("no skill called %q; list them with skills_list", name)
	}
	if sk.External {
		return nil, fmt.Errorf("skill %q comes from the external tree %s and is read-only; create a skill of your own instead", name, filepath.Dir(sk.Dir))
	}
	return sk, nil
}

// locked runs fn under the skills lock and reloads the set afterwards.
func (s *Set) locked(ctx context.Context, fn func() error) error {
	if err := fileutil.EnsureDir(s.root, fileutil.PrivateDir); err != nil {
		return err
	}
	err := fileutil.WithLock(ctx, filepath.Join(s.root, lockFile), lockTimeout, func() error {
		s.reload() // see other processes' changes before deciding
		return fn()
	})
	s.reload()
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w; the skill changed meanwhile, list the skills again", err)
	}
	return err
}

// Scaffold is the SKILL.md hermes skills create writes.
func Scaffold(name, description string) string {
	return fmt.Sprintf(`---
name: %s
description: %q
version: "1.0"
---

# %s

## When to use

Describe the situations this skill is for.

## Steps

1. First step.
2. Second step.

## References

Put longer material in references/, templates in templates/ and helper
scripts in scripts/; mention each file here so the agent knows to load it.
`, name, description, name)
}
