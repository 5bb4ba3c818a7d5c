package sandbox

import (
	"fmt"
	"sync"
)

// Capture collects a command's output up to a limit. Past the limit it
// keeps the first half and the most recent half and drops the middle, so
// both how a command started and how it ended survive. It is safe for
// concurrent writers (stdout and stderr) and readers.
type Capture struct {
	mu      sync.Mutex
	max     int
	head    []byte
	tail    []byte // ring of the last max/2 bytes once head is full
	tailPos int
	dropped int64
}

// NewCapture returns a Capture keeping at most max bytes (0: DefaultMaxOutput).
func NewCapture(max int) *Capture {
	if max <= 0 {
		max = DefaultMaxOutput
	}
	return &Capture{max: max}
}

// Write never fails: what does not fit is counted and dropped.
func (c *Capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	headCap := c.max - c.max/2
	if room := headCap - len(c.head); room > 0 {
		k := min(room, len(p))
		c.head = append(c.head, p[:k]...)
		p = p[k:]
	}
	tailCap := c.max / 2
	for len(p) > 0 && tailCap > 0 {
		if len(c.tail) < tailCap {
			k := min(tailCap-len(c.tail), len(p))
			c.tail = append(c.tail, p[:k]...)
			p = p[k:]
			continue
		}
		// Ring full: overwrite the oldest bytes.
		k := min(tailCap-c.tailPos, len(p))
		copy(c.tail[c.tailPos:], p[:k])
		c.tailPos = (c.tailPos + k) % tailCap
		c.dropped += int64(k)
		p = p[k:]
	}
	c.dropped += int64(len(p))
	return n, nil
}

// String returns the kept output, with a marker where the middle was
// dropped, and whether anything was dropped.
func (c *Capture) String() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tail := append(append([]byte(nil), c.tail[c.tailPos:]...), c.tail[:c.tailPos]...)
	if c.dropped == 0 {
		return string(c.head) + string(tail), false
	}
	return fmt.Sprintf("%s\n[... %d bytes of output omitted ...]\n%s", c.head, c.dropped, tail), true
}
