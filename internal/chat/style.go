package chat

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/hermes-go/hermes/internal/config"
)

// style is how display.color, display.markdown and display.timestamps
// show on one output stream.
type style struct {
	color      bool // ANSI colours and bold
	markdown   bool // answers' markdown styled (needs color)
	timestamps bool // info lines and each answer start with the time
	now        func() time.Time
}

// ANSI codes.
const (
	ansiBold   = "1"
	ansiDim    = "2"
	ansiRed    = "31"
	ansiGreen  = "32"
	ansiYellow = "33"
	ansiCyan   = "36"
)

// displayStyle resolves display.* for the stream w. color "auto" colours a
// terminal unless NO_COLOR is set (to anything) or TERM is dumb; "always"
// and "never" decide alone.
func displayStyle(d config.Display, w io.Writer, getenv func(string) string) style {
	if getenv == nil {
		getenv = os.Getenv
	}
	var color bool
	switch d.Color {
	case "always":
		color = true
	case "never":
		color = false
	default:
		color = getenv("NO_COLOR") == "" && getenv("TERM") != "dumb" && isTerminalWriter(w)
	}
	return style{color: color, markdown: d.Markdown, timestamps: d.Timestamps, now: time.Now}
}

func isTerminalWriter(w io.Writer) bool {
	if lw, ok := w.(*lockedWriter); ok {
		w = lw.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (s style) paint(code, text string) string {
	if !s.color || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// stamp is the time prefix, or "" with timestamps off.
func (s style) stamp() string {
	if !s.timestamps {
		return ""
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	return s.paint(ansiDim, "["+now().Format("15:04:05")+"]") + " "
}

// info styles one progress, notice or warning line by its mark.
func (s style) info(line string) string {
	code := ""
	switch t := strings.TrimLeft(line, " "); {
	case strings.HasPrefix(t, "! "), strings.HasPrefix(t, "↺"):
		code = ansiYellow
	case strings.HasPrefix(t, "✗"), strings.HasPrefix(t, "error:"):
		code = ansiRed
	case strings.HasPrefix(t, "✓"):
		code = ansiGreen
	case strings.HasPrefix(t, "⚙"):
		code = ansiCyan
	case strings.HasPrefix(t, "·"):
		code = ansiDim
	}
	if code != "" {
		line = s.paint(code, line)
	}
	return s.stamp() + line
}

var (
	mdHeading = regexp.MustCompile(`^(#{1,6})\s+(.*)$`)
	mdBullet  = regexp.MustCompile(`^(\s*)[-*+]\s+`)
	mdBold    = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdCode    = regexp.MustCompile("`([^`]+)`")
)

// markdownLine styles one line of an answer: headings bold, list bullets
// as •, **bold**, `code`, and fenced code blocks (inFence carries the
// state from line to line).
func (s style) markdownLine(line string, inFence *bool) string {
	if !s.color || !s.markdown {
		return line
	}
	if strings.HasPrefix(strings.TrimSpace(line), "```") {
		*inFence = !*inFence
		return s.paint(ansiDim, line)
	}
	if *inFence {
		return s.paint(ansiCyan, line)
	}
	if m := mdHeading.FindStringSubmatch(line); m != nil {
		return s.paint(ansiBold, m[2])
	}
	line = mdBullet.ReplaceAllString(line, "$1• ")
	line = mdBold.ReplaceAllString(line, "\x1b["+ansiBold+"m$1\x1b[0m")
	return mdCode.ReplaceAllString(line, "\x1b["+ansiCyan+"m$1\x1b[0m")
}

// answer styles a whole answer (the one-shot's text output).
func (s style) answer(text string) string {
	var fence bool
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = s.markdownLine(l, &fence)
	}
	return strings.Join(lines, "\n")
}

// styledWriter is the last stage of streamed answer text: it puts the time
// before an answer (stampNext) and, with markdown styling on, styles each
// whole line; otherwise text passes straight through.
type styledWriter struct {
	st        style
	dst       io.Writer
	buf       []byte
	inFence   bool
	stampNext bool
}

func (w *styledWriter) lineMode() bool { return w.st.color && w.st.markdown }

func (w *styledWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !w.lineMode() {
		if w.stampNext {
			w.stampNext = false
			io.WriteString(w.dst, w.st.stamp())
		}
		return w.dst.Write(p)
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.buf[:i]), "\n")
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *styledWriter) emit(line, end string) {
	prefix := ""
	if w.stampNext {
		w.stampNext = false
		prefix = w.st.stamp()
	}
	io.WriteString(w.dst, prefix+w.st.markdownLine(line, &w.inFence)+end)
}

// flush writes out a held partial line.
func (w *styledWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(string(w.buf), "")
		w.buf = w.buf[:0]
	}
}

// reset forgets a code block left open at the end of a turn.
func (w *styledWriter) reset() { w.inFence, w.stampNext = false, false }
