package pairing

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newStore(t *testing.T) (*Store, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := Open(filepath.Join(t.TempDir(), "platforms", "pairing"))
	s.Now = c.now
	return s, c
}

func TestRequestApprove(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	code, err := s.Request("telegram", "u1", "Ann")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCode(code); err != nil || len(code) != CodeLen {
		t.Fatalf("code %q: %v", code, err)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, "telegram.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), code) {
		t.Fatal("the code itself is stored")
	}
	fi, _ := os.Stat(filepath.Join(s.Dir, "telegram.json"))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	if ok, _ := s.IsApproved("telegram", "u1"); ok {
		t.Fatal("approved before approval")
	}
	who, err := s.Approve("telegram", strings.ToLower(code[:4])+"-"+code[4:])
	if err != nil || who.User != "u1" {
		t.Fatalf("approve: %+v %v", who, err)
	}
	if ok, _ := s.IsApproved("telegram", "u1"); !ok {
		t.Fatal("not approved")
	}
	if _, err := s.Approve("telegram", code); !errors.Is(err, ErrBadCode) {
		t.Fatalf("code used twice: %v", err)
	}
	if ok, _ := s.IsApproved("discord", "u1"); ok {
		t.Fatal("approval leaked to another platform")
	}
	if ok, err := s.Revoke("telegram", "u1"); !ok || err != nil {
		t.Fatalf("revoke %v %v", ok, err)
	}
	if ok, _ := s.IsApproved("telegram", "u1"); ok {
		t.Fatal("still approved after revoke")
	}
	if ok, _ := s.Revoke("telegram", "u1"); ok {
		t.Fatal("revoked twice")
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	s, c := newStore(t)
	if _, err := s.Request("telegram", "u1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Request("telegram", "u1", ""); !errors.Is(err, ErrTooSoon) {
		t.Fatalf("second code within 10 minutes: %v", err)
	}
	for _, u := range []string{"u2", "u3"} {
		if _, err := s.Request("telegram", u, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Request("telegram", "u4", ""); !errors.Is(err, ErrTooManyPending) {
		t.Fatalf("fourth pending: %v", err)
	}
	if _, err := s.Request("discord", "u4", ""); err != nil {
		t.Fatalf("the limit is per platform: %v", err)
	}
	c.add(UserInterval)
	// u1 may ask again: its new code replaces its old one, still 3 pending
	if _, err := s.Request("telegram", "u1", ""); err != nil {
		t.Fatalf("after 10 minutes: %v", err)
	}
	c.add(CodeTTL)
	if _, err := s.Request("telegram", "u4", ""); err != nil {
		t.Fatalf("expired codes still count: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	s, c := newStore(t)
	code, _ := s.Request("telegram", "u1", "")
	c.add(CodeTTL)
	if _, err := s.Approve("telegram", code); !errors.Is(err, ErrBadCode) {
		t.Fatalf("expired code approved: %v", err)
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	s, c := newStore(t)
	code, _ := s.Request("telegram", "u1", "")
	for i := 0; i < MaxFailures; i++ {
		if _, err := s.Approve("telegram", "AAAAAAAA"); !errors.Is(err, ErrBadCode) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := s.Approve("telegram", code); !errors.Is(err, ErrLocked) {
		t.Fatalf("right code during lockout: %v", err)
	}
	if _, err := s.Approve("discord", "AAAAAAAA"); errors.Is(err, ErrLocked) {
		t.Fatal("lockout leaked to another platform")
	}
	c.add(Lockout - time.Minute) // the code itself has expired by now? no: 59 minutes
	if _, err := s.Approve("telegram", code); !errors.Is(err, ErrLocked) {
		t.Fatalf("lockout ended early: %v", err)
	}
	c.add(time.Minute)
	code2, err := s.Request("telegram", "u2", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Approve("telegram", code2); err != nil {
		t.Fatalf("after lockout: %v", err)
	}
}

func TestListAndClear(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	code, _ := s.Request("telegram", "u1", "Ann")
	s.Request("telegram", "u2", "")
	s.Approve("telegram", code)
	s.Request("discord", "d1", "")
	list, err := s.List()
	if err != nil || len(list) != 2 || list[1].Platform != "telegram" || len(list[1].Pending) != 1 || len(list[1].Approved) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	if list[1].Pending[0].Hash != "" || list[1].Pending[0].Salt != "" {
		t.Fatal("list shows hashes")
	}
	if n, err := s.ClearPending(""); n != 2 || err != nil {
		t.Fatalf("clear %d %v", n, err)
	}
	if list, _ := s.List(); len(list[0].Pending)+len(list[1].Pending) != 0 || len(list[1].Approved) != 1 {
		t.Fatalf("after clear %+v", list)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	for _, p := range []string{"", "../etc", "Tele gram", strings.Repeat("x", 40)} {
		if _, err := s.Request(p, "u", ""); err == nil {
			t.Errorf("platform %q accepted", p)
		}
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.Dir, "telegram.json"), []byte("{not json"), 0o600)
	if _, err := s.IsApproved("telegram", "u"); err == nil || !strings.Contains(err.Error(), "telegram.json") {
		t.Fatalf("corrupt file: %v", err)
	}
}

func TestParseCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ABCD2345", "ABCD2345", true},
		{"abcd-2345", "ABCD2345", true},
		{" abcd 2345 ", "ABCD2345", true},
		{"ABCD234", "", false},
		{"ABCD23456", "", false},
		{"ABCD0345", "", false}, // 0 is not in the alphabet
		{"ABCDI345", "", false},
		{"ABCD234É", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := ParseCode(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseCode(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestCodesAreFromAlphabet(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c, err := newCode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseCode(c); err != nil || seen[c] {
			t.Fatalf("code %q: %v (seen before: %v)", c, err, seen[c])
		}
		seen[c] = true
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"ABCD2345", "abcd-2345", "", "0000", "ÉÉÉÉÉÉÉÉ", "A B C D 2 3 4 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseCode(s)
		if err != nil {
			return
		}
		if len(got) != CodeLen {
			t.Fatalf("%q parsed to %q", s, got)
		}
		for _, r := range got {
			if !strings.ContainsRune(Alphabet, r) {
				t.Fatalf("%q parsed to %q", s, got)
			}
		}
		if again, err := ParseCode(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q → %q %v", s, got, again, err)
		}
	})
}

func TestGrant(t *testing.T) {
	t.Parallel()
	s, c := newStore(t)
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if ok, err := s.Grant("telegram", "u9", "Ada", at); !ok || err != nil {
		t.Fatalf("grant: %v %v", ok, err)
	}
	if ok, err := s.Grant("telegram", "u9", "Ada", c.t); ok || err != nil {
		t.Fatalf("second grant: %v %v", ok, err)
	}
	if ok, _ := s.IsApproved("telegram", "u9"); !ok {
		t.Fatal("not approved")
	}
	list, _ := s.List()
	if len(list) != 1 || len(list[0].Approved) != 1 || !list[0].Approved[0].At.Equal(at) {
		t.Fatalf("list: %+v", list)
	}
	if _, err := s.Grant("Tele gram", "u1", "", at); err == nil {
		t.Error("bad platform accepted")
	}
	if _, err := s.Grant("telegram", " ", "", at); err == nil {
		t.Error("empty user accepted")
	}
}
