package pool

import (
	"strings"
	"testing"
	"time"
)

func TestAdd(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	a, err := s.Add("openai", "  "+testKey("A")+"\n", "work")
	if err != nil {
		t.Fatal(err)
	}
	if a.Key != testKey("A") || a.Label != "work" || a.Source != sourceManual || a.Priority != 1 ||
		a.Fingerprint != fingerprint(testKey("A")) || a.LastStatus != StatusOK || !a.AddedAt.Equal(t0) ||
		!strings.HasPrefix(a.ID, "k") || len(a.ID) != 9 {
		t.Errorf("first entry %+v", a)
	}
	if err := s.SetPriority("openai", "work", 10); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	b, err := s.Add("openai", testKey("B"), "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Priority != 11 || b.ID == a.ID || !b.AddedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("second entry %+v: want priority max+1 = 11", b)
	}
	p, err := s.Pool("openai")
	if err != nil || p.Strategy != FillFirst || len(p.Entries) != 2 || p.Entries[0].ID != a.ID || p.Entries[1].ID != b.ID {
		t.Errorf("pool %+v %v", p, err)
	}
	// Another provider has its own pool: the same key is not a duplicate there.
	if _, err := s.Add("openrouter", testKey("A"), "work"); err != nil {
		t.Errorf("same key in another pool: %v", err)
	}
}

func TestAddRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, provider, key, label string
		want                       []string // substrings of the error
	}{
		{"empty key", "openai", "", "", []string{"add a key to openai", "empty"}},
		{"blank key", "openai", " \n", "", []string{"empty"}},
		{"key with a space", "openai", "sk-abc def-0123456789", "", []string{"spaces"}},
		{"duplicate key", "openai", testKey("A"), "other", []string{"already has this key", `label "work"`, "id k"}},
		{"duplicate env key", "openai", testKey("E"), "", []string{"already has this key", "from OPENAI_API_KEY"}},
		{"duplicate label", "openai", testKey("Z"), "work", []string{`already has a key labelled "work"`}},
		{"numeric label", "openai", testKey("Z"), "2", []string{`label "2" is a number`}},
		{"upper-case provider", "OpenAI", testKey("Z"), "", []string{`invalid provider name "OpenAI"`}},
		{"empty provider", "", testKey("Z"), "", []string{"invalid provider name"}},
		{"provider with a slash", "a/b", testKey("Z"), "", []string{"invalid provider name"}},
		{"provider starting with -", "-x", testKey("Z"), "", []string{"invalid provider name"}},
		{"provider too long", strings.Repeat("a", 65), testKey("Z"), "", []string{"invalid provider name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			if _, err := s.Add("openai", testKey("A"), "work"); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync("openai", []EnvKey{{Source: "env:OPENAI_API_KEY", Key: testKey("E")}}); err != nil {
				t.Fatal(err)
			}
			before := mustRead(t, s.path)
			_, err := s.Add(tt.provider, tt.key, tt.label)
			if err == nil {
				t.Fatal("Add succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if k := strings.TrimSpace(tt.key); k != "" && strings.Contains(err.Error(), k) {
				t.Errorf("error shows the key: %q", err)
			}
			if after := mustRead(t, s.path); string(after) != string(before) {
				t.Error("a refused Add changed auth.json")
			}
		})
	}
	// The longest valid name is accepted.
	s, _ := newStore(t)
	if _, err := s.Add("a"+strings.Repeat("_-9", 21), testKey("A"), ""); err != nil {
		t.Errorf("64-character provider: %v", err)
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ref string
		want      string // label removed; "" = refused
		err       string
	}{
		{name: "by label", ref: "B", want: "B"},
		{name: "by position", ref: "3", want: "C"},
		{name: "by id", ref: "<id of A>", want: "A"},
		{name: "by variable", ref: "OPENAI_API_KEY", want: "env:OPENAI_API_KEY"},
		{name: "by source", ref: "env:OPENAI_API_KEY", want: "env:OPENAI_API_KEY"},
		{name: "unknown label", ref: "nope", err: `openai: no key "nope"`},
		{name: "position 0", ref: "0", err: "no key number 0 (there are 4)"},
		{name: "position too high", ref: "5", err: "no key number 5"},
		{name: "empty ref", ref: "", err: "which key?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			keys := addKeys(t, s, "openai", "A", "B", "C")
			if err := s.Sync("openai", []EnvKey{{Source: "env:OPENAI_API_KEY", Key: testKey("E")}}); err != nil {
				t.Fatal(err)
			}
			ref := strings.ReplaceAll(tt.ref, "<id of A>", keys["A"].ID)
			e, err := s.Remove("openai", ref)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if p, _ := s.Pool("openai"); len(p.Entries) != 4 {
					t.Errorf("a refused Remove removed something: %+v", p.Entries)
				}
				return
			}
			if err != nil || name(e) != tt.want {
				t.Fatalf("removed %+v, %v; want %s", e, err, tt.want)
			}
			p, _ := s.Pool("openai")
			for _, left := range p.Entries {
				if left.ID == e.ID {
					t.Errorf("%s still in the pool", tt.want)
				}
			}
			if len(p.Entries) != 3 {
				t.Errorf("%d entries left", len(p.Entries))
			}
		})
	}
	s, _ := newStore(t)
	if _, err := s.Remove("openai", "1"); err == nil || !strings.Contains(err.Error(), "openai has no keys") {
		t.Errorf("remove from a missing pool: %v", err)
	}
	if _, err := s.Remove("Open AI", "1"); err == nil || !strings.Contains(err.Error(), "invalid provider name") {
		t.Errorf("bad provider: %v", err)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	keys := addKeys(t, s, "openai", "A", "B", "C")
	failAll := func() {
		t.Helper()
		for _, l := range []string{"A", "B"} {
			if _, err := s.Failure("openai", keys[l].ID, Failure{Status: 429, Message: "slow"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Failure("openai", keys["C"].ID, Failure{Status: 401, Message: "revoked"}); err != nil {
			t.Fatal(err)
		}
	}
	clean := func(e Entry) bool {
		return e.LastStatus == StatusOK && e.LastError == nil && e.CooldownUntil.IsZero()
	}
	failAll()
	if n, err := s.Reset("openai", "C"); n != 1 || err != nil {
		t.Fatalf("reset C: %d %v", n, err)
	}
	if !clean(entryByLabel(t, s, "openai", "C")) || clean(entryByLabel(t, s, "openai", "A")) {
		t.Error("reset C touched the wrong entries")
	}
	failAll()
	if n, err := s.Reset("openai", ""); n != 3 || err != nil {
		t.Fatalf("reset all: %d %v", n, err)
	}
	for _, l := range []string{"A", "B", "C"} {
		if e := entryByLabel(t, s, "openai", l); !clean(e) || e.RequestCount != 0 {
			t.Errorf("%s after reset: %+v", l, e)
		}
	}
	if _, err := s.Reset("openai", "D"); err == nil || !strings.Contains(err.Error(), `no key "D"`) {
		t.Errorf("unknown ref: %v", err)
	}
	if _, err := s.Reset("anthropic", ""); err == nil || !strings.Contains(err.Error(), "anthropic has no keys") {
		t.Errorf("missing pool: %v", err)
	}
}

func TestSetPriority(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	addKeys(t, s, "openai", "A", "B", "C")
	if err := s.SetPriority("openai", "2", 0); err != nil {
		t.Fatal(err)
	}
	if e := entryByLabel(t, s, "openai", "B"); e.Priority != 0 {
		t.Errorf("B priority %d", e.Priority)
	}
	if got := pickN(t, s, "openai", 1, clk, 0); got[0] != "B" {
		t.Errorf("picked %v after B got priority 0", got)
	}
	if err := s.SetPriority("openai", "nope", 1); err == nil || !strings.Contains(err.Error(), `no key "nope"`) {
		t.Errorf("unknown ref: %v", err)
	}
	if err := s.SetPriority("x y", "1", 1); err == nil {
		t.Error("bad provider accepted")
	}
}

func TestSetStrategy(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	// A strategy may be chosen before any key is added.
	if err := s.SetStrategy("openai", RoundRobin); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Pool("openai"); err != nil || p.Strategy != RoundRobin || len(p.Entries) != 0 {
		t.Errorf("pool %+v %v", p, err)
	}
	addKeys(t, s, "openai", "A")
	if p, _ := s.Pool("openai"); p.Strategy != RoundRobin {
		t.Errorf("Add changed the strategy to %s", p.Strategy)
	}
	for _, bad := range []Strategy{"", "fastest", "Round-Robin"} {
		if err := s.SetStrategy("openai", bad); err == nil || !strings.Contains(err.Error(), "unknown strategy") {
			t.Errorf("SetStrategy(%q): %v", bad, err)
		}
	}
	if err := s.SetStrategy("Bad", Random); err == nil {
		t.Error("bad provider accepted")
	}
	all, err := s.Pools()
	if err != nil || len(all) != 1 || all["openai"].Strategy != RoundRobin {
		t.Errorf("Pools = %+v %v", all, err)
	}
	if p, err := s.Pool("anthropic"); err != nil || p.Strategy != FillFirst || len(p.Entries) != 0 {
		t.Errorf("missing pool: %+v %v", p, err)
	}
}
