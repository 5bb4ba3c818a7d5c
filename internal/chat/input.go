package chat

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// errCtrlC is a Ctrl-C at a prompt.
var errCtrlC = errors.New("ctrl-c")

// lineSource reads what the user types. ReadLine shows prompt and returns
// one line without its newline, io.EOF at the end of input (Ctrl-D), or
// errCtrlC. ctx ending stops the wait where the source can be stopped.
type lineSource interface {
	ReadLine(ctx context.Context, prompt string) (string, error)
}

// plainSource reads lines from a pipe or file: prompts are written as
// they are, Ctrl-C arrives as an interrupt.
type plainSource struct {
	out        io.Writer
	lines      chan string
	interrupts <-chan struct{}
}

var _ lineSource = (*plainSource)(nil)

// newPlainSource starts reading in from a goroutine; it ends when in does
// or ctx does. When ctx ends, a read in progress on a pipe or file (a
// reader with SetReadDeadline) is stopped by an expired deadline, and a
// line read but not taken is dropped, so the goroutine never outlives the
// chat.
func newPlainSource(ctx context.Context, in io.Reader, out io.Writer, interrupts <-chan struct{}) *plainSource {
	p := &plainSource{out: out, lines: make(chan string), interrupts: interrupts}
	if d, ok := in.(interface{ SetReadDeadline(time.Time) error }); ok {
		context.AfterFunc(ctx, func() { _ = d.SetReadDeadline(time.Now()) })
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			select {
			case p.lines <- strings.TrimSuffix(sc.Text(), "\r"):
			case <-ctx.Done():
				return
			}
		}
	}()
	return p
}

func (p *plainSource) ReadLine(ctx context.Context, prompt string) (string, error) {
	if prompt != "" {
		io.WriteString(p.out, prompt)
	}
	select {
	case l, ok := <-p.lines:
		if !ok {
			return "", io.EOF
		}
		if prompt != "" {
			io.WriteString(p.out, "\n") // the input is not echoed: end the prompt's line
		}
		return l, nil
	case <-p.interrupts:
		io.WriteString(p.out, "\n")
		return "", errCtrlC
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// termSource reads lines on a terminal with line editing and history,
// in raw mode only while it reads, so Ctrl-C during a turn is a signal.
type termSource struct {
	fd    int
	t     *term.Terminal
	ctrlC *ctrlCReader
}

var _ lineSource = (*termSource)(nil)

func newTermSource(fd int, in io.Reader, out io.Writer) *termSource {
	cr := &ctrlCReader{r: in}
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{cr, out}, "")
	t.History = skipEmpty{t.History}
	return &termSource{fd: fd, ctrlC: cr, t: t}
}

// ReadLine cannot be cancelled by ctx: the terminal is read until the user
// answers, as an approval prompt must be.
func (s *termSource) ReadLine(_ context.Context, prompt string) (string, error) {
	st, err := term.MakeRaw(s.fd)
	if err != nil {
		return "", err
	}
	defer term.Restore(s.fd, st)
	return s.read(prompt)
}

// read reads one line in raw mode; a Ctrl-C comes back as errCtrlC with
// the line cleared.
func (s *termSource) read(prompt string) (string, error) {
	s.t.SetPrompt(prompt)
	l, err := s.t.ReadLine()
	if errors.Is(err, term.ErrPasteIndicator) {
		err = nil
	}
	if err == nil && l == "" && s.ctrlC.take() {
		return "", errCtrlC
	}
	return l, err
}

// ctrlCReader turns a Ctrl-C byte into keys that clear the line and end
// it (Ctrl-E, Ctrl-U, Enter), and counts it. term.Terminal itself would
// return io.EOF for Ctrl-C, as for Ctrl-D, and keep the Ctrl-C byte in its
// buffer, so the next read would end at once, again as io.EOF: one Ctrl-C
// would exit the REPL. What was typed after a Ctrl-C in the same read is
// dropped.
type ctrlCReader struct {
	r       io.Reader
	pending []byte // translated input not yet returned
	err     error  // the read error, returned once pending is empty
	count   atomic.Int32
}

// clearLine ends the line being edited as an empty one.
var clearLine = []byte{5, 21, '\r'}

func (c *ctrlCReader) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		if c.err != nil {
			err := c.err
			c.err = nil
			return 0, err
		}
		buf := make([]byte, max(len(p), 1))
		n, err := c.r.Read(buf)
		buf = buf[:n]
		if i := bytes.IndexByte(buf, 3); i >= 0 {
			c.count.Add(1)
			buf = append(buf[:i:i], clearLine...)
		}
		if len(buf) == 0 {
			return 0, err
		}
		c.pending, c.err = buf, err
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// take consumes one counted Ctrl-C, if any.
func (c *ctrlCReader) take() bool {
	for {
		n := c.count.Load()
		if n <= 0 {
			return false
		}
		if c.count.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// skipEmpty is a history without empty lines (an Enter alone, or a
// Ctrl-C), so the up arrow finds what was typed.
type skipEmpty struct{ term.History }

func (h skipEmpty) Add(l string) {
	if strings.TrimSpace(l) != "" {
		h.History.Add(l)
	}
}

// Prompts of the REPL.
const (
	promptMain = "› "
	promptMore = "… "
)

// readMessage reads one message: a line; lines ending in a backslash go
// on with the next; a line of `"""` opens a block that a line of `"""`
// closes.
func readMessage(ctx context.Context, src lineSource) (string, error) {
	first, err := src.ReadLine(ctx, promptMain)
	if err != nil {
		return "", err
	}
	var b multiline
	done := b.add(first)
	for !done {
		l, err := src.ReadLine(ctx, promptMore)
		if err != nil {
			return "", err
		}
		done = b.add(l)
	}
	return b.text(), nil
}

// multiline gathers the lines of one message.
type multiline struct {
	lines []string
	block bool // inside a """ block
	open  bool // the first line opened the block
}

// add takes the next line and reports whether the message is complete.
func (m *multiline) add(l string) bool {
	trimmed := strings.TrimSpace(l)
	switch {
	case !m.open && len(m.lines) == 0 && trimmed == `"""`:
		m.open, m.block = true, true
		return false
	case m.block && trimmed == `"""`:
		m.block = false
		return true
	case m.block:
		m.lines = append(m.lines, l)
		return false
	case strings.HasSuffix(l, `\`):
		m.lines = append(m.lines, strings.TrimSuffix(l, `\`))
		return false
	}
	m.lines = append(m.lines, l)
	return true
}

func (m *multiline) text() string { return strings.Join(m.lines, "\n") }
