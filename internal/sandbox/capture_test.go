package sandbox

import (
	"strings"
	"testing"
)

func TestCapture(t *testing.T) {
	t.Parallel()
	c := NewCapture(10)
	c.Write([]byte("hello"))
	if s, cut := c.String(); s != "hello" || cut {
		t.Fatalf("%q %v", s, cut)
	}
	c.Write([]byte("world!"))
	c.Write([]byte("0123456789"))
	s, cut := c.String()
	if !cut || !strings.HasPrefix(s, "hello\n[... 11 bytes of output omitted ...]\n") || !strings.HasSuffix(s, "56789") {
		t.Fatalf("%q %v", s, cut)
	}
	big := NewCapture(8)
	big.Write([]byte(strings.Repeat("a", 4) + strings.Repeat("b", 1000) + "wxyz"))
	if s, _ := big.String(); !strings.HasPrefix(s, "aaaa\n[... 1000 bytes") || !strings.HasSuffix(s, "wxyz") {
		t.Fatalf("%q", s)
	}
}
