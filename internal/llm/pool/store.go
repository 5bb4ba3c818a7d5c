package pool

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/fileutil"
)

// fileVersion is the auth.json format this package reads and writes.
const fileVersion = 1

// Lock tuning: every change holds the lock for one read-modify-write of a
// small file, so waiting long means something is stuck.
const (
	lockTimeout = 15 * time.Second
	lockPoll    = 2 * time.Millisecond
)

// authFile is auth.json on disk.
type authFile struct {
	Version int              `json:"version"`
	Pools   map[string]*Pool `json:"pools"`
}

// Store is the credential pools in one auth.json. Every change is a
// read-modify-write under an exclusive lock on auth.json.lock, re-reading
// the file inside the lock, so concurrent processes (and goroutines) never
// lose each other's updates. Reads take no lock: writes are atomic
// renames.
type Store struct {
	path     string
	lockPath string
	clock    clock.Clock

	// mu serialises this process's changes before the file lock, so its
	// goroutines queue instead of polling the lock. It also guards rnd.
	mu  sync.Mutex
	rnd *mrand.Rand

	keysMu sync.Mutex
	keys   map[string]string // fingerprint -> secret of the env keys given to Sync

	// cache is the last content read or written, valid while the file is
	// the same (an atomic write replaces the file, so a change is always a
	// new inode or size or time). Guarded by mu.
	cache     *authFile
	cacheStat os.FileInfo
	// pending holds the usage (request_count, last_used_at) of picks that
	// did not write: provider -> id -> usage. It is merged into the file
	// by the next write, by a flush when it is older than flushEvery, or
	// by Flush. Guarded by mu.
	pending      map[string]map[string]*usage
	pendingSince time.Time
}

// usage is request bookkeeping not yet written.
type usage struct {
	count int64
	last  time.Time
}

// flushEvery bounds how long request counts wait in memory.
const flushEvery = 10 * time.Second

// Open returns the store kept in path (auth.json). Nothing is read until
// it is used; a missing file is an empty store. A nil clock is the real
// one.
func Open(path string, c clock.Clock) *Store {
	if c == nil {
		c = clock.Real{}
	}
	return &Store{
		path:     path,
		lockPath: path + ".lock",
		clock:    c,
		rnd:      mrand.New(mrand.NewPCG(mrand.Uint64(), mrand.Uint64())),
		keys:     map[string]string{},
		pending:  map[string]map[string]*usage{},
	}
}

// cached returns the file's content, read again only when the file
// changed since the last read or write. The result is shared: read only.
// The caller holds s.mu.
func (s *Store) cached() (*authFile, error) {
	fi, err := os.Stat(s.path)
	if err == nil && s.cache != nil && s.cacheStat != nil && os.SameFile(fi, s.cacheStat) &&
		fi.Size() == s.cacheStat.Size() && fi.ModTime().Equal(s.cacheStat.ModTime()) {
		return s.cache, nil
	}
	f, err := s.load()
	if err != nil {
		return nil, err
	}
	s.remember(f)
	return f, nil
}

// remember caches f as the file's current content. The caller holds s.mu.
func (s *Store) remember(f *authFile) {
	fi, err := os.Stat(s.path)
	if err != nil {
		s.cache, s.cacheStat = nil, nil
		return
	}
	s.cache, s.cacheStat = f, fi
}

// mergePending adds the pending usage to f and forgets it. The caller
// holds s.mu.
func (s *Store) mergePending(f *authFile) {
	for provider, ids := range s.pending {
		p, ok := f.Pools[provider]
		if !ok {
			continue
		}
		for i := range p.Entries {
			if u, ok := ids[p.Entries[i].ID]; ok {
				p.Entries[i].RequestCount += u.count
				if u.last.After(p.Entries[i].LastUsedAt) {
					p.Entries[i].LastUsedAt = u.last
				}
			}
		}
	}
	s.pending = map[string]map[string]*usage{}
	s.pendingSince = time.Time{}
}

// Flush writes the usage of picks that have not been written yet. Call it
// before the process ends; a write for any other reason does it too.
func (s *Store) Flush() error {
	return s.updateFlush(func(*authFile) (bool, error) { return false, nil }, true)
}

// load reads auth.json. A missing or blank file is an empty store; a file
// that does not parse, or that a newer hermes wrote, is an error naming
// it.
func (s *Store) load() (*authFile, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(bytes.TrimSpace(data)) == 0) {
		return &authFile{Version: fileVersion, Pools: map[string]*Pool{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read credential pools: %w", err)
	}
	var f authFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: not a valid credential pool file (%v); fix or move it away, hermes will not overwrite it", s.path, err)
	}
	switch {
	case f.Version > fileVersion:
		return nil, fmt.Errorf("%s: written by a newer hermes (format version %d, this one reads up to %d); upgrade hermes", s.path, f.Version, fileVersion)
	case f.Version < 0:
		return nil, fmt.Errorf("%s: invalid format version %d", s.path, f.Version)
	}
	f.Version = fileVersion // 0: written by hand or by a copy before versions
	if f.Pools == nil {
		f.Pools = map[string]*Pool{}
	}
	for name, p := range f.Pools {
		if p == nil {
			f.Pools[name] = &Pool{Strategy: FillFirst}
		}
	}
	return &f, nil
}

// save writes f atomically with mode 0600.
func (s *Store) save(f *authFile) error {
	for _, p := range f.Pools {
		if p.Entries == nil {
			p.Entries = []Entry{}
		}
		if p.Strategy == "" {
			p.Strategy = FillFirst
		}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode credential pools: %w", err)
	}
	return fileutil.WriteFile(s.path, append(data, '\n'), fileutil.PrivateFile)
}

// update runs fn on the current content under the lock and saves it when
// fn reports a change.
func (s *Store) update(fn func(f *authFile) (changed bool, err error)) (err error) {
	return s.updateFlush(fn, false)
}

// updateFlush is update that also writes when pending usage is due (or
// flush is set), merging it into the file.
func (s *Store) updateFlush(fn func(f *authFile) (changed bool, err error), flush bool) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if flush && len(s.pending) == 0 {
		return nil
	}
	if err := fileutil.EnsureDir(filepath.Dir(s.path), fileutil.PrivateDir); err != nil {
		return err
	}
	l, err := fileutil.LockFile(context.Background(), s.lockPath, fileutil.LockOptions{Timeout: lockTimeout, Poll: lockPoll})
	if err != nil {
		return err
	}
	defer func() {
		if uerr := l.Unlock(); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}()
	f, err := s.load()
	if err != nil {
		return err
	}
	changed, err := fn(f)
	if err != nil {
		return err
	}
	due := len(s.pending) > 0 && (flush || s.clock.Now().Sub(s.pendingSince) >= flushEvery)
	if !changed && !due {
		s.remember(f)
		return nil
	}
	s.mergePending(f)
	if err := s.save(f); err != nil {
		return err
	}
	s.remember(f)
	return nil
}

// Pools returns every pool, by provider.
func (s *Store) Pools() (map[string]Pool, error) {
	f, err := s.load()
	if err != nil {
		return nil, err
	}
	out := make(map[string]Pool, len(f.Pools))
	for name, p := range f.Pools {
		out[name] = *p
	}
	return out, nil
}

// Pool returns one provider's pool; a provider without one has an empty
// fill_first pool.
func (s *Store) Pool(provider string) (Pool, error) {
	if err := checkProvider(provider); err != nil {
		return Pool{}, err
	}
	f, err := s.load()
	if err != nil {
		return Pool{}, err
	}
	if p, ok := f.Pools[provider]; ok {
		return *p, nil
	}
	return Pool{Strategy: FillFirst}, nil
}

// Add adds a key to provider's pool, after its other keys (priority one
// more than the highest). An empty key, a key with spaces in it, a key
// the pool already holds, or a label already used is refused.
func (s *Store) Add(provider, key, label string) (Entry, error) {
	added, err := s.add(provider, strings.TrimSpace(key), strings.TrimSpace(label))
	if err != nil {
		return Entry{}, fmt.Errorf("add a key to %s: %w", provider, err)
	}
	return added, nil
}

func (s *Store) add(provider, key, label string) (Entry, error) {
	if err := checkProvider(provider); err != nil {
		return Entry{}, err
	}
	if err := checkKey(key); err != nil {
		return Entry{}, err
	}
	if label != "" {
		if _, err := strconv.Atoi(label); err == nil {
			return Entry{}, fmt.Errorf("label %q is a number, which would be taken for a position; choose a name", label)
		}
	}
	var added Entry
	err := s.update(func(f *authFile) (bool, error) {
		p := f.pool(provider)
		fp := fingerprint(key)
		for i, e := range p.Entries {
			if e.Fingerprint == fp {
				return false, fmt.Errorf("%s already has this key: entry %d (%s)", provider, i+1, e.describe())
			}
			if label != "" && e.Label == label {
				return false, fmt.Errorf("%s already has a key labelled %q (entry %d, id %s)", provider, label, i+1, e.ID)
			}
		}
		added = Entry{
			ID: newID(p), Label: label, Priority: p.maxPriority() + 1, Source: sourceManual,
			Key: key, Fingerprint: fp, LastStatus: StatusOK, AddedAt: s.clock.Now(),
		}
		p.Entries = append(p.Entries, added)
		return true, nil
	})
	return added, err
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("the key is empty")
	}
	if strings.IndexFunc(key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errors.New("the key contains spaces or control characters; paste it alone")
	}
	return nil
}

// describe names an entry in errors without its secret.
func (e Entry) describe() string {
	parts := []string{}
	if e.Label != "" {
		parts = append(parts, fmt.Sprintf("label %q", e.Label))
	}
	if e.Source != sourceManual && e.Source != "" {
		parts = append(parts, "from "+strings.TrimPrefix(e.Source, envPrefix))
	}
	parts = append(parts, "id "+e.ID)
	return strings.Join(parts, ", ")
}

// Remove takes a key out of provider's pool. ref is its id, its label,
// its variable (for env keys) or its 1-based position in `hermes auth
// list`. An env key comes back at the next Sync while its variable is set.
func (s *Store) Remove(provider, ref string) (Entry, error) {
	if err := checkProvider(provider); err != nil {
		return Entry{}, err
	}
	var removed Entry
	err := s.update(func(f *authFile) (bool, error) {
		p, i, err := f.find(provider, ref)
		if err != nil {
			return false, err
		}
		removed = p.Entries[i]
		p.Entries = append(p.Entries[:i], p.Entries[i+1:]...)
		return true, nil
	})
	if err != nil {
		return Entry{}, fmt.Errorf("remove a key from %s: %w", provider, err)
	}
	return removed, nil
}

// Reset clears the status, last error and cooldown of one entry (ref, as
// for Remove) or of every entry (ref == ""), and says how many entries it
// reset.
func (s *Store) Reset(provider, ref string) (int, error) {
	if err := checkProvider(provider); err != nil {
		return 0, err
	}
	n := 0
	err := s.update(func(f *authFile) (bool, error) {
		if ref == "" {
			p, ok := f.Pools[provider]
			if !ok {
				return false, fmt.Errorf("%s has no keys", provider)
			}
			for i := range p.Entries {
				p.Entries[i].clear()
			}
			n = len(p.Entries)
			return n > 0, nil
		}
		p, i, err := f.find(provider, ref)
		if err != nil {
			return false, err
		}
		p.Entries[i].clear()
		n = 1
		return true, nil
	})
	if err != nil {
		return 0, fmt.Errorf("reset %s: %w", provider, err)
	}
	return n, nil
}

func (e *Entry) clear() {
	e.LastStatus, e.LastError, e.CooldownUntil = StatusOK, nil, time.Time{}
}

// SetPriority sets the priority of one entry (ref, as for Remove). Lower
// numbers are tried first with fill_first.
func (s *Store) SetPriority(provider, ref string, priority int) error {
	if err := checkProvider(provider); err != nil {
		return err
	}
	err := s.update(func(f *authFile) (bool, error) {
		p, i, err := f.find(provider, ref)
		if err != nil {
			return false, err
		}
		p.Entries[i].Priority = priority
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("set a priority in %s: %w", provider, err)
	}
	return nil
}

// SetStrategy chooses how provider's pool picks its key. The pool may have
// no keys yet.
func (s *Store) SetStrategy(provider string, st Strategy) error {
	if err := checkProvider(provider); err != nil {
		return err
	}
	if _, err := ParseStrategy(string(st)); err != nil || st != st.orDefault() {
		return fmt.Errorf("set the strategy of %s: unknown strategy %q", provider, st)
	}
	err := s.update(func(f *authFile) (bool, error) {
		p := f.pool(provider)
		if p.Strategy == st {
			return false, nil
		}
		p.Strategy = st
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("set the strategy of %s: %w", provider, err)
	}
	return nil
}

// Sync records the keys that variables hold for provider: an entry per
// Source ("env:VAR"), storing only the key's fingerprint. An entry whose
// key is unchanged keeps its status; a changed key starts afresh (status,
// error and cooldown cleared); entries of variables no longer given are
// removed. A key the pool already holds under another source is not added
// twice. Manual entries are untouched. The keys are remembered in memory
// so Pick can lease them.
func (s *Store) Sync(provider string, env []EnvKey) error {
	if err := checkProvider(provider); err != nil {
		return err
	}
	given := map[string]string{} // source -> fingerprint
	var order []string
	for _, k := range env {
		key := strings.TrimSpace(k.Key)
		name, ok := strings.CutPrefix(k.Source, envPrefix)
		if !ok || name == "" {
			return fmt.Errorf("sync %s: source %q does not name a variable (want env:VAR)", provider, k.Source)
		}
		if key == "" {
			continue
		}
		if err := checkKey(key); err != nil {
			return fmt.Errorf("sync %s: %s: %w", provider, name, err)
		}
		fp := fingerprint(key)
		s.keysMu.Lock()
		s.keys[fp] = key
		s.keysMu.Unlock()
		if _, dup := given[k.Source]; !dup {
			order = append(order, k.Source)
		}
		given[k.Source] = fp
	}
	err := s.update(func(f *authFile) (bool, error) {
		p, ok := f.Pools[provider]
		if !ok && len(given) == 0 {
			return false, nil
		}
		if !ok {
			p = f.pool(provider)
		}
		return p.sync(given, order, s.clock.Now()), nil
	})
	if err != nil {
		return fmt.Errorf("sync %s: %w", provider, err)
	}
	return nil
}

// sync applies Sync to p and reports whether it changed.
func (p *Pool) sync(given map[string]string, order []string, now time.Time) bool {
	manual := map[string]bool{}
	for _, e := range p.Entries {
		if e.Source == sourceManual {
			manual[e.Fingerprint] = true
		}
	}
	changed := false
	seen := map[string]bool{} // fingerprints of the env entries kept
	kept := p.Entries[:0]
	for _, e := range p.Entries {
		if strings.HasPrefix(e.Source, envPrefix) {
			fp, ok := given[e.Source]
			switch {
			case !ok: // the variable is gone
				changed = true
				continue
			case fp != e.Fingerprint: // a new key: it starts afresh
				e.Fingerprint = fp
				e.clear()
				changed = true
			}
			if manual[fp] || seen[fp] { // one key, one entry, one cooldown
				changed = true
				continue
			}
			seen[fp] = true
		}
		kept = append(kept, e)
	}
	p.Entries = kept
	for _, src := range order {
		fp := given[src]
		if p.hasSource(src) || p.hasFingerprint(fp) {
			continue
		}
		p.Entries = append(p.Entries, Entry{
			ID: newID(p), Priority: p.maxPriority() + 1, Source: src, Fingerprint: fp,
			LastStatus: StatusOK, AddedAt: now,
		})
		changed = true
	}
	return changed
}

func (p *Pool) hasSource(src string) bool {
	for _, e := range p.Entries {
		if e.Source == src {
			return true
		}
	}
	return false
}

func (p *Pool) hasFingerprint(fp string) bool {
	for _, e := range p.Entries {
		if e.Fingerprint == fp {
			return true
		}
	}
	return false
}

// pool returns provider's pool, creating an empty one.
func (f *authFile) pool(provider string) *Pool {
	p, ok := f.Pools[provider]
	if !ok {
		p = &Pool{Strategy: FillFirst, Entries: []Entry{}}
		f.Pools[provider] = p
	}
	return p
}

// find resolves ref in provider's pool: an id, a label, a source ("env:VAR"
// or just "VAR"), or a 1-based position.
func (f *authFile) find(provider, ref string) (*Pool, int, error) {
	p, ok := f.Pools[provider]
	if !ok || len(p.Entries) == 0 {
		return nil, 0, fmt.Errorf("%s has no keys", provider)
	}
	i, err := p.find(ref)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", provider, err)
	}
	return p, i, nil
}

func (p *Pool) find(ref string) (int, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return 0, errors.New("which key? give its number in `hermes auth list`, its label or its id")
	}
	matchers := []func(Entry) bool{
		func(e Entry) bool { return e.ID == ref },
		func(e Entry) bool { return e.Label == ref },
		func(e Entry) bool { return e.Source == ref || e.Source == envPrefix+ref },
	}
	for _, match := range matchers {
		for i, e := range p.Entries {
			if match(e) {
				return i, nil
			}
		}
	}
	if n, err := strconv.Atoi(ref); err == nil {
		if n >= 1 && n <= len(p.Entries) {
			return n - 1, nil
		}
		return 0, fmt.Errorf("no key number %d (there are %d)", n, len(p.Entries))
	}
	return 0, fmt.Errorf("no key %q: give its number in `hermes auth list`, its label or its id", ref)
}

func (p *Pool) maxPriority() int {
	m := 0
	for _, e := range p.Entries {
		m = max(m, e.Priority)
	}
	return m
}

// newID returns an id no entry of p has: "k" and 8 hex digits.
func newID(p *Pool) string {
	for {
		var b [4]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		id := "k" + hex.EncodeToString(b[:])
		taken := false
		for _, e := range p.Entries {
			taken = taken || e.ID == id
		}
		if !taken {
			return id
		}
	}
}

// secret is the key to send for e: its own, or the env key Sync gave.
func (s *Store) secret(e Entry) string {
	if e.Key != "" {
		return e.Key
	}
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	return s.keys[e.Fingerprint]
}
