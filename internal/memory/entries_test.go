package memory

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"blank", "\n \n", nil},
		{"one", "just one\n", []string{"just one"}},
		{"two", "a\n§\nb\n", []string{"a", "b"}},
		{"padded separator", "a\n  §  \nb", []string{"a", "b"}},
		{"crlf", "a\r\n§\r\nb\r\n", []string{"a", "b"}},
		{"empty pieces dropped", "§\n§\na\n§\n\n§\n", []string{"a"}},
		{"inline § is text", "costs 5 § per unit\n§\nb", []string{"costs 5 § per unit", "b"}},
		{"multiline entry", "line 1\n\nline 3\n§\nb", []string{"line 1\n\nline 3", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Parse(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	if Format(nil) != "" || Size(nil) != 0 {
		t.Error("no entries is not the empty file")
	}
	e := []string{"ab", "cé"}
	if Format(e) != "ab\n§\ncé\n" || Size(e) != 7 {
		t.Errorf("Format %q Size %d", Format(e), Size(e))
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		used, limit int
		want        string
	}{
		{1474, 2200, "67% — 1,474/2,200 chars"},
		{0, 1375, "0% — 0/1,375 chars"},
		{100000, 100000, "100% — 100,000/100,000 chars"},
		{5, 0, "0% — 5/0 chars"},
		{999, 1000, "99% — 999/1,000 chars"},
	}
	for _, tt := range tests {
		if got := Usage(tt.used, tt.limit); got != tt.want {
			t.Errorf("Usage(%d, %d) = %q, want %q", tt.used, tt.limit, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a\n§\nb", "§", " § \n x", "a\r\n§\r\n", "x § y\n§\n\n§\nz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		entries := Parse(in)
		for _, e := range entries {
			if e == "" || e != strings.TrimSpace(e) {
				t.Fatalf("entry %q is empty or untrimmed", e)
			}
			if _, err := checkEntry(e); err != nil && utf8.ValidString(e) {
				t.Fatalf("parsed entry %q cannot be stored: %v", e, err)
			}
		}
		again := Parse(Format(entries))
		if !slices.Equal(again, entries) {
			t.Fatalf("Parse(Format(Parse(x))) = %q, want %q", again, entries)
		}
		if Size(entries) < 0 {
			t.Fatal("negative size")
		}
	})
}
