package email

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// maxIDLen is the longest Message-ID used as is for the ledger; longer
// ones are hashed.
const maxIDLen = 200

// inbound maps a raw mail to the core's message. ok is false for mail
// that is not for the agent (unreadable, its own, automatic, failing
// authentication), which is marked seen and logged. err is a failure to
// record the thread: the mail stays unseen and is fetched again.
func (a *Adapter) inbound(raw []byte) (platform.Message, bool, error) {
	m, err := parseMail(raw, a.authserv)
	if err != nil {
		a.logf("email: ignored an unreadable mail: %s", a.scrub(err.Error()))
		return platform.Message{}, false, nil
	}
	switch {
	case m.From == a.address:
		return platform.Message{}, false, nil
	case m.Auto != "":
		a.logf("email: ignored automatic mail from %s (%s)", m.From, m.Auto)
		return platform.Message{}, false, nil
	case m.AuthFail != "":
		a.logf("email: ignored mail from %s: the server's Authentication-Results says %s (a forged From?)", m.From, m.AuthFail)
		return platform.Message{}, false, nil
	}
	if m.AuthNote != "" {
		a.logf("email: mail from %s: %s", m.From, m.AuthNote)
	}
	id := m.MsgID
	if id == "" || len(id) > maxIDLen || strings.ContainsAny(id, "\r\n") {
		id = "hermes-" + hashID(string(raw)) + "@" + domainOf(a.address)
	}
	tid, root := a.threads.resolve(id, m.InReplyTo, m.Refs)
	t, known, err := a.threads.load(tid)
	if err != nil {
		return platform.Message{}, false, err
	}
	if known && t.Chat != m.From {
		// Someone else's thread (a reply-all, or a stranger quoting its
		// Message-IDs): a thread, and a session, of the sender's own.
		tid = threadIDOf(root + "\x00" + m.From)
		if _, known, err = a.threads.load(tid); err != nil {
			return platform.Message{}, false, err
		}
	}
	subject := baseSubject(m.Subject)
	t, err = a.threads.record(tid, root, subject, m.From, id)
	if err != nil {
		return platform.Message{}, false, err
	}
	text := m.Text
	if answersAsk(t, m.InReplyTo) {
		text = commandOf(text)
	} else if first := strings.TrimSpace(text); strings.HasPrefix(first, "/") {
		text, _, _ = strings.Cut(first, "\n")
		text = strings.TrimSpace(text)
	}
	if !strings.HasPrefix(text, "/") {
		if !known && subject != "" {
			text = "Subject: " + subject + "\n\n" + text
		}
		if len(m.Files) > 0 {
			text += a.attachmentNote(tid, m)
		}
	}
	at := m.Date
	if at.IsZero() {
		at = a.now()
	}
	return platform.Message{
		Platform: Name,
		ID:       id,
		ChatID:   m.From,
		ThreadID: tid,
		ChatType: platform.DM,
		UserID:   a.canonicalUser(m.From),
		UserName: m.FromName,
		Text:     text,
		At:       at.UTC(),
	}, true, nil
}

var rePrefix = regexp.MustCompile(`(?i)^\s*((re|fwd?|aw|sv|wg)(\[\d+\])?\s*:\s*)+`)

// baseSubject is a subject without its "Re: " and "Fwd: " prefixes.
func baseSubject(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimSpace(rePrefix.ReplaceAllString(s, ""))
}

// answersAsk reports whether a mail replying to inReplyTo answers one
// of the approval requests sent in t.
func answersAsk(t thread, inReplyTo []string) bool {
	for _, id := range inReplyTo {
		if slices.Contains(t.Asks, id) {
			return true
		}
	}
	return false
}

var approval = regexp.MustCompile(`(?i)^(approve(\s+all)?|deny)([\s.,:;!-]+(.*))?$`)

// commandOf turns a reply to an approval mail into the gateway's command
// ("approve", "approve all", "deny REASON" on the first line become
// /approve, /approve all, /deny REASON); a first line starting with "/" is
// a command as written; anything else is returned unchanged.
func commandOf(text string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	first = strings.TrimSpace(first)
	if strings.HasPrefix(first, "/") {
		return first
	}
	g := approval.FindStringSubmatch(first)
	if g == nil {
		return text
	}
	word := strings.ToLower(strings.Join(strings.Fields(g[1]), " "))
	if word == "deny" {
		return strings.TrimSpace("/deny " + strings.TrimSpace(g[4]))
	}
	if rest := strings.ToLower(strings.TrimSpace(g[4])); rest != "" && strings.Trim(rest, ".!") != "" {
		return text // "approve of the plan": not a bare approval
	}
	return "/" + word
}

// asciiLower lowers A-Z only: Unicode case folding would let
// "\u212Aate@x" (Kelvin sign) pass as "kate@x".
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "hermes.invalid"
}

func (a *Adapter) envList(name string) []string {
	if a.env == nil {
		return nil
	}
	v, _ := a.env(name)
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (a *Adapter) envTrue(name string) bool {
	if a.env == nil {
		return false
	}
	v, _ := a.env(name)
	switch asciiLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// canonicalUser is the sender as written in EMAIL_ALLOWED_USERS or
// GATEWAY_ALLOWED_USERS when an entry matches it ignoring ASCII case
// (the gateway compares exactly), else the lower-case address.
func (a *Adapter) canonicalUser(addr string) string {
	for _, name := range []string{"EMAIL_ALLOWED_USERS", "GATEWAY_ALLOWED_USERS"} {
		for _, e := range a.envList(name) {
			if asciiLower(e) == addr {
				return e
			}
		}
	}
	return addr
}

// listed reports whether the sender would pass the gateway's allowlists
// (allow-all or a listed address). Attachments of anyone else are not
// written to the workspace: the gateway ignores such mail anyway.
func (a *Adapter) listed(addr string) bool {
	if a.envTrue("EMAIL_ALLOW_ALL_USERS") || a.envTrue("GATEWAY_ALLOW_ALL_USERS") {
		return true
	}
	return a.canonicalUser(addr) != addr || slices.Contains(a.envList("EMAIL_ALLOWED_USERS"), addr) ||
		slices.Contains(a.envList("GATEWAY_ALLOWED_USERS"), addr)
}

// attachmentNote saves m's attachments under
// attachments/email/<thread>/ in the workspace and tells the agent where
// they are (and which were skipped).
func (a *Adapter) attachmentNote(tid string, m inMail) string {
	if a.workspace == "" {
		return "\n\n[The mail had attachments; none were saved (no workspace).]"
	}
	if !a.listed(m.From) {
		return "\n\n[The mail had attachments; not saved: the sender is not on an allowlist.]"
	}
	dir := path.Join("attachments", "email", tid)
	var lines []string
	for _, f := range m.Files {
		name := sanitizeName(f.Name, f.Type)
		if f.Skipped != "" {
			lines = append(lines, fmt.Sprintf("- %s: not saved (%s)", name, f.Skipped))
			continue
		}
		saved, err := saveFile(a.workspace, dir, name, f.Data)
		if err != nil {
			a.logf("email: saving attachment %s: %s", name, a.scrub(err.Error()))
			lines = append(lines, fmt.Sprintf("- %s: not saved (%s)", name, "could not be written"))
			continue
		}
		lines = append(lines, fmt.Sprintf("- %s (%s, %s)", saved, sizeText(f.Size), f.Type))
	}
	return "\n\n[Attachments of this mail, saved relative to your working directory:\n" + strings.Join(lines, "\n") + "]"
}

func sizeText(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// saveFile writes data as dir/name inside workspace (os.Root: no path
// or symlink leads out of it) and returns the relative path. A file of
// that name with the same content is reused (a mail fetched again after
// a crash); another gets "-2", "-3" ... before the extension.
func saveFile(workspace, dir, name string, data []byte) (string, error) {
	root, err := os.OpenRoot(workspace)
	if err != nil {
		return "", err
	}
	defer root.Close()
	if err := root.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; i <= 100; i++ {
		n := name
		if i > 1 {
			n = fmt.Sprintf("%s-%d%s", stem, i, ext)
		}
		p := path.Join(dir, n)
		f, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			if same(root, p, data) {
				return p, nil
			}
			continue
		}
		if err != nil {
			return "", err
		}
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = root.Remove(p)
			return "", werr
		}
		return p, nil
	}
	return "", errors.New("too many files of that name")
}

func same(root *os.Root, p string, data []byte) bool {
	f, err := root.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(len(data))+1))
	return err == nil && bytes.Equal(b, data)
}
