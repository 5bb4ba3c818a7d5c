package redact

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/hermes-go/hermes/internal/lazyre"
)

// Options configure a Redactor.
type Options struct {
	// Disabled makes the Redactor a pass-through. Only Init at start should
	// ever set it; see Init.
	Disabled bool
	// Extra are user regular expressions (Go RE2 syntax) whose matches are
	// masked as well: group 1 when the pattern has groups, else the whole
	// match. They can only add to the built-in detectors.
	Extra []string
}

// Redactor masks secrets in text. It is immutable once built by New and
// safe for concurrent use.
type Redactor struct {
	disabled bool
	extra    []*extraPattern
	maxLine  int // lines longer than this are redacted window by window
}

// defaultMaxLine is the line cap: a stream buffers at most this much of
// one line before it redacts a window of it.
const defaultMaxLine = 1 << 20

// New builds a Redactor. It fails when an Extra pattern does not compile
// or could match ordinary text; the error names the pattern and the fix.
func New(o Options) (*Redactor, error) {
	r := &Redactor{disabled: o.Disabled, maxLine: defaultMaxLine}
	for i, p := range o.Extra {
		x, err := compileExtra(p)
		if err != nil {
			return nil, fmt.Errorf("redact: extra pattern %d %q: %w", i+1, p, err)
		}
		r.extra = append(r.extra, x)
	}
	return r, nil
}

// String returns s with every secret masked; s itself when nothing matched.
func (r *Redactor) String(s string) string {
	if r.disabled || s == "" {
		return s
	}
	out, changed := r.all([]byte(s))
	if !changed {
		return s
	}
	return string(out)
}

// Bytes returns b with every secret masked. When nothing matched it
// returns b itself; otherwise a new slice, and b is left as it was.
func (r *Redactor) Bytes(b []byte) []byte {
	if r.disabled || len(b) == 0 {
		return b
	}
	out, changed := r.all(b)
	if !changed {
		return b
	}
	return out
}

func (r *Redactor) all(b []byte) ([]byte, bool) {
	var st state
	var sc scratch
	out, _ := r.process(make([]byte, 0, len(b)), b, &st, &sc, true)
	return out, sc.changed
}

// state is what a stream remembers between lines: whether it is inside a
// PEM private key block, and whether that block's "***" line is out yet.
type state struct {
	pem, pemMasked bool
	within         bool // the last window ended inside a secret
	cont           bool // the next piece continues a line cut into windows
}

// scratch holds buffers reused across the lines of one call.
type scratch struct {
	view []byte
	idx  []int
	ms   []match
	reps []repl
	text []byte // the text being matched: the line or its view
	idx2 []int  // offsets of text in the line; nil when text is the line
	cont bool   // the text being matched continues a line
	dash bool   // the last line found had "-----"
	// addFn is sc.add as a function value, made once: a method value
	// passed per detector call would be allocated each time
	addFn func(match)
	li    lineInfo // the line's scan
	vli   lineInfo // the scan of its view
	// changed is set once any output differs from the input
	changed bool
}

// repl replaces line[s:e] with rep; [cs,ce) is the whole match.
type repl struct {
	s, e, cs, ce int
	rep          string
}

// process appends the redaction of src to dst. It consumes complete lines
// and windows of lines longer than the line cap; with final set it also
// consumes the last, unterminated line. It returns how much it consumed.
func (r *Redactor) process(dst, src []byte, st *state, sc *scratch, final bool) ([]byte, int) {
	done := 0
	for done < len(src) {
		rest := src[done:]
		i := bytes.IndexByte(rest, '\n')
		n := i
		if i < 0 {
			n = len(rest)
		}
		if n > r.maxLine {
			sc.cont = st.cont
			cut, within := r.cutPoint(rest[:r.maxLine], sc)
			dst, _ = r.redactLine(dst, rest[:cut], st, sc)
			st.within = st.within || within
			st.cont = true
			done += cut
			continue
		}
		if i < 0 {
			if final {
				sc.cont = st.cont
				dst, _ = r.redactLine(dst, rest, st, sc)
				done = len(src)
			}
			break
		}
		sc.cont = st.cont
		var keep bool
		dst, keep = r.redactLine(dst, rest[:i], st, sc)
		st.cont, st.within = false, false
		if keep {
			dst = append(dst, '\n')
		}
		done += i + 1
	}
	return dst, done
}

// cutPoint picks where to cut a window of an over-long line: after a space
// or tab in its third quarter that no match covers, else at the edge of the
// match there, so no secret or its context is ever split. Only a match
// longer than the whole window is cut: then within is true and the rest of
// its token in the next window is masked too.
func (r *Redactor) cutPoint(w []byte, sc *scratch) (cut int, within bool) {
	spans := spansOf(r.find(w, sc))
	// inside returns the span that strictly contains p.
	inside := func(p int) ([2]int, bool) {
		i, _ := slices.BinarySearchFunc(spans, p, func(sp [2]int, p int) int { return sp[0] - p })
		if i > 0 && spans[i-1][0] < p && p < spans[i-1][1] {
			return spans[i-1], true
		}
		return [2]int{}, false
	}
	lo, hi := len(w)/2, len(w)*3/4
	for p := hi; p > lo; p-- {
		if w[p-1] != ' ' && w[p-1] != '\t' {
			continue
		}
		if _, in := inside(p); !in {
			return p, false
		}
	}
	sp, in := inside(hi)
	switch {
	case !in:
		return hi, false
	case sp[1] < len(w):
		return sp[1], false
	case sp[0] > 0:
		return sp[0], false
	}
	return len(w), true
}

// spansOf returns the whole-match extents of reps, sorted and merged.
func spansOf(reps []repl) [][2]int {
	spans := make([][2]int, 0, len(reps))
	for _, m := range reps {
		spans = append(spans, [2]int{m.cs, m.ce})
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	out := spans[:0]
	for _, sp := range spans {
		if n := len(out); n > 0 && sp[0] < out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], sp[1])
			continue
		}
		out = append(out, sp)
	}
	return out
}

var (
	pemEndRE   = lazyre.New(`-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	pemBeginRE = lazyre.New(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	pemHeadRE  = lazyre.New(`^[A-Za-z][A-Za-z-]*: `)
)

// redactLine appends the redaction of one line (without its newline). It
// returns false when the line is to be dropped with its newline: the body
// of a PEM block after its first line, which became "***".
func (r *Redactor) redactLine(dst, line []byte, st *state, sc *scratch) ([]byte, bool) {
	if st.within {
		n := 0
		for n < len(line) && classes[line[n]]&cTok != 0 {
			n++
		}
		st.within = n == len(line) // the whole piece is still the secret
		if n > 0 {
			sc.changed = true
			dst = append(dst, "***"...)
			line = line[n:]
		}
	}
	if st.pem {
		if loc := pemEndRE.FindIndex(line); loc != nil {
			if len(bytes.TrimSpace(line[:loc[0]])) > 0 {
				sc.changed = true
				if !st.pemMasked {
					dst = append(dst, "***"...)
				}
			}
			st.pem, st.pemMasked = false, false
			line = line[loc[0]:]
		} else if pemBody(line) {
			sc.changed = true
			if st.pemMasked {
				return dst, false
			}
			st.pemMasked = true
			dst = append(dst, "***"...)
			if bytes.HasSuffix(line, []byte("\r")) {
				dst = append(dst, '\r')
			}
			return dst, true
		} else {
			st.pem, st.pemMasked = false, false
		}
	}
	reps := r.find(line, sc)
	if len(reps) > 0 {
		sc.changed = true
		dst = apply(dst, line, reps)
	} else {
		dst = append(dst, line...)
	}
	if sc.dash && bytes.Contains(line, []byte("-----BEGIN")) {
		if loc := pemBeginRE.FindIndex(line); loc != nil && !pemEndRE.Match(line[loc[1]:]) {
			st.pem = true
			st.pemMasked = len(bytes.TrimSpace(line[loc[1]:])) > 0
		}
	}
	return dst, true
}

// pemBody reports whether a line can be inside a PEM block: base64, blank,
// or an RFC 1421 header such as "Proc-Type: 4,ENCRYPTED".
func pemBody(line []byte) bool {
	for _, c := range line {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '+', c == '/', c == '=', c == ' ', c == '\t', c == '\r':
		default:
			return pemHeadRE.Match(line)
		}
	}
	return true
}

// find returns the merged replacements for one line, in line offsets.
// A line with hidden characters is matched twice: as it is, and as a view
// without them, so that neither a split secret nor one next to an escape
// sequence gets through.
func (r *Redactor) find(line []byte, sc *scratch) []repl {
	sc.li = scanLine(line) // in scratch: findIn's detectors would move a local to the heap
	li := &sc.li
	sc.dash = li.dash5
	// url-password needs ':' and '@', telegram ':' and a run of 35
	// a cookie header ':' and '=', mysql and sshpass " -p"
	if !li.odd && len(r.extra) == 0 && (!li.cand || li.run < minTokenRun) && !li.kw && !li.dash5 && !li.dashP &&
		!(li.colon && (li.at || li.eq || li.run >= 35)) {
		return nil
	}
	sc.ms = sc.ms[:0]
	if !li.odd {
		r.findIn(line, nil, li, sc)
	} else {
		// tokens as they are (an escape sequence may swallow the byte
		// before one), then everything on the view
		sc.text, sc.idx2 = line, nil
		if li.cand && li.run >= minTokenRun {
			findTokens(line, sc.adder())
		}
		sc.view, sc.idx = makeView(line, sc.view, sc.idx)
		sc.vli = scanLine(sc.view)
		r.findIn(sc.view, sc.idx, &sc.vli, sc)
	}
	if len(sc.ms) == 0 {
		return nil
	}
	return sc.merge(line, li.odd)
}

// findIn runs every detector on text; idx maps text offsets to the line's
// (nil: text is the line).
func (r *Redactor) findIn(text []byte, idx []int, li *lineInfo, sc *scratch) {
	sc.text, sc.idx2 = text, idx
	add := sc.adder()
	if li.cand && li.run >= minTokenRun {
		findTokens(text, add)
	}
	for _, d := range builtins {
		if !d.perRun && d.wants(text, li) {
			d.run(text, sc.cont, add)
		}
	}
	for _, x := range r.extra {
		x.run(text, add)
	}
}

// adder returns sc.add as a function value, the same one every time.
func (sc *scratch) adder() func(match) {
	if sc.addFn == nil {
		sc.addFn = sc.add
	}
	return sc.addFn
}

// add keeps a match, in line offsets, unless it is an earlier mask, so
// that redacting twice changes nothing more than redacting once.
func (sc *scratch) add(m match) {
	if isMask(sc.text[m.s:m.e]) {
		return
	}
	m.cs, m.ce = min(m.cs, m.s), max(m.ce, m.e)
	if idx := sc.idx2; idx != nil {
		m.s, m.e, m.cs, m.ce = idx[m.s], idx[m.e-1]+1, idx[m.cs], idx[m.ce-1]+1
	}
	sc.ms = append(sc.ms, m)
}

// merge joins overlapping matches and masks them. The mask is taken from
// the secret without its hidden characters.
func (sc *scratch) merge(line []byte, odd bool) []repl {
	ms := sc.ms
	slices.SortFunc(ms, func(a, b match) int { return a.s - b.s })
	out := sc.reps[:0]
	flush := func(m match) {
		rep := "***"
		if !m.full {
			secret := line[m.s:m.e]
			if odd {
				secret, _ = makeView(secret, nil, nil)
			}
			rep = Mask(string(secret))
		}
		out = append(out, repl{s: m.s, e: m.e, cs: m.cs, ce: m.ce, rep: rep})
	}
	cur := ms[0]
	for _, m := range ms[1:] {
		if m.s <= cur.e {
			cur.e = max(cur.e, m.e)
			cur.cs, cur.ce = min(cur.cs, m.cs), max(cur.ce, m.ce)
			cur.full = cur.full || m.full
			continue
		}
		flush(cur)
		cur = m
	}
	flush(cur)
	sc.reps = out
	return out
}

// apply appends line to dst with the replacements made.
func apply(dst, line []byte, reps []repl) []byte {
	at := 0
	for _, m := range reps {
		dst = append(dst, line[at:m.s]...)
		dst = append(dst, m.rep...)
		at = m.e
	}
	return append(dst, line[at:]...)
}
