package memory

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Separator is the line between two entries.
const Separator = "§"

// Parse splits the text of a memory file into its entries: the pieces
// between lines holding only "§" (surrounding blanks allowed), each trimmed
// of leading and trailing white space, with empty pieces dropped. CR and
// CRLF line ends read as LF.
func Parse(text string) []string {
	text = newlines(text)
	var entries []string
	var cur []string
	flush := func() {
		if e := strings.TrimSpace(strings.Join(cur, "\n")); e != "" {
			entries = append(entries, e)
		}
		cur = cur[:0]
	}
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) == Separator {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return entries
}

// newlines turns CRLF and lone CR line ends into LF.
func newlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Format joins entries into the text of a memory file; it is what Parse
// reads back. No entries is the empty file.
func Format(entries []string) string {
	if len(entries) == 0 {
		return ""
	}
	return strings.Join(entries, "\n"+Separator+"\n") + "\n"
}

// Size is the number of characters entries take in the file, the figure
// the limits are in (the final newline is not counted).
func Size(entries []string) int {
	if len(entries) == 0 {
		return 0
	}
	return utf8.RuneCountInString(Format(entries)) - 1
}

// checkEntry refuses text that cannot be stored as one entry.
func checkEntry(text string) (string, error) {
	e := strings.TrimSpace(newlines(text))
	if e == "" {
		return "", fmt.Errorf("the entry is empty; give the text to save")
	}
	for line := range strings.SplitSeq(e, "\n") {
		if strings.TrimSpace(line) == Separator {
			return "", fmt.Errorf("the entry contains a line holding only %q, which separates entries; save each fact as its own entry", Separator)
		}
	}
	return e, nil
}

// Usage renders used/limit like "67% — 1,474/2,200 chars".
func Usage(used, limit int) string {
	pct := 0
	if limit > 0 {
		pct = used * 100 / limit
	}
	return fmt.Sprintf("%d%% — %s/%s chars", pct, thousands(used), thousands(limit))
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
