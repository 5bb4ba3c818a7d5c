package redact

import (
	"bytes"
	"errors"
	"io"
)

// readSize is how much a stream reads at a time.
const readSize = 32 << 10

// stream redacts bytes written to it, line by line, into w.
type stream struct {
	r   *Redactor
	w   io.Writer
	st  state
	sc  scratch
	buf []byte // input not yet redacted: the start of an unfinished line
	out []byte
	n   int64 // bytes written to w
}

// feed adds p and writes out the redaction of every complete line (and of
// windows of over-long lines).
func (s *stream) feed(p []byte, final bool) error {
	s.buf = append(s.buf, p...)
	if !final && bytes.IndexByte(p, '\n') < 0 && len(s.buf) <= s.r.maxLine {
		return nil // still inside one line: wait for its end
	}
	var used int
	s.out, used = s.r.process(s.out[:0], s.buf, &s.st, &s.sc, final)
	s.buf = s.buf[:copy(s.buf, s.buf[used:])]
	if len(s.out) == 0 {
		return nil
	}
	n, err := s.w.Write(s.out)
	s.n += int64(n)
	if err == nil && n < len(s.out) {
		err = io.ErrShortWrite
	}
	return err
}

// Copy redacts src into w line by line and returns the number of bytes
// written to w. The output is exactly String's for the same input however
// src splits it into reads, and exactly the input when nothing matches.
func (r *Redactor) Copy(w io.Writer, src io.Reader) (int64, error) {
	if r.disabled {
		return io.Copy(w, src)
	}
	s := &stream{r: r, w: w}
	chunk := make([]byte, readSize)
	for {
		n, err := src.Read(chunk)
		if n > 0 {
			if werr := s.feed(chunk[:n], false); werr != nil {
				return s.n, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return s.n, s.feed(nil, true)
		}
		if err != nil {
			return s.n, err
		}
	}
}

// Writer returns a writer that redacts what is written to it into w. It
// holds back an unfinished line until its newline arrives (or the line
// grows past the line cap); Close writes out what is held. Close does not
// close w. Write always reports len(p) written unless w fails.
func (r *Redactor) Writer(w io.Writer) io.WriteCloser {
	return &writer{s: stream{r: r, w: w}}
}

type writer struct {
	s      stream
	closed bool
}

var _ io.WriteCloser = (*writer)(nil)

var errClosed = errors.New("redact: write to a closed redacting writer; create a new one with Writer")

func (w *writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errClosed
	}
	if w.s.r.disabled {
		return w.s.w.Write(p)
	}
	if err := w.s.feed(p, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.s.r.disabled {
		return nil
	}
	return w.s.feed(nil, true)
}
