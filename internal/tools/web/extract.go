package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/tools"
)

// Limits of web_extract.
const (
	MaxRedirects   = 5
	DefaultTimeout = 30 * time.Second
	// MaxBodyBytes is how much of a response is read.
	MaxBodyBytes = 5 << 20
	// MaxTextChars caps the text handed back (the registry's output cap
	// applies on top).
	MaxTextChars = 100_000
)

// Extract is the web_extract tool. The zero value is what the agent uses.
type Extract struct {
	// allowLoopback lets tests fetch from an httptest server on
	// 127.0.0.1; nothing outside this package's tests can set it.
	allowLoopback bool
	// timeout overrides DefaultTimeout (tests).
	timeout time.Duration
}

var _ tools.Tool = Extract{}

func (Extract) Name() string    { return "web_extract" }
func (Extract) Toolset() string { return Toolset }
func (Extract) Description() string {
	return "Fetch a public web page (http or https) and return its title and readable text as markdown. " +
		"Local, private and cloud metadata addresses are refused. Use web_search first to find URLs."
}
func (Extract) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"url":{"type":"string","description":"the http or https URL of the page"}},` +
		`"required":["url"],"additionalProperties":false}`)
}

type extractArgs struct {
	URL string `json:"url"`
}

func (t Extract) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a extractArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return tools.Errorf("web_extract: bad arguments (%v); pass {\"url\": \"https://...\"}", err), nil
	}
	a.URL = strings.TrimSpace(a.URL)
	if a.URL == "" {
		return tools.Errorf("web_extract: url is missing; pass the http or https URL to fetch"), nil
	}
	u, err := url.Parse(a.URL)
	if err != nil {
		return tools.Errorf("web_extract: %q is not a URL (%v)", a.URL, err), nil
	}
	p := policy{allowLoopback: t.allowLoopback}
	if err := p.checkURL(ctx, u); err != nil {
		return tools.Errorf("web_extract: refusing %s: %v; web_extract fetches public sites only", u.Redacted(), err), nil
	}
	timeout := t.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	page, err := fetch(ctx, p, u)
	if err != nil {
		return tools.Errorf("web_extract: %s: %v", u.Redacted(), err), nil
	}
	return tools.Result{Content: page.condense(ctx, condenser(env))}, nil
}

// page is a fetched document made readable.
type page struct {
	url, title, text string
	cut              bool // the body was over MaxBodyBytes
}

func (p page) String() string {
	var b strings.Builder
	if p.title != "" {
		fmt.Fprintf(&b, "# %s\n", p.title)
	}
	fmt.Fprintf(&b, "URL: %s\n\n", p.url)
	b.WriteString(tools.Truncate(p.text, MaxTextChars))
	if p.cut {
		fmt.Fprintf(&b, "\n[the page was over %d MiB; only its start was read]", MaxBodyBytes>>20)
	}
	return b.String()
}

// client builds the HTTP client that enforces p on every connection and
// redirect, without environment proxies.
func client(p policy) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: p.control}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  20 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		DisableKeepAlives:      true,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("more than %d redirects", MaxRedirects)
			}
			if err := p.checkURL(req.Context(), req.URL); err != nil {
				return fmt.Errorf("redirect to %s refused: %w", req.URL.Redacted(), err)
			}
			return nil
		},
	}
}

func fetch(ctx context.Context, p policy, u *url.URL) (page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return page{}, err
	}
	req.Header.Set("User-Agent", "hermes-agent (web_extract)")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5")
	c := client(p)
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return page{}, fetchReason(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return page{}, fmt.Errorf("the server answered %s; check the URL", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return page{}, fetchReason(ctx, err)
	}
	pg := page{url: resp.Request.URL.Redacted(), cut: len(body) > MaxBodyBytes}
	body = body[:min(len(body), MaxBodyBytes)]
	ctype := resp.Header.Get("Content-Type")
	if ctype == "" {
		ctype = http.DetectContentType(body)
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	switch {
	case mt == "text/html" || mt == "application/xhtml+xml":
		pg.title, pg.text, err = htmlToMarkdown(ctx, body, ctype, resp.Request.URL)
		if err != nil {
			return page{}, err
		}
	case strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/xml" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml"):
		pg.text, err = decodeText(body, ctype)
		if err != nil {
			return page{}, err
		}
	default:
		return page{}, fmt.Errorf("the content is %s, not a web page; web_extract reads HTML and text only", mt)
	}
	return pg, nil
}

// fetchReason makes a transport error short and says what to do.
func fetchReason(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errors.New("timed out; the site is slow or unreachable, try again later or another source")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}
