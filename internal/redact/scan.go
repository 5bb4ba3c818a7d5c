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
		if c != '\t' {
			t[c] |= cOdd
		}
	}
	t[0x7f] |= cOdd
	t[0xe2] |= cOdd // U+200B..U+200D, U+2060
	t[0xef] |= cOdd // U+FEFF
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
	odd   bool // zero-width, control or escape bytes: match on a view
	cand  bool // a word starts with the first two bytes of a token literal
}

func scanLine(b []byte) (li lineInfo) {
	run, dash := 0, 0
	prevWord := false
	for i, c := range b {
		f := classes[c]
		if f&cWord != 0 {
			if !prevWord && !li.cand && i+1 < len(b) {
				c2 := b[i+1]
				li.cand = startPair[c][c2>>6]>>(c2&63)&1 != 0
			}
			prevWord = true
		} else {
			prevWord = false
		}
		if f&cTok != 0 {
			run++
		} else {
			if run > li.run {
				li.run = run
			}
			run = 0
		}
		if f&(cMark|cKw|cOdd) == 0 {
			dash = 0
			continue
		}
		if c == '-' {
			dash++
			if dash >= 5 {
				li.dash5 = true
			}
		} else {
			dash = 0
		}
		switch {
		case f&cKw != 0:
			if !li.kw && i+1 < len(b) && kwSecond[c|0x20]>>((b[i+1]|0x20)-'a')&1 != 0 && keywordAt(b[i:]) {
				li.kw = true
			}
		case c == '=':
			li.eq = true
		case c == ':':
			li.colon = true
		case c == '@':
			li.at = true
		case c == '?' || c == '&':
			li.query = true
		case f&cOdd != 0:
			if c < 0x80 || invisibleAt(b[i:]) > 0 {
				li.odd = true
			}
		}
	}
	if run > li.run {
		li.run = run
	}
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

// invisibleAt returns the byte length of the zero-width character that b
// starts with (U+200B..U+200D, U+2060, U+FEFF), or 0.
func invisibleAt(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	switch {
	case b[0] == 0xe2 && b[1] == 0x80 && b[2] >= 0x8b && b[2] <= 0x8d,
		b[0] == 0xe2 && b[1] == 0x81 && b[2] == 0xa0,
		b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf:
		return 3
	}
	return 0
}

// hiddenAt returns the byte length of what the view drops at the start of
// b: an ANSI CSI sequence, a control byte (not tab) or a zero-width
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
	if c == 0xe2 || c == 0xef {
		return invisibleAt(b)
	}
	return 0
}

// makeView returns b without hidden characters, and for every byte of the
// view its offset in b.
func makeView(b []byte, view []byte, idx []int) ([]byte, []int) {
	view, idx = view[:0], idx[:0]
	for i := 0; i < len(b); {
		if n := hiddenAt(b[i:]); n > 0 {
			i += n
			continue
		}
		view = append(view, b[i])
		idx = append(idx, i)
		i++
	}
	return view, idx
}
