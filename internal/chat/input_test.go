package chat

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/guard"
)

func TestReadMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"one line each", "hello\nworld\n", []string{"hello", "world"}},
		{"backslash continues", "first \\\nsecond\\\nthird\nnext\n", []string{"first \nsecond\nthird", "next"}},
		{"block", "\"\"\"\nline one\n\n  indented \\\n\"\"\"\nafter\n", []string{"line one\n\n  indented \\", "after"}},
		{"quotes inside a line are text", "say \"\"\" please\n", []string{"say \"\"\" please"}},
		{"crlf", "a\r\nb\r\n", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := newPlainSource(context.Background(), strings.NewReader(tt.in), io.Discard, nil)
			var got []string
			for {
				m, err := readMessage(context.Background(), src)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, m)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadMessageUnfinishedBlockIsEOF(t *testing.T) {
	t.Parallel()
	src := newPlainSource(context.Background(), strings.NewReader("\"\"\"\nnever closed\n"), io.Discard, nil)
	if _, err := readMessage(context.Background(), src); err != io.EOF {
		t.Errorf("err = %v, want io.EOF", err)
	}
}

func TestPlainSourceInterruptAndCancel(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pw.Close()
	ints := make(chan struct{}, 1)
	src := newPlainSource(context.Background(), pr, io.Discard, ints)
	ints <- struct{}{}
	if _, err := src.ReadLine(context.Background(), "› "); err != errCtrlC {
		t.Errorf("interrupt: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.ReadLine(ctx, ""); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}

func TestParseAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want guard.Answer
		ok   bool
	}{
		{"o", guard.Answer{Choice: guard.ChoiceOnce}, true},
		{" ONCE ", guard.Answer{Choice: guard.ChoiceOnce}, true},
		{"y", guard.Answer{Choice: guard.ChoiceOnce}, true},
		{"s", guard.Answer{Choice: guard.ChoiceSession}, true},
		{"session", guard.Answer{Choice: guard.ChoiceSession}, true},
		{"a", guard.Answer{Choice: guard.ChoiceAlways}, true},
		{"d", guard.Answer{Choice: guard.ChoiceDeny}, true},
		{"d too risky", guard.Answer{Choice: guard.ChoiceDeny, Reason: "too risky"}, true},
		{"deny: use trash instead", guard.Answer{Choice: guard.ChoiceDeny, Reason: "use trash instead"}, true},
		{"deny:nope", guard.Answer{Choice: guard.ChoiceDeny, Reason: "nope"}, true},
		{"no", guard.Answer{Choice: guard.ChoiceDeny}, true},
		{"o please", guard.Answer{Choice: guard.ChoiceOnce}, false},
		{"", guard.Answer{}, false},
		{"maybe", guard.Answer{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseAnswer(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseAnswer(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{"o", "d reason", "deny: x", "a", "s", "", "no:", "Y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := ParseAnswer(s)
		if !ok {
			return
		}
		switch a.Choice {
		case guard.ChoiceOnce, guard.ChoiceSession, guard.ChoiceAlways:
			if a.Reason != "" {
				t.Fatalf("%q: a reason on %s", s, a.Choice)
			}
		case guard.ChoiceDeny:
			if a.Reason != strings.TrimSpace(a.Reason) {
				t.Fatalf("%q: reason not trimmed: %q", s, a.Reason)
			}
		default:
			t.Fatalf("%q: unknown choice %q", s, a.Choice)
		}
	})
}

func FuzzMultiline(f *testing.F) {
	for _, s := range []string{"a\nb", "a\\\nb", "\"\"\"\nx\n\"\"\"", "\\", "\"\"\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m multiline
		var msgs []string
		for _, l := range strings.Split(s, "\n") {
			if m.add(l) {
				msgs = append(msgs, m.text())
				m = multiline{}
			}
		}
		for _, msg := range msgs {
			if len(msg) > len(s) {
				t.Fatalf("message longer than the input: %q from %q", msg, s)
			}
		}
		if !strings.Contains(s, "\\") && !strings.Contains(s, `"""`) && len(msgs) != strings.Count(s, "\n")+1 {
			t.Fatalf("plain lines must each be a message: %q -> %q", s, msgs)
		}
	})
}

// TestTermSourceCtrlC: on a terminal one Ctrl-C clears the line and comes
// back as errCtrlC, every time: the REPL exits only on a second one in a
// row. (term.Terminal alone returns io.EOF, as for Ctrl-D, and replays
// the Ctrl-C on the next read: one Ctrl-C exited.)
func TestTermSourceCtrlC(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	var out bytes.Buffer
	s := newTermSource(-1, pr, &out)
	go func() {
		for _, chunk := range []string{"abc", "\x03", "hello\r", "\x03", "\x03", "x\rtyped\x03ahead", "up\r", "\x04"} {
			pw.Write([]byte(chunk))
		}
	}()
	type res struct {
		line string
		err  error
	}
	want := []res{{"", errCtrlC}, {"hello", nil}, {"", errCtrlC}, {"", errCtrlC}, {"x", nil}, {"", errCtrlC}, {"up", nil}, {"", io.EOF}}
	for i, w := range want {
		l, err := s.read(promptMain)
		if l != w.line || err != w.err {
			t.Fatalf("read %d: %q, %v; want %q, %v", i, l, err, w.line, w.err)
		}
	}
	// The history has the lines typed, not the cleared ones.
	if h := s.t.History; h.Len() != 3 || h.At(0) != "up" || h.At(1) != "x" || h.At(2) != "hello" {
		t.Errorf("history: %d entries", h.Len())
	}
}

// TestPlainSourceEndsWithContext: the reader goroutine ends when the
// context does, whether it waits for input on a pipe or holds a line
// nobody takes.
func TestPlainSourceEndsWithContext(t *testing.T) {
	t.Parallel()
	for _, pending := range []bool{false, true} {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pr.Close(); pw.Close() })
		ctx, cancel := context.WithCancel(context.Background())
		src := newPlainSource(ctx, pr, io.Discard, nil)
		if pending {
			pw.WriteString("a line nobody reads\n")
		}
		cancel()
		deadline := time.After(30 * time.Second)
		for open := true; open; {
			select {
			case _, open = <-src.lines:
			case <-deadline:
				t.Fatalf("pending %v: the reader still runs after the context ended", pending)
			}
		}
	}
}
