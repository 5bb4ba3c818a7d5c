package pool

import (
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The cooldown table.
const (
	authCooldown      = 5 * time.Minute // 401/403: maybe a glitch, maybe a key being rotated
	transientCooldown = time.Hour       // 429, 5xx and the rest, with other keys to use
	soleCooldown      = 60 * time.Second
	billingCooldown   = time.Hour // 402 or a billing message, even for a sole key
	// maxReset bounds a provider's reset time: anything later is taken
	// for a misread header and ignored.
	maxReset = 31 * 24 * time.Hour
	// maxMessage bounds the provider message kept in last_error.
	maxMessage = 300
)

// Words in a 401/403 message that mean the key will never work again.
var deadWords = []string{
	"invalid api key", "invalid_api_key", "invalid x-api-key", "incorrect api key",
	"revoked", "deactivated", "disabled",
}

// Words that mean the account is out of money or quota.
var billingWords = []string{
	"insufficient_quota", "insufficient quota", "billing", "credit balance",
	"payment", "quota exceeded", "exceeded your current quota",
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// isBilling reports whether f is about money rather than rate.
func isBilling(f Failure) bool {
	if isAuth(f.Status) {
		return false
	}
	return f.Status == http.StatusPaymentRequired || containsAny(strings.ToLower(f.Message), billingWords)
}

func isAuth(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// Cooldown is the table that says how long a key rests after f, and its
// new status. sole says the key is the only usable (not dead) entry of its
// pool. The rows, first match wins:
//
//   - 401 or 403 whose message says the key is revoked, invalid,
//     deactivated or disabled: dead (never picked until reset);
//   - any other 401 or 403: 5 minutes, exhausted;
//   - 402, or a message about billing/quota: 1 hour, exhausted, even for a
//     sole key;
//   - 429 and every other error: 1 hour, exhausted, or 60 s for a sole
//     key.
//
// A reset time the provider gives (ParseReset) replaces the table's
// duration for every row but dead. For a billing failure only an explicit
// Retry-After or a time in the message counts: a rate-limit window
// resetting does not bring money back.
func Cooldown(f Failure, sole bool, now time.Time) (until time.Time, status Status) {
	msg := strings.ToLower(f.Message)
	billing := isBilling(f)
	var d time.Duration
	switch {
	case isAuth(f.Status) && containsAny(msg, deadWords):
		return now.Add(authCooldown), StatusDead
	case isAuth(f.Status):
		d = authCooldown
	case billing:
		d = billingCooldown
	case sole:
		d = soleCooldown
	default:
		d = transientCooldown
	}
	until = now.Add(d)
	if t, ok := parseReset(f, now, windowApplies(f) && !billing); ok {
		until = t
	}
	return until, StatusExhausted
}

// ParseReset finds when the provider says the key may be used again:
// first the explicit headers (retry-after-ms, Retry-After in seconds or as
// an HTTP-date), then the rate-limit window headers (x-ratelimit-reset-*
// such as "1m30s", "20s", "250ms"; anthropic-ratelimit-*-reset as RFC 3339
// times; ratelimit-reset), then the message ("resets in 2h 5m", "try
// again in 20s", "Please try again in 1m2.5s", "retry after 30 seconds").
//
// Window headers describe the rate limit's window and come with every
// response, so they count only for a 429 (or an unknown status), or when
// their matching *-remaining header is 0. When several windows are given
// the latest reset wins, preferring the windows whose remaining is 0.
// A time in the past means "now"; one more than a month away is ignored.
func ParseReset(f Failure, now time.Time) (time.Time, bool) {
	return parseReset(f, now, windowApplies(f))
}

func parseReset(f Failure, now time.Time, window bool) (time.Time, bool) {
	t, ok := headerRetryAfter(f.Header, now)
	if !ok && window {
		t, ok = headerWindowReset(f.Header, now)
	}
	if !ok {
		t, ok = textReset(f.Message, now)
	}
	if !ok || t.Sub(now) > maxReset {
		return time.Time{}, false
	}
	if t.Before(now) {
		t = now
	}
	return t, true
}

// windowApplies: rate-limit window headers mean something for f.
func windowApplies(f Failure) bool {
	if f.Status == 0 || f.Status == http.StatusTooManyRequests {
		return true
	}
	for k, v := range f.Header {
		if isRemainingHeader(strings.ToLower(k)) && len(v) > 0 && strings.TrimSpace(v[0]) == "0" {
			return true
		}
	}
	return false
}

func isRemainingHeader(k string) bool {
	return strings.HasPrefix(k, "x-ratelimit-remaining") ||
		(strings.HasPrefix(k, "anthropic-ratelimit-") && strings.HasSuffix(k, "-remaining"))
}

// headerRetryAfter reads retry-after-ms, then Retry-After.
func headerRetryAfter(h http.Header, now time.Time) (time.Time, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && !math.IsInf(ms, 0) {
			return now.Add(scale(ms, time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || math.IsInf(secs, 0) {
			return time.Time{}, false
		}
		return now.Add(scale(secs, time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// headerWindowReset reads the rate-limit window reset headers.
func headerWindowReset(h http.Header, now time.Time) (time.Time, bool) {
	var latest, latestSpent time.Time
	found, foundSpent := false, false
	for k, vs := range h {
		lk := strings.ToLower(k)
		remaining, ok := remainingFor(lk)
		if !ok || len(vs) == 0 {
			continue
		}
		t, ok := parseResetValue(vs[0], now)
		if !ok {
			continue
		}
		if !found || t.After(latest) {
			latest, found = t, true
		}
		if strings.TrimSpace(h.Get(remaining)) == "0" && (!foundSpent || t.After(latestSpent)) {
			latestSpent, foundSpent = t, true
		}
	}
	if foundSpent {
		return latestSpent, true
	}
	return latest, found
}

// remainingFor says whether k (lower case) is a window reset header and
// names the header counting what is left of that window.
func remainingFor(k string) (string, bool) {
	switch {
	case k == "ratelimit-reset":
		return "ratelimit-remaining", true
	case k == "x-ratelimit-reset":
		return "x-ratelimit-remaining", true
	case strings.HasPrefix(k, "x-ratelimit-reset-"):
		return "x-ratelimit-remaining-" + strings.TrimPrefix(k, "x-ratelimit-reset-"), true
	case strings.HasPrefix(k, "anthropic-ratelimit-") && strings.HasSuffix(k, "-reset"):
		return strings.TrimSuffix(k, "-reset") + "-remaining", true
	}
	return "", false
}

// parseResetValue reads one reset header value: a Go-style duration
// ("1m30s", "250ms", "6m0s"), an RFC 3339 time, or a number: seconds from
// now, or a Unix time in seconds or milliseconds when it is that large.
func parseResetValue(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		switch {
		case n < 0 || math.IsInf(n, 0) || math.IsNaN(n):
			return time.Time{}, false
		case n >= 1e12:
			return time.UnixMilli(int64(n)), true
		case n >= 1e9:
			return time.Unix(int64(n), 0), true
		}
		return now.Add(scale(n, time.Second)), true
	}
	if d, err := time.ParseDuration(strings.ReplaceAll(v, " ", "")); err == nil && d >= 0 {
		return now.Add(d), true
	}
	return time.Time{}, false
}

// resetPhrase finds where a message starts saying when to come back.
var resetPhrase = regexp.MustCompile(`(?i)\b(?:resets?|try again|retry)(?:\s+(?:in|after))?[\s:]*`)

// textReset reads the first "resets in 2h 5m" / "try again in 20s" /
// "retry after 30 seconds" phrase of a message.
func textReset(msg string, now time.Time) (time.Time, bool) {
	for _, m := range resetPhrase.FindAllStringIndex(msg, -1) {
		if d, ok := parseSpokenDuration(msg[m[1]:]); ok {
			return now.Add(d), true
		}
	}
	return time.Time{}, false
}

var spokenUnits = map[string]time.Duration{
	"ms": time.Millisecond, "msec": time.Millisecond, "msecs": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// parseSpokenDuration reads a duration at the start of s: number+unit
// pairs such as "2h 5m", "1m2.5s", "30 seconds", "2 hours and 5 minutes".
// A lone number without a unit is seconds.
func parseSpokenDuration(s string) (time.Duration, bool) {
	var total time.Duration
	pairs := 0
	for {
		rest := strings.TrimLeft(s, " \t,")
		if pairs > 0 {
			if after, ok := strings.CutPrefix(rest, "and "); ok {
				rest = strings.TrimLeft(after, " \t")
			}
		}
		num, rest, ok := cutNumber(rest)
		if !ok {
			break
		}
		rest = strings.TrimLeft(rest, " \t")
		unit, tail := cutLetters(rest)
		d, known := spokenUnits[strings.ToLower(unit)]
		if !known {
			if pairs == 0 && unit == "" {
				return scale(num, time.Second), true
			}
			break
		}
		total += scale(num, d)
		pairs++
		s = tail
	}
	return total, pairs > 0
}

// cutNumber takes a decimal number ("20", "2.5") off the front of s.
func cutNumber(s string) (float64, string, bool) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, s, false
	}
	n, err := strconv.ParseFloat(strings.TrimSuffix(s[:i], "."), 64)
	if err != nil {
		return 0, s, false
	}
	return n, s[i:], true
}

// cutLetters takes the ASCII letters off the front of s.
func cutLetters(s string) (string, string) {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	return s[:i], s[i:]
}

// scale is n units as a Duration, saturating instead of overflowing.
func scale(n float64, unit time.Duration) time.Duration {
	v := math.Round(n * float64(unit))
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(v)
}
