package contextfiles

import (
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf8"
)

// minBase64 is the shortest base64 run decoded: 24 characters are 18
// bytes, about three words.
const minBase64 = 24

// base64Pattern is reported by findBase64, which scans decoded text with
// the other rules.
var base64Pattern = Pattern{ID: "base64_payload", Description: "a base64 run that decodes to text the scan blocks"}

// findBase64 decodes every base64 run of at least minBase64 characters
// (standard or URL alphabet, padded or not, wrapped over whole lines) that
// decodes to printable UTF-8 text, and scans that text with the rules. It
// reports the first run whose text has a finding, naming the inner ids.
func findBase64(text string) (start, end int, inner []string, ok bool) {
	for i := 0; i < len(text); {
		if !isBase64Byte(text[i]) || i > 0 && isBase64Byte(text[i-1]) {
			i++
			continue
		}
		j := i
		for j < len(text) {
			if isBase64Byte(text[j]) || text[j] == '=' {
				j++
				continue
			}
			// A run wrapped over lines goes on after a newline.
			if text[j] == '\n' && j+1 < len(text) && isBase64Byte(text[j+1]) && j-i >= 60 {
				j++
				continue
			}
			break
		}
		if j-i >= minBase64 {
			if ids := scanDecoded(text[i:j]); len(ids) > 0 {
				return i, j, ids, true
			}
		}
		i = max(j, i+1)
	}
	return 0, 0, nil, false
}

func isBase64Byte(c byte) bool {
	return isWordByte(c) || c == '+' || c == '/' || c == '-'
}

// scanDecoded decodes a base64 run and returns the ids of the findings in
// its text; nil when it is not base64 of printable text.
func scanDecoded(run string) []string {
	s := strings.ReplaceAll(run, "\n", "")
	s = strings.TrimRight(s, "=")
	if strings.Contains(s, "=") {
		return nil
	}
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return nil
		}
		enc = base64.RawURLEncoding
	}
	data, err := enc.DecodeString(s)
	if err != nil || !utf8.Valid(data) || !printable(data) {
		return nil
	}
	return IDs(scanWith(string(data), false))
}

// printable reports text made of printable characters and whitespace.
func printable(data []byte) bool {
	for _, r := range string(data) {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
