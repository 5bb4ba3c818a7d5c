package pool

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/fileutil"
)

// TestFileFormat: auth.json is indented JSON with a version, mode 0600,
// and its fields named as documented.
func TestFileFormat(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	// A looser file from elsewhere is tightened by the first write.
	if err := os.WriteFile(s.path, []byte(`{"version": 1, "pools": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := addKeys(t, s, "openai", "A")
	if err := s.SetStrategy("openai", RoundRobin); err != nil {
		t.Fatal(err)
	}
	l := pick(t, s, "openai", nil)
	clk.Advance(time.Second)
	if _, err := s.Failure("openai", l.Entry.ID, Failure{Status: 429, Message: "slow", Header: hdr("Retry-After", "30")}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != fileutil.PrivateFile {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	data := mustRead(t, s.path)
	if !strings.HasPrefix(string(data), "{\n  \"version\": 1,\n  \"pools\": {\n    \"openai\": {\n      \"strategy\": \"round_robin\",") || !strings.HasSuffix(string(data), "}\n") {
		t.Errorf("layout:\n%s", data)
	}
	var doc struct {
		Version int
		Pools   map[string]struct {
			Strategy string
			Entries  []map[string]any
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	e := doc.Pools["openai"].Entries[0]
	want := map[string]any{
		"id": keys["A"].ID, "label": "A", "priority": 1.0, "source": "manual", "key": testKey("A"),
		"fingerprint": fingerprint(testKey("A")), "last_status": "exhausted",
		"last_error":     map[string]any{"code": 429.0, "message": "slow", "reset_at": "2026-03-14T12:06:31Z"},
		"cooldown_until": "2026-03-14T12:06:31Z", "request_count": 1.0,
		"added_at": "2026-03-14T12:06:00Z", "last_used_at": "2026-03-14T12:06:00Z",
	}
	got, _ := json.Marshal(e)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("entry on disk:\n%s\nwant:\n%s", got, wantJSON)
	}
	if _, err := os.Stat(s.path + ".lock"); err != nil {
		t.Errorf("lock file: %v", err)
	}
	// Zero times are left out.
	if _, err := s.Add("openai", testKey("B"), ""); err != nil {
		t.Fatal(err)
	}
	data = mustRead(t, s.path)
	if n := strings.Count(string(data), "cooldown_until"); n != 1 {
		t.Errorf("cooldown_until appears %d times, want only for A", n)
	}
}

// TestBadFile: a file that does not parse, or that a newer hermes wrote,
// is an error naming it, and no operation overwrites it.
func TestBadFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		want          []string
	}{
		{"corrupt", `{"version": 1, "pools": {"openai": {"entries": [`, []string{"not a valid credential pool file", "will not overwrite"}},
		{"not json", "KEY=sk-abc\n", []string{"not a valid credential pool file"}},
		{"wrong shape", `{"version": 1, "pools": []}`, []string{"not a valid credential pool file"}},
		{"version 2", `{"version": 2, "pools": {}}`, []string{"newer hermes", "format version 2"}},
		{"negative version", `{"version": -1, "pools": {}}`, []string{"invalid format version -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			if err := os.WriteFile(s.path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			ops := map[string]func() error{
				"Pools":       func() error { _, err := s.Pools(); return err },
				"Pool":        func() error { _, err := s.Pool("openai"); return err },
				"Add":         func() error { _, err := s.Add("openai", testKey("A"), ""); return err },
				"Remove":      func() error { _, err := s.Remove("openai", "1"); return err },
				"Reset":       func() error { _, err := s.Reset("openai", ""); return err },
				"SetPriority": func() error { return s.SetPriority("openai", "1", 3) },
				"SetStrategy": func() error { return s.SetStrategy("openai", Random) },
				"Sync":        func() error { return s.Sync("openai", []EnvKey{{Source: "env:K", Key: testKey("K")}}) },
				"Pick":        func() error { _, err := s.Pick("openai", nil); return err },
				"Success":     func() error { return s.Success("openai", "k1") },
				"Failure":     func() error { _, err := s.Failure("openai", "k1", Failure{Status: 429}); return err },
			}
			for op, fn := range ops {
				err := fn()
				if err == nil {
					t.Errorf("%s succeeded", op)
					continue
				}
				if !strings.Contains(err.Error(), s.path) {
					t.Errorf("%s: error %q does not name %s", op, err, s.path)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error %q lacks %q", op, err, w)
					}
				}
				if errors.Is(err, ErrNoKey) {
					t.Errorf("%s: a bad file is not a missing key: %v", op, err)
				}
			}
			if got := string(mustRead(t, s.path)); got != tt.content {
				t.Errorf("file changed to %q", got)
			}
		})
	}
}

// TestLenientFile: a missing or blank file is an empty store; a file
// without a version (hand-written, or from an old copy) is version 1.
func TestLenientFile(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"", " \n", `{"pools":{}}`, `{"version": 1}`, `{"version":1,"pools":{"openai":null}}`} {
		s, _ := newStore(t)
		if err := os.WriteFile(s.path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Pools(); err != nil {
			t.Errorf("%q: %v", content, err)
		}
		if _, err := s.Add("openai", testKey("A"), ""); err != nil {
			t.Errorf("%q: Add: %v", content, err)
		}
		var doc struct{ Version int }
		if err := json.Unmarshal(mustRead(t, s.path), &doc); err != nil || doc.Version != 1 {
			t.Errorf("%q: rewritten as version %d (%v)", content, doc.Version, err)
		}
	}
	// A missing home directory is created (0700) on the first write.
	dir := filepath.Join(t.TempDir(), "home")
	s := Open(filepath.Join(dir, "auth.json"), clock.NewFake(t0))
	if all, err := s.Pools(); err != nil || len(all) != 0 {
		t.Fatalf("missing file: %v %v", all, err)
	}
	if _, err := s.Add("openai", testKey("A"), ""); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != fileutil.PrivateDir {
		t.Errorf("home %v %v", fi, err)
	}
}

// TestUnknownStrategyOnDisk: a strategy this hermes does not know (a hand
// edit, a newer hermes) picks as fill_first.
func TestUnknownStrategyOnDisk(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	addKeys(t, s, "openai", "A", "B")
	data := strings.Replace(string(mustRead(t, s.path)), `"fill_first"`, `"weighted"`, 1)
	if err := os.WriteFile(s.path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := pickN(t, s, "openai", 2, clk, time.Second); got[0] != "A" || got[1] != "A" {
		t.Errorf("picked %v", got)
	}
}
