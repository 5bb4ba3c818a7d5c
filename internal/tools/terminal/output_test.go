package terminal

import (
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/sandbox"
)

func TestDelta(t *testing.T) {
	t.Parallel()
	c := sandbox.NewCapture(10) // head 5 bytes, tail 5 bytes
	var seen int64
	read := func() string {
		out, trunc := c.String()
		var s string
		s, seen = delta(out, trunc, 10, seen)
		return s
	}
	steps := []struct{ write, want string }{
		{"abc", "abc"},
		{"", ""},
		{"defg", "defg"},
		{"hij", "hij"},
		{"klmnopq", "\n[... 2 bytes of output were dropped before they were read (over terminal.max_output) ...]\nmnopq"},
		{"r", "r"},
	}
	for i, s := range steps {
		_, _ = c.Write([]byte(s.write))
		if got := read(); got != s.want {
			t.Errorf("step %d: %q, want %q", i, got, s.want)
		}
	}
}

func TestSplitCaptureRefusesLookalikes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		out string
		max int
	}{
		{"ab\n[... 5 bytes of output omitted ...]\nxyz", 10}, // marker not where the head ends
		{"abcde\n[... x bytes of output omitted ...]\nxy", 10},
		{"abcde\n[... 5 bytes", 10},
		{"abc", 10},
		{"abcde\n[... 3 bytes of output omitted ...]\n", 0},
	}
	for _, tt := range tests {
		if _, _, _, ok := splitCapture(tt.out, true, tt.max); ok {
			t.Errorf("splitCapture(%q, %d) accepted it", tt.out, tt.max)
		}
		if got, seen := delta(tt.out, true, tt.max, 3); got != tt.out || seen != 3 {
			t.Errorf("delta of an unknown shape: %q %d", got, seen)
		}
	}
}

// FuzzDelta writes data into a real Capture in pieces and polls after
// each: every capture parses, the count of seen bytes is the count
// written, and without drops the polls add up to the data.
func FuzzDelta(f *testing.F) {
	f.Add([]byte("hello world, this is output"), uint8(8), uint8(3))
	f.Add([]byte("\n[... 5 bytes of output omitted ...]\n"), uint8(10), uint8(7))
	f.Add([]byte("x"), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, max, step uint8) {
		limit := int(max)%64 + 1
		n := int(step)%16 + 1
		c := sandbox.NewCapture(limit)
		var seen int64
		var polled strings.Builder
		for i := 0; i < len(data); i += n {
			_, _ = c.Write(data[i:min(i+n, len(data))])
			out, trunc := c.String()
			if _, _, _, ok := splitCapture(out, trunc, limit); !ok {
				t.Fatalf("a real capture did not parse: %q (limit %d)", out, limit)
			}
			var s string
			s, seen = delta(out, trunc, limit, seen)
			polled.WriteString(s)
			if seen != int64(min(i+n, len(data))) {
				t.Fatalf("seen %d after writing %d", seen, min(i+n, len(data)))
			}
		}
		if len(data) <= limit && polled.String() != string(data) {
			t.Fatalf("polls %q, want %q", polled.String(), data)
		}
	})
}

// FuzzDecodeArgs: any arguments give a value or a one-line error.
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range []string{`{"command":"ls"}`, `{"command":1}`, `{"x":1}`, `{"timeout":"a"}`, `[`, `{"background":[]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var a terminalArgs
		if err := decodeArgs(raw, &a); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("multi-line error %q", err)
		}
		var p processArgs
		if err := decodeArgs(raw, &p); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
