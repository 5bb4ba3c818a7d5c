package cron

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s: %v", name, err)
	}
	return loc
}

func TestParseForms(t *testing.T) {
	t.Parallel()
	berlin := mustLoc(t, "Europe/Berlin")
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, berlin) // a Monday
	tests := []struct {
		in   string
		kind Kind
		expr string
		next time.Time // first run after now, in Berlin
	}{
		{"30m", KindInterval, "30m0s", now.Add(30 * time.Minute)},
		{"2h", KindInterval, "2h0m0s", now.Add(2 * time.Hour)},
		{"1d", KindInterval, "24h0m0s", now.Add(24 * time.Hour)},
		{"every 2h", KindInterval, "2h0m0s", now.Add(2 * time.Hour)},
		{"every 2 hours", KindInterval, "2h0m0s", now.Add(2 * time.Hour)},
		{"Every 15 Minutes", KindInterval, "15m0s", now.Add(15 * time.Minute)},
		{"every 1h30m", KindInterval, "1h30m0s", now.Add(90 * time.Minute)},
		{"every day at 9am", KindCron, "0 9 * * *", time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)},
		{"daily at 18:30", KindCron, "30 18 * * *", time.Date(2026, 3, 2, 18, 30, 0, 0, berlin)},
		{"every day at noon", KindCron, "0 12 * * *", time.Date(2026, 3, 2, 12, 0, 0, 0, berlin)},
		{"weekdays at 9am", KindCron, "0 9 * * 1-5", time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)},
		{"every weekday at 7:15am", KindCron, "15 7 * * 1-5", time.Date(2026, 3, 3, 7, 15, 0, 0, berlin)},
		{"weekends at 10:00", KindCron, "0 10 * * 0,6", time.Date(2026, 3, 7, 10, 0, 0, 0, berlin)},
		{"every monday 9am", KindCron, "0 9 * * 1", time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)},
		{"every monday at 7am", KindCron, "0 7 * * 1", time.Date(2026, 3, 9, 7, 0, 0, 0, berlin)},
		{"fridays at 5pm", KindCron, "0 17 * * 5", time.Date(2026, 3, 6, 17, 0, 0, 0, berlin)},
		{"every sun at midnight", KindCron, "0 0 * * 0", time.Date(2026, 3, 8, 0, 0, 0, 0, berlin)},
		{"every tues at 12am", KindCron, "0 0 * * 2", time.Date(2026, 3, 3, 0, 0, 0, 0, berlin)},
		{"0 9 * * 1-5", KindCron, "0 9 * * 1-5", time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)},
		{"0 9 * * MON-FRI", KindCron, "0 9 * * MON-FRI", time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)},
		{"*/20 * * * *", KindCron, "*/20 * * * *", time.Date(2026, 3, 2, 8, 20, 0, 0, berlin)},
		{"30 0 9 1 JAN,jul *", KindCron, "30 0 9 1 JAN,jul *", time.Date(2026, 7, 1, 9, 0, 30, 0, berlin)},
		{"@daily", KindCron, "@daily", time.Date(2026, 3, 3, 0, 0, 0, 0, berlin)},
		{"@hourly", KindCron, "@hourly", time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)},
		{"in 30m", KindOnce, "2026-03-02T07:30:00Z", now.Add(30 * time.Minute)},
		{"in 2 hours", KindOnce, "2026-03-02T09:00:00Z", now.Add(2 * time.Hour)},
		{"2026-12-24T09:00", KindOnce, "2026-12-24T08:00:00Z", time.Date(2026, 12, 24, 9, 0, 0, 0, berlin)},
		{"2026-12-24 09:00:00", KindOnce, "2026-12-24T08:00:00Z", time.Date(2026, 12, 24, 9, 0, 0, 0, berlin)},
		{"2026-07-01T09:00", KindOnce, "2026-07-01T07:00:00Z", time.Date(2026, 7, 1, 9, 0, 0, 0, berlin)},
		{"2026-12-24T09:00:00Z", KindOnce, "2026-12-24T09:00:00Z", time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)},
		{"2026-12-24T09:00-05:00", KindOnce, "2026-12-24T14:00:00Z", time.Date(2026, 12, 24, 14, 0, 0, 0, time.UTC)},
		{"2026-12-24", KindOnce, "2026-12-23T23:00:00Z", time.Date(2026, 12, 24, 0, 0, 0, 0, berlin)},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tc.in, berlin, now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.Kind != tc.kind || s.Expr != tc.expr || s.Display != tc.in {
				t.Fatalf("got %+v, want kind %s expr %q", s, tc.kind, tc.expr)
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			next, ok := s.Next(now, berlin)
			if !ok || !next.Equal(tc.next) {
				t.Fatalf("Next = %v %v, want %v", next, ok, tc.next)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "   ", "soon", "every", "every blursday at 9am", "every monday", "weekdays at 9",
		"weekdays at 13pm", "weekdays at 25:00", "every day at 9:61", "30s", "every 0m", "in 10s",
		"in forever", "-5m", "61 * * * *", "* * * *", "* * * * * * *", "@every 5m", "@yearlyish",
		"2026-13-01T09:00", "every 999999999h", "CRON_TZ=UTC 0 9 * * *", strings.Repeat("1", 300),
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(in, time.UTC, time.Unix(0, 0))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, want a ParseError", in, err)
			}
			if !strings.Contains(err.Error(), "accepted schedules:") || !strings.Contains(err.Error(), "weekdays at 9am") {
				t.Fatalf("error does not list the accepted forms: %v", err)
			}
		})
	}
}

// A daily 9am job stays at 9am local time across both DST changes, and a
// job inside the spring-forward gap or the repeated autumn hour runs once.
func TestDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone  string
		sched string
		from  time.Time // local wall time in zone, given as UTC fields
		want  []string  // successive runs, RFC 3339 in the zone
	}{
		{"Europe/Berlin", "every day at 9am", time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC),
			[]string{"2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00"}},
		{"Europe/Berlin", "every day at 9am", time.Date(2026, 10, 24, 10, 0, 0, 0, time.UTC),
			[]string{"2026-10-25T09:00:00+01:00", "2026-10-26T09:00:00+01:00"}},
		{"America/New_York", "weekdays at 9am", time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC),
			[]string{"2026-03-09T09:00:00-04:00", "2026-03-10T09:00:00-04:00"}},
		{"America/New_York", "every sunday at 8am", time.Date(2026, 10, 31, 10, 0, 0, 0, time.UTC),
			[]string{"2026-11-01T08:00:00-05:00", "2026-11-08T08:00:00-05:00"}},
		// 02:30 does not exist on 2026-03-29 in Berlin: the run is not
		// lost, it happens at the instant 02:30 would have been.
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC),
			[]string{"2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"}},
		// 02:30 happens twice on 2026-10-25 in Berlin: one run.
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC),
			[]string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		// An interval is real time: 2h stays 2h across the change.
		{"Europe/Berlin", "every 2h", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),
			[]string{"2026-03-29T04:00:00+02:00", "2026-03-29T06:00:00+02:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.zone+"/"+tc.sched+"/"+tc.from.Format("01-02"), func(t *testing.T) {
			t.Parallel()
			loc := mustLoc(t, tc.zone)
			from := time.Date(tc.from.Year(), tc.from.Month(), tc.from.Day(), tc.from.Hour(), tc.from.Minute(), 0, 0, loc)
			s, err := Parse(tc.sched, loc, from)
			if err != nil {
				t.Fatal(err)
			}
			at := from
			for i, want := range tc.want {
				next, ok := s.Next(at, loc)
				if !ok {
					t.Fatalf("run %d: no next", i)
				}
				if got := next.In(loc).Format(time.RFC3339); got != want {
					t.Fatalf("run %d after %s: got %s, want %s", i, at.In(loc).Format(time.RFC3339), got, want)
				}
				at = next
			}
		})
	}
}

func TestPeriod(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"30m": 30 * time.Minute, "every monday 9am": 7 * 24 * time.Hour, "0 * * * *": time.Hour, "in 1h": 0,
	} {
		s, err := Parse(in, time.UTC, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Period(now, time.UTC); got != want {
			t.Errorf("Period(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"30m", "every 2 hours", "weekdays at 9am", "every monday 9am", "0 9 * * MON-FRI",
		"0 0 9 * * 1", "in 30m", "2026-12-24T09:00", "@daily", "every day at 12:00pm", "*/5 * * * *"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in, time.UTC, now)
		if err != nil {
			if !strings.Contains(err.Error(), "accepted schedules:") {
				t.Fatalf("error without the accepted forms: %v", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse(%q) gave %+v that does not validate: %v", in, s, err)
		}
		if next, ok := s.Next(now, time.UTC); ok && s.Kind != KindOnce && !next.After(now) {
			t.Fatalf("Parse(%q): next %v is not after %v", in, next, now)
		}
	})
}
