package email

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// maxRefs is how many Message-IDs a thread keeps for References: the
// root and the latest ones (RFC 5322 allows trimming the middle).
const maxRefs = 20

// thread is what a reply needs to know of its thread.
type thread struct {
	ID      string   `json:"id"`      // the session's thread id: a hash of Root
	Root    string   `json:"root"`    // the first Message-ID of the thread, without <>
	Subject string   `json:"subject"` // the thread's subject without "Re: "
	Chat    string   `json:"chat"`    // the correspondent's address
	Refs    []string `json:"refs"`    // Message-IDs in order, Root first
	// Asks are the approval requests sent in the thread (the latest
	// few): a reply to one of them may answer it with one word.
	Asks []string `json:"asks,omitempty"`
}

// threadStore keeps threads and an index from every Message-ID seen or
// sent to its thread, one small file each under dir (atomic writes), so
// a restarted gateway and `hermes send` in another process share it.
type threadStore struct {
	dir string
	mu  sync.Mutex
}

func hashID(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:24]
}

// threadIDOf is the thread id of a root Message-ID: safe in a session
// key, a delivery target and a path.
func threadIDOf(root string) string { return hashID("root:" + root)[:16] }

func (s *threadStore) threadPath(id string) string { return filepath.Join(s.dir, "t-"+id+".json") }
func (s *threadStore) indexPath(msgID string) string {
	return filepath.Join(s.dir, "ids", hashID("id:"+msgID))
}

// lookup returns the thread id msgID belongs to.
func (s *threadStore) lookup(msgID string) (string, bool) {
	if msgID == "" {
		return "", false
	}
	b, err := os.ReadFile(s.indexPath(msgID))
	if err != nil || len(b) == 0 || len(b) > 64 {
		return "", false
	}
	return string(b), true
}

// load reads thread id; ok is false when it is unknown.
func (s *threadStore) load(id string) (thread, bool, error) {
	if id == "" || len(id) > 64 {
		return thread{}, false, nil
	}
	b, err := os.ReadFile(s.threadPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return thread{}, false, nil
	}
	if err != nil {
		return thread{}, false, err
	}
	var t thread
	if err := json.Unmarshal(b, &t); err != nil {
		return thread{}, false, fmt.Errorf("thread %s: %w", id, err)
	}
	return t, true, nil
}

// resolve finds the thread of a mail: its own Message-ID, then what it
// replies to (In-Reply-To, then References from the newest), when any is
// known; else the root of its References (a thread we joined late), else
// the mail itself starts a thread.
func (s *threadStore) resolve(msgID string, inReplyTo, refs []string) (id, root string) {
	cands := append([]string{msgID}, inReplyTo...)
	for i := len(refs) - 1; i >= 0; i-- {
		cands = append(cands, refs[i])
	}
	for _, c := range cands {
		if id, ok := s.lookup(c); ok {
			if t, ok, err := s.load(id); err == nil && ok {
				return id, t.Root
			}
		}
	}
	switch {
	case len(refs) > 0:
		root = refs[0]
	case len(inReplyTo) > 0:
		root = inReplyTo[0]
	default:
		root = msgID
	}
	return threadIDOf(root), root
}

// record adds msgID to thread id (created with root, subject and chat
// when new) and indexes it.
func (s *threadStore) record(id, root, subject, chat, msgID string) (thread, error) {
	return s.update(id, root, subject, chat, msgID, false)
}

// recordAsk is record for an approval request.
func (s *threadStore) recordAsk(id, root, subject, chat, msgID string) (thread, error) {
	return s.update(id, root, subject, chat, msgID, true)
}

func (s *threadStore) update(id, root, subject, chat, msgID string, ask bool) (thread, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok, err := s.load(id)
	if err != nil {
		return thread{}, err
	}
	if !ok {
		t = thread{ID: id, Root: root, Subject: subject, Chat: chat}
		if root != "" && root != msgID {
			t.Refs = []string{root}
		}
	}
	if msgID != "" && !slices.Contains(t.Refs, msgID) {
		t.Refs = append(t.Refs, msgID)
		if len(t.Refs) > maxRefs {
			t.Refs = append(t.Refs[:1:1], t.Refs[len(t.Refs)-maxRefs+1:]...)
		}
	}
	if ask && msgID != "" && !slices.Contains(t.Asks, msgID) {
		t.Asks = append(t.Asks, msgID)
		if len(t.Asks) > 5 {
			t.Asks = t.Asks[len(t.Asks)-5:]
		}
	}
	if err := fileutil.EnsureDir(filepath.Join(s.dir, "ids"), 0o700); err != nil {
		return thread{}, err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return thread{}, err
	}
	if err := fileutil.WriteFile(s.threadPath(id), b, 0o600); err != nil {
		return thread{}, err
	}
	for _, m := range []string{root, msgID} {
		if m == "" {
			continue
		}
		if _, taken := s.lookup(m); taken && m == root && m != msgID {
			continue // the root belongs to the thread that saw it first
		}
		if err := fileutil.WriteFile(s.indexPath(m), []byte(id), 0o600); err != nil {
			return thread{}, err
		}
	}
	return t, nil
}
