package email

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/email/emailtest"
)

// multipartMail is a mail from alice with a plain and an HTML
// alternative and two attachments, one named to escape the folder.
func multipartMail(id string) []byte {
	return []byte(strings.ReplaceAll(`From: Alice <alice@example.test>
To: hermes@example.test
Subject: Report
Message-ID: <`+id+`>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Please summarise the attached report.
--alt
Content-Type: text/html; charset=utf-8

<p>Please <b>summarise</b> the HTML report.</p>
--alt--
--outer
Content-Type: text/csv; name="report.csv"
Content-Disposition: attachment; filename="../../../etc/report.csv"
Content-Transfer-Encoding: base64

YSxiCjEsMgo=
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment; filename=".hidden"

secret
--outer--
`, "\n", "\r\n"))
}

// TestAttachmentSaved: attachments land under
// attachments/email/<thread>/ in the workspace with safe names, and the
// agent is told where; text/plain wins over HTML.
func TestAttachmentSaved(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.srv.Deliver(t, emailtest.Mail{Raw: multipartMail("report@mail.example.test")})
	turns := r.waitTurns(t, 1)
	text := turns[0].Text
	if !strings.Contains(text, "Please summarise the attached report.") || strings.Contains(text, "HTML report") {
		t.Fatalf("text %q: want the plain part", text)
	}
	tid := threadIDOf("report@mail.example.test")
	want := filepath.Join("attachments", "email", tid, "report.csv")
	if !strings.Contains(text, want) || !strings.Contains(text, filepath.Join("attachments", "email", tid, "hidden")) {
		t.Fatalf("the agent is not told where the files are: %q", text)
	}
	b, err := os.ReadFile(filepath.Join(r.ws, want))
	if err != nil || string(b) != "a,b\n1,2\n" {
		t.Fatalf("saved file: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(r.ws, "..", "..", "etc", "report.csv")); err == nil {
		t.Fatal("an attachment escaped the workspace")
	}
	// The same mail fetched again (after a crash) reuses the files.
	a2 := r.a
	m, ok, err := a2.inbound(multipartMail("report@mail.example.test"))
	if err != nil || !ok || strings.Contains(m.Text, "report-2.csv") {
		t.Fatalf("refetch: %v %v %q", ok, err, m.Text)
	}
}

// TestAttachmentOfStrangerNotSaved: nothing of an unlisted sender is
// written to the workspace.
func TestAttachmentOfStrangerNotSaved(t *testing.T) {
	t.Parallel()
	logs := &logBuf{}
	d := deps(t, nil, envMap{"EMAIL_ALLOWED_USERS": "bob@example.test"}, logs)
	a := newAdapter(t, d)
	m, ok, err := a.inbound(multipartMail("x@mail.example.test"))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if !strings.Contains(m.Text, "not saved: the sender is not on an allowlist") {
		t.Fatalf("text %q", m.Text)
	}
	if _, err := os.Stat(filepath.Join(d.Config.Terminal.Cwd, "attachments")); err == nil {
		t.Fatal("a stranger's attachment was written")
	}
}

// TestApprovalByReply: the approval request goes out as a mail in the
// thread, with the choices as text; "approve" in a reply answers it.
func TestApprovalByReply(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.approveIn()
	r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "Clean up", MessageID: "clean@mail.example.test", Body: "clean the build folder"})
	req := r.srv.WaitSent(t, 1)[0]
	if !strings.Contains(req.Body, "rm -rf build") || !strings.Contains(req.Body, "reply to this mail with one line: approve") {
		t.Fatalf("approval mail %q", req.Body)
	}
	if req.InReplyTo != "clean@mail.example.test" || req.Subject != "Re: Clean up" {
		t.Fatalf("approval mail not in the thread: %q %q", req.InReplyTo, req.Subject)
	}
	r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "Re: Clean up", InReplyTo: req.MessageID,
		References: []string{"clean@mail.example.test", req.MessageID},
		Body:       "Approve.\n\nOn Tue, Hermes wrote:\n> Approval needed: deletes files\n"})
	r.srv.Wait(t, "the outcome", func() bool {
		for _, s := range r.srv.Sent() {
			if strings.Contains(s.Body, "outcome: once") {
				return true
			}
		}
		return false
	})
	for _, s := range r.srv.Sent() {
		if s.To[0] != alice {
			t.Errorf("mail to %v", s.To)
		}
	}
}

// TestIdleAndPolling: with IDLE a mail is picked up at once although
// poll_interval is an hour; without it, at the next poll.
func TestIdleAndPolling(t *testing.T) {
	t.Parallel()
	for _, noIdle := range []bool{false, true} {
		t.Run(fmt.Sprintf("noIdle=%v", noIdle), func(t *testing.T) {
			t.Parallel()
			srv := emailtest.New(t, botAddr, password, emailtest.Options{NoIdle: noIdle})
			logs := &logBuf{}
			a := newAdapter(t, deps(t, srv, nil, logs))
			a.poll = time.Hour
			if noIdle {
				a.poll = 300 * time.Millisecond
			}
			h := &handler{}
			stop := run(t, a, h)
			h.wait(t, "connected", func() bool { return h.up })
			time.Sleep(100 * time.Millisecond) // idling (or sleeping) now
			start := time.Now()
			srv.Deliver(t, emailtest.Mail{From: alice, Subject: "ping", Body: "ping"})
			h.wait(t, "the mail", func() bool { return len(h.msgs) == 1 })
			if noIdle && time.Since(start) < 100*time.Millisecond {
				t.Errorf("picked up in %s without IDLE: did it poll?", time.Since(start))
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]string{false: "with IDLE", true: "no IDLE, polling"}[noIdle]; !strings.Contains(logs.String(), want) {
				t.Errorf("log does not say %q:\n%s", want, logs)
			}
		})
	}
}

// TestInboundFailureRefetch: a mail whose journaling failed stays unseen
// and is handed over again; once journaled it is marked seen.
func TestInboundFailureRefetch(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, botAddr, password)
	a := newAdapter(t, deps(t, srv, nil, &logBuf{}))
	h := &handler{failNext: 2}
	run(t, a, h)
	uid := srv.Deliver(t, emailtest.Mail{From: alice, Subject: "retry", MessageID: "retry@mail.example.test", Body: "x"})
	h.wait(t, "the mail journaled", func() bool { return len(h.msgs) == 1 })
	h.mu.Lock()
	calls := h.calls
	h.mu.Unlock()
	if calls != 3 {
		t.Fatalf("Inbound called %d times, want 3", calls)
	}
	srv.Wait(t, "seen", func() bool { return srv.Seen(t, uid) })
}

// TestLoginRefused: a wrong password ends Run with an error naming
// EMAIL_PASSWORD, never the password.
func TestLoginRefused(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, botAddr, password)
	logs := &logBuf{}
	a := newAdapter(t, deps(t, srv, envMap{"EMAIL_PASSWORD": "wrong-Pa55word-xyz"}, logs))
	err := a.Run(context.Background(), &handler{})
	if err == nil || !strings.Contains(err.Error(), "EMAIL_PASSWORD") || strings.Contains(err.Error(), "wrong-Pa55word-xyz") {
		t.Fatalf("err = %v", err)
	}
}

// TestSend: addresses are validated, Message-IDs are derived from the
// delivery key, a new mail starts a thread whose reply is recognised,
// huge bodies are capped, SMTP failures are errors.
func TestSend(t *testing.T) {
	t.Parallel()
	srv := emailtest.New(t, botAddr, password)
	a := newAdapter(t, deps(t, srv, nil, &logBuf{}))
	ctx := context.Background()
	for _, bad := range []string{"", "bob", "a@b.test\r\nBcc: x@y.test", "a@b.test, c@d.test", "Bob <bob@x.test>"} {
		if _, err := a.Send(ctx, platform.Outbound{ChatID: bad, Text: "x", Key: "k"}); err == nil {
			t.Errorf("sent to %q", bad)
		}
	}
	s1, err := a.Send(ctx, platform.Outbound{ChatID: "ops@example.test", Text: "Cron job nightly failed (error): boom\nmore", Key: "cron:1"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := a.Send(ctx, platform.Outbound{ChatID: "ops@example.test", Text: "again", Key: "cron:1"})
	if err != nil || s1.ID != s2.ID {
		t.Fatalf("the same key made Message-IDs %q and %q (%v)", s1.ID, s2.ID, err)
	}
	sent := srv.WaitSent(t, 2)
	if sent[0].Subject != "Cron job nightly failed (error): boom" || sent[0].MessageID != s1.ID || sent[0].InReplyTo != "" {
		t.Fatalf("new mail: subject %q id %q", sent[0].Subject, sent[0].MessageID)
	}
	if got := sent[0].Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Fatalf("Auto-Submitted %q", got)
	}
	// A reply to it continues its thread.
	m, ok, err := a.inbound(srv.Bytes(emailtest.Mail{From: "ops@example.test", Subject: "Re: Cron", InReplyTo: s1.ID, Body: "why?"}))
	if err != nil || !ok || m.ThreadID != threadIDOf(s1.ID) {
		t.Fatalf("reply to a sent mail: thread %q, want %q (%v %v)", m.ThreadID, threadIDOf(s1.ID), ok, err)
	}
	huge := strings.Repeat("é", maxBody)
	if _, err := a.Send(ctx, platform.Outbound{ChatID: alice, Text: huge, Key: "huge"}); err != nil {
		t.Fatal(err)
	}
	body := srv.WaitSent(t, 3)[2].Body
	if len(body) > maxBody+200 || !strings.Contains(body, "This reply was cut") {
		t.Fatalf("huge body: %d bytes", len(body))
	}
	srv.FailNext(1)
	if _, err := a.Send(ctx, platform.Outbound{ChatID: alice, Text: "x", Key: "fail"}); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("err = %v, want the 451", err)
	}
}

// handler is a platform.Handler that records messages.
type handler struct {
	mu       sync.Mutex
	msgs     []platform.Message
	calls    int
	failNext int
	up       bool
}

func (h *handler) Inbound(_ context.Context, m platform.Message) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.failNext > 0 {
		h.failNext--
		return errors.New("journal: database is locked")
	}
	h.msgs = append(h.msgs, m)
	return nil
}

func (h *handler) Pressed(context.Context, platform.Callback) error { return nil }

func (h *handler) Connected(_ string, up bool, _ error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.up = up
}

func (h *handler) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h.mu.Lock()
		ok := cond()
		h.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// run starts a.Run; stop cancels it and returns its error.
func run(t *testing.T, a *Adapter, h platform.Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// TestApprovalWordsOnlyAnswerAsks: "deny ..." or "approve" as the first
// line of a mail that does not answer an approval request is text for
// the agent; "/status" is a command anywhere.
func TestApprovalWordsOnlyAnswerAsks(t *testing.T) {
	t.Parallel()
	a := newAdapter(t, deps(t, nil, nil, &logBuf{}))
	mk := func(m emailtest.Mail) platform.Message {
		t.Helper()
		m.Raw = nil
		raw := (&emailtest.Server{User: botAddr}).Bytes(m)
		msg, ok, err := a.inbound(raw)
		if err != nil || !ok {
			t.Fatalf("inbound: %v %v", ok, err)
		}
		return msg
	}
	m := mk(emailtest.Mail{From: alice, Subject: "Access", MessageID: "acc@x.test", Body: "Deny access to the shared folder for Bob"})
	if strings.HasPrefix(m.Text, "/") {
		t.Fatalf("a new mail became a command: %q", m.Text)
	}
	if m := mk(emailtest.Mail{From: alice, Subject: "s", Body: "/status\n\nAlice"}); m.Text != "/status" {
		t.Fatalf("command %q", m.Text)
	}
	// An approval request in the thread, then a reply to it.
	if _, err := a.threads.recordAsk(m.ThreadID, "acc@x.test", "Access", alice, "ask1@example.test"); err != nil {
		t.Fatal(err)
	}
	r := mk(emailtest.Mail{From: alice, Subject: "Re: Access", InReplyTo: "ask1@example.test", References: []string{"acc@x.test", "ask1@example.test"},
		Body: "deny: not now"})
	if r.Text != "/deny not now" || r.ThreadID != m.ThreadID {
		t.Fatalf("reply to the ask: %q in %q", r.Text, r.ThreadID)
	}
	other := mk(emailtest.Mail{From: alice, Subject: "Re: Access", InReplyTo: "acc@x.test", References: []string{"acc@x.test"}, Body: "approve"})
	if other.Text != "approve" {
		t.Fatalf("a reply to a non-ask became %q", other.Text)
	}
}
