package pool

import "testing"

// BenchmarkPickSuccess is one request's bookkeeping with fill_first (the
// default): no lock and no write, only a stat of auth.json.
func BenchmarkPickSuccess(b *testing.B) { benchPickSuccess(b, FillFirst) }

// BenchmarkPickSuccessRoundRobin is the same with round_robin, where the
// pick is a locked read-modify-write with an atomic, fsynced write so
// processes balance exactly.
func BenchmarkPickSuccessRoundRobin(b *testing.B) { benchPickSuccess(b, RoundRobin) }

func benchPickSuccess(b *testing.B, st Strategy) {
	s, _ := newStore(b)
	addKeys(b, s, "openai", "A", "B", "C")
	if err := s.SetStrategy("openai", st); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l, err := s.Pick("openai", nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Success("openai", l.Entry.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPickFailure is a failed attempt: Pick and Failure (the key then
// rests, so the pool is reset when everything rests).
func BenchmarkPickFailure(b *testing.B) {
	s, _ := newStore(b)
	addKeys(b, s, "openai", "A", "B", "C")
	f := Failure{Status: 429, Message: "Rate limit reached. Please try again in 20s.", Header: hdr("x-ratelimit-reset-requests", "20s")}
	for b.Loop() {
		l, err := s.Pick("openai", nil)
		if err != nil {
			if _, err := s.Reset("openai", ""); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if _, err := s.Failure("openai", l.Entry.ID, f); err != nil {
			b.Fatal(err)
		}
	}
}
