package detect

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns the text Scan matches against: ANSI escapes, NUL,
// other control characters and invisible format characters removed,
// Unicode NFKC applied, backslash-newline joined, `\xHH` escapes of plain
// characters decoded, `$IFS`/`${IFS}` turned into a space, `$HOME` and
// `${HOME}` folded to `~`, and empty quote pairs that split a word (as in
// r""m) removed. The result is still shell text for the same command.
func Normalize(s string) string {
	s = stripControls(s)
	if !isASCII(s) {
		s = norm.NFKC.String(s)
		s = stripControls(s) // NFKC can produce nothing new to strip, but be sure
	}
	s = strings.ReplaceAll(s, "\\\r\n", "")
	s = strings.ReplaceAll(s, "\\\n", "")
	if strings.Contains(s, `\x`) || strings.Contains(s, `\X`) {
		s = decodeHexEscapes(s)
	}
	if strings.Contains(s, "IFS") {
		s = replaceParam(s, "IFS", " ")
	}
	if strings.Contains(s, "HOME") {
		s = replaceParam(s, "HOME", "~")
	}
	if strings.Contains(s, "''") || strings.Contains(s, `""`) {
		s = stripEmptyQuotes(s)
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// invisible reports format characters that render as nothing and could
// hide inside a word.
func invisible(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E,
		r >= 0x2060 && r <= 0x2064, r >= 0x2066 && r <= 0x2069,
		r == 0xFEFF, r == 0x00AD:
		return true
	}
	return false
}

// stripControls removes ANSI escape sequences (CSI, OSC and two-byte
// forms, also the 8-bit CSI), NUL and other C0/C1 controls except tab,
// newline and carriage return, and invisible format characters.
func stripControls(s string) string {
	clean := true
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r < 0xa0) || invisible(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b:
			i += skipEscape(s[i+1:]) + 1
			continue
		case r == 0x9b: // 8-bit CSI
			i += size + skipCSI(s[i+size:])
			continue
		case (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r < 0xa0) || invisible(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// skipEscape returns the length of the escape sequence after an ESC.
func skipEscape(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '[':
		return 1 + skipCSI(s[1:])
	case ']', 'P', '_', '^': // OSC, DCS, APC, PM: until BEL or ST
		for i := 1; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	if s[0] >= 0x20 && s[0] < 0x7f {
		return 1
	}
	return 0
}

// skipCSI returns the length of a CSI sequence's parameters and final byte.
func skipCSI(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x40 && s[i] <= 0x7e {
			return i + 1
		}
		if s[i] < 0x20 || s[i] > 0x7e {
			return i
		}
	}
	return len(s)
}

// plainByte reports characters safe to decode from \xHH in place: they
// cannot change how the shell splits or quotes the text.
func plainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '/' || c == '.' || c == '_' || c == '-' || c == '~' || c == '+' || c == ':' || c == '@' || c == ','
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeHexEscapes turns an unescaped `\xHH` whose byte is a plain
// character into that character.
func decodeHexEscapes(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	backslashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && backslashes%2 == 0 && i+3 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') {
			hi, ok1 := hexVal(s[i+2])
			lo, ok2 := hexVal(s[i+3])
			if d := hi<<4 | lo; ok1 && ok2 && plainByte(d) {
				b.WriteByte(d)
				i += 3
				backslashes = 0
				continue
			}
		}
		if c == '\\' {
			backslashes++
		} else {
			backslashes = 0
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// replaceParam replaces $NAME (not followed by a name character) and
// ${NAME} with repl, unless the $ is backslash-escaped.
func replaceParam(s, name, repl string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && (i == 0 || s[i-1] != '\\') {
			rest := s[i+1:]
			if strings.HasPrefix(rest, "{"+name+"}") {
				b.WriteString(repl)
				i += len(name) + 2
				continue
			}
			if strings.HasPrefix(rest, name) && (len(rest) == len(name) || !isNameByte(rest[len(name)])) {
				b.WriteString(repl)
				i += len(name)
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isWordByte(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ';', '&', '|', '<', '>', '(', ')':
		return false
	}
	return true
}

// stripEmptyQuotes removes empty quote pairs that sit inside a word
// outside any quotes (r""m becomes rm). An empty quote pair that is a
// whole word stays, as does an empty ANSI-C string.
func stripEmptyQuotes(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	const (
		none = iota
		single
		double
	)
	state := none
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case single:
			if c == '\'' {
				state = none
			}
		case double:
			if c == '\\' && i+1 < len(s) {
				b.WriteByte(c)
				i++
				c = s[i]
			} else if c == '"' {
				state = none
			}
		default:
			switch {
			case c == '\\' && i+1 < len(s):
				b.WriteByte(c)
				i++
				c = s[i]
			case (c == '\'' || c == '"') && i+1 < len(s) && s[i+1] == c:
				prevWord := i > 0 && isWordByte(s[i-1]) && s[i-1] != '$'
				nextWord := i+2 < len(s) && isWordByte(s[i+2])
				if prevWord || nextWord && (i == 0 || s[i-1] != '$') {
					i++
					continue
				}
				b.WriteByte(c)
				i++
			case c == '\'':
				state = single
			case c == '"':
				state = double
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
