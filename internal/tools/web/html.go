package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	htmltomarkdown "github.com/JohannesKaufmann/html-to-markdown/v2"
	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// noise are elements that carry no readable text of the page.
var noise = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Svg: true, atom.Canvas: true, atom.Nav: true,
	atom.Aside: true, atom.Footer: true, atom.Form: true, atom.Button: true,
	atom.Select: true, atom.Object: true, atom.Embed: true,
}

var blankRuns = regexp.MustCompile(`\n{3,}`)

// htmlToMarkdown parses an HTML document (in the charset its
// Content-Type or meta tag names), drops the noise, and converts the rest
// to markdown with links made absolute against base.
func htmlToMarkdown(ctx context.Context, body []byte, ctype string, base *url.URL) (title, text string, err error) {
	r, err := charset.NewReader(bytes.NewReader(body), ctype)
	if err != nil {
		return "", "", fmt.Errorf("cannot decode the page: %v", err)
	}
	doc, err := html.Parse(r)
	if err != nil {
		return "", "", fmt.Errorf("cannot parse the page: %v", err)
	}
	title = strings.Join(strings.Fields(findTitle(doc)), " ")
	strip(doc)
	md, err := htmltomarkdown.ConvertNode(doc, converter.WithContext(ctx), converter.WithDomain(base.Scheme+"://"+base.Host))
	if err != nil {
		return "", "", fmt.Errorf("cannot convert the page to text: %v", err)
	}
	text = blankRuns.ReplaceAllString(strings.TrimSpace(string(md)), "\n\n")
	return title, text, nil
}

func findTitle(n *html.Node) string {
	if n.Type == html.ElementNode && n.DataAtom == atom.Title {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
		return b.String()
	}
	if n.Type == html.ElementNode && n.DataAtom == atom.Body {
		return ""
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if t := findTitle(c); t != "" {
			return t
		}
	}
	return ""
}

// strip removes the noise elements, comments, the head, and elements
// hidden with the hidden attribute or aria-hidden.
func strip(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if drop(c) {
			n.RemoveChild(c)
		} else {
			strip(c)
		}
		c = next
	}
}

func drop(n *html.Node) bool {
	switch n.Type {
	case html.CommentNode:
		return true
	case html.ElementNode:
		if noise[n.DataAtom] || n.DataAtom == atom.Head {
			return true
		}
		for _, a := range n.Attr {
			if a.Key == "hidden" || (a.Key == "aria-hidden" && a.Val == "true") {
				return true
			}
		}
	}
	return false
}

// decodeText returns a text body as UTF-8.
func decodeText(body []byte, ctype string) (string, error) {
	r, err := charset.NewReader(bytes.NewReader(body), ctype)
	if err != nil {
		return "", fmt.Errorf("cannot decode the text: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("cannot decode the text: %v", err)
	}
	return string(b), nil
}
