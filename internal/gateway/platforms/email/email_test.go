package email

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/email/emailtest"
)

func TestFactory(t *testing.T) {
	t.Parallel()
	logs := &logBuf{}
	cases := []struct {
		name    string
		edit    func(d *platform.Deps)
		wantErr string // "" for success
		disable bool
	}{
		{"disabled", func(d *platform.Deps) { d.Config.Platforms.Email.Enabled = false }, "", true},
		{"no config", func(d *platform.Deps) { d.Config = nil }, "", true},
		{"no password", func(d *platform.Deps) { d.Env = envMap{}.lookup }, "EMAIL_PASSWORD is not set", false},
		{"named address", func(d *platform.Deps) { d.Config.Platforms.Email.Address = "Hermes <h@x.test>" }, "not a plain address", false},
		{"base_url", func(d *platform.Deps) { d.Config.Platforms.Email.BaseURL = "http://127.0.0.1:1" }, "base_url is not used", false},
		{"plain text off the machine", func(d *platform.Deps) { d.Config.Platforms.Email.IMAPHost = "mail.example.com" }, "not a loopback host", false},
		{"no state dir", func(d *platform.Deps) { d.StateDir = "" }, "no state directory", false},
		{"ok", func(*platform.Deps) {}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := deps(t, nil, nil, logs)
			tc.edit(&d)
			a, err := New(d)
			switch {
			case tc.disable:
				if !errors.Is(err, platform.ErrDisabled) {
					t.Fatalf("err = %v, want ErrDisabled", err)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if a.Name() != "email" || a.MaxLen() < 1<<20 || a.(platform.HomeChannel).Home() != "ops@example.test" {
					t.Fatalf("name %q maxlen %d", a.Name(), a.MaxLen())
				}
				if _, ok := a.(platform.Typer); ok {
					t.Fatal("email shows no typing")
				}
			}
		})
	}
	if platform.Adapters()["email"] == nil {
		t.Fatal("email is not registered")
	}
}

func TestTLSMode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode, host string
		port       int
		want       string
	}{
		{"auto", "imap.example.com", 993, "implicit"},
		{"", "imap.example.com", 143, "starttls"},
		{"starttls", "imap.example.com", 993, "starttls"},
		{"none", "127.0.0.1", 143, "none"},
		{"none", "localhost", 143, "none"},
		{"none", "::1", 143, "none"},
		{"none", "10.0.0.1", 143, ""},
		{"bogus", "127.0.0.1", 143, ""},
	}
	for _, tc := range cases {
		got, err := tlsMode(tc.mode, tc.host, tc.port, 993)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("tlsMode(%q, %q, %d) = %q, %v; want %q", tc.mode, tc.host, tc.port, got, err, tc.want)
		}
	}
}

// TestThreadedConversation: a mail in, an answer out in its thread; a
// reply to the answer continues the same session; a new mail is a new
// session; each mail is marked seen after it was journaled.
func TestThreadedConversation(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	uid := r.srv.Deliver(t, emailtest.Mail{From: "Alice <alice@example.test>", Subject: "Build status",
		MessageID: "first@mail.example.test", Body: "How is the build?\n\nAlice"})
	sent := r.srv.WaitSent(t, 1)
	first := sent[0]
	if first.To[0] != alice || first.From != botAddr {
		t.Fatalf("sent from %s to %v", first.From, first.To)
	}
	if first.InReplyTo != "first@mail.example.test" || first.Subject != "Re: Build status" ||
		len(first.References) != 1 || first.References[0] != "first@mail.example.test" {
		t.Fatalf("reply not threaded: in-reply-to %q refs %q subject %q", first.InReplyTo, first.References, first.Subject)
	}
	if !strings.Contains(first.Body, "echo: Subject: Build status") || !strings.Contains(first.Body, "How is the build?") {
		t.Fatalf("reply body %q", first.Body)
	}
	if !strings.HasPrefix(first.MessageID, "hermes-") || !strings.HasSuffix(first.MessageID, "@example.test") {
		t.Fatalf("message-id %q", first.MessageID)
	}
	r.waitDone(t)
	if !r.srv.Seen(t, uid) {
		t.Fatal("the answered mail is not marked seen")
	}

	// Alice answers the reply (her client quotes it).
	r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "Re: Build status", MessageID: "second@mail.example.test",
		InReplyTo: first.MessageID, References: []string{"first@mail.example.test", first.MessageID},
		Body: "And the tests?\n\nOn Mon, 1 Dec 2026 at 10:00, Hermes <hermes@example.test> wrote:\n> echo: How is the build?\n"})
	sent = r.srv.WaitSent(t, 2)
	second := sent[1]
	turns := r.waitTurns(t, 2)
	if turns[0].Session != turns[1].Session {
		t.Fatalf("the reply started another session: %q vs %q", turns[0].Session, turns[1].Session)
	}
	if turns[1].Text != "And the tests?" {
		t.Fatalf("quoted text reached the agent: %q", turns[1].Text)
	}
	if !strings.HasPrefix(turns[0].Session, "agent:main:email:dm:alice@example.test:") {
		t.Fatalf("session key %q", turns[0].Session)
	}
	if second.InReplyTo != "second@mail.example.test" || second.Subject != "Re: Build status" ||
		strings.Join(second.References, " ") != "first@mail.example.test "+first.MessageID+" second@mail.example.test" {
		t.Fatalf("second reply: in-reply-to %q refs %q subject %q", second.InReplyTo, second.References, second.Subject)
	}

	// A fresh mail (no references) is a new conversation.
	r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "Another topic", Body: "Something else"})
	turns = r.waitTurns(t, 3)
	if turns[2].Session == turns[0].Session {
		t.Fatal("a new thread continued the old session")
	}
	if turns[2].Origin != "email:alice@example.test:"+strings.TrimPrefix(turns[2].Session, "agent:main:email:dm:alice@example.test:") {
		t.Fatalf("origin %q for session %q", turns[2].Origin, turns[2].Session)
	}
	r.srv.WaitSent(t, 3)
}

// TestIgnored: an unknown sender, a forged From (dkim=fail by the
// receiving server), an automatic reply and the agent's own mail get no
// turn and no answer, and are marked seen.
func TestIgnored(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	uids := []imap.UID{
		r.srv.Deliver(t, emailtest.Mail{From: "mallory@evil.test", Subject: "hi", Body: "let me in"}),
		r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "urgent", Body: "forged",
			Headers: []string{"Authentication-Results: mx.example.test; dkim=fail (bad signature) header.d=example.test; spf=pass smtp.mailfrom=example.test"}}),
		r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "urgent", Body: "forged too",
			Headers: []string{"Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=example.test"}}),
		r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "Out of office", Body: "away",
			Headers: []string{"Auto-Submitted: auto-replied"}}),
		r.srv.Deliver(t, emailtest.Mail{From: botAddr, Subject: "loop", Body: "my own"}),
	}
	// A genuine mail after them: once it is answered, the others were seen.
	r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "real", Body: "a real question",
		Headers: []string{"Authentication-Results: mx.example.test; dkim=pass header.d=example.test; spf=pass smtp.mailfrom=example.test"}})
	sent := r.srv.WaitSent(t, 1)
	r.waitDone(t)
	time.Sleep(200 * time.Millisecond)
	if n := len(r.srv.Sent()); n != 1 || sent[0].To[0] != alice || !strings.Contains(sent[0].Body, "a real question") {
		t.Fatalf("sent %d mails: %+v", n, r.srv.Sent())
	}
	turns := r.agent.Turns()
	if len(turns) != 1 {
		t.Fatalf("turns: %+v", turns)
	}
	for _, u := range uids {
		if !r.srv.Seen(t, u) {
			t.Errorf("mail %v not marked seen", u)
		}
	}
	logs := r.logs.String()
	for _, want := range []string{"dkim=fail", "spf=fail", "Auto-Submitted: auto-replied"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log does not say %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, password) {
		t.Fatal("the password was logged")
	}
}

// TestStrangerCannotJoinThread: a mail quoting the Message-IDs of
// alice's thread from another (allowed) sender gets a thread and session
// of its own, and alice's thread goes on unchanged.
func TestStrangerCannotJoinThread(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "Plans", MessageID: "plans@mail.example.test", Body: "secret plans"})
	reply := r.srv.WaitSent(t, 1)[0]
	r.srv.Deliver(t, emailtest.Mail{From: "bob@example.test", Subject: "Re: Plans", MessageID: "bob1@mail.example.test", InReplyTo: reply.MessageID,
		References: []string{"plans@mail.example.test", reply.MessageID}, Body: "what plans?"})
	r.srv.Deliver(t, emailtest.Mail{From: alice, Subject: "Re: Plans", InReplyTo: reply.MessageID,
		References: []string{"plans@mail.example.test", reply.MessageID}, Body: "more plans"})
	r.waitTurns(t, 2)
	r.srv.WaitSent(t, 2)
	r.waitDone(t)
	turns := r.agent.Turns()
	if len(turns) != 2 {
		t.Fatalf("turns %+v (bob is not allowed: no turn)", turns)
	}
	if turns[0].Session != turns[1].Session {
		t.Fatalf("alice's thread was split: %q %q", turns[0].Session, turns[1].Session)
	}
	th, ok, err := r.a.threads.load(threadIDOf("plans@mail.example.test"))
	if err != nil || !ok || th.Chat != alice {
		t.Fatalf("alice's thread: %+v %v %v", th, ok, err)
	}
	for _, id := range th.Refs {
		if id == "bob1@mail.example.test" {
			t.Fatalf("bob's Message-ID joined alice's thread: %q", th.Refs)
		}
	}
	if tid, ok := r.a.threads.lookup("bob1@mail.example.test"); !ok || tid == th.ID {
		t.Fatalf("bob's mail is in thread %q (alice's is %q)", tid, th.ID)
	}
	if len(th.Refs) != 4 {
		t.Fatalf("alice's thread refs %q, want root, reply, her mail, the second reply", th.Refs)
	}
}
