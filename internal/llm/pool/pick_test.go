package pool

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRotation: the order each strategy picks keys in over several picks.
func TestRotation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		strategy Strategy
		step     time.Duration // clock advance after each pick
		want     []string
	}{
		{"fill_first sticks to the first", FillFirst, time.Second, []string{"A", "A", "A", "A", "A", "A"}},
		{"default is fill_first", "", time.Second, []string{"A", "A", "A"}},
		{"round_robin cycles", RoundRobin, time.Second, []string{"A", "B", "C", "A", "B", "C", "A"}},
		{"round_robin cycles on a frozen clock", RoundRobin, 0, []string{"A", "B", "C", "A", "B", "C", "A"}},
		{"least_used balances", LeastUsed, time.Second, []string{"A", "B", "C", "A", "B", "C"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, clk := newStore(t)
			addKeys(t, s, "openai", "A", "B", "C")
			if tt.strategy != "" {
				if err := s.SetStrategy("openai", tt.strategy); err != nil {
					t.Fatal(err)
				}
			}
			got := pickN(t, s, "openai", len(tt.want), clk, tt.step)
			if !slices.Equal(got, tt.want) {
				t.Errorf("picked %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFillFirstUntilCooldown: fill_first stays on the first key until it
// rests, uses the next meanwhile, and returns to it afterwards; priority
// beats the order keys were added in.
func TestFillFirstUntilCooldown(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	keys := addKeys(t, s, "openai", "A", "B", "C")
	if got := pickN(t, s, "openai", 2, clk, time.Second); !slices.Equal(got, []string{"A", "A"}) {
		t.Fatalf("picked %v", got)
	}
	if _, err := s.Failure("openai", keys["A"].ID, Failure{Status: 429, Message: "slow down"}); err != nil {
		t.Fatal(err)
	}
	if got := pickN(t, s, "openai", 2, clk, time.Minute); !slices.Equal(got, []string{"B", "B"}) {
		t.Fatalf("while A rests picked %v", got)
	}
	clk.Advance(time.Hour)
	if got := pickN(t, s, "openai", 1, clk, 0); got[0] != "A" {
		t.Fatalf("after the cooldown picked %v", got)
	}
	if err := s.SetPriority("openai", "C", -1); err != nil {
		t.Fatal(err)
	}
	if got := pickN(t, s, "openai", 1, clk, 0); got[0] != "C" {
		t.Fatalf("after priority -1 for C picked %v", got)
	}
}

// TestLeastUsedCatchesUp: a key added later gets the traffic until it has
// as many requests as the others; ties go by priority.
func TestLeastUsedCatchesUp(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	addKeys(t, s, "openai", "A", "B")
	if err := s.SetStrategy("openai", LeastUsed); err != nil {
		t.Fatal(err)
	}
	pickN(t, s, "openai", 4, clk, time.Second)
	addKeys(t, s, "openai", "C")
	got := pickN(t, s, "openai", 5, clk, time.Second)
	if want := []string{"C", "C", "A", "B", "C"}; !slices.Equal(got, want) {
		t.Errorf("picked %v, want %v", got, want)
	}
	for _, l := range []string{"A", "B", "C"} {
		if n := entryByLabel(t, s, "openai", l).RequestCount; n != 3 {
			t.Errorf("%s has %d requests, want 3", l, n)
		}
	}
}

// TestRandomPick: random only returns available keys, and with a seeded
// source returns each of them.
func TestRandomPick(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	s.rnd = rand.New(rand.NewPCG(1, 2))
	keys := addKeys(t, s, "openai", "A", "B", "C", "dead", "resting")
	if err := s.SetStrategy("openai", Random); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Failure("openai", keys["dead"].ID, Failure{Status: 401, Message: "invalid api key"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Failure("openai", keys["resting"].ID, Failure{Status: 429}); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range pickN(t, s, "openai", 300, clk, time.Second) {
		count[l]++
	}
	if len(count) != 3 || count["A"] < 50 || count["B"] < 50 || count["C"] < 50 {
		t.Errorf("picks %v: want only A, B and C, roughly evenly", count)
	}
}

// TestCooldownRespected: key A answers 429 with Retry-After: 120; B is
// picked at once; A is not picked again at +119 s and is at +121 s.
func TestCooldownRespected(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	keys := addKeys(t, s, "openai", "A", "B")
	tried := map[string]bool{}
	l := pick(t, s, "openai", tried)
	if l.Entry.ID != keys["A"].ID || l.Key != testKey("A") {
		t.Fatalf("first pick %+v", l)
	}
	e, err := s.Failure("openai", l.Entry.ID, Failure{Status: 429, Message: "rate limit reached", Header: hdr("Retry-After", "120")})
	if err != nil {
		t.Fatal(err)
	}
	if !e.CooldownUntil.Equal(t0.Add(120*time.Second)) || e.LastStatus != StatusExhausted ||
		e.LastError == nil || e.LastError.Code != 429 || !e.LastError.ResetAt.Equal(t0.Add(120*time.Second)) {
		t.Fatalf("after the 429: %+v %+v", e, e.LastError)
	}
	tried[l.Entry.ID] = true
	if l = pick(t, s, "openai", tried); l.Entry.ID != keys["B"].ID || l.Key != testKey("B") {
		t.Fatalf("second pick %+v, want B", l)
	}
	if err := s.Success("openai", l.Entry.ID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(119 * time.Second)
	if l = pick(t, s, "openai", nil); l.Entry.ID != keys["B"].ID {
		t.Fatalf("at +119 s picked %s", name(l.Entry))
	}
	clk.Advance(2 * time.Second)
	if l = pick(t, s, "openai", nil); l.Entry.ID != keys["A"].ID {
		t.Fatalf("at +121 s picked %s", name(l.Entry))
	}
	if err := s.Success("openai", l.Entry.ID); err != nil {
		t.Fatal(err)
	}
	a := entryByLabel(t, s, "openai", "A")
	if a.LastStatus != StatusOK || a.LastError != nil || !a.CooldownUntil.IsZero() || a.RequestCount != 2 || !a.LastUsedAt.Equal(t0.Add(121*time.Second)) {
		t.Errorf("A after its success: %+v", a)
	}
}

// TestNoKeyError: with nothing usable, the error gives each key's reason
// with its key masked, and the earliest time one comes back.
func TestNoKeyError(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	keys := addKeys(t, s, "openai", "A", "B", "C", "D")
	fail := func(label string, f Failure) {
		t.Helper()
		if _, err := s.Failure("openai", keys[label].ID, f); err != nil {
			t.Fatal(err)
		}
	}
	fail("A", Failure{Status: 429, Message: "Rate limit reached", Header: hdr("Retry-After", "7140")})
	fail("B", Failure{Status: 401, Message: "invalid api key"})
	fail("C", Failure{Status: 402, Message: "Payment Required"})
	_, err := s.Pick("openai", map[string]bool{keys["D"].ID: true})
	nk := asNoKey(t, err)
	want := []string{
		"sk-A-0...AAAA: rate limited until 14:05 (resets in 1h59m)",
		"sk-B-0...BBBB: dead: invalid api key",
		"sk-C-0...CCCC: out of credit or quota until 13:06 (resets in 1h)",
		"sk-D-0...DDDD: already tried for this request",
	}
	if !slices.Equal(nk.Reasons, want) {
		t.Errorf("reasons:\n%s\nwant:\n%s", strings.Join(nk.Reasons, "\n"), strings.Join(want, "\n"))
	}
	if !nk.Next.Equal(t0.Add(time.Hour)) || nk.Provider != "openai" {
		t.Errorf("next %v provider %q, want %v openai", nk.Next, nk.Provider, t0.Add(time.Hour))
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "no usable key for openai: sk-A-0...AAAA: rate limited") {
		t.Errorf("message %q", msg)
	}
	for _, l := range []string{"A", "B", "C", "D"} {
		if strings.Contains(msg, testKey(l)) {
			t.Errorf("message shows key %s whole: %s", l, msg)
		}
	}
}

func TestNoKeyErrorReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Failure
		want string
	}{
		{"401", Failure{Status: 401, Message: "Unauthorized"}, "sk-A-0...AAAA: refused (401) until 12:11 (resets in 5m)"},
		{"503", Failure{Status: 503, Message: "down"}, "sk-A-0...AAAA: failing (503) until 12:07 (resets in 1m)"},
		{"short reset", Failure{Status: 429, Header: hdr("Retry-After", "20.2")}, "sk-A-0...AAAA: rate limited until 12:06 (resets in 21s)"},
		{"minutes and seconds", Failure{Status: 429, Header: hdr("Retry-After", "125")}, "sk-A-0...AAAA: rate limited until 12:08 (resets in 2m5s)"},
		{"dead without a message", Failure{Status: 401, Message: "revoked"}, "sk-A-0...AAAA: dead: revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			keys := addKeys(t, s, "openai", "A")
			if _, err := s.Failure("openai", keys["A"].ID, tt.f); err != nil {
				t.Fatal(err)
			}
			_, err := s.Pick("openai", nil)
			if nk := asNoKey(t, err); len(nk.Reasons) != 1 || nk.Reasons[0] != tt.want {
				t.Errorf("reasons %q, want %q", nk.Reasons, tt.want)
			}
		})
	}
}

// TestNoKeyEmpty: a provider without keys gives a NoKeyError without
// reasons, and picking writes nothing.
func TestNoKeyEmpty(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	_, err := s.Pick("openai", nil)
	if nk := asNoKey(t, err); len(nk.Reasons) != 0 || !nk.Next.IsZero() {
		t.Errorf("empty pool: %+v", nk)
	}
	if err.Error() != "no usable key for openai: its pool has no keys" {
		t.Errorf("message %q", err)
	}
	if _, err := s.Pick("Bad Name", nil); err == nil || errors.Is(err, ErrNoKey) {
		t.Errorf("bad provider: %v", err)
	}
}

// TestDeadUntilReset: a dead key is never picked, however long the wait,
// until it is reset.
func TestDeadUntilReset(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t)
	keys := addKeys(t, s, "openai", "A", "B")
	e, err := s.Failure("openai", keys["A"].ID, Failure{Status: 401, Message: "Your API key has been deactivated"})
	if err != nil || e.LastStatus != StatusDead {
		t.Fatalf("%+v %v", e, err)
	}
	clk.Advance(30 * 24 * time.Hour)
	if got := pickN(t, s, "openai", 3, clk, time.Hour); !slices.Equal(got, []string{"B", "B", "B"}) {
		t.Fatalf("picked %v", got)
	}
	// A late failure of another kind does not bring it back.
	if e, err := s.Failure("openai", keys["A"].ID, Failure{Status: 429}); err != nil || e.LastStatus != StatusDead || e.LastError.Code != 401 {
		t.Fatalf("429 on a dead key: %+v %v", e, err)
	}
	if n, err := s.Reset("openai", "A"); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	if got := pickN(t, s, "openai", 1, clk, 0); got[0] != "A" {
		t.Fatalf("after reset picked %v", got)
	}
}

// TestSoleMeansOnlyLiveKey: the sole-key row applies when the other keys
// are dead.
func TestSoleMeansOnlyLiveKey(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	keys := addKeys(t, s, "openai", "A", "B")
	e, _ := s.Failure("openai", keys["A"].ID, Failure{Status: 429})
	if !e.CooldownUntil.Equal(t0.Add(time.Hour)) {
		t.Errorf("429 with another live key: until +%v", e.CooldownUntil.Sub(t0))
	}
	if _, err := s.Failure("openai", keys["B"].ID, Failure{Status: 401, Message: "revoked"}); err != nil {
		t.Fatal(err)
	}
	e, _ = s.Failure("openai", keys["A"].ID, Failure{Status: 429})
	if !e.CooldownUntil.Equal(t0.Add(time.Minute)) {
		t.Errorf("429 with the other key dead: until +%v", e.CooldownUntil.Sub(t0))
	}
	if _, err := s.Failure("openai", "k-nope", Failure{Status: 429}); err == nil || !strings.Contains(err.Error(), "k-nope") {
		t.Errorf("unknown id: %v", err)
	}
	if err := s.Success("openai", "k-nope"); err == nil {
		t.Error("Success for an unknown id succeeded")
	}
}

// TestFailureMessageClipped: the stored message is one bounded line.
func TestFailureMessageClipped(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	keys := addKeys(t, s, "openai", "A")
	e, err := s.Failure("openai", keys["A"].ID, Failure{Status: 500, Message: "line one\nline two " + strings.Repeat("x", 1000)})
	if err != nil {
		t.Fatal(err)
	}
	if m := e.LastError.Message; !strings.HasPrefix(m, "line one line two x") || len([]rune(m)) != maxMessage {
		t.Errorf("message %q (%d runes)", m, len([]rune(m)))
	}
}
