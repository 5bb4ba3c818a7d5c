package cron

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	robfig "github.com/robfig/cron/v3"
)

// Kind is what sort of schedule a job has.
type Kind string

// The schedule kinds.
const (
	KindInterval Kind = "interval" // every d, from the last run
	KindCron     Kind = "cron"     // a cron expression in the configured zone
	KindOnce     Kind = "once"     // one run at a fixed instant
)

// MinInterval is the shortest interval a job may repeat at.
const MinInterval = time.Minute

// Schedule is a parsed schedule. Expr is canonical: a Go duration for
// interval, a 5- or 6-field cron expression for cron, an RFC 3339 instant
// in UTC for once. Display is what the user wrote.
type Schedule struct {
	Kind    Kind   `json:"kind"`
	Expr    string `json:"expr"`
	Display string `json:"display"`
}

// Accepted lists the forms Parse takes, for error messages and help.
const Accepted = `accepted schedules:
  30m, 2h, 1d, every 2h, every 2 hours      repeat at an interval (1m or more)
  every day at 9am, daily at 18:30           every day at a time
  weekdays at 9am, weekends at 10:00         Monday-Friday, or Saturday and Sunday
  every monday 9am, every fri at 17:00       one weekday at a time
  0 9 * * 1-5, 0 0 9 * * MON-FRI, @daily     5- or 6-field cron (names allowed)
  in 30m, in 2 hours                         once, after a delay
  2026-12-24T09:00, 2026-12-24 09:00:00Z     once, at an ISO time (no zone: cron.timezone)`

// cronParser reads 5 fields, or 6 with leading seconds, and @descriptors.
var cronParser = robfig.NewParser(robfig.SecondOptional | robfig.Minute | robfig.Hour |
	robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)

var (
	reUnitDur = regexp.MustCompile(`^(\d+)\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|wk|week|weeks)$`)
	reClock   = regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$`)
	weekdays  = map[string]int{
		"sunday": 0, "sun": 0, "monday": 1, "mon": 1, "tuesday": 2, "tue": 2, "tues": 2,
		"wednesday": 3, "wed": 3, "thursday": 4, "thu": 4, "thur": 4, "thurs": 4,
		"friday": 5, "fri": 5, "saturday": 6, "sat": 6,
	}
)

// ParseError is a schedule that is none of the accepted forms.
type ParseError struct {
	Input  string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("schedule %q: %s\n%s", e.Input, e.Reason, Accepted)
}

// Parse reads a schedule. loc is cron.timezone (naive ISO times and cron
// expressions are read in it); now is when a relative one-shot ("in 30m")
// starts from.
func Parse(input string, loc *time.Location, now time.Time) (Schedule, error) {
	if loc == nil {
		loc = time.Local
	}
	raw := strings.TrimSpace(input)
	s := strings.ToLower(strings.Join(strings.Fields(raw), " "))
	fail := func(reason string) (Schedule, error) { return Schedule{}, &ParseError{Input: input, Reason: reason} }
	if s == "" {
		return fail("empty")
	}
	if len(s) > 200 {
		return fail("longer than 200 characters")
	}
	if rest, ok := strings.CutPrefix(s, "in "); ok {
		d, err := parseDuration(rest)
		if err != nil {
			return fail(err.Error())
		}
		return Schedule{Kind: KindOnce, Expr: now.Add(d).UTC().Format(time.RFC3339), Display: raw}, nil
	}
	if t, ok := parseISO(strings.TrimSpace(raw), loc); ok {
		return Schedule{Kind: KindOnce, Expr: t.UTC().Format(time.RFC3339), Display: raw}, nil
	}
	if d, err := parseDuration(strings.TrimPrefix(s, "every ")); err == nil {
		return Schedule{Kind: KindInterval, Expr: d.String(), Display: raw}, nil
	} else if errors.Is(err, errTooShort) {
		return fail(err.Error())
	}
	if expr, ok, err := parseWords(s); ok || err != nil {
		if err != nil {
			return fail(err.Error())
		}
		return Schedule{Kind: KindCron, Expr: expr, Display: raw}, nil
	}
	if strings.HasPrefix(s, "@every") {
		return fail("@every is not accepted; write the interval itself (every 2h)")
	}
	if strings.HasPrefix(s, "tz=") || strings.HasPrefix(s, "cron_tz=") {
		return fail("a zone inside the expression is not accepted; set cron.timezone")
	}
	n := len(strings.Fields(s))
	if strings.HasPrefix(s, "@") || n == 5 || n == 6 {
		if _, err := cronParser.Parse(raw); err != nil {
			return fail("cron expression: " + err.Error())
		}
		return Schedule{Kind: KindCron, Expr: strings.Join(strings.Fields(raw), " "), Display: raw}, nil
	}
	return fail("not a schedule hermes understands")
}

var errTooShort = fmt.Errorf("the shortest interval is %s", MinInterval)

// parseDuration reads "30m", "2 hours", "1d", "1h30m".
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if m := reUnitDur.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[m[2][0]]
		d = time.Duration(n) * unit
	} else if pd, err := time.ParseDuration(s); err == nil && strings.IndexFunc(s, func(r rune) bool { return r == '-' || r == '+' }) < 0 {
		d = pd
	} else {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	if d < MinInterval {
		return 0, errTooShort
	}
	return d, nil
}

// parseISO reads an ISO 8601 date-time; one without a zone is in loc.
func parseISO(s string, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseWords turns the word forms into a cron expression. ok is false
// when s is not a word form at all.
func parseWords(s string) (expr string, ok bool, err error) {
	s = strings.TrimPrefix(s, "every ")
	day, at, hasAt := strings.Cut(s, " at ")
	if !hasAt {
		// "every monday 9am": the time is the last word.
		if i := strings.LastIndexByte(s, ' '); i > 0 {
			day, at = s[:i], s[i+1:]
		} else {
			day, at = s, ""
		}
	}
	var dow string
	switch day = strings.TrimSpace(day); day {
	case "day", "daily":
		dow = "*"
	case "weekday", "weekdays":
		dow = "1-5"
	case "weekend", "weekends":
		dow = "0,6"
	default:
		n, found := weekdays[strings.TrimSuffix(day, "s")]
		if !found {
			n, found = weekdays[day]
		}
		if !found {
			return "", false, nil
		}
		dow = strconv.Itoa(n)
	}
	if at == "" {
		return "", true, fmt.Errorf("%q needs a time, like %q", s, day+" at 9am")
	}
	h, m, err := parseClock(strings.TrimSpace(at))
	if err != nil {
		return "", true, err
	}
	return fmt.Sprintf("%d %d * * %s", m, h, dow), true, nil
}

// parseClock reads 9am, 9:30pm, 17:00, noon, midnight.
func parseClock(s string) (hour, minute int, err error) {
	switch s {
	case "noon":
		return 12, 0, nil
	case "midnight":
		return 0, 0, nil
	}
	m := reClock.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("%q is not a time of day (9am, 9:30pm, 17:00)", s)
	}
	hour, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		minute, _ = strconv.Atoi(m[2])
	}
	switch m[3] {
	case "am", "pm":
		if hour < 1 || hour > 12 {
			return 0, 0, fmt.Errorf("%q: hour must be 1-12 with am/pm", s)
		}
		hour %= 12
		if m[3] == "pm" {
			hour += 12
		}
	default:
		if m[2] == "" {
			return 0, 0, fmt.Errorf("%q is ambiguous: write 9am, 9pm or 09:00", s)
		}
	}
	if hour > 23 || minute > 59 {
		return 0, 0, fmt.Errorf("%q is not a time of day", s)
	}
	return hour, minute, nil
}

// Next is the first run strictly after after, in loc for cron schedules;
// ok is false when there is none (a one-shot whose time has passed is
// still returned once: the caller decides about missed runs).
func (s Schedule) Next(after time.Time, loc *time.Location) (next time.Time, ok bool) {
	if loc == nil {
		loc = time.Local
	}
	switch s.Kind {
	case KindInterval:
		d, err := time.ParseDuration(s.Expr)
		if err != nil || d < MinInterval {
			return time.Time{}, false
		}
		return after.Add(d), true
	case KindCron:
		return cronNext(s.Expr, after, loc)
	case KindOnce:
		t, err := time.Parse(time.RFC3339, s.Expr)
		return t, err == nil
	}
	return time.Time{}, false
}

// cronNext walks the expression over wall-clock times (as if the zone
// had no DST) and places each in loc: a slot inside the spring-forward
// gap runs at the same instant the clock would have shown it (02:30 on a
// day without 02:30 runs at 03:30), and a slot in the repeated autumn
// hour runs once, at its first occurrence.
func cronNext(expr string, after time.Time, loc *time.Location) (time.Time, bool) {
	sched, err := cronParser.Parse(expr)
	if err != nil {
		return time.Time{}, false
	}
	wall := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	}
	naive := wall(after.In(loc))
	for range 1000 {
		c := sched.Next(naive)
		if c.IsZero() {
			return time.Time{}, false
		}
		t := time.Date(c.Year(), c.Month(), c.Day(), c.Hour(), c.Minute(), c.Second(), 0, loc)
		// In a repeated hour time.Date may pick the second occurrence.
		if e := t.Add(-time.Hour); wall(e.In(loc)).Equal(c) && e.After(after) {
			t = e
		}
		if t.After(after) {
			return t, true
		}
		naive = c
	}
	return time.Time{}, false
}

// Period is the typical time between two runs (for the missed-run grace
// window); 0 for a one-shot.
func (s Schedule) Period(at time.Time, loc *time.Location) time.Duration {
	switch s.Kind {
	case KindInterval:
		d, _ := time.ParseDuration(s.Expr)
		return d
	case KindCron:
		a, ok := s.Next(at, loc)
		if !ok {
			return 0
		}
		b, ok := s.Next(a, loc)
		if !ok {
			return 0
		}
		return b.Sub(a)
	}
	return 0
}

// Validate checks a stored schedule (as read back from jobs.json).
func (s Schedule) Validate() error {
	switch s.Kind {
	case KindInterval:
		d, err := time.ParseDuration(s.Expr)
		if err != nil || d < MinInterval {
			return fmt.Errorf("interval %q: want a duration of %s or more", s.Expr, MinInterval)
		}
	case KindCron:
		if _, err := cronParser.Parse(s.Expr); err != nil {
			return fmt.Errorf("cron %q: %v", s.Expr, err)
		}
	case KindOnce:
		if _, err := time.Parse(time.RFC3339, s.Expr); err != nil {
			return fmt.Errorf("once %q: want an RFC 3339 time", s.Expr)
		}
	default:
		return fmt.Errorf("unknown schedule kind %q: want interval, cron or once", s.Kind)
	}
	return nil
}
