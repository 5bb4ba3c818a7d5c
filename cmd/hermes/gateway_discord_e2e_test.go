package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platforms/discord/discordfake"
	"github.com/hermes-go/hermes/internal/llmtest"
)

const (
	discordDM      = "2100000000000000042"
	discordUser    = "4100000000000000042"
	discordStrange = "4100000000000000007"
	discordDM7     = "2100000000000000007"
)

// discordHome is an e2e home whose gateway speaks to fake.
func discordHome(t *testing.T, srv *llmtest.Server, fake *discordfake.Server, cfg string, envLines ...string) string {
	t.Helper()
	home := e2eHome(t, srv)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\nplatforms:\n  discord:\n    enabled: true\n    base_url: "+
		fake.URL+"\n"+cfg)
	env := "DISCORD_BOT_TOKEN=" + discordfake.Token + "\n" + strings.Join(envLines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// startDiscordGateway runs `hermes gateway run` until Discord is connected.
func startDiscordGateway(t *testing.T, bin, home string) (*exec.Cmd, *syncBuf) {
	t.Helper()
	return startGateway(t, bin, home, "discord", 30*time.Second)
}

func discordSentWith(fake *discordfake.Server, s string) int {
	n := 0
	for _, p := range fake.Posted() {
		if p.Method == "send" && strings.Contains(p.Content, s) {
			n++
		}
	}
	return n
}

func discordWait(t *testing.T, what string, timeout time.Duration, cond func() bool, logs *syncBuf) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGatewayE2EDiscord: an allowlisted user's DM is answered; a gateway
// killed with -9 mid-turn answers the message exactly once after the
// restart; a message written while the gateway was down is caught up
// from the channel's history; an unknown user gets a pairing code and
// no turn; `hermes send discord:CHANNEL` posts without the agent; the
// token never reaches the log.
func TestGatewayE2EDiscord(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "first question"}, Response: llmtest.Response{Text: "First answer."}},
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "too late", Delay: llmtest.Duration(time.Minute)}},
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "Answered after the restart."}},
		{Match: llmtest.Match{Contains: "while you were down"}, Response: llmtest.Response{Text: "Caught up."}},
	}})
	fake := discordfake.New()
	t.Cleanup(fake.Close)
	bin := chatBinary(t)
	home := discordHome(t, srv, fake, "    unauthorized_dm_behavior: pair\ncron:\n  enabled: false\n", "DISCORD_ALLOWED_USERS="+discordUser)
	first, logs := startDiscordGateway(t, bin, home)

	fake.SendMessage(discordfake.Message{ChannelID: discordDM, AuthorID: discordUser, Content: "first question"})
	discordWait(t, "the first answer", 30*time.Second, func() bool { return discordSentWith(fake, "First answer.") == 1 }, logs)
	for _, p := range fake.Posted() {
		if p.Channel != discordDM {
			t.Fatalf("answered in %q, want %s", p.Channel, discordDM)
		}
	}

	fake.SendMessage(discordfake.Message{ChannelID: discordDM, AuthorID: discordUser, Content: "please survive the crash"})
	discordWait(t, "the model request", 30*time.Second, func() bool { return chatRequests(srv) >= 2 }, logs)
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	fake.Drop()
	fake.AddHistory(discordfake.Message{ChannelID: discordDM, AuthorID: discordUser, Content: "sent while you were down"})
	_, logs2 := startDiscordGateway(t, bin, home)
	discordWait(t, "the answer after the restart", 30*time.Second, func() bool { return discordSentWith(fake, "Answered after the restart.") >= 1 }, logs2)
	discordWait(t, "the caught-up answer", 30*time.Second, func() bool { return discordSentWith(fake, "Caught up.") >= 1 }, logs2)
	time.Sleep(500 * time.Millisecond)
	for text, want := range map[string]int{"Answered after the restart.": 1, "too late": 0, "Caught up.": 1, "First answer.": 1} {
		if n := discordSentWith(fake, text); n != want {
			t.Fatalf("%q posted %d times, want %d", text, n, want)
		}
	}

	// An unknown user: a pairing code, no turn.
	before := chatRequests(srv)
	fake.SendMessage(discordfake.Message{ChannelID: discordDM7, AuthorID: discordStrange, Content: "let me in"})
	discordWait(t, "the pairing code", 30*time.Second, func() bool { return discordSentWith(fake, "hermes pairing approve discord") == 1 }, logs2)
	if chatRequests(srv) != before {
		t.Fatal("an unknown user reached the model")
	}

	out, err := chatCmd(bin, home, t.TempDir(), "send", "discord:2100000000000000009", "deploy finished").CombinedOutput()
	if err != nil {
		t.Fatalf("hermes send: %v\n%s", err, out)
	}
	if discordSentWith(fake, "deploy finished") != 1 {
		t.Fatalf("hermes send posted nothing: %+v", fake.Posted())
	}
	for _, l := range []string{logs.String(), logs2.String(), string(out)} {
		if strings.Contains(l, discordfake.Token) {
			t.Fatal("the token reached the gateway's output")
		}
	}
}

// TestGatewayE2EDiscordCronFailure: a cron job's failure (the model
// answers 401) is delivered to a Discord thread.
func TestGatewayE2EDiscordCronFailure(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-broken-0000000000000003"}, Times: -1,
			Response: llmtest.Response{Status: 401, Error: "invalid api key"}},
	}})
	fake := discordfake.New()
	t.Cleanup(fake.Close)
	bin := chatBinary(t)
	home := discordHome(t, srv, fake, "cron:\n  enabled: true\nproviders:\n  broken:\n    base_url: "+srv.OpenAIBaseURL()+
		"\n    key_env: BROKEN_KEY\n", "BROKEN_KEY=sk-broken-0000000000000003")
	at := time.Now().UTC().Add(3 * time.Second).Format("2006-01-02 15:04:05Z")
	args := []string{"cron", "create", at, "write the billing report", "--name", "billing", "--deliver", "discord:2200000000000000001:2200000000000000002",
		"--provider", "broken", "--model", "broken-model"}
	if out, err := chatCmd(bin, home, t.TempDir(), args...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	_, logs := startDiscordGateway(t, bin, home)
	discordWait(t, "the cron failure", 60*time.Second, func() bool { return discordSentWith(fake, "billing") >= 1 }, logs)
	for _, p := range fake.Posted() {
		if p.Channel != "2200000000000000002" {
			t.Errorf("posted to %s, want the thread 2200000000000000002", p.Channel)
		}
		if !strings.Contains(p.Content, "failed") || !strings.Contains(p.Content, "401") {
			t.Errorf("the failure does not say why: %q", p.Content)
		}
	}
}
