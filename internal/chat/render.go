package chat

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/redact"
)

// Progress modes of display.tool_progress.
const (
	ProgressAll = "all" // a line when each tool call starts and when it ends
	ProgressNew = "new" // a line only when a call starts a different tool than the last one shown
	ProgressOff = "off" // no tool lines
)

// renderer shows a turn's events as text. Answer text goes to text as it
// streams (nil: not shown, the one-shot prints the final answer itself);
// tool progress, notices and warnings go to info as whole lines. Both pass
// the redactor: streamed text line by line, so a secret split across
// deltas is still masked (a line shows when it ends).
type renderer struct {
	text, info    io.Writer
	progress      string
	showReasoning bool
	red           *redact.Redactor // masks text and info; nil: none
	masked        maskedStream     // the redacting stream in front of text
	styled        *styledWriter    // colours and stamps text after masking
	infoStyle     style            // colours and stamps info lines

	mu       sync.Mutex
	midLine  bool   // text ended without a newline
	lastTool string // for ProgressNew
	streamed bool   // text arrived in the current model call
}

func newRenderer(text, info io.Writer, red *redact.Redactor, progress string, showReasoning bool) *renderer {
	if progress == "" {
		progress = ProgressAll
	}
	styled := &styledWriter{dst: text}
	return &renderer{text: text, info: info, red: red, progress: progress, showReasoning: showReasoning,
		masked: maskedStream{red: red, dst: styled}, styled: styled}
}

// setStyle applies display.color, markdown and timestamps: text to the
// answer stream, info to the progress lines.
func (r *renderer) setStyle(text, info style) {
	r.styled.st, r.infoStyle = text, info
}

// maskedStream writes streamed text through the redactor into dst. It
// holds back an unfinished line (a secret may go on in the next delta)
// until the line ends or flush is called.
type maskedStream struct {
	red *redact.Redactor
	dst io.Writer
	wc  io.WriteCloser // nil between flushes
}

func (m *maskedStream) write(s string) {
	if m.red == nil {
		io.WriteString(m.dst, s)
		return
	}
	if m.wc == nil {
		m.wc = m.red.Writer(m.dst)
	}
	io.WriteString(m.wc, s)
}

// flush writes out the held text, redacted.
func (m *maskedStream) flush() {
	if m.wc != nil {
		m.wc.Close()
		m.wc = nil
	}
}

// on is the agent.Turn callback.
func (r *renderer) on(ev agent.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev.Kind {
	case agent.EventText:
		if r.text != nil && ev.Text != "" {
			if !r.streamed && !r.midLine {
				r.styled.stampNext = true
			}
			r.masked.write(ev.Text)
			r.midLine = !strings.HasSuffix(ev.Text, "\n")
			r.streamed = true
		}
	case agent.EventReasoning:
		if r.showReasoning && r.text != nil && ev.Text != "" {
			r.masked.write(ev.Text)
			r.midLine = !strings.HasSuffix(ev.Text, "\n")
		}
	case agent.EventReset:
		if r.streamed {
			r.writeLine("  ↺ the answer above is void (" + ev.Text + ")")
		}
		r.streamed = false
	case agent.EventNotice:
		r.writeLine("  · " + ev.Text)
	case agent.EventWarning:
		r.writeLine("  ! warning: " + ev.Text)
	case agent.EventToolStart:
		r.streamed = false
		r.masked.flush() // before the tool runs (and maybe asks for approval)
		if r.progress == ProgressOff || (r.progress == ProgressNew && ev.Tool == r.lastTool) {
			return
		}
		r.lastTool = ev.Tool
		r.writeLine(strings.TrimRight("  ⚙ "+ev.Tool+" "+ev.Args, " "))
	case agent.EventToolEnd:
		if r.progress != ProgressAll {
			return
		}
		mark := "✓"
		if ev.IsError {
			mark = "✗"
		}
		l := fmt.Sprintf("  %s %s (%s)", mark, ev.Tool, round(ev.Elapsed))
		if ev.IsError && ev.Text != "" {
			l += ": " + ev.Text
		}
		r.writeLine(l)
	}
}

// line writes one info line from outside the turn's events (a tool's
// notice).
func (r *renderer) line(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writeLine(s)
}

// writeLine writes one info line, ending streamed text first when the
// two share a stream.
func (r *renderer) writeLine(s string) {
	if r.info == nil {
		return
	}
	r.breakLine()
	if r.red != nil {
		s = r.red.String(s)
	}
	fmt.Fprintln(r.info, r.infoStyle.info(s))
}

// breakLine ends a partly written line of answer text.
func (r *renderer) breakLine() {
	if r.text != nil {
		r.masked.flush()
		r.styled.flush()
	}
	if r.midLine && r.text != nil {
		io.WriteString(r.text, "\n")
	}
	r.midLine = false
}

// endTurn finishes the turn's output and readies the next.
func (r *renderer) endTurn() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.breakLine()
	r.styled.reset()
	r.lastTool, r.streamed = "", false
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
