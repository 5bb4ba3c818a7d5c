package web

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
)

// BenchmarkHTMLToMarkdown converts a page of about 200 KiB.
func BenchmarkHTMLToMarkdown(b *testing.B) {
	page, err := os.ReadFile("testdata/page.html")
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Replace(string(page), "<ul>", strings.Repeat("<p>Some <b>bold</b> text and <a href=\"/x\">a link</a>.</p>", 3000)+"<ul>", 1)
	base, _ := url.Parse("https://example.com/")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, err := htmlToMarkdown(context.Background(), []byte(body), "text/html", base); err != nil {
			b.Fatal(err)
		}
	}
}
