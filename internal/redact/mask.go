package redact

import (
	"unicode/utf8"
)

// Mask shows a token without giving it away: "***" when it is shorter than
// 18 characters, otherwise its first 6 and last 4 characters around "..."
// ("sk-pro...9xQz"). Characters are counted as runes, not bytes.
func Mask(token string) string {
	if utf8.RuneCountInString(token) < 18 {
		return "***"
	}
	r := []rune(token)
	return string(r[:6]) + "..." + string(r[len(r)-4:])
}

// isMask reports whether s is already the output of Mask, so that
// redacting redacted text changes nothing.
func isMask(s []byte) bool {
	if string(s) == "***" {
		return true
	}
	if len(s) > 13*utf8.UTFMax || utf8.RuneCount(s) != 13 {
		return false
	}
	r := []rune(string(s))
	return string(r[6:9]) == "..."
}
