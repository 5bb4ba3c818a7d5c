package pool

import (
	"strings"
	"testing"
	"time"
)

// TestSync: an env key is added, keeps its status across Syncs with the
// same value, starts afresh when the value changes, and goes when its
// variable does; its value never reaches auth.json.
func TestSync(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	const src = "env:OPENAI_API_KEY"
	v1, v2 := "sk-env-one-0123456789abcdefXY01", "sk-env-two-0123456789abcdefXY02"
	manual := addKeys(t, s, "openai", "M")["M"]
	noSecrets := func(step string) {
		t.Helper()
		data := string(mustRead(t, s.path))
		for _, v := range []string{v1, v2} {
			if strings.Contains(data, v) {
				t.Fatalf("%s: auth.json holds the env key %s", step, Mask(v))
			}
		}
	}

	// Added, after the manual key, without its value.
	if err := s.Sync("openai", []EnvKey{{Source: src, Key: v1}}); err != nil {
		t.Fatal(err)
	}
	noSecrets("added")
	env := entryByLabel(t, s, "openai", src)
	if env.Key != "" || env.Fingerprint != fingerprint(v1) || env.Priority != 2 || env.LastStatus != StatusOK || !env.AddedAt.Equal(t0) {
		t.Fatalf("env entry %+v", env)
	}
	// Pick leases its value from memory.
	l := pick(t, s, "openai", map[string]bool{manual.ID: true})
	if l.Entry.ID != env.ID || l.Key != v1 {
		t.Fatalf("lease %+v, want the env key", l)
	}
	noSecrets("picked")

	// The same value again keeps the status and the cooldown.
	if _, err := s.Failure("openai", env.ID, Failure{Status: 429, Message: "slow down"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if err := s.Sync("openai", []EnvKey{{Source: src, Key: v1}}); err != nil {
		t.Fatal(err)
	}
	kept := entryByLabel(t, s, "openai", src)
	if kept.ID != env.ID || kept.LastStatus != StatusExhausted || kept.LastError == nil || !kept.CooldownUntil.Equal(t0.Add(time.Hour)) || kept.RequestCount != 1 {
		t.Fatalf("after a Sync with the same key: %+v", kept)
	}

	// A new value starts afresh, in the same place.
	if err := s.Sync("openai", []EnvKey{{Source: src, Key: v2}}); err != nil {
		t.Fatal(err)
	}
	noSecrets("changed")
	fresh := entryByLabel(t, s, "openai", src)
	if fresh.ID != env.ID || fresh.Fingerprint != fingerprint(v2) || fresh.LastStatus != StatusOK || fresh.LastError != nil || !fresh.CooldownUntil.IsZero() {
		t.Fatalf("after the key changed: %+v", fresh)
	}
	if l := pick(t, s, "openai", map[string]bool{manual.ID: true}); l.Key != v2 {
		t.Fatalf("lease after the change: %s", Mask(l.Key))
	}

	// The variable is gone: its entry goes, the manual one stays.
	if err := s.Sync("openai", nil); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Pool("openai")
	if len(p.Entries) != 1 || p.Entries[0].ID != manual.ID || p.Entries[0].Key != testKey("M") {
		t.Fatalf("after the variable went: %+v", p.Entries)
	}
	noSecrets("removed")
}

// TestSyncDuplicates: a key the pool already holds is not added twice,
// whether a manual key or another variable holds it.
func TestSyncDuplicates(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	addKeys(t, s, "openai", "M")
	shared := "sk-shared-0123456789abcdef-SH"
	err := s.Sync("openai", []EnvKey{
		{Source: "env:A_KEY", Key: testKey("M")}, // the manual key again
		{Source: "env:B_KEY", Key: shared},
		{Source: "env:C_KEY", Key: shared}, // the same as B
		{Source: "env:EMPTY", Key: "  "},   // set but empty: ignored
	})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Pool("openai")
	var got []string
	for _, e := range p.Entries {
		got = append(got, name(e))
	}
	if strings.Join(got, ",") != "M,env:B_KEY" {
		t.Errorf("entries %v, want M,env:B_KEY", got)
	}
	// A variable changing to a key the pool holds manually loses its entry.
	if err := s.Sync("openai", []EnvKey{{Source: "env:B_KEY", Key: testKey("M")}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Pool("openai"); len(p.Entries) != 1 || p.Entries[0].Label != "M" {
		t.Errorf("entries %+v", p.Entries)
	}
}

// TestSyncNoChangeNoWrite: a Sync that changes nothing leaves the file
// alone, and an empty Sync of an unknown provider creates nothing.
func TestSyncNoChangeNoWrite(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	if err := s.Sync("openai", nil); err != nil {
		t.Fatal(err)
	}
	if all, err := s.Pools(); err != nil || len(all) != 0 {
		t.Fatalf("empty Sync created %v %v", all, err)
	}
	env := []EnvKey{{Source: "env:K", Key: testKey("K")}}
	if err := s.Sync("openai", env); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, s.path)
	if err := s.Sync("openai", env); err != nil {
		t.Fatal(err)
	}
	if string(mustRead(t, s.path)) != string(before) {
		t.Error("an unchanged Sync rewrote auth.json")
	}
}

func TestSyncRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, provider string
		env            []EnvKey
		want           string
	}{
		{"source without env:", "openai", []EnvKey{{Source: "OPENAI_API_KEY", Key: testKey("K")}}, `source "OPENAI_API_KEY" does not name a variable`},
		{"manual source", "openai", []EnvKey{{Source: "manual", Key: testKey("K")}}, "does not name a variable"},
		{"env: alone", "openai", []EnvKey{{Source: "env:", Key: testKey("K")}}, "does not name a variable"},
		{"key with spaces", "openai", []EnvKey{{Source: "env:K", Key: "sk-a b-0123456789abcdef"}}, "K: the key contains spaces"},
		{"bad provider", "Open AI", nil, "invalid provider name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			if err := s.Sync(tt.provider, tt.env); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestEnvKeyOfAnotherProcess: an env entry that this process was not given
// (another process synced it) is skipped, and said so.
func TestEnvKeyOfAnotherProcess(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	if err := s.Sync("openai", []EnvKey{{Source: "env:OPENAI_API_KEY", Key: testKey("E")}}); err != nil {
		t.Fatal(err)
	}
	other := Open(s.path, clk)
	_, err := other.Pick("openai", nil)
	nk := asNoKey(t, err)
	if len(nk.Reasons) != 1 || nk.Reasons[0] != "env:OPENAI_API_KEY: OPENAI_API_KEY is not set in this process" {
		t.Errorf("reasons %q", nk.Reasons)
	}
	if l := pick(t, s, "openai", nil); l.Key != testKey("E") {
		t.Errorf("the syncing process leased %s", Mask(l.Key))
	}
}
