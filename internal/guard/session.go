package guard

import (
	"path/filepath"
	"slices"
	"sync"

	"github.com/hermes-go/hermes/internal/guard/detect"
)

// Session is the approval state of one conversation: its /yolo toggle,
// the commands granted for the session, the smart-mode denial streak and
// the prompts waiting for an answer. Nothing in it is visible to another
// Session. It is safe for concurrent use.
type Session struct {
	id string

	mu      sync.Mutex
	yolo    bool
	grants  map[grantKey]bool
	streak  int  // judge denials in a row
	tripped bool // the breaker is open: every dangerous command asks the human
	nextID  int
	pending map[int]Request
}

// grantKey binds a grant to the exact normalised command and the cwd.
type grantKey struct{ command, cwd string }

func newGrantKey(command, cwd string) grantKey {
	if cwd != "" {
		cwd = filepath.Clean(cwd)
	}
	return grantKey{command: detect.Normalize(command), cwd: cwd}
}

// NewSession returns the empty state of session id.
func NewSession(id string) *Session {
	return &Session{id: id, grants: map[grantKey]bool{}, pending: map[int]Request{}}
}

// ID returns the session's id.
func (s *Session) ID() string { return s.id }

// SetYolo turns the session's /yolo bypass on or off. The hardline
// blocklist and deny globs apply either way.
func (s *Session) SetYolo(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.yolo = on
}

// Yolo reports whether /yolo is on in this session.
func (s *Session) Yolo() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.yolo
}

// Grant allows command in cwd for the rest of this session, as a
// "session" answer does.
func (s *Session) Grant(command, cwd string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants[newGrantKey(command, cwd)] = true
}

// Granted reports whether command in cwd was granted in this session.
func (s *Session) Granted(command, cwd string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants[newGrantKey(command, cwd)]
}

// Grants returns how many command+cwd pairs are granted.
func (s *Session) Grants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.grants)
}

// RevokeGrants forgets every session grant.
func (s *Session) RevokeGrants() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.grants)
}

// Pending returns the approval requests of this session waiting for a
// human answer, oldest first.
func (s *Session) Pending() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, 0, len(s.pending))
	for id := range s.pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Request, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.pending[id])
	}
	return out
}

func (s *Session) addPending(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.pending[s.nextID] = r
	return s.nextID
}

func (s *Session) donePending(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, id)
}

// BreakerOpen reports whether smart mode has stopped asking the judge in
// this session after too many denials in a row.
func (s *Session) BreakerOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tripped
}

// judgeDenied counts a judge denial and opens the breaker at limit.
func (s *Session) judgeDenied(limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streak++
	if s.streak >= limit {
		s.tripped = true
	}
}

// judgeApproved ends a streak of denials (an open breaker stays open).
func (s *Session) judgeApproved() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tripped {
		s.streak = 0
	}
}

// humanAnswered closes the breaker: a person is watching again.
func (s *Session) humanAnswered() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streak, s.tripped = 0, false
}
