package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platforms/slack/slackfake"
	"github.com/hermes-go/hermes/internal/llmtest"
)

// slackHome is an e2e home whose gateway speaks Socket Mode to fake.
func slackHome(t *testing.T, srv *llmtest.Server, fake *slackfake.Server, cfg string, envLines ...string) string {
	t.Helper()
	home := e2eHome(t, srv)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\nplatforms:\n  slack:\n    enabled: true\n    base_url: "+
		fake.URL+"\n"+cfg)
	env := "SLACK_BOT_TOKEN=" + slackfake.BotToken + "\nSLACK_APP_TOKEN=" + slackfake.AppToken + "\n" + strings.Join(envLines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// startSlackGateway runs `hermes gateway run` until Slack is connected.
func startSlackGateway(t *testing.T, bin, home string) (*exec.Cmd, *syncBuf) {
	t.Helper()
	return startGateway(t, bin, home, "slack", 30*time.Second)
}

func postedWith(fake *slackfake.Server, s string) int {
	n := 0
	for _, p := range fake.Posted() {
		if p.Method == "chat.postMessage" && strings.Contains(p.Text, s) {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool, logs *syncBuf) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGatewayE2ESlack: an allowlisted user's DM is answered; a gateway
// killed with -9 mid-turn answers the message exactly once after the
// restart; an unknown user gets a pairing code and no turn; `hermes send
// slack:CHANNEL` posts without the agent.
func TestGatewayE2ESlack(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "first question"}, Response: llmtest.Response{Text: "First answer."}},
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "too late", Delay: llmtest.Duration(time.Minute)}},
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "Answered after the restart."}},
	}})
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	bin := chatBinary(t)
	home := slackHome(t, srv, fake, "    unauthorized_dm_behavior: pair\ncron:\n  enabled: false\n", "SLACK_ALLOWED_USERS=U42")
	first, logs := startSlackGateway(t, bin, home)

	fake.SendMessage(slackfake.Message{Channel: "D42", ChannelType: "im", User: "U42", Text: "first question"})
	waitFor(t, "the first answer", 30*time.Second, func() bool { return postedWith(fake, "First answer.") == 1 }, logs)
	for _, p := range fake.Posted() {
		if p.Channel != "D42" {
			t.Fatalf("answered in %q, want D42", p.Channel)
		}
	}

	fake.SendMessage(slackfake.Message{Channel: "D42", ChannelType: "im", User: "U42", Text: "please survive the crash"})
	waitFor(t, "the model request", 30*time.Second, func() bool { return chatRequests(srv) >= 2 }, logs)
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	_, logs2 := startSlackGateway(t, bin, home)
	waitFor(t, "the answer after the restart", 30*time.Second, func() bool { return postedWith(fake, "Answered after the restart.") >= 1 }, logs2)
	time.Sleep(500 * time.Millisecond)
	if n := postedWith(fake, "Answered after the restart."); n != 1 {
		t.Fatalf("answered %d times", n)
	}
	if n := postedWith(fake, "too late"); n != 0 {
		t.Fatalf("the killed turn's answer was posted %d times", n)
	}

	// An unknown user: a pairing code, no turn.
	before := chatRequests(srv)
	fake.SendMessage(slackfake.Message{Channel: "D7", ChannelType: "im", User: "U7", Text: "let me in"})
	waitFor(t, "the pairing code", 30*time.Second, func() bool { return postedWith(fake, "hermes pairing approve slack") == 1 }, logs2)
	if chatRequests(srv) != before {
		t.Fatal("an unknown user reached the model")
	}

	out, err := chatCmd(bin, home, t.TempDir(), "send", "slack:C9", "deploy finished").CombinedOutput()
	if err != nil {
		t.Fatalf("hermes send: %v\n%s", err, out)
	}
	if postedWith(fake, "deploy finished") != 1 {
		t.Fatalf("hermes send posted nothing: %+v", fake.Posted())
	}
}

// TestGatewayE2ESlackCronFailure: a cron job's failure (the model
// answers 401) is delivered to a Slack channel.
func TestGatewayE2ESlackCronFailure(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-broken-0000000000000002"}, Times: -1,
			Response: llmtest.Response{Status: 401, Error: "invalid api key"}},
	}})
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	bin := chatBinary(t)
	home := slackHome(t, srv, fake, "cron:\n  enabled: true\nproviders:\n  broken:\n    base_url: "+srv.OpenAIBaseURL()+
		"\n    key_env: BROKEN_KEY\n", "BROKEN_KEY=sk-broken-0000000000000002")
	at := time.Now().UTC().Add(3 * time.Second).Format("2006-01-02 15:04:05Z")
	args := []string{"cron", "create", at, "write the billing report", "--name", "billing", "--deliver", "slack:C0PS:1700000000.000100",
		"--provider", "broken", "--model", "broken-model"}
	if out, err := chatCmd(bin, home, t.TempDir(), args...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	_, logs := startSlackGateway(t, bin, home)
	waitFor(t, "the cron failure", 60*time.Second, func() bool { return postedWith(fake, "billing") >= 1 }, logs)
	for _, p := range fake.Posted() {
		if p.Channel != "C0PS" || p.ThreadTS != "1700000000.000100" {
			t.Errorf("posted to %s/%s, want C0PS in thread 1700000000.000100", p.Channel, p.ThreadTS)
		}
		if !strings.Contains(p.Text, "failed") || !strings.Contains(p.Text, "401") {
			t.Errorf("the failure does not say why: %q", p.Text)
		}
	}
}
