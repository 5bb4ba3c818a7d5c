package pool

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"", "***"},
		{"short", "***"},
		{"sk-1234567890abcd", "***"},            // 17 characters
		{"sk-1234567890abcde", "sk-123...bcde"}, // 18 characters
		{"sk-proj-aaaaaaaaaaaaaaaaaaaa9xQz", "sk-pro...9xQz"},
		{"sk-ant-api03-" + strings.Repeat("z", 80) + "AbCd", "sk-ant...AbCd"},
		{"ключ-ключ-ключ-ключ-ключ", "ключ-к...ключ"}, // counted in characters, not bytes
	}
	for _, tt := range tests {
		if got := Mask(tt.key); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestParseStrategy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Strategy
		ok   bool
	}{
		{"fill_first", FillFirst, true},
		{"round_robin", RoundRobin, true},
		{"random", Random, true},
		{"least_used", LeastUsed, true},
		{"Round-Robin", RoundRobin, true},
		{"", "", false},
		{"fastest", "", false},
	}
	for _, tt := range tests {
		got, err := ParseStrategy(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseStrategy(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "fill_first, round_robin, random, least_used") {
			t.Errorf("error %q does not list the strategies", err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	// sha256("abc") = ba7816bf8f01cfea414140de5dae2223...
	if got := fingerprint("abc"); got != "ba7816bf8f01cfea" {
		t.Errorf("fingerprint(abc) = %s", got)
	}
}
