package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platforms/telegram/tgtest"
	"github.com/hermes-go/hermes/internal/llmtest"
)

// tgToken is shaped as telego requires: digits, a colon, 35 characters.
var tgToken = "123456:" + strings.Repeat("A", 35)

// telegramHome is an e2e home whose gateway polls tg, with envLines
// appended to the token in .env.
func telegramHome(t *testing.T, srv *llmtest.Server, tg *tgtest.Server, cfg string, envLines ...string) string {
	t.Helper()
	home := e2eHome(t, srv)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\nplatforms:\n  telegram:\n    enabled: true\n    base_url: "+
		tg.URL()+"\n"+cfg)
	env := "TELEGRAM_BOT_TOKEN=" + tgToken + "\n" + strings.Join(envLines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// startTelegramGateway runs `hermes gateway run` and waits until its
// Telegram adapter is connected; cleanup kills it.
func startTelegramGateway(t *testing.T, bin, home string) (*exec.Cmd, *syncBuf) {
	t.Helper()
	return startGateway(t, bin, home, "telegram", 30*time.Second)
}

// startGateway runs `hermes gateway run` for home and waits up to wait
// until its platform is connected; cleanup kills it.
func startGateway(t *testing.T, bin, home, platform string, wait time.Duration) (*exec.Cmd, *syncBuf) {
	t.Helper()
	cmd := chatCmd(bin, home, t.TempDir(), "gateway", "run")
	logs := &syncBuf{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(wait)
	for {
		st := gatewayStatus(t, bin, home)
		if st.Running && st.PID == cmd.Process.Pid && st.Platforms[platform].Connected {
			return cmd, logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never connected: %+v\n%s", platform, st, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// chatRequests counts the model's chat requests (model listings aside).
func chatRequests(srv *llmtest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			n++
		}
	}
	return n
}

// sentWith counts the messages the bot sent whose text contains s.
func sentWith(tg *tgtest.Server, s string) int {
	n := 0
	for _, m := range tg.SentMessages() {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// TestGatewayE2ETelegramPairing: an unknown user's DM gets a pairing code
// and no turn; `hermes pairing approve` lets them in; a user in
// TELEGRAM_ALLOWED_USERS goes straight through.
func TestGatewayE2ETelegramPairing(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "hello again"}, Response: llmtest.Response{Text: "Welcome in, paired user."}},
		{Match: llmtest.Match{Contains: "listed user here"}, Response: llmtest.Response{Text: "Hello, listed user."}},
	}})
	tg := tgtest.New(t, tgToken)
	bin := chatBinary(t)
	home := telegramHome(t, srv, tg, "    unauthorized_dm_behavior: pair\ncron:\n  enabled: false\n",
		"TELEGRAM_ALLOWED_USERS=77")
	gw, logs := startTelegramGateway(t, bin, home)

	stranger := tgtest.User{ID: 42, FirstName: "Stranger"}
	tg.InjectMessage(tgtest.Message{From: &stranger, Text: "hi, let me in"})
	sent := tg.WaitSent(t, 1)
	code := regexp.MustCompile(`\b[A-HJ-NP-Z2-9]{8}\b`).FindString(sent[0].Text)
	if sent[0].Chat.ID != 42 || code == "" {
		t.Fatalf("no pairing code sent to the stranger: %+v\n%s", sent[0], logs.String())
	}
	if strings.Contains(logs.String(), code) {
		t.Errorf("the pairing code was logged:\n%s", logs.String())
	}
	if n := chatRequests(srv); n != 0 {
		t.Fatalf("an unknown user reached the model (%d requests)", n)
	}

	wrong := "ABCDEFGH"
	if code == wrong {
		wrong = "HGFEDCBA"
	}
	if out, err := chatCmd(bin, home, t.TempDir(), "pairing", "approve", "telegram", wrong).CombinedOutput(); err == nil {
		t.Fatalf("a wrong code was approved:\n%s", out)
	}
	out, err := chatCmd(bin, home, t.TempDir(), "pairing", "approve", "telegram", strings.ToLower(code)).CombinedOutput()
	if err != nil {
		t.Fatalf("pairing approve: %v\n%s", err, out)
	}
	tg.InjectMessage(tgtest.Message{From: &stranger, Text: "hello again"})
	tg.Wait(t, "the paired user's answer", func() bool { return sentWith(tg, "Welcome in, paired user.") == 1 })
	if n := chatRequests(srv); n != 1 {
		t.Fatalf("model requests after pairing: %d", n)
	}

	listed := tgtest.User{ID: 77, FirstName: "Listed"}
	tg.InjectMessage(tgtest.Message{From: &listed, Text: "listed user here"})
	tg.Wait(t, "the listed user's answer", func() bool { return sentWith(tg, "Hello, listed user.") == 1 })
	for _, m := range tg.SentMessages() {
		if m.Chat.ID == 77 && m.Text != "Hello, listed user." {
			t.Errorf("the listed user was sent %q", m.Text)
		}
	}
	gw.Process.Signal(syscall.SIGTERM)
	if err := gw.Wait(); err != nil {
		t.Fatalf("SIGTERM exit: %v\n%s", err, logs.String())
	}
}

// TestGatewayE2ETelegramKilledMidTurn: a gateway killed with SIGKILL
// after fetching a Telegram message and before replying answers it after
// a restart on the same home, exactly once.
func TestGatewayE2ETelegramKilledMidTurn(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		// The first gateway's request hangs until the process is killed.
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "too late", Delay: llmtest.Duration(time.Minute)}},
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "Answered after the restart."}},
		{Match: llmtest.Match{Contains: "next question"}, Response: llmtest.Response{Text: "Next answer."}},
	}})
	tg := tgtest.New(t, tgToken)
	bin := chatBinary(t)
	home := telegramHome(t, srv, tg, "cron:\n  enabled: false\n", "TELEGRAM_ALLOWED_USERS=42")
	first, logs := startTelegramGateway(t, bin, home)

	user := tgtest.User{ID: 42, FirstName: "Ada"}
	tg.InjectMessage(tgtest.Message{From: &user, Text: "please survive the crash"})
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
	if n := sentWith(tg, "too late") + sentWith(tg, "Answered after the restart."); n != 0 {
		t.Fatalf("a reply was sent before the kill: %+v", tg.SentMessages())
	}

	_, logs2 := startTelegramGateway(t, bin, home)
	tg.Wait(t, "the answer after the restart", func() bool { return sentWith(tg, "Answered after the restart.") >= 1 })
	// A later message answered in order shows the first is settled.
	tg.InjectMessage(tgtest.Message{From: &user, Text: "next question"})
	tg.Wait(t, "the next answer", func() bool { return sentWith(tg, "Next answer.") == 1 })
	if n := sentWith(tg, "Answered after the restart."); n != 1 {
		t.Fatalf("the message was answered %d times:\n%s", n, logs2.String())
	}
	if n := sentWith(tg, "too late"); n != 0 {
		t.Fatalf("the killed turn's answer was sent %d times", n)
	}
	if n := chatRequests(srv); n != 3 {
		t.Fatalf("model requests: %d, want 3 (killed, retried, next)", n)
	}
}

// TestGatewayE2ETelegramCronDelivery: the gateway's scheduler runs jobs
// created with `hermes cron create --deliver telegram:CHAT`; a result and
// a failure (the model answers 401) both arrive in that chat.
func TestGatewayE2ETelegramCronDelivery(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-broken-0000000000000001"}, Times: -1,
			Response: llmtest.Response{Status: 401, Error: "invalid api key"}},
		{Match: llmtest.Match{Contains: "the uptime report"}, Response: llmtest.Response{Text: "Cron result: all services green."}},
	}})
	tg := tgtest.New(t, tgToken)
	const chat = -1001234567
	tg.AddChat(tgtest.Supergroup(chat, "ops", false))
	bin := chatBinary(t)
	home := telegramHome(t, srv, tg, "cron:\n  enabled: true\nproviders:\n  broken:\n    base_url: "+srv.OpenAIBaseURL()+
		"\n    key_env: BROKEN_KEY\n", "BROKEN_KEY=sk-broken-0000000000000001")
	at := time.Now().UTC().Add(3 * time.Second).Format("2006-01-02 15:04:05Z")
	target := "telegram:" + strconv.Itoa(chat)
	for _, args := range [][]string{
		{"cron", "create", at, "write the uptime report", "--name", "uptime", "--deliver", target},
		{"cron", "create", at, "write the billing report", "--name", "billing", "--deliver", target,
			"--provider", "broken", "--model", "broken-model"},
	} {
		if out, err := chatCmd(bin, home, t.TempDir(), args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	_, logs := startTelegramGateway(t, bin, home)
	tg.Wait(t, "the cron result and failure", func() bool {
		return sentWith(tg, "Cron result: all services green.") == 1 && sentWith(tg, "billing") >= 1
	})
	for _, m := range tg.SentMessages() {
		if m.Chat.ID != chat {
			t.Errorf("sent to chat %d, want %d: %q", m.Chat.ID, chat, m.Text)
		}
		t.Logf("sent: %q", m.Text)
	}
	var failure string
	for _, m := range tg.SentMessages() {
		if strings.Contains(m.Text, "billing") {
			failure = m.Text
		}
	}
	if !strings.Contains(failure, "failed") || !strings.Contains(failure, "401") {
		t.Errorf("the failure does not say why: %q\n%s", failure, logs.String())
	}
}
