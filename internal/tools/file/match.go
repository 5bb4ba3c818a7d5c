package file

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// edit replaces content[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// matchKind says why old_string could not be placed.
type matchKind int

const (
	notFound       matchKind = iota // no exact or fuzzy match
	ambiguous                       // several exact matches, replace_all not set
	fuzzyAmbiguous                  // no exact match, several whitespace-insensitive ones
)

// matchError describes a failed match: the 1-based lines of the matches,
// or for notFound the closest lines (First..First+len(Lines)-1).
type matchError struct {
	kind  matchKind
	lines []int
	first int
	near  []string
	score float64
}

func (e *matchError) Error() string {
	switch e.kind {
	case ambiguous:
		return fmt.Sprintf("old_string matches %d places (lines %s); include more surrounding lines to make it unique, or set replace_all", len(e.lines), joinInts(e.lines))
	case fuzzyAmbiguous:
		return fmt.Sprintf("old_string matches nowhere exactly and %d places when whitespace is ignored (lines %s); copy the exact text from read_file, with more surrounding lines", len(e.lines), joinInts(e.lines))
	}
	return "old_string was not found"
}

// planPatch finds where old goes in content and returns the edits that
// put new there. An exact match wins; without one, a match that ignores
// whitespace (indentation, trailing spaces, CRLF, runs of blanks) is used
// when it is unique, with new re-indented to the file's indentation.
func planPatch(content, old, new string, all bool) (edits []edit, fuzzy bool, err *matchError) {
	if idx := indexAll(content, old); len(idx) == 1 || (all && len(idx) > 0) {
		for _, i := range idx {
			edits = append(edits, edit{i, i + len(old), new})
		}
		return edits, false, nil
	} else if len(idx) > 1 {
		lines := make([]int, len(idx))
		for k, i := range idx {
			lines[k] = 1 + strings.Count(content[:i], "\n")
		}
		return nil, false, &matchError{kind: ambiguous, lines: lines}
	}
	return fuzzyPlan(content, old, new)
}

// indexAll returns the offsets of the non-overlapping occurrences of sub.
func indexAll(s, sub string) []int {
	if sub == "" {
		return nil
	}
	var out []int
	for off := 0; ; {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			return out
		}
		out = append(out, off+i)
		off += i + len(sub)
	}
}

// line is one line of content: the bytes [start,end) without the line
// terminator.
type line struct{ start, end int }

func splitContent(s string) []line {
	var out []line
	for start := 0; start <= len(s); {
		nl := strings.IndexByte(s[start:], '\n')
		if nl < 0 {
			if start < len(s) {
				out = append(out, line{start, trimCR(s, start, len(s))})
			}
			return out
		}
		out = append(out, line{start, trimCR(s, start, start+nl)})
		start += nl + 1
	}
	return out
}

func trimCR(s string, start, end int) int {
	if end > start && s[end-1] == '\r' {
		return end - 1
	}
	return end
}

// norm is a line with its whitespace folded: no indentation, no trailing
// blanks, inner runs of blanks as one space.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func fuzzyPlan(content, old, new string) ([]edit, bool, *matchError) {
	oldLines, lead, trail := trimBlank(splitText(old))
	if len(oldLines) == 0 {
		return nil, false, &matchError{kind: notFound}
	}
	want := make([]string, len(oldLines))
	for i, l := range oldLines {
		want[i] = norm(l)
	}
	lines := splitContent(content)
	var hits []int
	for i := 0; i+len(want) <= len(lines); i++ {
		if equalAt(content, lines, want, i) {
			hits = append(hits, i)
		}
	}
	switch len(hits) {
	case 0:
		return nil, false, closest(content, lines, want)
	case 1:
	default:
		for k := range hits {
			hits[k]++
		}
		return nil, false, &matchError{kind: fuzzyAmbiguous, lines: hits}
	}
	first, last := lines[hits[0]], lines[hits[0]+len(want)-1]
	eol := "\n"
	if last.end < len(content) && content[last.end] == '\r' {
		eol = "\r\n"
	}
	newLines := dropBlank(splitText(new), lead, trail)
	indents := map[string]string{indentOf(oldLines): indentOf([]string{content[first.start:first.end]})}
	for j, l := range oldLines {
		fl := lines[hits[0]+j]
		if strings.TrimSpace(l) != "" {
			indents[indentOf([]string{l})] = indentOf([]string{content[fl.start:fl.end]})
		}
	}
	text := reindent(newLines, indents, eol)
	return []edit{{first.start, last.end, text}}, true, nil
}

func equalAt(content string, lines []line, want []string, i int) bool {
	for j, w := range want {
		l := lines[i+j]
		if !foldEqual(content[l.start:l.end], w) {
			return false
		}
	}
	return true
}

// foldEqual reports whether norm(s) == w, without allocating for ASCII
// lines; w is already normalised.
func foldEqual(s, w string) bool {
	if hasUnicodeSpace(s) {
		return norm(s) == w // strings.Fields also splits on Unicode spaces
	}
	i, j := 0, 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	for i < len(s) {
		if isBlank(s[i]) {
			for i < len(s) && isBlank(s[i]) {
				i++
			}
			if i == len(s) {
				break
			}
			if j >= len(w) || w[j] != ' ' {
				return false
			}
			j++
			continue
		}
		if j >= len(w) || w[j] != s[i] {
			return false
		}
		i++
		j++
	}
	return j == len(w)
}

// isBlank is the ASCII whitespace strings.Fields splits on.
func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// splitText splits s into lines without terminators.
func splitText(s string) []string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	return ls
}

// trimBlank drops blank lines at both ends and says how many it dropped.
func trimBlank(ls []string) (out []string, lead, trail int) {
	for lead < len(ls) && strings.TrimSpace(ls[lead]) == "" {
		lead++
	}
	end := len(ls)
	for end > lead && strings.TrimSpace(ls[end-1]) == "" {
		end--
	}
	return ls[lead:end], lead, len(ls) - end
}

// dropBlank drops up to lead blank lines at the start and trail at the end.
func dropBlank(ls []string, lead, trail int) []string {
	for ; lead > 0 && len(ls) > 0 && strings.TrimSpace(ls[0]) == ""; lead-- {
		ls = ls[1:]
	}
	for ; trail > 0 && len(ls) > 0 && strings.TrimSpace(ls[len(ls)-1]) == ""; trail-- {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// indentOf is the leading whitespace of the first non-blank line.
func indentOf(ls []string) string {
	for _, l := range ls {
		if strings.TrimSpace(l) != "" {
			return l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		}
	}
	return ""
}

// reindent maps the indentation of each line through indents (the old
// string's indentation to the file's, learnt from the matched lines),
// using the longest indentation that prefixes the line's, and joins them.
func reindent(ls []string, indents map[string]string, eol string) string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l
		if strings.TrimSpace(l) == "" {
			continue
		}
		ind := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		best, found := "", false
		for from := range indents {
			if strings.HasPrefix(ind, from) && (!found || len(from) > len(best)) {
				best, found = from, true
			}
		}
		if found {
			out[i] = indents[best] + l[len(best):]
		}
	}
	return strings.Join(out, eol)
}

// maxNear is how many of the closest lines a not-found error shows.
const maxNear = 8

// closest finds the lines of content that look most like want, by the
// bigram similarity of want's longest line.
func closest(content string, lines []line, want []string) *matchError {
	key := 0
	for i, w := range want {
		if len(w) > len(want[key]) {
			key = i
		}
	}
	kb := bigrams(want[key])
	na := max(len(want[key])-1, 0)
	seen := map[string]int{}
	best, score := -1, 0.0
	for i, l := range lines {
		text := content[l.start:l.end]
		if !hasUnicodeSpace(text) {
			// norm only removes ASCII blanks here, so the trimmed length
			// bounds the normalised one: skip lines too short to win.
			if ns := len(strings.TrimSpace(text)) - 1; ns < na && 2*float64(max(ns, 0))/float64(na+max(ns, 0)) <= score {
				continue
			}
		}
		if s := dice(kb, norm(text), seen); s > score {
			best, score = i, s
		}
	}
	e := &matchError{kind: notFound, score: score}
	if best < 0 || score < 0.3 {
		return e
	}
	start := max(best-key, 0)
	end := min(start+min(len(want), maxNear), len(lines))
	e.first = start + 1
	for _, l := range lines[start:end] {
		e.near = append(e.near, content[l.start:l.end])
	}
	return e
}

func bigrams(s string) map[string]int {
	m := map[string]int{}
	for i := 0; i+2 <= len(s); i++ {
		m[s[i:i+2]]++
	}
	return m
}

// dice is the Sørensen–Dice coefficient of the bigrams of a and s.
func dice(a map[string]int, s string, seen map[string]int) float64 {
	na := 0
	for _, c := range a {
		na += c
	}
	ns := max(len(s)-1, 0)
	if na+ns == 0 {
		return 0
	}
	clear(seen)
	common := 0
	for i := 0; i+2 <= len(s); i++ {
		g := s[i : i+2]
		if seen[g] < a[g] {
			common++
		}
		seen[g]++
	}
	return 2 * float64(common) / float64(na+ns)
}

// apply performs edits, which are sorted and do not overlap.
func apply(content string, edits []edit) string {
	var b strings.Builder
	prev := 0
	for _, e := range edits {
		b.WriteString(content[prev:e.start])
		b.WriteString(e.text)
		prev = e.end
	}
	b.WriteString(content[prev:])
	return b.String()
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	if len(s) > 10 {
		return strings.Join(s[:10], ", ") + fmt.Sprintf(", and %d more", len(s)-10)
	}
	return strings.Join(s, ", ")
}

// hasUnicodeSpace reports whether s has a non-ASCII byte, where
// strings.Fields may find spaces isBlank does not (or none, in invalid UTF-8).
func hasUnicodeSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
