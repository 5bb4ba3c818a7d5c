package contextfiles

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hermes-go/hermes/internal/lazyre"
)

// ScanLimit is how much of a text ScanText looks at: the first 64 KiB.
const ScanLimit = 64 << 10

// excerptRunes caps a finding's excerpt.
const excerptRunes = 80

// Pattern is one kind of finding the scan reports.
type Pattern struct {
	ID          string `json:"id"`
	Description string `json:"description"`
}

// Finding is one hit of the scan: which pattern, where (the 1-based line in
// the scanned text) and a short excerpt of the original text with invisible
// characters written as <U+200B>.
type Finding struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Line        int    `json:"line"`
	Excerpt     string `json:"excerpt"`
}

// rule is a Pattern with the code that finds it. find returns the byte
// range of the first accepted hit in the normalised text.
type rule struct {
	Pattern
	anchors []string // lowercase words every match holds; nil: none
	lines   int      // lines on either side of an anchor a match may reach
	find    func(text string) (start, end int, ok bool)
}

// Patterns lists every finding id the scan can report, in report order.
func Patterns() []Pattern {
	ps := make([]Pattern, 0, len(rules)+1)
	for _, r := range rules {
		ps = append(ps, r.Pattern)
	}
	return append(ps, invisiblePattern, base64Pattern)
}

// ScanText scans the first ScanLimit bytes of text for prompt injection
// and exfiltration and returns the findings in text order, at most one
// per pattern (its first hit). No findings means the text may be loaded.
func ScanText(text string) []Finding {
	if len(text) > ScanLimit {
		text = text[:ScanLimit]
	}
	return scan(text)
}

// scan is ScanText without the size limit.
func scan(src string) []Finding { return scanWith(src, true) }

// scanWith scans src, and the base64 runs in it when decode is set.
func scanWith(src string, decode bool) []Finding {
	// A byte order mark at the very start is an encoding marker, not
	// hidden text; everything after it is scanned as usual.
	bom := 0
	if strings.HasPrefix(src, "\uFEFF") {
		bom = len("\uFEFF")
	}
	n := normalize(src[bom:])
	type hit struct {
		at int // where the finding starts in n.src, for ordering
		f  Finding
	}
	var hits []hit
	anchors := anchorHits(n.text)
	for i, r := range rules {
		var start, end int
		var ok bool
		switch {
		case r.anchors == nil:
			start, end, ok = r.find(n.text)
		case len(anchors[i]) > 0:
			start, end, ok = findAnchored(n.text, anchors[i], r.lines, r.find)
		}
		if !ok {
			continue
		}
		s, e := n.orig(start), n.orig(end)
		hits = append(hits, hit{s, Finding{
			ID:          r.ID,
			Description: r.Description,
			Line:        1 + strings.Count(n.src[:s], "\n"),
			Excerpt:     excerpt(n.src, s, e),
		}})
	}
	if f, at, ok := findInvisible(n.src); ok {
		hits = append(hits, hit{at, f})
	}
	if decode {
		if start, end, inner, ok := findBase64(n.text); ok {
			s, e := n.orig(start), n.orig(end)
			hits = append(hits, hit{s, Finding{
				ID:          base64Pattern.ID,
				Description: base64Pattern.Description + ": " + strings.Join(inner, ", "),
				Line:        1 + strings.Count(n.src[:s], "\n"),
				Excerpt:     excerpt(n.src, s, e),
			}})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Compare(a.at, b.at) })
	out := make([]Finding, len(hits))
	for i, h := range hits {
		out[i] = h.f
	}
	return out
}

// IDs returns the distinct ids of findings in Patterns order.
func IDs(findings []Finding) []string {
	var ids []string
	for _, p := range Patterns() {
		for _, f := range findings {
			if f.ID == p.ID {
				ids = append(ids, p.ID)
				break
			}
		}
	}
	return ids
}

// invisiblePattern is reported by findInvisible rather than a rule, because
// it looks at the text before normalisation removes those characters.
var invisiblePattern = Pattern{ID: "invisible_unicode", Description: "invisible Unicode characters (zero-width, word joiner, BOM, bidi controls or tag characters) that hide text from a reader"}

// invisible reports the characters the invisible_unicode finding is about.
// Tag characters (U+E0000–U+E007F) spell ASCII that models read and people
// cannot see.
func invisible(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200D, r == 0x2060, r >= 0x2062 && r <= 0x2064,
		r == 0xFEFF, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069,
		isTag(r):
		return true
	}
	return false
}

// joinerScripts write words with ZWNJ and ZWJ between their letters
// (Persian "می‌خواهم", Indic conjuncts after a virama).
var joinerScripts = []*unicode.RangeTable{unicode.Arabic, unicode.Syriac, unicode.Devanagari, unicode.Bengali, unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya, unicode.Tamil, unicode.Telugu, unicode.Kannada, unicode.Malayalam, unicode.Sinhala, unicode.Khmer, unicode.Myanmar}

// pictographic approximates Extended_Pictographic plus the modifiers and
// variation selector that may end an emoji before a ZWJ.
func pictographic(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2300 && r <= 0x23FF || r >= 0x2600 && r <= 0x27BF ||
		r >= 0x2B00 && r <= 0x2BFF || r == 0xFE0F || r == 0x20E3 || r == 0x00A9 || r == 0x00AE
}

// legitJoiner reports a ZWJ or ZWNJ used as its script or emoji intend:
// ZWJ between pictographs (👨‍👩‍👧) or either joiner between two letters of
// a script that uses it.
func legitJoiner(prev, r, next rune) bool {
	if r == 0x200D && pictographic(prev) && pictographic(next) {
		return true
	}
	return (r == 0x200C || r == 0x200D) && unicode.In(prev, joinerScripts...) && unicode.In(next, joinerScripts...)
}

// flagTags returns the length of the tag sequence of an emoji subdivision
// flag (🏴 then tag letters and digits then CANCEL TAG) at src[i:], or 0.
func flagTags(src string, i int) int {
	n := 0
	for j := i; j < len(src); {
		r, size := utf8.DecodeRuneInString(src[j:])
		switch {
		case r == 0xE007F && n > 0:
			return j + size - i
		case n < 8 && (r >= 0xE0061 && r <= 0xE007A || r >= 0xE0030 && r <= 0xE0039):
			n++
			j += size
		default:
			return 0
		}
	}
	return 0
}

// findInvisible reports the first invisible character in src and names
// every distinct one in the description.
func findInvisible(src string) (Finding, int, bool) {
	first := -1
	var seen []string
	prev := rune(-1)
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		if r == 0x1F3F4 {
			if n := flagTags(src, i+size); n > 0 {
				i += size + n
				prev = 0x1F3F4
				continue
			}
		}
		p := prev
		prev = r
		i += size
		if !invisible(r) {
			continue
		}
		next, _ := utf8.DecodeRuneInString(src[i:])
		if legitJoiner(p, r, next) {
			continue
		}
		if first < 0 {
			first = i - size
		}
		if name := fmt.Sprintf("U+%04X", r); !slices.Contains(seen, name) && len(seen) < 8 {
			seen = append(seen, name)
		}
	}
	if first < 0 {
		return Finding{}, 0, false
	}
	ls := strings.LastIndexByte(src[:first], '\n') + 1
	_, size := utf8.DecodeRuneInString(src[first:])
	return Finding{
		ID:          invisiblePattern.ID,
		Description: invisiblePattern.Description + ": " + strings.Join(seen, ", "),
		Line:        1 + strings.Count(src[:first], "\n"),
		Excerpt:     excerpt(src, max(ls, first-30), first+size),
	}, first, true
}

// excerpt renders src[start:end] on one line, at most excerptRunes long,
// with line breaks as spaces and format and control characters as <U+XXXX>.
func excerpt(src string, start, end int) string {
	if end < start {
		end = start
	}
	var b strings.Builder
	runes := 0
	for _, r := range src[start:end] {
		if runes == excerptRunes {
			b.WriteString("…")
			break
		}
		runes++
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteByte(' ')
		case r == utf8.RuneError, unicode.Is(unicode.Cf, r), unicode.IsControl(r), invisible(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// matcher is what phrase needs of an expression: all its matches.
type matcher func(text string) [][]int

// phrase finds the first match of re (a *lazyre.Regexp or a matcher) whose
// line does not negate it just before ("never reveal your system prompt"
// is advice, not an attack).
func phrase[M *lazyre.Regexp | matcher](re M) func(string) (int, int, bool) {
	var all matcher
	switch re := any(re).(type) {
	case *lazyre.Regexp:
		all = func(text string) [][]int { return re.FindAllStringIndex(text, -1) }
	case matcher:
		all = re
	}
	return func(text string) (int, int, bool) {
		for _, m := range all(text) {
			ls := strings.LastIndexByte(text[:m[0]], '\n') + 1
			prefix := text[max(ls, m[0]-48):m[0]]
			if !negation.MatchString(prefix) {
				return m[0], m[1], true
			}
		}
		return 0, 0, false
	}
}

// plain finds the first match of re.
func plain(re *lazyre.Regexp) func(string) (int, int, bool) {
	return func(text string) (int, int, bool) {
		m := re.FindStringIndex(text)
		if m == nil {
			return 0, 0, false
		}
		return m[0], m[1], true
	}
}

// unless finds the first match of re for which reject, run on the match
// and the rest of its line, does not match.
func unless(re, reject *lazyre.Regexp) func(string) (int, int, bool) {
	return func(text string) (int, int, bool) {
		for _, m := range re.FindAllStringIndex(text, -1) {
			eol := strings.IndexByte(text[m[0]:], '\n')
			if eol < 0 {
				eol = len(text) - m[0]
			}
			if !reject.MatchString(text[m[0] : m[0]+eol]) {
				return m[0], m[1], true
			}
		}
		return 0, 0, false
	}
}
