package terminal

import (
	"fmt"
	"strconv"
	"strings"
)

// A background process's output is a sandbox.Capture: the first half of
// its limit, a marker for the bytes dropped from the middle, and the most
// recent half. The model reads it as a stream, so poll needs to know
// which bytes of the whole stream it has already shown.

const (
	markOpen  = "\n[... "
	markClose = " bytes of output omitted ...]\n"
)

// splitCapture parses what Capture.String returned for a capture of
// maxOutput bytes into the kept head, the count of dropped bytes and the
// kept tail. Once anything is dropped the head is exactly full, which is
// how the real marker is told from output that looks like one. ok is
// false when out does not have that shape.
func splitCapture(out string, truncated bool, maxOutput int) (head string, dropped int64, tail string, ok bool) {
	if !truncated {
		return out, 0, "", true
	}
	headLen := maxOutput - maxOutput/2
	if maxOutput <= 0 || len(out) < headLen || !strings.HasPrefix(out[headLen:], markOpen) {
		return "", 0, "", false
	}
	rest := out[headLen+len(markOpen):]
	num, after, found := strings.Cut(rest, markClose)
	if !found {
		return "", 0, "", false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return "", 0, "", false
	}
	return out[:headLen], n, after, true
}

// delta returns the part of a process's output past the first seen bytes
// of its stream, and the new count. Dropped bytes the model never saw are
// replaced by a note saying how many there were.
func delta(out string, truncated bool, maxOutput int, seen int64) (string, int64) {
	head, dropped, tail, ok := splitCapture(out, truncated, maxOutput)
	if !ok {
		// An unknown shape: show all of it once more rather than lose any.
		return out, seen
	}
	hl, tl := int64(len(head)), int64(len(tail))
	total := hl + dropped + tl
	if seen >= total {
		return "", total
	}
	var b strings.Builder
	if seen < hl {
		b.WriteString(head[seen:])
	}
	tailStart := hl + dropped
	if dropped > 0 && seen < tailStart {
		fmt.Fprintf(&b, "\n[... %d bytes of output were dropped before they were read (over terminal.max_output) ...]\n",
			tailStart-max(seen, hl))
	}
	b.WriteString(tail[max(seen, tailStart)-tailStart:])
	return b.String(), total
}
