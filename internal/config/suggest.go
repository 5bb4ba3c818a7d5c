package config

import (
	"strings"
)

// keyKind is what the user wrote under an unknown key, when known: a
// section (a mapping of keys) or a single value.
type keyKind int

const (
	kindUnknown keyKind = iota
	kindSection
	kindValue
)

// suggestKey proposes the key the user probably meant when they wrote name
// under parent (a dotted path, "" for the top level). A close sibling at
// the same depth ("mdoe" under approvals: approvals.mode; "approval" at the
// top: approvals) is preferred, unless it is the wrong kind (a section for
// a value) and the schema has a key of exactly that name elsewhere ("mode:
// smart" at the top: approvals.mode, not the model section). Then any key
// in the schema with a close name.
func suggestKey(parent string, siblings []string, name string, kind keyKind) string {
	exact := exactElsewhere(name)
	sib := ""
	if s := closest(name, siblings); s != "" {
		sib = joinPath(parent, s)
	}
	switch {
	case sib != "" && (exact == "" || kind != kindUnknown && fits(sib, kind)):
		return sib
	case exact != "":
		return exact
	}
	best, bestDist := "", 1<<30
	for _, p := range knownPaths() {
		if strings.Contains(p, "<") {
			continue
		}
		last := p[strings.LastIndexByte(p, '.')+1:]
		d := distance(strings.ToLower(name), last)
		if d > tolerance(name) {
			continue
		}
		// Prefer the smaller distance, then the shorter path.
		if d < bestDist || (d == bestDist && len(p) < len(best)) {
			best, bestDist = p, d
		}
	}
	return best
}

// fits reports whether the schema path p is of kind: a section when keys
// lie under it.
func fits(p string, kind keyKind) bool {
	if kind == kindUnknown {
		return true
	}
	section := false
	for _, k := range knownPaths() {
		if strings.HasPrefix(k, p+".") {
			section = true
			break
		}
	}
	return section == (kind == kindSection)
}

// exactElsewhere returns the shortest schema path whose last key is name.
func exactElsewhere(name string) string {
	best := ""
	for _, p := range knownPaths() {
		if strings.Contains(p, "<") || p[strings.LastIndexByte(p, '.')+1:] != name {
			continue
		}
		if best == "" || len(p) < len(best) {
			best = p
		}
	}
	return best
}

// closest returns the candidate nearest to name within tolerance, or "".
func closest(name string, candidates []string) string {
	best, bestDist := "", 1<<30
	low := strings.ToLower(name)
	for _, c := range candidates {
		if c == "" {
			continue
		}
		d := distance(low, strings.ToLower(c))
		if d <= tolerance(name) && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// tolerance is how many edits still count as a typo of s.
func tolerance(s string) int {
	switch n := len(s); {
	case n <= 3:
		return 1
	case n <= 8:
		return 2
	default:
		return 3
	}
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance,
// so a swap of two neighbours ("mdoe") costs one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// didYouMean formats a suggestion as a hint, or "" when there is none.
func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return "did you mean " + s + "?"
}
