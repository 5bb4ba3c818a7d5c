package contextfiles

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normText is the text the patterns run on: the input after NFKC with every
// format character (Unicode category Cf: zero-width spaces and joiners, bidi
// controls, the BOM, soft hyphens) and tag character removed, and Cyrillic
// and Greek look-alikes read as Latin letters in words that mix them with
// Latin (see foldWords), so that "ｉｇｎｏｒｅ", "ign\u200bore" and "іgnоrе"
// all read "ignore". It remembers where each run of its
// bytes came from in the input, so findings point at the original text.
type normText struct {
	text string
	src  string
	runs []run // ascending in out; nil when text == src
}

// run says that text[out:] corresponds to src[in:] up to the next run.
type run struct{ out, in int }

// normalize builds the normalised view of src. Text that is already NFKC
// and has no format characters (nearly every real context file) is used as
// is, without a copy.
func normalize(src string) normText {
	if !needsFold(src) && norm.NFKC.IsNormalString(src) {
		return normText{text: src, src: src}
	}
	var b strings.Builder
	b.Grow(len(src))
	var runs []run
	fold := foldWords(src)
	var it norm.Iter
	it.InitString(norm.NFKC, src)
	for !it.Done() {
		in := it.Pos()
		seg := it.Next()
		out := b.Len()
		for len(fold) > 0 && fold[0][1] <= in {
			fold = fold[1:]
		}
		folding := len(fold) > 0 && fold[0][0] <= in
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			switch c := confusables[r]; {
			case dropped(r):
			case folding && c != 0:
				b.WriteRune(c)
			default:
				b.Write(seg[:n])
			}
			seg = seg[n:]
		}
		inLen := it.Pos() - in
		same := b.Len()-out == inLen && b.String()[out:] == src[in:in+inLen]
		if !same || len(runs) == 0 || runs[len(runs)-1].in-runs[len(runs)-1].out != in-out {
			runs = append(runs, run{out: out, in: in})
		}
		if !same {
			// The next segment starts a new run whatever its delta.
			runs = append(runs, run{out: b.Len(), in: it.Pos()})
		}
	}
	return normText{text: b.String(), src: src, runs: runs}
}

// needsFold reports whether s holds a character normalize drops or
// rewrites besides NFKC: a format character, a tag character or a
// Cyrillic or Greek look-alike of a Latin letter.
func needsFold(s string) bool {
	for _, r := range s {
		if r >= 0xAD && (dropped(r) || confusables[r] != 0) {
			return true
		}
	}
	return false
}

// dropped reports the characters normalize removes: format characters
// (Cf) and the whole tag block U+E0000–U+E007F, assigned or not.
func dropped(r rune) bool {
	return r >= 0xAD && (unicode.Is(unicode.Cf, r) || isTag(r))
}

// isTag reports a Unicode tag character, which spells ASCII invisibly.
func isTag(r rune) bool { return r >= 0xE0000 && r <= 0xE007F }

// orig maps a byte offset in the normalised text to the offset in the
// source where the same character starts. An offset inside a segment that
// NFKC or folding rewrote to another length maps to the segment's start.
func (n normText) orig(off int) int {
	if n.runs == nil {
		return off
	}
	i := sort.Search(len(n.runs), func(i int) bool { return n.runs[i].out > off }) - 1
	if i < 0 {
		return 0
	}
	r := n.runs[i]
	outEnd, inEnd := len(n.text), len(n.src)
	if i+1 < len(n.runs) {
		outEnd, inEnd = n.runs[i+1].out, n.runs[i+1].in
	}
	p := r.in + off - r.out
	if outEnd-r.out != inEnd-r.in || p > inEnd {
		// A segment NFKC or folding rewrote to another length: every
		// offset inside it is its start, which keeps orig monotonic.
		p = r.in
	}
	if p > len(n.src) {
		p = len(n.src)
	}
	for p > 0 && p < len(n.src) && !utf8.RuneStart(n.src[p]) {
		p--
	}
	return p
}
