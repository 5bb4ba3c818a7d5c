package web

import (
	"context"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
)

// FuzzHTMLToMarkdown feeds any document to the converter: it must not
// panic, the title is one line, and runs of blank lines are collapsed.
func FuzzHTMLToMarkdown(f *testing.F) {
	page, err := os.ReadFile("testdata/page.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(page), "text/html; charset=utf-8")
	f.Add("<title>a\nb</title><p>x</p>", "text/html")
	f.Add("<meta charset=iso-8859-1><p>caf\xe9</p>", "text/html")
	f.Add("<table><tr><td>1<td>2</table><pre><code>x</code></pre>", "text/html; charset=bogus")
	base, _ := url.Parse("https://example.com/a/b")
	f.Fuzz(func(t *testing.T, doc, ctype string) {
		title, text, err := htmlToMarkdown(context.Background(), []byte(doc), ctype, base)
		if err != nil {
			return
		}
		if strings.ContainsAny(title, "\n\r") {
			t.Fatalf("title has a line break: %q", title)
		}
		if strings.Contains(text, "\n\n\n") {
			t.Fatalf("blank lines not collapsed: %q", text)
		}
	})
}

// FuzzAddrReason checks that an address and its IPv4-mapped form get the
// same verdict.
func FuzzAddrReason(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1})
	f.Add([]byte{169, 254, 169, 254})
	f.Add([]byte{8, 8, 8, 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 4 {
			return
		}
		v4 := netip.AddrFrom4([4]byte(b))
		mapped := netip.AddrFrom16(v4.As16())
		p := policy{}
		if p.addrReason(v4) != p.addrReason(mapped) {
			t.Fatalf("%s and %s differ", v4, mapped)
		}
	})
}
