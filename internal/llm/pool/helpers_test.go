package pool

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
)

// t0 is when every fake clock starts: 12:06 UTC.
var t0 = time.Date(2026, 3, 14, 12, 6, 0, 0, time.UTC)

// newStore is an empty store in a fresh directory with a fake clock.
func newStore(t testing.TB) (*Store, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	return Open(filepath.Join(t.TempDir(), "auth.json"), clk), clk
}

// testKey is a key long enough to be masked as "sk-<l>..." + its last 4.
func testKey(label string) string {
	return "sk-" + label + "-0123456789abcdef-" + strings.Repeat(label, 4)[:4]
}

// addKeys adds one key per label to provider.
func addKeys(t testing.TB, s *Store, provider string, labels ...string) map[string]Entry {
	t.Helper()
	out := map[string]Entry{}
	for _, l := range labels {
		e, err := s.Add(provider, testKey(l), l)
		if err != nil {
			t.Fatal(err)
		}
		out[l] = e
	}
	return out
}

// pick picks once and returns the label (or source) of the entry.
func pick(t testing.TB, s *Store, provider string, exclude map[string]bool) Lease {
	t.Helper()
	l, err := s.Pick(provider, exclude)
	if err != nil {
		t.Fatalf("Pick: %v", err)
	}
	return l
}

func name(e Entry) string {
	if e.Label != "" {
		return e.Label
	}
	return e.Source
}

// pickN picks n times, recording a success after each, and returns the
// labels picked.
func pickN(t testing.TB, s *Store, provider string, n int, clk *clock.Fake, step time.Duration) []string {
	t.Helper()
	var got []string
	for range n {
		l := pick(t, s, provider, nil)
		if err := s.Success(provider, l.Entry.ID); err != nil {
			t.Fatal(err)
		}
		got = append(got, name(l.Entry))
		clk.Advance(step)
	}
	return got
}

func entryByLabel(t testing.TB, s *Store, provider, label string) Entry {
	t.Helper()
	p, err := s.Pool(provider)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Entries {
		if name(e) == label {
			return e
		}
	}
	t.Fatalf("no entry %q in %s: %+v", label, provider, p.Entries)
	return Entry{}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func asNoKey(t testing.TB, err error) *NoKeyError {
	t.Helper()
	var nk *NoKeyError
	if !errors.As(err, &nk) || !errors.Is(err, ErrNoKey) {
		t.Fatalf("err = %v, want a *NoKeyError wrapping ErrNoKey", err)
	}
	return nk
}
