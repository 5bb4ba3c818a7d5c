package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platforms/email/emailtest"
	"github.com/hermes-go/hermes/internal/llmtest"
)

const (
	e2eMailbox  = "hermes@example.test"
	e2eMailPass = "mailbox-Pa55-e2e-0001"
)

// emailHome is an e2e home whose gateway reads mb's IMAP server and
// sends through its SMTP server, with envLines appended to the password.
func emailHome(t *testing.T, srv *llmtest.Server, mb *emailtest.Server, cfg string, envLines ...string) string {
	t.Helper()
	home := e2eHome(t, srv)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\nplatforms:\n"+mb.Config()+"    poll_interval: 5s\n"+cfg)
	env := "EMAIL_PASSWORD=" + e2eMailPass + "\n" + strings.Join(envLines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// startEmailGateway runs `hermes gateway run` and waits until its email
// adapter is connected; cleanup kills it.
func startEmailGateway(t *testing.T, bin, home string) (*exec.Cmd, *syncBuf) {
	t.Helper()
	return startGateway(t, bin, home, "email", 30*time.Second)
}

// mailsWith counts the submitted mails whose body contains s.
func mailsWith(mb *emailtest.Server, s string) int {
	n := 0
	for _, m := range mb.Sent() {
		if strings.Contains(m.Body, s) {
			n++
		}
	}
	return n
}

// TestGatewayE2EEmailKilledMidTurn: a gateway killed with SIGKILL while
// the model works on a mail answers it after a restart on the same home,
// exactly once, in its thread; a reply in the thread continues.
func TestGatewayE2EEmailKilledMidTurn(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "too late", Delay: llmtest.Duration(time.Minute)}},
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "Answered after the restart."}},
		{Match: llmtest.Match{Contains: "next question"}, Response: llmtest.Response{Text: "Next answer."}},
	}})
	mb := emailtest.New(t, e2eMailbox, e2eMailPass)
	bin := chatBinary(t)
	home := emailHome(t, srv, mb, "cron:\n  enabled: false\n", "EMAIL_ALLOWED_USERS=ada@example.test")
	first, logs := startEmailGateway(t, bin, home)

	mb.Deliver(t, emailtest.Mail{From: "Ada <ada@example.test>", Subject: "Crash test", MessageID: "crash-1@mail.example.test",
		Body: "please survive the crash"})
	deadline := time.Now().Add(30 * time.Second)
	for chatRequests(srv) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the gateway never asked the model:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if n := len(mb.Sent()); n != 0 {
		t.Fatalf("a mail was sent before the kill: %+v", mb.Sent())
	}

	_, logs2 := startEmailGateway(t, bin, home)
	mb.Wait(t, "the answer after the restart", func() bool { return mailsWith(mb, "Answered after the restart.") >= 1 })
	var answer emailtest.Sent
	for _, m := range mb.Sent() {
		if strings.Contains(m.Body, "Answered after the restart.") {
			answer = m
		}
	}
	if answer.InReplyTo != "crash-1@mail.example.test" || answer.Subject != "Re: Crash test" || answer.To[0] != "ada@example.test" {
		t.Fatalf("the answer is not a reply in the thread: %+v", answer)
	}
	// Ada answers in the thread; the answer shows the first is settled.
	mb.Deliver(t, emailtest.Mail{From: "ada@example.test", Subject: "Re: Crash test", MessageID: "crash-2@mail.example.test",
		InReplyTo: answer.MessageID, References: []string{"crash-1@mail.example.test", answer.MessageID},
		Body: "next question\n\nOn Thu, Hermes wrote:\n> Answered after the restart."})
	mb.Wait(t, "the next answer", func() bool { return mailsWith(mb, "Next answer.") == 1 })
	if n := mailsWith(mb, "Answered after the restart."); n != 1 {
		t.Fatalf("the mail was answered %d times:\n%s", n, logs2.String())
	}
	if n := mailsWith(mb, "too late"); n != 0 {
		t.Fatalf("the killed turn's answer was sent %d times", n)
	}
	if n := chatRequests(srv); n != 3 {
		t.Fatalf("model requests: %d, want 3 (killed, retried, next)", n)
	}
	for _, m := range mb.Sent() {
		if strings.Contains(m.Body, "Next answer.") && m.InReplyTo != "crash-2@mail.example.test" {
			t.Fatalf("the next answer replies to %q", m.InReplyTo)
		}
	}
	// The second turn ran in the first's session: its request carried the
	// first exchange.
	last := srv.Requests()[len(srv.Requests())-1]
	if !strings.Contains(string(last.Body), "Answered after the restart.") {
		t.Fatalf("the reply in the thread started a new session: %s", last.Body)
	}
	if strings.Contains(logs.String()+logs2.String(), e2eMailPass) {
		t.Fatal("the mailbox password was logged")
	}
}

// TestGatewayE2EEmailCronAndSend: a cron job whose model fails delivers
// the failure to email:ADDRESS; `hermes send email:ADDRESS` mails too.
func TestGatewayE2EEmailCronAndSend(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-broken-0000000000000001"}, Times: -1,
			Response: llmtest.Response{Status: 401, Error: "invalid api key"}},
	}})
	mb := emailtest.New(t, e2eMailbox, e2eMailPass)
	bin := chatBinary(t)
	home := emailHome(t, srv, mb, "cron:\n  enabled: true\nproviders:\n  broken:\n    base_url: "+srv.OpenAIBaseURL()+
		"\n    key_env: BROKEN_KEY\n", "BROKEN_KEY=sk-broken-0000000000000001")
	out, err := chatCmd(bin, home, t.TempDir(), "send", "email:ops@example.test", "Deploy finished.").CombinedOutput()
	if err != nil {
		t.Fatalf("hermes send: %v\n%s", err, out)
	}
	sent := mb.WaitSent(t, 1)
	if sent[0].To[0] != "ops@example.test" || !strings.Contains(sent[0].Body, "Deploy finished.") || sent[0].Subject != "Deploy finished." {
		t.Fatalf("hermes send mailed %+v", sent[0])
	}
	at := time.Now().UTC().Add(3 * time.Second).Format("2006-01-02 15:04:05Z")
	if out, err := chatCmd(bin, home, t.TempDir(), "cron", "create", at, "write the billing report", "--name", "billing",
		"--deliver", "email:ops@example.test", "--provider", "broken", "--model", "broken-model").CombinedOutput(); err != nil {
		t.Fatalf("cron create: %v\n%s", err, out)
	}
	_, logs := startEmailGateway(t, bin, home)
	mb.Wait(t, "the cron failure", func() bool { return mailsWith(mb, "billing") >= 1 })
	var failure emailtest.Sent
	for _, m := range mb.Sent() {
		if strings.Contains(m.Body, "billing") {
			failure = m
		}
	}
	if failure.To[0] != "ops@example.test" || !strings.Contains(failure.Body, "failed") || !strings.Contains(failure.Body, "401") {
		t.Fatalf("the failure mail does not say why: %+v\n%s", failure, logs.String())
	}
	if !strings.Contains(failure.Subject, "billing") {
		t.Errorf("failure subject %q", failure.Subject)
	}
}
