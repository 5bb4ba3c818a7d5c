package file

import (
	"fmt"
	"sort"
	"strings"
)

// Shape of the diff patch returns.
const (
	diffContext  = 3
	maxDiffLines = 80
)

// region is a run of whole lines [l0,l1] of the old content changed by
// one or more edits, with its old and new lines.
type region struct {
	l0, l1   int // 0-based, inclusive
	old, new []string
}

// unifiedDiff renders edits of content as a unified diff with three lines
// of context, cut at maxDiffLines.
func unifiedDiff(name, content string, edits []edit) string {
	starts := lineStarts(content)
	oldLines := splitText(content)
	if strings.HasSuffix(content, "\n") {
		oldLines = oldLines[:len(oldLines)-1]
	}
	regions := changedRegions(content, starts, edits)
	var b strings.Builder
	fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", name, name)
	shift := 0 // new line number minus old line number before the hunk
	for i := 0; i < len(regions); {
		j := i
		for j+1 < len(regions) && regions[j+1].l0-regions[j].l1-1 <= 2*diffContext {
			j++
		}
		from := max(regions[i].l0-diffContext, 0)
		to := min(regions[j].l1+diffContext, len(oldLines)-1)
		var body []string
		oldN, newN := 0, 0
		at := from
		for _, r := range regions[i : j+1] {
			for ; at < r.l0; at++ {
				body = append(body, " "+oldLines[at])
			}
			for _, l := range r.old {
				body = append(body, "-"+l)
			}
			for _, l := range r.new {
				body = append(body, "+"+l)
			}
			oldN += len(r.old)
			newN += len(r.new)
			at = r.l1 + 1
		}
		for ; at <= to; at++ {
			body = append(body, " "+oldLines[at])
		}
		ctx := len(body) - oldN - newN
		fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@\n", from+1, oldN+ctx, from+1+shift, newN+ctx)
		for _, l := range body {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		for _, r := range regions[i : j+1] {
			shift += len(r.new) - len(r.old)
		}
		i = j + 1
	}
	return cutLines(b.String(), maxDiffLines)
}

// changedRegions merges edits into regions of whole lines.
func changedRegions(content string, starts []int, edits []edit) []region {
	lineOf := func(off int) int { return sort.SearchInts(starts, off+1) - 1 }
	var out []region
	for k := 0; k < len(edits); {
		l0 := lineOf(edits[k].start)
		l1 := lineOf(max(edits[k].end-1, edits[k].start))
		m := k
		for m+1 < len(edits) && lineOf(edits[m+1].start) <= l1+1 {
			m++
			l1 = max(l1, lineOf(max(edits[m].end-1, edits[m].start)))
		}
		rs := starts[l0]
		re := len(content)
		if l1+1 < len(starts) {
			re = starts[l1+1]
		}
		newText := apply(content[:re], edits[k:m+1])[rs:]
		out = append(out, region{l0: l0, l1: l1, old: textLines(content[rs:re]), new: textLines(newText)})
		k = m + 1
	}
	return out
}

// lineStarts returns the offset of every line start.
func lineStarts(s string) []int {
	out := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && i+1 < len(s) {
			out = append(out, i+1)
		}
	}
	return out
}

// textLines splits s into lines; a final newline does not start a line.
func textLines(s string) []string {
	if s == "" {
		return nil
	}
	return splitText(strings.TrimSuffix(s, "\n"))
}

// cutLines keeps the first n lines of s and says how many were left out.
func cutLines(s string, n int) string {
	ls := strings.SplitAfter(s, "\n")
	if len(ls) <= n+1 {
		return s
	}
	rest := len(ls) - n
	if ls[len(ls)-1] == "" {
		rest--
	}
	return strings.Join(ls[:n], "") + fmt.Sprintf("[... %d more diff lines]\n", rest)
}
