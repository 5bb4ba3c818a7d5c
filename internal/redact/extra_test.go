package redact

import (
	"strconv"
	"strings"
	"testing"
)

func TestExtraPatterns(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{Extra: []string{`corp_[A-Za-z0-9]{12}`, `employee-id: ([0-9]{6})`}})
	tests := []struct{ in, want string }{
		{"use corp_abcdef123456 now", "use *** now"},
		{"employee-id: 123456", "employee-id: ***"},
		{"OPENAI_API_KEY=" + familySecrets["openai"], "OPENAI_API_KEY=" + Mask(familySecrets["openai"])},
		{"corp_short", "corp_short"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExtraRejected(t *testing.T) {
	t.Parallel()
	tests := []struct{ pattern, wantMsg string }{
		{`(`, "bad regular expression"},
		{`[a-`, "bad regular expression"},
		{`.*`, "empty string"},
		{`[\s\S]*`, "empty string"},
		{`x?`, "empty string"},
		{`.+`, "as few as 1"},
		{`\S+`, "as few as 1"},
		{`\d`, "as few as 1"},
		{`ab|c`, "as few as 1"},
		{`\S{3,}`, "almost anything"},
		{`[a-z]{3,}`, "almost anything"},
		{`\w+\s\w+`, "almost anything"},
	}
	for _, tt := range tests {
		_, err := New(Options{Extra: []string{`fine_[0-9]{8}`, tt.pattern}})
		if err == nil {
			t.Errorf("pattern %q accepted", tt.pattern)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.wantMsg) || !strings.Contains(msg, "extra pattern 2") || !strings.Contains(msg, strconv.Quote(tt.pattern)) {
			t.Errorf("pattern %q: error %q should name it and say %q", tt.pattern, msg, tt.wantMsg)
		}
	}
}
