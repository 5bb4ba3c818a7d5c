package memory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/contextfiles"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
)

// Target names one of the two memory files.
type Target string

// The two targets.
const (
	Memory Target = "memory" // MEMORY.md, the agent's notes
	User   Target = "user"   // USER.md, about the user
)

// File names inside <home>/memories.
const (
	MemoryFile  = "MEMORY.md"
	UserFile    = "USER.md"
	ArchiveFile = "ARCHIVE.jsonl"
	lockFile    = ".lock"
)

// lockTimeout bounds the wait for another process's write.
const lockTimeout = 10 * time.Second

// ParseTarget accepts "memory" or "user".
func ParseTarget(s string) (Target, error) {
	switch Target(s) {
	case Memory, User:
		return Target(s), nil
	}
	return "", fmt.Errorf("unknown memory target %q; use \"memory\" (your notes) or \"user\" (about the user)", s)
}

// File is the file name of the target.
func (t Target) File() string {
	if t == User {
		return UserFile
	}
	return MemoryFile
}

// Store reads and changes the memory files of one home. It holds no
// state besides its configuration: every call reads the files afresh, so
// any number of Stores (and processes) may share a home.
type Store struct {
	dir    string
	limits map[Target]int
	now    func() time.Time
}

// Open returns the store of the hermes home dir with cfg's limits (zero
// limits take the defaults).
func Open(homeDir string, cfg config.Memory) *Store {
	def := config.Default().Memory
	if cfg.MemoryCharLimit <= 0 {
		cfg.MemoryCharLimit = def.MemoryCharLimit
	}
	if cfg.UserCharLimit <= 0 {
		cfg.UserCharLimit = def.UserCharLimit
	}
	return &Store{
		dir:    filepath.Join(homeDir, home.MemoriesDir),
		limits: map[Target]int{Memory: cfg.MemoryCharLimit, User: cfg.UserCharLimit},
		now:    time.Now,
	}
}

// Dir is <home>/memories.
func (s *Store) Dir() string { return s.dir }

// Path is the file of target t.
func (s *Store) Path(t Target) string { return filepath.Join(s.dir, t.File()) }

// Limit is the character limit of target t.
func (s *Store) Limit(t Target) int { return s.limits[t] }

// State is a memory file as read or as left by a change.
type State struct {
	Target   Target
	Entries  []string
	Used     int      // characters, see Size
	Limit    int      // characters
	Archived []string // entries this change moved to the archive, oldest first
	Changed  bool     // false when the change was a no-op (an exact duplicate)
}

// Usage is the header figure, e.g. "67% — 1,474/2,200 chars".
func (st State) Usage() string { return Usage(st.Used, st.Limit) }

// Read returns the entries of target t; a missing file has none.
func (s *Store) Read(t Target) (State, error) {
	entries, err := s.read(t)
	if err != nil {
		return State{}, err
	}
	return s.state(t, entries), nil
}

func (s *Store) state(t Target, entries []string) State {
	return State{Target: t, Entries: entries, Used: Size(entries), Limit: s.limits[t]}
}

func (s *Store) read(t Target) ([]string, error) {
	b, err := os.ReadFile(s.Path(t))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.File(), err)
	}
	return Parse(string(b)), nil
}

// Add appends content as a new entry. An entry equal to an existing one
// changes nothing.
func (s *Store) Add(ctx context.Context, t Target, content string) (State, error) {
	e, err := s.checkNew(t, content)
	if err != nil {
		return State{}, err
	}
	return s.update(ctx, t, func(entries []string) ([]string, error) {
		for _, old := range entries {
			if old == e {
				return nil, errNoChange
			}
		}
		return append(entries, e), nil
	})
}

// Replace swaps the one entry containing oldText for content. No match or
// several matches is a *MatchError.
func (s *Store) Replace(ctx context.Context, t Target, oldText, content string) (State, error) {
	e, err := s.checkNew(t, content)
	if err != nil {
		return State{}, err
	}
	return s.update(ctx, t, func(entries []string) ([]string, error) {
		i, err := find(t, entries, oldText)
		if err != nil {
			return nil, err
		}
		out := append([]string(nil), entries...)
		out[i] = e
		return out, nil
	})
}

// Remove deletes the one entry containing oldText. No match or several
// matches is a *MatchError.
func (s *Store) Remove(ctx context.Context, t Target, oldText string) (State, error) {
	return s.update(ctx, t, func(entries []string) ([]string, error) {
		i, err := find(t, entries, oldText)
		if err != nil {
			return nil, err
		}
		return append(entries[:i:i], entries[i+1:]...), nil
	})
}

// Write replaces the whole file of target t with text (hermes memory
// edit). The text is scanned like any entry; over the limit, its oldest
// entries are archived.
func (s *Store) Write(ctx context.Context, t Target, text string) (State, error) {
	if err := scan(t, text); err != nil {
		return State{}, err
	}
	entries := Parse(text)
	for _, e := range entries {
		if n := Size([]string{e}); n > s.limits[t] {
			return State{}, fmt.Errorf("an entry of %s is %d characters, over the file's limit of %d; shorten it or split it", t.File(), n, s.limits[t])
		}
	}
	return s.update(ctx, t, func([]string) ([]string, error) { return entries, nil })
}

// checkNew validates and scans one new entry.
func (s *Store) checkNew(t Target, content string) (string, error) {
	e, err := checkEntry(content)
	if err != nil {
		return "", err
	}
	if n := Size([]string{e}); n > s.limits[t] {
		return "", fmt.Errorf("the entry is %d characters, over the %d-character limit of %s; make it shorter", n, s.limits[t], t.File())
	}
	return e, scan(t, e)
}

// errNoChange makes update leave the file alone.
var errNoChange = errors.New("no change")

// update runs change on the current entries under the lock, archives the
// oldest entries while over the limit, and writes the result atomically.
func (s *Store) update(ctx context.Context, t Target, change func([]string) ([]string, error)) (State, error) {
	if err := fileutil.EnsureDir(s.dir, fileutil.PrivateDir); err != nil {
		return State{}, err
	}
	var st State
	err := fileutil.WithLock(ctx, filepath.Join(s.dir, lockFile), lockTimeout, func() error {
		entries, err := s.read(t)
		if err != nil {
			return err
		}
		next, err := change(entries)
		if errors.Is(err, errNoChange) {
			st = s.state(t, entries)
			return nil
		}
		if err != nil {
			return err
		}
		var archived []string
		for len(next) > 1 && Size(next) > s.limits[t] {
			archived = append(archived, next[0])
			next = next[1:]
		}
		// Archive first: a crash between the two writes leaves an entry
		// in both places, never in neither.
		if err := s.archive(t, archived); err != nil {
			return err
		}
		if err := fileutil.WriteFile(s.Path(t), []byte(Format(next)), fileutil.PrivateFile); err != nil {
			return err
		}
		st = s.state(t, next)
		st.Archived, st.Changed = archived, true
		return nil
	})
	return st, err
}

// MatchError is a replace or remove whose old text matched no entry or
// more than one.
type MatchError struct {
	Target  Target
	OldText string
	Matches []string // the entries that matched; empty for none
}

func (e *MatchError) Error() string {
	if len(e.Matches) == 0 {
		return fmt.Sprintf("no entry of %s contains %q; read the memory and quote part of the entry exactly", e.Target.File(), e.OldText)
	}
	quoted := make([]string, len(e.Matches))
	for i, m := range e.Matches {
		quoted[i] = fmt.Sprintf("%q", clip(m, 60))
	}
	return fmt.Sprintf("%d entries of %s contain %q (%s); quote more of the one you mean", len(e.Matches), e.Target.File(), e.OldText, strings.Join(quoted, ", "))
}

func find(t Target, entries []string, oldText string) (int, error) {
	oldText = strings.TrimSpace(oldText)
	if oldText == "" {
		return 0, fmt.Errorf("old_text is empty; quote part of the entry to change")
	}
	at := -1
	var matches []string
	for i, e := range entries {
		if strings.Contains(e, oldText) {
			at = i
			matches = append(matches, e)
		}
	}
	if len(matches) != 1 {
		return 0, &MatchError{Target: t, OldText: oldText, Matches: matches}
	}
	return at, nil
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// RefusedError is a write the injection scan stopped.
type RefusedError struct {
	Target   Target
	Findings []contextfiles.Finding
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to write %s: the text matches %s; store plain facts, without instructions to the model, hidden text or commands that send data out",
		e.Target.File(), strings.Join(contextfiles.IDs(e.Findings), ", "))
}

// IDs are the finding ids that refused the write.
func (e *RefusedError) IDs() []string { return contextfiles.IDs(e.Findings) }

func scan(t Target, text string) error {
	if f := contextfiles.ScanText(text); len(f) > 0 {
		return &RefusedError{Target: t, Findings: f}
	}
	return nil
}
