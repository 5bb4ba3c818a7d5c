package pool

import (
	"net/http"
	"testing"
	"time"
)

func TestCooldown(t *testing.T) {
	t.Parallel()
	httpDate := t0.Add(90 * time.Second).Format(http.TimeFormat)
	rfc3339 := t0.Add(42 * time.Second).Format(time.RFC3339)
	tests := []struct {
		name   string
		f      Failure
		sole   bool
		want   time.Duration // from t0
		status Status
	}{
		// 401/403: 5 minutes, dead when the key is revoked or invalid.
		{"401 plain", Failure{Status: 401, Message: "Unauthorized"}, false, 5 * time.Minute, StatusExhausted},
		{"401 plain, sole key", Failure{Status: 401, Message: "Unauthorized"}, true, 5 * time.Minute, StatusExhausted},
		{"401 invalid api key", Failure{Status: 401, Message: "Invalid API key provided"}, false, 5 * time.Minute, StatusDead},
		{"401 invalid x-api-key", Failure{Status: 401, Message: "invalid x-api-key"}, true, 5 * time.Minute, StatusDead},
		{"401 incorrect api key", Failure{Status: 401, Message: "Incorrect API key provided: sk-proj-****9xQz."}, false, 5 * time.Minute, StatusDead},
		{"401 revoked", Failure{Status: 401, Message: "This API key has been revoked"}, false, 5 * time.Minute, StatusDead},
		{"403 deactivated", Failure{Status: 403, Message: "Your organization has been deactivated"}, false, 5 * time.Minute, StatusDead},
		{"401 disabled", Failure{Status: 401, Message: "API key disabled"}, false, 5 * time.Minute, StatusDead},
		{"401 with Retry-After", Failure{Status: 401, Message: "Unauthorized", Header: hdr("Retry-After", "30")}, false, 30 * time.Second, StatusExhausted},
		{"401 revoked ignores Retry-After", Failure{Status: 401, Message: "key revoked", Header: hdr("Retry-After", "30")}, false, 5 * time.Minute, StatusDead},

		// 429 and transient errors: 1 hour, or 60 s for a sole key.
		{"429, several keys", Failure{Status: 429, Message: "Rate limit reached"}, false, time.Hour, StatusExhausted},
		{"429, sole key", Failure{Status: 429, Message: "Rate limit reached"}, true, 60 * time.Second, StatusExhausted},
		{"500, several keys", Failure{Status: 500, Message: "internal error"}, false, time.Hour, StatusExhausted},
		{"503, sole key", Failure{Status: 503, Message: "service unavailable"}, true, 60 * time.Second, StatusExhausted},
		{"529 overloaded, several", Failure{Status: 529, Message: "Overloaded"}, false, time.Hour, StatusExhausted},

		// Billing: 1 hour even for a sole key.
		{"429 with billing text, sole", Failure{Status: 429, Message: "You exceeded your current quota, please check your plan and billing details."}, true, time.Hour, StatusExhausted},
		{"429 insufficient_quota, sole", Failure{Status: 429, Message: "insufficient_quota"}, true, time.Hour, StatusExhausted},
		{"402, sole", Failure{Status: 402, Message: "Payment Required"}, true, time.Hour, StatusExhausted},
		{"402, several", Failure{Status: 402, Message: ""}, false, time.Hour, StatusExhausted},
		{"400 credit balance, sole", Failure{Status: 400, Message: "Your credit balance is too low to access the Anthropic API."}, true, time.Hour, StatusExhausted},
		{"500 quota exceeded, sole", Failure{Status: 500, Message: "Quota exceeded for this project"}, true, time.Hour, StatusExhausted},
		{"billing honours Retry-After", Failure{Status: 429, Message: "insufficient_quota", Header: hdr("Retry-After", "30")}, true, 30 * time.Second, StatusExhausted},
		{"billing ignores window reset", Failure{Status: 429, Message: "insufficient_quota", Header: hdr("X-Ratelimit-Reset-Requests", "20s")}, true, time.Hour, StatusExhausted},

		// The provider's reset time overrides the table.
		{"Retry-After seconds", Failure{Status: 429, Header: hdr("Retry-After", "120")}, false, 120 * time.Second, StatusExhausted},
		{"Retry-After seconds, sole", Failure{Status: 429, Header: hdr("Retry-After", "120")}, true, 120 * time.Second, StatusExhausted},
		{"Retry-After HTTP-date", Failure{Status: 503, Header: hdr("Retry-After", httpDate)}, false, 90 * time.Second, StatusExhausted},
		{"retry-after-ms", Failure{Status: 429, Header: hdr("retry-after-ms", "1500")}, false, 1500 * time.Millisecond, StatusExhausted},
		{"x-ratelimit-reset-requests 1m30s", Failure{Status: 429, Header: hdr("x-ratelimit-reset-requests", "1m30s")}, false, 90 * time.Second, StatusExhausted},
		{"x-ratelimit-reset-requests 20s", Failure{Status: 429, Header: hdr("x-ratelimit-reset-requests", "20s")}, false, 20 * time.Second, StatusExhausted},
		{"x-ratelimit-reset-tokens 250ms", Failure{Status: 429, Header: hdr("x-ratelimit-reset-tokens", "250ms")}, false, 250 * time.Millisecond, StatusExhausted},
		{"anthropic RFC 3339 reset", Failure{Status: 429, Header: hdr("anthropic-ratelimit-requests-reset", rfc3339)}, false, 42 * time.Second, StatusExhausted},
		{"text: resets in 2h 5m", Failure{Status: 429, Message: "Rate limit exceeded: free-models-per-day. resets in 2h 5m"}, true, 2*time.Hour + 5*time.Minute, StatusExhausted},
		{"text: try again in 20s", Failure{Status: 429, Message: "Rate limit reached for gpt-4o. Please try again in 20s."}, false, 20 * time.Second, StatusExhausted},
		{"text: try again in 1m2.5s", Failure{Status: 429, Message: "Please try again in 1m2.5s. Visit https://platform.openai.com/account/rate-limits"}, false, 62500 * time.Millisecond, StatusExhausted},
		{"text: retry after 30 seconds", Failure{Status: 429, Message: "Too many requests, retry after 30 seconds"}, true, 30 * time.Second, StatusExhausted},
		{"text on a 503", Failure{Status: 503, Message: "overloaded, try again in 45 seconds"}, false, 45 * time.Second, StatusExhausted},
		{"window reset ignored on a 500", Failure{Status: 500, Header: hdr("x-ratelimit-reset-requests", "20s")}, false, time.Hour, StatusExhausted},
		{"window reset on a 500 whose window is spent", Failure{Status: 500, Header: hdr("x-ratelimit-reset-requests", "20s", "x-ratelimit-remaining-requests", "0")}, false, 20 * time.Second, StatusExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			until, status := Cooldown(tt.f, tt.sole, t0)
			if want := t0.Add(tt.want); !until.Equal(want) || status != tt.status {
				t.Errorf("Cooldown = %v (+%v), %s; want +%v, %s", until, until.Sub(t0), status, tt.want, tt.status)
			}
		})
	}
}

func TestParseReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Failure
		want time.Duration // from t0; -1: no reset found
	}{
		{"nothing", Failure{Status: 429, Message: "Too Many Requests"}, -1},
		{"try again later", Failure{Status: 429, Message: "please try again later"}, -1},
		{"retry counts are not times", Failure{Status: 429, Message: "will retry 3 times"}, -1},
		{"Retry-After junk", Failure{Status: 429, Header: hdr("Retry-After", "soon")}, -1},
		{"Retry-After negative", Failure{Status: 429, Header: hdr("Retry-After", "-5")}, -1},
		{"Retry-After 0", Failure{Status: 429, Header: hdr("Retry-After", "0")}, 0},
		{"Retry-After date in the past is now", Failure{Status: 429, Header: hdr("Retry-After", t0.Add(-time.Hour).Format(http.TimeFormat))}, 0},
		{"retry-after-ms before Retry-After", Failure{Status: 429, Header: hdr("retry-after-ms", "250", "Retry-After", "1")}, 250 * time.Millisecond},
		{"headers before text", Failure{Status: 429, Message: "try again in 5m", Header: hdr("Retry-After", "7")}, 7 * time.Second},
		{"Retry-After before window", Failure{Status: 429, Header: hdr("Retry-After", "7", "x-ratelimit-reset-tokens", "6m0s")}, 7 * time.Second},
		{"latest window wins", Failure{Status: 429, Header: hdr("x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens", "6m0s")}, 6 * time.Minute},
		{"spent window wins", Failure{Status: 429, Header: hdr("x-ratelimit-reset-requests", "1s", "x-ratelimit-remaining-requests", "0",
			"x-ratelimit-reset-tokens", "6m0s", "x-ratelimit-remaining-tokens", "5000")}, time.Second},
		{"anthropic spent tokens window", Failure{Status: 429, Header: hdr(
			"anthropic-ratelimit-requests-reset", t0.Add(10*time.Second).Format(time.RFC3339), "anthropic-ratelimit-requests-remaining", "40",
			"anthropic-ratelimit-tokens-reset", t0.Add(3*time.Second).Format(time.RFC3339), "anthropic-ratelimit-tokens-remaining", "0")}, 3 * time.Second},
		{"x-ratelimit-reset unix ms", Failure{Status: 429, Header: hdr("X-RateLimit-Reset", "1773490020000")}, time.UnixMilli(1773490020000).Sub(t0)},
		{"x-ratelimit-reset unix seconds", Failure{Status: 429, Header: hdr("X-RateLimit-Reset", "1773490020")}, time.Unix(1773490020, 0).Sub(t0)},
		{"x-ratelimit-reset seconds", Failure{Status: 429, Header: hdr("X-RateLimit-Reset", "17")}, 17 * time.Second},
		{"window on unknown status", Failure{Header: hdr("x-ratelimit-reset-requests", "20s")}, 20 * time.Second},
		{"window not on a 503", Failure{Status: 503, Header: hdr("x-ratelimit-reset-requests", "20s")}, -1},
		{"text 2 hours and 5 minutes", Failure{Message: "Quota resets in 2 hours and 5 minutes"}, 2*time.Hour + 5*time.Minute},
		{"text Retry after: 12", Failure{Message: "Retry after: 12"}, 12 * time.Second},
		{"text 240ms", Failure{Message: "Please try again in 240ms."}, 240 * time.Millisecond},
		{"text 1.5 minutes", Failure{Message: "try again in 1.5 minutes"}, 90 * time.Second},
		{"more than a month is ignored", Failure{Status: 429, Header: hdr("Retry-After", "99999999")}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseReset(tt.f, t0)
			if tt.want < 0 {
				if ok {
					t.Errorf("ParseReset = %v (+%v), want none", got, got.Sub(t0))
				}
				return
			}
			if !ok || !got.Equal(t0.Add(tt.want)) {
				t.Errorf("ParseReset = %v (+%v), %v; want +%v", got, got.Sub(t0), ok, tt.want)
			}
		})
	}
}

// FuzzParseReset: reset times from any headers and message never panic,
// and a reset found is never before now nor absurdly far.
func FuzzParseReset(f *testing.F) {
	f.Add(429, "resets in 2h 5m", "120", "1m30s")
	f.Add(503, "Please try again in 1m2.5s", "Wed, 21 Oct 2026 07:28:00 GMT", "")
	f.Add(429, "retry after 30 seconds", "", "2026-11-22T10:00:00Z")
	f.Fuzz(func(t *testing.T, status int, msg, retryAfter, reset string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("X-Ratelimit-Reset-Requests", reset)
		h.Set("Anthropic-Ratelimit-Requests-Reset", reset)
		now := t0
		if until, ok := ParseReset(Failure{Status: status, Message: msg, Header: h}, now); ok {
			if until.Before(now) || until.After(now.Add(32*24*time.Hour)) {
				t.Fatalf("reset %v for %q %q %q", until, msg, retryAfter, reset)
			}
		}
		Cooldown(Failure{Status: status, Message: msg, Header: h}, status%2 == 0, now)
	})
}
