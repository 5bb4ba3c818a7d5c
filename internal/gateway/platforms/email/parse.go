package email

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	_ "github.com/emersion/go-message/charset" // decode non-UTF-8 charsets
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/html"
)

// inMail is what the adapter takes from one inbound mail.
type inMail struct {
	MsgID     string   // Message-ID without <>; "" when the mail has none
	InReplyTo []string // without <>
	Refs      []string // References, oldest first, without <>
	From      string   // the sender's address, lower case
	FromName  string   // the display name
	Subject   string
	Date      time.Time
	Text      string // the new text: text/plain preferred, quoted reply stripped
	Files     []attachment
	Auto      string // why the mail is automatic ("Auto-Submitted: auto-replied"), "" for a person's
	AuthFail  string // "dkim=fail" etc. from a trusted Authentication-Results header
	AuthNote  string // an Authentication-Results header that could not be parsed
}

// attachment is one file of a mail.
type attachment struct {
	Name    string // as the mail names it (not yet sanitized)
	Type    string // media type
	Data    []byte // nil when skipped
	Size    int
	Skipped string // why it was not kept
}

var errNoFrom = errors.New("mail has no single From address")

// parseMail reads a raw RFC 5322 mail. authserv is the trusted
// authserv-id ("" trusts the topmost Authentication-Results header).
func parseMail(raw []byte, authserv string) (inMail, error) {
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && r == nil {
		return inMail{}, fmt.Errorf("parse mail: %w", err)
	}
	defer r.Close()
	h := r.Header
	var m inMail
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || !strings.Contains(from[0].Address, "@") {
		return inMail{}, errNoFrom
	}
	m.From = asciiLower(from[0].Address)
	m.FromName = from[0].Name
	m.MsgID, _ = h.MessageID()
	m.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	m.Refs, _ = h.MsgIDList("References")
	m.Subject, _ = h.Subject()
	m.Date, _ = h.Date()
	m.Auto = automatic(h)
	m.AuthFail, m.AuthNote = authFailure(h.Values("Authentication-Results"), authserv)
	var plain, htmlText []string
	for len(m.Files) <= maxAttachments {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(plain)+len(htmlText)+len(m.Files) == 0 {
				return m, fmt.Errorf("parse mail body: %w", err)
			}
			break
		}
		switch ph := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := ph.ContentType()
			switch ct {
			case "text/plain", "":
				b, _ := io.ReadAll(io.LimitReader(p.Body, maxText))
				plain = append(plain, string(b))
				continue
			case "text/html":
				b, _ := io.ReadAll(io.LimitReader(p.Body, 4*maxText))
				htmlText = append(htmlText, htmlToText(string(b)))
				continue
			}
			m.Files = append(m.Files, readAttachment(p.Body, "", ct))
		case *mail.AttachmentHeader:
			name, _ := ph.Filename()
			ct, _, _ := ph.ContentType()
			m.Files = append(m.Files, readAttachment(p.Body, name, ct))
		}
	}
	text := strings.Join(plain, "\n")
	if strings.TrimSpace(text) == "" {
		text = strings.Join(htmlText, "\n")
	}
	m.Text = clip(stripQuoted(text), maxText)
	return m, nil
}

func readAttachment(body io.Reader, name, ct string) attachment {
	b, _ := io.ReadAll(io.LimitReader(body, maxAttachment+1))
	a := attachment{Name: name, Type: ct, Size: len(b)}
	if len(b) > maxAttachment {
		n, _ := io.Copy(io.Discard, body)
		a.Size += int(n)
		a.Skipped = fmt.Sprintf("larger than %d MB", maxAttachment>>20)
		return a
	}
	a.Data = b
	return a
}

// automatic says why a mail was sent by a machine (RFC 3834
// Auto-Submitted, Precedence bulk/list/junk, auto-reply headers), "" for
// a person's mail: answering machines makes mail loops.
func automatic(h mail.Header) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v {
	case "bulk", "list", "junk":
		return "Precedence: " + v
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return "an auto-reply header"
	}
	return ""
}

// authFailure reads the Authentication-Results headers the receiving
// server added: those with authserv-id authserv, or only the topmost when
// authserv is "" (a sender can add its own below it, never above). A
// dkim, spf or dmarc result of fail is returned ("dkim=fail"); note is
// set when a trusted header could not be parsed.
func authFailure(values []string, authserv string) (fail, note string) {
	for i, v := range values {
		id, results, err := authres.Parse(v)
		if authserv == "" && i > 0 {
			break
		}
		if authserv != "" && !strings.EqualFold(id, authserv) {
			continue
		}
		if err != nil {
			note = "unparsed Authentication-Results: " + err.Error()
		}
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DKIMResult:
				if r.Value == authres.ResultFail {
					return "dkim=fail", note
				}
			case *authres.SPFResult:
				if r.Value == authres.ResultFail {
					return "spf=fail", note
				}
			case *authres.DMARCResult:
				if r.Value == authres.ResultFail {
					return "dmarc=fail", note
				}
			}
		}
	}
	return "", note
}

var (
	// attribution lines above a quoted reply, in the languages mail
	// clients use most.
	attribution = regexp.MustCompile(`(?i)^\s*(on\s.{1,300}\swrote:|le\s.{1,300}\sa écrit\s?:|am\s.{1,300}\sschrieb\s.{0,100}:|el\s.{1,300}\sescribió:|il\s.{1,300}\sha scritto:)\s*$`)
	wroteEnd    = regexp.MustCompile(`(?i)(wrote|a écrit|schrieb.{0,100}|escribió|ha scritto)\s?:\s*$`)
	onStart     = regexp.MustCompile(`(?i)^\s*(on|le|am|el|il)\s`)
	separator   = regexp.MustCompile(`(?i)^\s*(-{3,}\s*original message\s*-{3,}|_{10,})\s*$`)
)

// stripQuoted returns the new part of a reply: the text above the first
// attribution line ("On ... wrote:", also folded over two lines) or
// "-----Original Message-----", without a trailing quoted block or
// signature ("-- "). When nothing is left (an answer written between the
// quoted lines) the whole text is kept.
func stripQuoted(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	cut := len(lines)
	for i, l := range lines {
		if attribution.MatchString(l) || separator.MatchString(l) || l == "-- " ||
			(onStart.MatchString(l) && i+1 < len(lines) && wroteEnd.MatchString(lines[i+1]) && !wroteEnd.MatchString(l)) {
			cut = i
			break
		}
	}
	kept := lines[:cut]
	for len(kept) > 0 {
		l := strings.TrimSpace(kept[len(kept)-1])
		if l != "" && !strings.HasPrefix(l, ">") {
			break
		}
		kept = kept[:len(kept)-1]
	}
	out := strings.TrimSpace(strings.Join(kept, "\n"))
	if out == "" {
		return strings.TrimSpace(text)
	}
	return out
}

// htmlToText is the text of an HTML body: scripts and styles dropped,
// a line break after each block.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(collapseBlank(b.String()))
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head":
				skip++
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote":
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote":
				b.WriteByte('\n')
			}
		}
	}
}

var blankRuns = regexp.MustCompile(`\n[ \t]*(\n[ \t]*)+\n`)

func collapseBlank(s string) string { return blankRuns.ReplaceAllString(s, "\n\n") }

// clip cuts s to at most n bytes at a rune boundary, with a note.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("\n\n[cut: %d more bytes]", len(s)-cut)
}

// sanitizeName makes a safe file name of an attachment's name: the last
// path element only, letters, digits and ._-+() kept, others "_", no
// leading dot, at most 100 bytes with the extension kept.
func sanitizeName(name, ct string) string {
	if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
		name = dec
	}
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-+()", r):
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('_')
		default:
			b.WriteByte('_')
		}
	}
	out := strings.TrimLeft(b.String(), "._")
	if out == "" {
		out = "attachment"
		if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
			out += exts[0]
		}
	}
	if len(out) > 100 {
		ext := ""
		if i := strings.LastIndexByte(out, '.'); i > 0 && len(out)-i <= 10 {
			ext = out[i:]
		}
		keep := 100 - len(ext)
		for keep > 0 && !utf8.RuneStart(out[keep]) {
			keep--
		}
		out = out[:keep] + ext
	}
	return out
}
