// Package email is the gateway's email adapter: mail in over IMAP
// (github.com/emersion/go-imap/v2, IDLE when the server has it, polling
// at platforms.email.poll_interval when not), answers out over SMTP
// (github.com/emersion/go-smtp), one session per mail thread.
//
// # Threads and sessions
//
// A mail's chat is its sender's address and its thread the root of its
// References chain: Message-ID, In-Reply-To and References are looked up
// in a small index under the adapter's state directory (every mail seen
// and every mail sent), so a reply continues its thread's session and a
// new mail starts a new one. Replies carry In-Reply-To, References and a
// "Re: " subject.
//
// # Nothing lost, answered once
//
// A mail is handed to the core (journaled) before it is marked \Seen on
// the server; a mail journaled but not yet marked is fetched again after
// a crash and the ledger recognises it by its Message-ID. A reply's
// Message-ID is derived from the ledger key of the delivery, itself made
// of the inbound Message-ID, so a resend after a crash carries the same
// Message-ID and receiving servers and clients can drop the duplicate.
//
// # Who gets in
//
// Authorization is the gateway's (EMAIL_ALLOWED_USERS, GATEWAY_ALLOWED_USERS,
// ...); unknown senders are ignored and never sent pairing codes. Before
// that, the adapter drops mail that its server's Authentication-Results
// header marks dkim=fail, spf=fail or dmarc=fail (a forged From), mail
// from itself and automatic mail (Auto-Submitted, Precedence bulk/list/junk),
// which would otherwise make mail loops.
//
// # Secrets
//
// EMAIL_PASSWORD is read from .env and used only to log in; errors pass
// through internal/redact before they reach a log.
package email

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
)

// Name is the adapter's platform name.
const Name = "email"

// Limits.
const (
	// maxBody is the longest reply body sent; a longer one is cut with a
	// note (email needs no splitting, but a runaway answer is capped).
	maxBody = 512 << 10
	// maxMessage is the largest mail fetched; a larger one is marked seen
	// and logged, not processed.
	maxMessage = 30 << 20
	// maxAttachment is the largest attachment saved; larger ones are
	// mentioned to the agent as skipped.
	maxAttachment = 10 << 20
	// maxAttachments is the most attachments saved from one mail.
	maxAttachments = 20
	// maxText is the longest mail text handed to the agent.
	maxText = 64 << 10
)

func init() { platform.RegisterAdapter(Name, New) }

// Adapter is the email adapter; Send may be called while Run reads mail.
type Adapter struct {
	address  string // the agent's own address, lower case
	username string
	password string
	imapAddr string
	smtpAddr string
	imapTLS  string // implicit, starttls or none
	smtpTLS  string
	authserv string
	home     string
	poll     time.Duration
	env      func(string) (string, bool)
	logf     func(string, ...any)
	threads  *threadStore
	// workspace is the folder attachments are saved under (the terminal
	// backend's workspace); "" saves none.
	workspace string
	// now and wait are replaced by tests.
	now  func() time.Time
	wait func(ctx context.Context, d time.Duration) error

	link platform.Link // the connection as last reported to the core
}

// New is the adapter factory: platform.ErrDisabled unless
// platforms.email.enabled; an error naming .env without EMAIL_PASSWORD.
func New(d platform.Deps) (platform.Adapter, error) {
	if d.Config == nil || !d.Config.Platforms.Email.Enabled {
		return nil, platform.ErrDisabled
	}
	ec := d.Config.Platforms.Email
	if ec.BaseURL != "" {
		return nil, errors.New("email: platforms.email.base_url is not used by email: set imap_host/imap_port and smtp_host/smtp_port")
	}
	addr, err := mail.ParseAddress(ec.Address)
	if err != nil || addr.Name != "" || !strings.Contains(addr.Address, "@") {
		return nil, fmt.Errorf("email: platforms.email.address %q is not a plain address like hermes@example.com", ec.Address)
	}
	if ec.IMAPHost == "" || ec.SMTPHost == "" {
		return nil, errors.New("email: platforms.email needs imap_host and smtp_host")
	}
	var password string
	if d.Env != nil {
		password, _ = d.Env("EMAIL_PASSWORD")
	}
	if password == "" {
		return nil, errors.New("email: platforms.email.enabled is true but EMAIL_PASSWORD is not set: add EMAIL_PASSWORD=<the mailbox's password or app password> to the home's .env")
	}
	imapTLS, err := tlsMode(ec.TLS, ec.IMAPHost, ec.IMAPPort, 993)
	if err != nil {
		return nil, err
	}
	smtpTLS, err := tlsMode(ec.TLS, ec.SMTPHost, ec.SMTPPort, 465)
	if err != nil {
		return nil, err
	}
	logf := d.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	user := ec.Username
	if user == "" {
		user = addr.Address
	}
	poll := ec.PollInterval.D()
	if poll <= 0 {
		poll = time.Minute
	}
	stateDir := d.StateDir
	if stateDir == "" {
		return nil, errors.New("email: no state directory for the thread index")
	}
	a := &Adapter{
		address:   strings.ToLower(addr.Address),
		username:  user,
		password:  password,
		imapAddr:  net.JoinHostPort(ec.IMAPHost, strconv.Itoa(ec.IMAPPort)),
		smtpAddr:  net.JoinHostPort(ec.SMTPHost, strconv.Itoa(ec.SMTPPort)),
		imapTLS:   imapTLS,
		smtpTLS:   smtpTLS,
		authserv:  strings.TrimSpace(ec.AuthservID),
		home:      ec.HomeChannel,
		poll:      poll,
		env:       d.Env,
		logf:      logf,
		threads:   &threadStore{dir: filepath.Join(stateDir, "threads")},
		workspace: workspaceOf(d.Config),
		now:       time.Now,
		wait:      clock.Real{}.Sleep,
	}
	return a, nil
}

// tlsMode resolves platforms.email.tls for one server.
func tlsMode(mode, host string, port, implicitPort int) (string, error) {
	switch mode {
	case "", "auto":
		if port == implicitPort {
			return "implicit", nil
		}
		return "starttls", nil
	case "implicit", "starttls":
		return mode, nil
	case "none":
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("email: platforms.email.tls is none but %s is not a loopback host: the password would travel in plain text; use auto, implicit or starttls", host)
		}
		return "none", nil
	}
	return "", fmt.Errorf("email: platforms.email.tls %q: want auto, implicit, starttls or none", mode)
}

// workspaceOf is the folder the terminal backend works in, where the
// agent finds saved attachments: terminal.cwd, else the gateway's
// working directory.
func workspaceOf(cfg *config.Config) string {
	dir := cfg.Terminal.Cwd
	if dir == "~" || strings.HasPrefix(dir, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(h, dir[1:])
		}
	}
	if dir == "" || !filepath.IsAbs(dir) {
		wd, err := os.Getwd()
		if err != nil {
			return ""
		}
		dir = wd
	}
	return dir
}

// Name returns "email".
func (a *Adapter) Name() string { return Name }

// MaxLen is effectively unlimited: a reply is one mail, capped by Send.
func (a *Adapter) MaxLen() int { return 1 << 30 }

// Home returns platforms.email.home_channel (an address).
func (a *Adapter) Home() string { return a.home }

func (a *Adapter) up(h platform.Handler) { a.link.Up(h, Name) }

func (a *Adapter) down(h platform.Handler, err error) { a.link.Down(h, Name, err) }

// scrub masks the password and any other secret in s.
func (a *Adapter) scrub(s string) string {
	if a.password != "" {
		s = strings.ReplaceAll(s, a.password, "***")
	}
	return redact.Default().String(s)
}

func (a *Adapter) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(a.scrub(err.Error()))
}
