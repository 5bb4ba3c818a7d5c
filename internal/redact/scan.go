package redact

// Byte classes for the one-pass line scan.
const (
	cTok  = 1 << iota // part of a token run: A-Z a-z 0-9 _ - . + / = ~
	cMark             // a byte some detector keys on: = : @ ? & -
	cKw               // first letter of a trigger key word (either case)
	cOdd              // control byte or the lead byte of a zero-width character
	cWord             // a regexp word byte: A-Z a-z 0-9 _
)

var classes = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cTok
		t[c-'a'+'A'] |= cTok
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= cTok | cWord
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cWord
		t[c-'a'+'A'] |= cWord
	}
	t['_'] |= cWord
	for _, c := range "_-.+/=~" {
		t[c] |= cTok
	}
	for _, c := range "=:@?&-" {
		t[c] |= cMark
	}
	for _, c := range "ktspcab" {
		t[c] |= cKw
		t[c-'a'+'A'] |= cKw
	}
	for c := 0; c < 0x20; c++ {
		t[c] |= cOdd // a tab only counts inside a token; see tabInside
	}
	t[0x7f] |= cOdd
	// lead bytes of the invisible characters invisibleAt knows
	for _, c := range []byte{0xc2, 0xcd, 0xe1, 0xe2, 0xe3, 0xef, 0xf3} {
		t[c] |= cOdd
	}
	return t
}()

// kwSecond holds, for the first letter of each key word, the letters that
// can follow it (bit n for 'a'+n), a cheap test before keywordAt.
var kwSecond = func() (t [256]uint32) {
	for _, k := range []string{"key", "token", "secret", "sig", "passw", "passp", "pwd", "cred", "auth", "bearer"} {
		t[k[0]] |= 1 << (k[1] - 'a')
	}
	return t
}()

// lineInfo is what the cheap scan learns about a line.
type lineInfo struct {
	run   int  // longest run of token bytes
	kw    bool // a trigger key word occurs
	eq    bool // '='
	colon bool // ':'
	at    bool // '@'
	query bool // '?' or '&'
	dash5 bool // "-----"
	dashP bool // " -p", a password flag
	tab   bool // a tab between two token bytes
	odd   bool // zero-width, control or escape bytes: match on a view
	cand  bool // a word starts with the first two bytes of a token literal
}

// scanLine is the one pass over a line that decides which detectors can
// match. Word bytes, most of any text, take the short path: only a word's
// first byte (for token literals) and a key word's first letter cost more.
func scanLine(b []byte) (li lineInfo) {
	runStart := 0 // where the current run of token bytes began
	prevWord := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		f := classes[c]
		if f&cWord != 0 {
			if !prevWord {
				prevWord = true
				if !li.cand && i+1 < len(b) {
					c2 := b[i+1]
					li.cand = startPair[c][c2>>6]>>(c2&63)&1 != 0
				}
			}
			if f&cKw != 0 && !li.kw && i+1 < len(b) && kwSecond[c|0x20]>>((b[i+1]|0x20)-'a')&1 != 0 && keywordAt(b[i:]) {
				li.kw = true
			}
			continue
		}
		prevWord = false
		if f&cTok == 0 {
			if i-runStart > li.run {
				li.run = i - runStart
			}
			runStart = i + 1
		}
		if f&(cMark|cOdd) == 0 {
			continue
		}
		switch c {
		case '-':
			if i+1 < len(b) && b[i+1] == 'p' && i > 0 && b[i-1] == ' ' {
				li.dashP = true
			}
			if i >= 4 && b[i-1] == '-' && b[i-2] == '-' && b[i-3] == '-' && b[i-4] == '-' {
				li.dash5 = true
			}
		case '=':
			li.eq = true
		case ':':
			li.colon = true
		case '@':
			li.at = true
		case '?', '&':
			li.query = true
		default: // cOdd
			if c == '\t' {
				li.tab = li.tab || tabInside(b, i)
			} else if c < 0x80 || invisibleAt(b[i:]) > 0 {
				li.odd = true
			}
		}
	}
	if len(b)-runStart > li.run {
		li.run = len(b) - runStart
	}
	// a tab inside a token joins it only where a token could start or a
	// ':' could precede one: columns such as "password\trequired\tpam_deny.so"
	// stay apart
	li.odd = li.odd || li.tab && (li.cand || li.colon)
	return li
}

// keywordAt reports whether b starts with a key word that triggers the
// name-based detectors (assignments, JSON fields, headers, query
// parameters, Bearer tokens), ignoring ASCII case: key, token, secret,
// sig, passw, passp, pwd, cred, auth, bearer.
func keywordAt(b []byte) bool {
	switch b[0] | 0x20 {
	case 'k':
		return foldPrefix(b, "key")
	case 't':
		return foldPrefix(b, "token")
	case 's':
		return foldPrefix(b, "secret") || foldPrefix(b, "sig")
	case 'p':
		return foldPrefix(b, "passw") || foldPrefix(b, "passp") || foldPrefix(b, "pwd")
	case 'c':
		return foldPrefix(b, "cred")
	case 'a':
		return foldPrefix(b, "auth")
	case 'b':
		return foldPrefix(b, "bearer")
	}
	return false
}

// foldPrefix reports whether b starts with the lower-case ASCII word k,
// ignoring case.
func foldPrefix(b []byte, k string) bool {
	if len(b) < len(k) {
		return false
	}
	for i := 0; i < len(k); i++ {
		if b[i]|0x20 != k[i] {
			return false
		}
	}
	return true
}

// invisibleAt returns the byte length of the invisible character that b
// starts with, or 0: zero-width spaces and joiners (U+200B..U+200F),
// U+2028, U+2029, bidi controls (U+202A..U+202E, U+2066..U+2069), word
// joiner and invisible operators (U+2060..U+2064), the soft hyphen
// U+00AD, the combining grapheme joiner U+034F, the Mongolian vowel
// separator U+180E, Hangul fillers (U+115F, U+1160, U+3164, U+FFA0),
// variation selectors (U+FE00..U+FE0F), U+FEFF and the tag characters
// U+E0000..U+E007F.
func invisibleAt(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[0] {
	case 0xc2:
		if b[1] == 0xad {
			return 2
		}
	case 0xcd:
		if b[1] == 0x8f {
			return 2
		}
	}
	if len(b) < 3 {
		return 0
	}
	c1, c2 := b[1], b[2]
	switch b[0] {
	case 0xe1:
		if c1 == 0xa0 && c2 == 0x8e || c1 == 0x85 && (c2 == 0x9f || c2 == 0xa0) {
			return 3
		}
	case 0xe2:
		if c1 == 0x80 && (c2 >= 0x8b && c2 <= 0x8f || c2 >= 0xa8 && c2 <= 0xae) ||
			c1 == 0x81 && (c2 >= 0xa0 && c2 <= 0xa4 || c2 >= 0xa6 && c2 <= 0xa9) {
			return 3
		}
	case 0xe3:
		if c1 == 0x85 && c2 == 0xa4 {
			return 3
		}
	case 0xef:
		if c1 == 0xbb && c2 == 0xbf || c1 == 0xb8 && c2 >= 0x80 && c2 <= 0x8f || c1 == 0xbe && c2 == 0xa0 {
			return 3
		}
	case 0xf3:
		if len(b) >= 4 && c1 == 0xa0 && (c2 == 0x80 || c2 == 0x81) && b[3] >= 0x80 && b[3] <= 0xbf {
			return 4
		}
	}
	return 0
}

// tabInside reports whether the tab at b[i] sits between two token bytes,
// where it splits a token rather than separating columns.
func tabInside(b []byte, i int) bool {
	return i > 0 && i+1 < len(b) && classes[b[i-1]]&cTok != 0 && classes[b[i+1]]&cTok != 0
}

// hiddenAt returns the byte length of what the view drops at the start of
// b: an ANSI CSI sequence, a control byte (not tab) or an invisible
// character; 0 when b starts with a visible character.
func hiddenAt(b []byte) int {
	c := b[0]
	if c == 0x1b && len(b) > 1 && b[1] == '[' {
		i := 2
		for i < len(b) && b[i] >= 0x20 && b[i] <= 0x3f {
			i++
		}
		if i < len(b) && b[i] >= 0x40 && b[i] <= 0x7e {
			return i + 1
		}
		return 1
	}
	if c < 0x20 && c != '\t' || c == 0x7f {
		return 1
	}
	if c >= 0xc2 {
		return invisibleAt(b)
	}
	return 0
}

// makeView returns b without hidden characters, and for every byte of the
// view its offset in b.
func makeView(b []byte, view []byte, idx []int) ([]byte, []int) {
	view, idx = view[:0], idx[:0]
	for i := 0; i < len(b); {
		if c := b[i]; c >= 0x20 && c < 0x7f {
			// printable ASCII, most of any line: always in the view
			view = append(view, c)
			idx = append(idx, i)
			i++
			continue
		}
		if n := hiddenAt(b[i:]); n > 0 {
			i += n
			continue
		}
		if b[i] == '\t' && tabInside(b, i) {
			i++
			continue
		}
		view = append(view, b[i])
		idx = append(idx, i)
		i++
	}
	return view, idx
}
