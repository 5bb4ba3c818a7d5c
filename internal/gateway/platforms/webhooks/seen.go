package webhooks

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// seenFile is the replay journal's name in the state directory.
const seenFile = "seen.log"

// maxSeen bounds the journal: beyond it the entries closest to expiry
// are dropped (30 requests a minute for a day is 43,200 per route).
const maxSeen = 100_000

// seen remembers delivery ids until they expire, in memory and in an
// append-only journal (one "EXPIRY HASH" line per id; ids are stored as
// hashes, never as sent) so a restart does not forget them.
type seen struct {
	mu    sync.Mutex
	path  string
	f     *os.File
	ids   map[string]int64 // hash -> expiry (unix seconds)
	lines int              // lines in the journal, live or not
	max   int
}

// openSeen loads dir's journal, dropping expired and malformed lines, and
// rewrites it compacted.
func openSeen(dir string, now time.Time) (*seen, error) {
	s := &seen{path: filepath.Join(dir, seenFile), ids: map[string]int64{}, max: maxSeen}
	f, err := os.Open(s.path)
	switch {
	case err == nil:
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			exp, h, ok := strings.Cut(sc.Text(), " ")
			n, err := strconv.ParseInt(exp, 10, 64)
			if !ok || err != nil || len(h) != 32 || n <= now.Unix() {
				continue
			}
			if n > s.ids[h] {
				s.ids[h] = n
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.path, err)
		}
	case !os.IsNotExist(err):
		return nil, fmt.Errorf("read %s: %w", s.path, err)
	}
	s.evict()
	if err := s.compact(); err != nil {
		return nil, err
	}
	return s, nil
}

func seenHash(route, key string) string {
	h := sha256.Sum256([]byte(route + "\x00" + key))
	return hex.EncodeToString(h[:16])
}

// check reports whether any of keys of route was seen and has not expired.
func (s *seen) check(route string, keys []string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if exp, ok := s.ids[seenHash(route, k)]; ok && exp > now.Unix() {
			return true
		}
	}
	return false
}

// add remembers keys of route until now+window, durably: the journal is
// synced before add returns.
func (s *seen) add(route string, keys []string, now time.Time, window time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp := now.Add(window).Unix()
	var b strings.Builder
	for _, k := range keys {
		h := seenHash(route, k)
		s.ids[h] = exp
		fmt.Fprintf(&b, "%d %s\n", exp, h)
		s.lines++
	}
	if _, err := s.f.WriteString(b.String()); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", s.path, err)
	}
	if len(s.ids) > s.max || s.lines > 2*len(s.ids)+1000 {
		for h, e := range s.ids {
			if e <= now.Unix() {
				delete(s.ids, h)
			}
		}
		s.evict()
		return s.compact()
	}
	return nil
}

// evict drops the entries closest to expiry beyond s.max.
func (s *seen) evict() {
	if len(s.ids) <= s.max {
		return
	}
	type ent struct {
		h   string
		exp int64
	}
	all := make([]ent, 0, len(s.ids))
	for h, e := range s.ids {
		all = append(all, ent{h, e})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].exp < all[j].exp })
	for _, e := range all[:len(all)-s.max] {
		delete(s.ids, e.h)
	}
}

// compact writes the live entries to a new journal and swaps it in.
func (s *seen) compact() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	w := bufio.NewWriter(f)
	for h, e := range s.ids {
		fmt.Fprintf(w, "%d %s\n", e, h)
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, err = os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", s.path, err)
	}
	s.lines = len(s.ids)
	return nil
}

func (s *seen) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
