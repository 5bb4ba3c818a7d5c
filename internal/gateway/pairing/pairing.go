// Package pairing lets an unknown user of a chat platform ask for access
// with a one-time code that the owner approves from the command line.
// Codes are 8 characters from an alphabet without look-alikes, valid one
// hour; a platform has at most 3 pending, a user gets one per 10 minutes,
// and 5 failed approvals lock the platform's approvals for an hour. Only
// salted SHA-256 hashes of the codes are stored (files 0600 under
// <home>/platforms/pairing/), compared in constant time. Codes are never
// logged: only Request's caller sees one, to send it to the user.
package pairing

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Alphabet is the code alphabet: no 0/O, 1/I.
const Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// The rules of the spec.
const (
	CodeLen      = 8
	CodeTTL      = time.Hour
	MaxPending   = 3
	UserInterval = 10 * time.Minute
	MaxFailures  = 5
	Lockout      = time.Hour
)

// Errors callers tell apart.
var (
	ErrTooManyPending = errors.New("too many pairing codes are pending on this platform")
	ErrTooSoon        = errors.New("a pairing code was issued to this user less than 10 minutes ago")
	ErrLocked         = errors.New("approvals on this platform are locked after too many wrong codes")
	ErrBadCode        = errors.New("no pending pairing code matches")
)

// Pending is a code waiting for approval; the code itself is not kept.
type Pending struct {
	User    string    `json:"user"`
	Name    string    `json:"name,omitempty"`
	Salt    string    `json:"salt"`
	Hash    string    `json:"hash"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Approved is a user let in.
type Approved struct {
	User string    `json:"user"`
	Name string    `json:"name,omitempty"`
	At   time.Time `json:"at"`
}

// state is one platform's file.
type state struct {
	Pending     []Pending            `json:"pending"`
	Approved    []Approved           `json:"approved"`
	LastIssued  map[string]time.Time `json:"last_issued,omitempty"` // by user
	Failures    int                  `json:"failures"`
	LockedUntil time.Time            `json:"locked_until,omitzero"`
}

// Store keeps the pairing state of every platform in one directory.
type Store struct {
	Dir string
	Now func() time.Time // nil: time.Now
}

// Open returns the store under dir (<home>/platforms/pairing).
func Open(dir string) *Store { return &Store{Dir: dir} }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// validPlatform keeps platform names to file-safe words.
func validPlatform(p string) error {
	if p == "" || len(p) > 32 {
		return fmt.Errorf("bad platform name %q", p)
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("bad platform name %q: lowercase letters, digits, _ and - only", p)
		}
	}
	return nil
}

// update runs fn on platform's state under an exclusive lock and writes
// the result when fn returns write=true.
func (s *Store) update(platform string, fn func(st *state) (write bool, err error)) error {
	if err := validPlatform(platform); err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("pairing store: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(s.Dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("pairing store: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("pairing store lock: %w", err)
	}
	path := filepath.Join(s.Dir, platform+".json")
	st := &state{}
	switch b, err := os.ReadFile(path); {
	case err == nil:
		if err := json.Unmarshal(b, st); err != nil {
			return fmt.Errorf("%s: %w: fix or delete the file (approved users would have to pair again)", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("pairing store: %w", err)
	}
	s.expire(st)
	write, ferr := fn(st)
	if write {
		if err := writeFile(path, st); err != nil {
			return err
		}
	}
	return ferr
}

func writeFile(path string, st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("pairing store: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("pairing store: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pairing store: %w", err)
	}
	return nil
}

// expire drops expired codes and stale per-user limits.
func (s *Store) expire(st *state) {
	now := s.now()
	kept := st.Pending[:0]
	for _, p := range st.Pending {
		if now.Before(p.Expires) {
			kept = append(kept, p)
		}
	}
	st.Pending = kept
	for u, at := range st.LastIssued {
		if now.Sub(at) >= UserInterval {
			delete(st.LastIssued, u)
		}
	}
	if !st.LockedUntil.IsZero() && !now.Before(st.LockedUntil) {
		st.LockedUntil, st.Failures = time.Time{}, 0
	}
}

// Request issues a code for user on platform. The code is returned once,
// to be sent to the user; only its salted hash is stored.
func (s *Store) Request(platform, user, name string) (string, error) {
	var code string
	err := s.update(platform, func(st *state) (bool, error) {
		now := s.now()
		if _, ok := st.LastIssued[user]; ok {
			return false, ErrTooSoon
		}
		kept := st.Pending[:0] // a user's older code gives way to the new one
		for _, p := range st.Pending {
			if p.User != user {
				kept = append(kept, p)
			}
		}
		st.Pending = kept
		if len(st.Pending) >= MaxPending {
			return false, ErrTooManyPending
		}
		c, err := newCode()
		if err != nil {
			return false, err
		}
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return false, err
		}
		st.Pending = append(st.Pending, Pending{User: user, Name: name, Salt: hex.EncodeToString(salt),
			Hash: hash(salt, c), Created: now, Expires: now.Add(CodeTTL)})
		if st.LastIssued == nil {
			st.LastIssued = map[string]time.Time{}
		}
		st.LastIssued[user] = now
		code = c
		return true, nil
	})
	return code, err
}

// Approve lets in the user whose pending code is code and returns that
// user. A wrong code counts as a failure; the fifth locks approvals on
// the platform for an hour.
func (s *Store) Approve(platform, code string) (Approved, error) {
	norm, perr := ParseCode(code)
	var who Approved
	err := s.update(platform, func(st *state) (bool, error) {
		now := s.now()
		if now.Before(st.LockedUntil) {
			return false, fmt.Errorf("%w until %s", ErrLocked, st.LockedUntil.Format(time.RFC3339))
		}
		idx := -1
		if perr == nil {
			for i, p := range st.Pending {
				salt, _ := hex.DecodeString(p.Salt)
				// every entry is compared, so the time taken does not say which matched
				if subtle.ConstantTimeCompare([]byte(hash(salt, norm)), []byte(p.Hash)) == 1 {
					idx = i
				}
			}
		}
		if idx < 0 {
			st.Failures++
			if st.Failures >= MaxFailures {
				st.LockedUntil = now.Add(Lockout)
			}
			return true, ErrBadCode
		}
		p := st.Pending[idx]
		st.Pending = append(st.Pending[:idx], st.Pending[idx+1:]...)
		st.Failures = 0
		st.Approved = slicesDelete(st.Approved, p.User)
		who = Approved{User: p.User, Name: p.Name, At: now}
		st.Approved = append(st.Approved, who)
		return true, nil
	})
	return who, err
}

func slicesDelete(a []Approved, user string) []Approved {
	out := a[:0]
	for _, x := range a {
		if x.User != user {
			out = append(out, x)
		}
	}
	return out
}

// Revoke removes user's access on platform; false when they had none.
func (s *Store) Revoke(platform, user string) (bool, error) {
	found := false
	err := s.update(platform, func(st *state) (bool, error) {
		n := len(st.Approved)
		st.Approved = slicesDelete(st.Approved, user)
		found = len(st.Approved) < n
		return found, nil
	})
	return found, err
}

// IsApproved reports whether user was let in on platform.
func (s *Store) IsApproved(platform, user string) (bool, error) {
	ok := false
	err := s.update(platform, func(st *state) (bool, error) {
		for _, a := range st.Approved {
			if a.User == user {
				ok = true
			}
		}
		return false, nil
	})
	return ok, err
}

// ClearPending drops every pending code (of one platform, or all when
// platform is ""), and returns how many.
func (s *Store) ClearPending(platform string) (int, error) {
	platforms := []string{platform}
	if platform == "" {
		var err error
		if platforms, err = s.Platforms(); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, p := range platforms {
		err := s.update(p, func(st *state) (bool, error) {
			n += len(st.Pending)
			st.Pending, st.LastIssued = nil, nil
			return true, nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Entry is one line of List.
type Entry struct {
	Platform    string     `json:"platform"`
	Pending     []Pending  `json:"pending"`
	Approved    []Approved `json:"approved"`
	LockedUntil time.Time  `json:"locked_until,omitzero"`
}

// List returns every platform's pending requests (without codes) and
// approved users.
func (s *Store) List() ([]Entry, error) {
	platforms, err := s.Platforms()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, p := range platforms {
		e := Entry{Platform: p}
		err := s.update(p, func(st *state) (bool, error) {
			for _, x := range st.Pending {
				x.Salt, x.Hash = "", ""
				e.Pending = append(e.Pending, x)
			}
			e.Approved, e.LockedUntil = st.Approved, st.LockedUntil
			return false, nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Platforms lists the platforms that have a pairing file.
func (s *Store) Platforms() ([]string, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok && validPlatform(name) == nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ParseCode normalises a code as a user may type it (lower case, spaces
// or dashes between groups) and checks it.
func ParseCode(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r < 128 && strings.ContainsRune(Alphabet, r):
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("a pairing code has only the characters %s", Alphabet)
		}
		if b.Len() > CodeLen {
			break
		}
	}
	if b.Len() != CodeLen {
		return "", fmt.Errorf("a pairing code has %d characters", CodeLen)
	}
	return b.String(), nil
}

func newCode() (string, error) {
	buf := make([]byte, CodeLen)
	out := make([]byte, CodeLen)
	for i := 0; i < CodeLen; {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, c := range buf {
			// 256 is 8*32: every byte maps uniformly onto the alphabet
			if i < CodeLen {
				out[i] = Alphabet[int(c)%len(Alphabet)]
				i++
			}
		}
	}
	return string(out), nil
}

func hash(salt []byte, code string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(code))
	return hex.EncodeToString(h.Sum(nil))
}

// Grant lets user in on platform without a code, keeping the time at
// which they were first approved elsewhere (`hermes migrate` brings over
// another agent's approvals). It returns false, writing nothing, when the
// user is already approved.
func (s *Store) Grant(platform, user, name string, at time.Time) (bool, error) {
	if strings.TrimSpace(user) == "" {
		return false, errors.New("grant: empty user")
	}
	added := false
	err := s.update(platform, func(st *state) (bool, error) {
		for _, a := range st.Approved {
			if a.User == user {
				return false, nil
			}
		}
		if at.IsZero() {
			at = s.now()
		}
		st.Approved = append(st.Approved, Approved{User: user, Name: name, At: at.UTC()})
		added = true
		return true, nil
	})
	return added, err
}
