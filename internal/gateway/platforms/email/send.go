package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// approvalHint replaces the buttons mail does not have.
const approvalHint = "\n\nTo answer, reply to this mail with one line: approve, approve all, or deny (optionally followed by a reason)."

// Send mails o.Text to the address o.ChatID: in o.ThreadID's thread when
// it is known (In-Reply-To o.ReplyTo or the thread's last mail,
// References, "Re: " subject), else as a new mail that starts a thread.
// The Message-ID is derived from o.Key, so a resend of the same delivery
// carries the same one.
func (a *Adapter) Send(ctx context.Context, o platform.Outbound) (platform.Sent, error) {
	to, err := plainAddress(o.ChatID)
	if err != nil {
		return platform.Sent{}, err
	}
	text := capBody(o.Text)
	if len(o.Buttons) > 0 {
		text += approvalHint
	}
	msgID := a.messageID(o.Key)
	t, known, err := a.threads.load(o.ThreadID)
	if err != nil {
		return platform.Sent{}, err
	}
	known = known && t.Chat == to && len(t.Refs) > 0 // never another correspondent's thread
	var h gomail.Header
	h.SetDate(a.now())
	h.SetAddressList("From", []*gomail.Address{{Address: a.address}})
	h.SetAddressList("To", []*gomail.Address{{Address: to}})
	h.SetMessageID(msgID)
	h.Set("Auto-Submitted", "auto-replied")
	if known {
		parent := o.ReplyTo
		if parent == "" || strings.ContainsAny(parent, "<>\r\n ") {
			parent = t.Refs[len(t.Refs)-1]
		}
		refs := make([]string, 0, len(t.Refs)+1)
		for _, r := range t.Refs {
			if r != parent {
				refs = append(refs, r)
			}
		}
		refs = append(refs, parent)
		h.SetMsgIDList("In-Reply-To", []string{parent})
		h.SetMsgIDList("References", refs)
		h.SetSubject(strings.TrimSpace("Re: " + t.Subject))
	} else {
		t = thread{ID: threadIDOf(msgID), Root: msgID, Subject: subjectOf(o.Text), Chat: to}
		h.SetSubject(t.Subject)
		h.Set("Auto-Submitted", "auto-generated")
	}
	var buf bytes.Buffer
	w, err := gomail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return platform.Sent{}, err
	}
	if _, err := w.Write([]byte(text)); err != nil {
		return platform.Sent{}, err
	}
	if err := w.Close(); err != nil {
		return platform.Sent{}, err
	}
	// The thread learns the mail before it leaves, so a reply to it is
	// recognised even if this process dies right after sending.
	record := a.threads.record
	if len(o.Buttons) > 0 {
		record = a.threads.recordAsk
	}
	if _, err := record(t.ID, t.Root, t.Subject, to, msgID); err != nil {
		return platform.Sent{}, err
	}
	if err := a.submit(ctx, to, buf.Bytes()); err != nil {
		return platform.Sent{}, a.scrubErr(err)
	}
	return platform.Sent{ID: msgID}, nil
}

// messageID is <32 hex digits of key's hash>@the agent's domain; a
// random one when key is "".
func (a *Adapter) messageID(key string) string {
	if key == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return "hermes-" + hex.EncodeToString(b) + "@" + domainOf(a.address)
	}
	return "hermes-" + hashID("out:"+key) + "@" + domainOf(a.address)
}

// plainAddress accepts exactly one bare address (no name, no list, no
// line breaks that would inject headers).
func plainAddress(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n,;<> \t") {
		return "", fmt.Errorf("email: %q is not a single plain address (want user@example.com)", s)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || !strings.Contains(addr.Address, "@") {
		return "", fmt.Errorf("email: %q is not a single plain address (want user@example.com)", s)
	}
	return addr.Address, nil
}

// capBody cuts a reply over maxBody bytes, with a note.
func capBody(s string) string {
	if len(s) <= maxBody {
		return s
	}
	cut := maxBody
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("\n\n[This reply was cut: %d more bytes were not sent.]", len(s)-cut)
}

// subjectOf is the subject of a new mail: its first line, at most 70
// characters.
func subjectOf(text string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	first = strings.Join(strings.Fields(first), " ")
	if first == "" {
		return "Message from Hermes"
	}
	if r := []rune(first); len(r) > 70 {
		first = string(r[:67]) + "..."
	}
	return first
}

// submit hands one mail to the SMTP server, logging in when it offers
// AUTH.
func (a *Adapter) submit(ctx context.Context, to string, data []byte) error {
	host, _, _ := net.SplitHostPort(a.smtpAddr)
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	var c *smtp.Client
	var err error
	switch a.smtpTLS {
	case "implicit":
		c, err = smtp.DialTLS(a.smtpAddr, cfg)
	case "starttls":
		c, err = smtp.DialStartTLS(a.smtpAddr, cfg)
	default:
		c, err = smtp.Dial(a.smtpAddr)
	}
	if err != nil {
		return fmt.Errorf("smtp %s: %w", a.smtpAddr, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	c.CommandTimeout = time.Minute
	c.SubmissionTimeout = 5 * time.Minute
	if err := c.Hello(domainOf(a.address)); err != nil {
		return fmt.Errorf("smtp hello: %w", err)
	}
	if ok, _ := c.Extension("AUTH"); ok {
		if err := c.Auth(sasl.NewPlainClient("", a.username, a.password)); err != nil {
			return fmt.Errorf("smtp login (check platforms.email.username and EMAIL_PASSWORD): %w", err)
		}
	}
	if err := c.SendMail(a.address, []string{to}, bytes.NewReader(data)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("smtp send: %w", err)
	}
	if err := c.Quit(); err != nil && !errors.Is(err, net.ErrClosed) {
		a.logf("email: smtp quit: %s", a.scrub(err.Error()))
	}
	return nil
}
