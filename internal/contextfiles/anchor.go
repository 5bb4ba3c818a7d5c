package contextfiles

import (
	"slices"
	"strings"
)

// Go's regexp is linear but slow on large alternations (about 2 µs a byte
// for the bigger rules here). Most rules therefore name anchor words, one
// of which every match must contain as a whole word; a rule's expression
// runs only on the lines around its anchors' occurrences. A phrase is found
// as long as it spans at most phraseLines lines on either side of its
// anchor, which covers any phrase written as one sentence; command rules
// look at the anchor's line alone, since a command is one line.

// phraseLines is how many lines before and after an anchor's line a
// phrase rule's window reaches.
const phraseLines = 3

// maxAnchorLen bounds the words looked up; anchors are shorter.
const maxAnchorLen = 16

// anchorRules maps each anchor word to the indexes of the rules it serves.
var anchorRules = func() map[string][]int {
	m := make(map[string][]int)
	for i, r := range rules {
		for _, a := range r.anchors {
			if len(a) > maxAnchorLen || strings.ToLower(a) != a {
				panic("contextfiles: bad anchor " + a)
			}
			m[a] = append(m[a], i)
		}
	}
	return m
}()

// anchorHits returns, per rule index, the offsets in text where one of the
// rule's anchor words starts. Words are maximal runs of ASCII letters,
// digits and underscores, the same words \b separates.
func anchorHits(text string) [][]int {
	hits := make([][]int, len(rules))
	var buf [maxAnchorLen]byte
	for i := 0; i < len(text); {
		if !isWordByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isWordByte(text[j]) {
			j++
		}
		if j-i <= maxAnchorLen {
			w := buf[:j-i]
			for k := range w {
				c := text[i+k]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				w[k] = c
			}
			for _, r := range anchorRules[string(w)] {
				hits[r] = append(hits[r], i)
			}
		}
		i = j
	}
	return hits
}

// findAnchored runs find on the merged line windows around offsets, in
// text order, and returns the first hit in text coordinates.
func findAnchored(text string, offsets []int, lines int, find func(string) (int, int, bool)) (int, int, bool) {
	slices.Sort(offsets)
	for i := 0; i < len(offsets); {
		lo, hi := lineWindow(text, offsets[i], lines)
		// Grow the window over the anchors it already holds.
		for i++; i < len(offsets) && offsets[i] < hi; i++ {
			_, hi = lineWindow(text, offsets[i], lines)
		}
		if s, e, ok := find(text[lo:hi]); ok {
			return lo + s, lo + e, true
		}
	}
	return 0, 0, false
}

// lineWindow returns the lines from lines before off's line to lines
// after it, aligned to line starts and ends so that \b, ^ and $
// mean the same in the window as in the whole text.
func lineWindow(text string, off, lines int) (lo, hi int) {
	lo = off
	for n := 0; n <= lines; n++ {
		lo = strings.LastIndexByte(text[:lo], '\n')
		if lo < 0 {
			lo = 0
			break
		}
		if n == lines {
			lo++
		}
	}
	hi = off
	for n := 0; n <= lines; n++ {
		i := strings.IndexByte(text[hi:], '\n')
		if i < 0 {
			return lo, len(text)
		}
		hi += i + 1
	}
	return lo, hi - 1
}
