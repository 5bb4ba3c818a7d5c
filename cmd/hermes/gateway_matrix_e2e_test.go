package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/gateway/platforms/matrix/dendritetest"
	"github.com/hermes-go/hermes/internal/llmtest"
)

// matrixHome is an e2e home whose gateway talks to srv as bot.
func matrixHome(t *testing.T, llm *llmtest.Server, srv *dendritetest.Server, bot dendritetest.User, cfg string, envLines ...string) string {
	t.Helper()
	home := e2eHome(t, llm)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\nplatforms:\n  matrix:\n    enabled: true\n    homeserver: "+
		srv.URL+"\n    user_id: \""+bot.ID.String()+"\"\n"+cfg)
	env := "MATRIX_ACCESS_TOKEN=" + bot.Token + "\n" + strings.Join(envLines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// startMatrixGateway runs `hermes gateway run` until Matrix is connected.
func startMatrixGateway(t *testing.T, bin, home string) (*exec.Cmd, *syncBuf) {
	t.Helper()
	return startGateway(t, bin, home, "matrix", 60*time.Second)
}

// botSaid returns the bodies of the bot's messages in room, oldest first.
func botSaid(t *testing.T, cli *mautrix.Client, room id.RoomID, bot id.UserID) []string {
	t.Helper()
	resp, err := cli.Messages(context.Background(), room, "", "", mautrix.DirectionBackward, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(resp.Chunk) - 1; i >= 0; i-- {
		e := resp.Chunk[i]
		if e.Sender != bot || e.Type != event.EventMessage {
			continue
		}
		_ = e.Content.ParseRaw(e.Type)
		if c := e.Content.AsMessage(); c != nil {
			out = append(out, c.Body)
		}
	}
	return out
}

func countWith(bodies []string, s string) int {
	n := 0
	for _, b := range bodies {
		if strings.Contains(b, s) {
			n++
		}
	}
	return n
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// dmWithBot has user create a direct chat with bot and waits for bot to
// join (the gateway accepts the invite).
func dmWithBot(t *testing.T, cli *mautrix.Client, bot id.UserID) id.RoomID {
	t.Helper()
	ctx := context.Background()
	resp, err := cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{Invite: []id.UserID{bot}, IsDirect: true, Preset: "trusted_private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the bot to join", func() bool {
		m, err := cli.JoinedMembers(ctx, resp.RoomID)
		if err != nil {
			return false
		}
		_, ok := m.Joined[bot]
		return ok
	})
	return resp.RoomID
}

// TestGatewayE2EMatrixKilledMidTurn: a gateway killed with SIGKILL while
// the model answers a Matrix message answers it after a restart on the
// same home, exactly once.
func TestGatewayE2EMatrixKilledMidTurn(t *testing.T) {
	llm := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "too late", Delay: llmtest.Duration(time.Minute)}},
		{Match: llmtest.Match{Contains: "survive the crash"}, Response: llmtest.Response{Text: "Answered after the restart."}},
		{Match: llmtest.Match{Contains: "next question"}, Response: llmtest.Response{Text: "Next answer."}},
	}})
	srv := dendritetest.Start(t)
	bot, alice := srv.Register(t, "hermes"), srv.Register(t, "alice")
	bin := chatBinary(t)
	home := matrixHome(t, llm, srv, bot, "cron:\n  enabled: false\n", "MATRIX_ALLOWED_USERS="+alice.ID.String())
	first, logs := startMatrixGateway(t, bin, home)
	a := srv.Client(t, alice)
	room := dmWithBot(t, a, bot.ID)
	if _, err := a.SendText(context.Background(), room, "please survive the crash"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the model to be asked", func() bool { return chatRequests(llm) > 0 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if said := botSaid(t, a, room, bot.ID); len(said) != 0 {
		t.Fatalf("the bot spoke before the kill: %q\n%s", said, logs.String())
	}

	_, logs2 := startMatrixGateway(t, bin, home)
	waitUntil(t, "the answer after the restart", func() bool {
		return countWith(botSaid(t, a, room, bot.ID), "Answered after the restart.") >= 1
	})
	if _, err := a.SendText(context.Background(), room, "next question"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the next answer", func() bool { return countWith(botSaid(t, a, room, bot.ID), "Next answer.") == 1 })
	said := botSaid(t, a, room, bot.ID)
	if countWith(said, "Answered after the restart.") != 1 || countWith(said, "too late") != 0 || len(said) != 2 {
		t.Fatalf("the bot said %q\n%s", said, logs2.String())
	}
	if n := chatRequests(llm); n != 3 {
		t.Fatalf("model requests: %d, want 3 (killed, retried, next)", n)
	}
	for _, l := range []string{logs.String(), logs2.String()} {
		if strings.Contains(l, bot.Token) {
			t.Fatal("the access token was logged")
		}
	}
}

// TestGatewayE2EMatrixCronAndSend: a cron job's failure is delivered to
// matrix:!room:server (the room id's colon kept), and `hermes send`
// reaches the same room while the gateway runs.
func TestGatewayE2EMatrixCronAndSend(t *testing.T) {
	llm := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-broken-0000000000000001"}, Times: -1,
			Response: llmtest.Response{Status: 401, Error: "invalid api key"}},
	}})
	srv := dendritetest.Start(t)
	bot, alice := srv.Register(t, "hermes"), srv.Register(t, "alice")
	a := srv.Client(t, alice)
	ctx := context.Background()
	resp, err := a.CreateRoom(ctx, &mautrix.ReqCreateRoom{Invite: []id.UserID{bot.ID}, Preset: "private_chat", Name: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	room := resp.RoomID
	if _, err := srv.Client(t, bot).JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	bin := chatBinary(t)
	home := matrixHome(t, llm, srv, bot, "cron:\n  enabled: true\nproviders:\n  broken:\n    base_url: "+llm.OpenAIBaseURL()+
		"\n    key_env: BROKEN_KEY\n", "BROKEN_KEY=sk-broken-0000000000000001")
	at := time.Now().UTC().Add(3 * time.Second).Format("2006-01-02 15:04:05Z")
	target := "matrix:" + room.String()
	if out, err := chatCmd(bin, home, t.TempDir(), "cron", "create", at, "write the billing report", "--name", "billing",
		"--deliver", target, "--provider", "broken", "--model", "broken-model").CombinedOutput(); err != nil {
		t.Fatalf("cron create: %v\n%s", err, out)
	}
	_, logs := startMatrixGateway(t, bin, home)
	waitUntil(t, "the cron failure in the room", func() bool { return countWith(botSaid(t, a, room, bot.ID), "billing") >= 1 })
	said := botSaid(t, a, room, bot.ID)
	if !strings.Contains(said[0], "failed") || !strings.Contains(said[0], "401") {
		t.Fatalf("the failure does not say why: %q\n%s", said, logs.String())
	}
	out, err := chatCmd(bin, home, t.TempDir(), "send", target, "hello from hermes send").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sent to "+target) {
		t.Fatalf("hermes send: %v\n%s", err, out)
	}
	if n := countWith(botSaid(t, a, room, bot.ID), "hello from hermes send"); n != 1 {
		t.Fatalf("hermes send's message arrived %d times", n)
	}
}
