// Package emailtest runs real mail servers on 127.0.0.1 for tests: an
// IMAP server (go-imap's imapserver over its in-memory backend,
// imapmemserver) holding one user's INBOX, and an SMTP server (go-smtp)
// that records what is submitted to it. Both ask for the user's password
// (LOGIN / AUTH PLAIN, without TLS: loopback only).
//
// A test plays the mail provider: Deliver puts a mail in the INBOX as an
// MTA would, Sent and WaitSent return what the agent submitted.
//
//	srv := emailtest.New(t, "hermes@example.test", "secret")
//	// platforms.email: imap_host 127.0.0.1, imap_port srv.IMAPPort(), smtp_port srv.SMTPPort(), tls none
//	srv.Deliver(t, emailtest.Mail{From: "alice@example.test", Subject: "hi", Body: "hello"})
//	sent := srv.WaitSent(t, 1)
//
// NoIdle starts an IMAP server that does not announce IDLE, for the
// polling path.
package emailtest

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is a running IMAP and SMTP pair for one mailbox.
type Server struct {
	User, Password string

	imap     *imapserver.Server
	imapLn   net.Listener
	smtp     *smtp.Server
	smtpLn   net.Listener
	mailUser *imapmemserver.User

	mu      sync.Mutex
	changed chan struct{}
	sent    []Sent
	failN   int // the next failN submissions are refused with 451
	seq     int
}

// Options change how the servers behave.
type Options struct {
	NoIdle bool // the IMAP server does not announce IDLE
}

// New starts both servers for user (also the address) and password;
// tb.Cleanup stops them.
func New(tb testing.TB, user, password string, opts ...Options) *Server {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := Start(user, password, o)
	if err != nil {
		tb.Fatalf("emailtest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts both servers; Close stops them.
func Start(user, password string, o Options) (*Server, error) {
	s := &Server{User: user, Password: password, changed: make(chan struct{})}
	mem := imapmemserver.New()
	s.mailUser = imapmemserver.NewUser(user, password)
	if err := s.mailUser.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(s.mailUser)
	quiet := log.New(io.Discard, "", 0)
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       quiet,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.imapLn = ln
	if o.NoIdle {
		ln = noIdleListener{ln}
	}
	go func() { _ = s.imap.Serve(ln) }()

	s.smtp = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.smtp.Domain = "localhost"
	s.smtp.AllowInsecureAuth = true
	s.smtp.ErrorLog = quiet
	s.smtp.ReadTimeout = time.Minute
	s.smtp.WriteTimeout = time.Minute
	if s.smtpLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		s.Close()
		return nil, err
	}
	go func() { _ = s.smtp.Serve(s.smtpLn) }()
	return s, nil
}

// Close stops both servers.
func (s *Server) Close() {
	if s.imap != nil {
		_ = s.imap.Close()
	}
	if s.smtp != nil {
		_ = s.smtp.Close()
	}
}

// IMAPPort is the IMAP server's port on 127.0.0.1.
func (s *Server) IMAPPort() int { return s.imapLn.Addr().(*net.TCPAddr).Port }

// SMTPPort is the SMTP server's port on 127.0.0.1.
func (s *Server) SMTPPort() int { return s.smtpLn.Addr().(*net.TCPAddr).Port }

// Config is the platforms.email block (YAML, indented for config.yaml)
// that points the adapter at these servers.
func (s *Server) Config() string {
	return fmt.Sprintf("  email:\n    enabled: true\n    address: %s\n    imap_host: 127.0.0.1\n    imap_port: %d\n"+
		"    smtp_host: 127.0.0.1\n    smtp_port: %d\n    tls: none\n", s.User, s.IMAPPort(), s.SMTPPort())
}

// Mail is a mail to deliver; Raw, when set, is used as is.
type Mail struct {
	From, Subject, Body string
	MessageID           string   // without <>; generated when ""
	InReplyTo           string   // without <>
	References          []string // without <>
	Headers             []string // extra "Name: value" lines, added on top
	Raw                 []byte
}

// Bytes renders m as an RFC 5322 mail to the server's user.
func (s *Server) Bytes(m Mail) []byte {
	if m.Raw != nil {
		return m.Raw
	}
	var b bytes.Buffer
	for _, h := range m.Headers {
		b.WriteString(h + "\r\n")
	}
	id := m.MessageID
	if id == "" {
		s.mu.Lock()
		s.seq++
		id = fmt.Sprintf("m%d.%d@mail.example.test", time.Now().UnixNano(), s.seq)
		s.mu.Unlock()
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n",
		m.From, s.User, m.Subject, time.Now().Format(time.RFC1123Z), id)
	if m.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", m.InReplyTo)
	}
	if len(m.References) > 0 {
		b.WriteString("References: <" + strings.Join(m.References, "> <") + ">\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))
	return b.Bytes()
}

// Deliver puts m in the INBOX (unseen) and returns its UID.
func (s *Server) Deliver(tb testing.TB, m Mail) imap.UID {
	tb.Helper()
	raw := s.Bytes(m)
	d, err := s.mailUser.Append("INBOX", literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{})
	if err != nil {
		tb.Fatalf("emailtest: deliver: %v", err)
	}
	return d.UID
}

type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

// Seen reports whether the mail uid carries \Seen, asked over IMAP.
func (s *Server) Seen(tb testing.TB, uid imap.UID) bool {
	tb.Helper()
	c, err := imapclient.DialInsecure(s.imapLn.Addr().String(), nil)
	if err != nil {
		tb.Fatalf("emailtest: %v", err)
	}
	defer c.Close()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		tb.Fatalf("emailtest: login: %v", err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		tb.Fatalf("emailtest: select: %v", err)
	}
	bufs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{Flags: true, UID: true}).Collect()
	if err != nil || len(bufs) != 1 {
		tb.Fatalf("emailtest: fetch flags of %d: %v (%d results)", uid, err, len(bufs))
	}
	for _, f := range bufs[0].Flags {
		if f == imap.FlagSeen {
			return true
		}
	}
	return false
}

// Sent is one mail submitted over SMTP.
type Sent struct {
	From       string
	To         []string
	Raw        []byte
	MessageID  string // without <>
	InReplyTo  string
	References []string
	Subject    string
	Body       string // the text/plain body, decoded
	Header     gomail.Header
}

// Sent returns what was submitted so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// FailNext refuses the next n submissions with 451 (a temporary error).
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN = n
}

// WaitSent waits until at least n mails were submitted and returns them.
func (s *Server) WaitSent(tb testing.TB, n int) []Sent {
	tb.Helper()
	s.Wait(tb, strconv.Itoa(n)+" sent mail(s)", func() bool { return len(s.Sent()) >= n })
	return s.Sent()
}

// Wait blocks until cond holds (checked on each submission and every
// 50ms), or fails tb after 30 seconds.
func (s *Server) Wait(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("emailtest: timed out waiting for %s; sent: %d", what, len(s.Sent()))
		}
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) record(m Sent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN > 0 {
		s.failN--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.sent = append(s.sent, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// session is one SMTP connection: AUTH PLAIN with the user's password is
// required before MAIL.
type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.User || pass != ss.s.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Sent{From: ss.from, To: ss.to, Raw: raw}
	mr, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparseable mail: " + err.Error()}
	}
	m.Header = mr.Header
	m.MessageID, _ = mr.Header.MessageID()
	if ids, _ := mr.Header.MsgIDList("In-Reply-To"); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References, _ = mr.Header.MsgIDList("References")
	m.Subject, _ = mr.Header.Subject()
	if p, err := mr.NextPart(); err == nil {
		b, _ := io.ReadAll(p.Body)
		m.Body = string(b)
	}
	return ss.s.record(m)
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// noIdleListener hides IDLE from the server's CAPABILITY lines.
type noIdleListener struct{ net.Listener }

func (l noIdleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &noIdleConn{Conn: c}, nil
}

type noIdleConn struct{ net.Conn }

func (c *noIdleConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("CAPABILITY")) {
		q := bytes.ReplaceAll(p, []byte(" IDLE"), nil)
		if _, err := c.Conn.Write(q); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}
