package telegram

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/telegram/tgtest"
)

func TestFactory(t *testing.T) {
	t.Parallel()
	logs := &logBuf{}
	disabled := deps("http://127.0.0.1:1", testToken, logs)
	disabled.Config.Platforms.Telegram.Enabled = false
	cases := []struct {
		name    string
		d       platform.Deps
		wantErr string // "" for success
		disable bool
	}{
		{"disabled", disabled, "", true},
		{"no config", platform.Deps{}, "", true},
		{"no token", deps("http://127.0.0.1:1", "", logs), "TELEGRAM_BOT_TOKEN is not set: add TELEGRAM_BOT_TOKEN=", false},
		{"malformed token", deps("http://127.0.0.1:1", "12345:short-secret-value", logs), ".env is not a bot token", false},
		{"ok", deps("http://127.0.0.1:1/", testToken, logs), "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.d)
			switch {
			case tc.disable:
				if !errors.Is(err, platform.ErrDisabled) {
					t.Fatalf("err = %v, want ErrDisabled", err)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), ".env") {
					t.Fatalf("err = %v, want it to contain %q and name .env", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "short-secret-value") {
					t.Fatalf("error shows the token: %v", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if a.Name() != "telegram" || a.MaxLen() != 4096 || a.(platform.HomeChannel).Home() != "-100200300" {
					t.Fatalf("name %q maxlen %d", a.Name(), a.MaxLen())
				}
				var _ platform.Typer = a.(platform.Typer)
				var _ platform.Editor = a.(platform.Editor)
			}
		})
	}
	if platform.Adapters()["telegram"] == nil {
		t.Fatal("telegram is not registered")
	}
}

func TestInboundMapping(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	srv := r.srv
	bot := srv.Me()
	alice := tgtest.User{ID: 42, FirstName: "Alice", LastName: "A"}
	group := tgtest.Supergroup(-1001, "team", false)
	forum := tgtest.Supergroup(-1002, "forum", true)
	srv.AddChat(group)
	r.run(t, r.a)
	r.core.wait(t, "connected", func() bool { return len(r.core.connected) > 0 })
	// a message of the bot to reply to
	_, err := r.a.Send(context.Background(), platform.Outbound{ChatID: "-1001", Text: "earlier answer"})
	if err != nil {
		t.Fatal(err)
	}
	botMsgID := srv.SentMessages()[0].Message
	botMsgID.From = &bot

	cases := []struct {
		name string
		in   tgtest.Message
		want platform.Message // Platform, ID, At filled by the test
	}{
		{"dm", tgtest.Message{From: &alice, Text: "hello"},
			platform.Message{ChatID: "42", ChatType: platform.DM, UserID: "42", UserName: "Alice A", Text: "hello"}},
		{"group plain", tgtest.Message{From: &alice, Chat: group, Text: "talking among us"},
			platform.Message{ChatID: "-1001", ChatType: platform.Group, UserID: "42", UserName: "Alice A", Text: "talking among us"}},
		{"group mention", tgtest.Message{From: &alice, Chat: group, Text: "hey @Hermes_Test_Bot what time is it"},
			platform.Message{ChatID: "-1001", ChatType: platform.Group, UserID: "42", UserName: "Alice A", Text: "hey @Hermes_Test_Bot what time is it", Mentioned: true}},
		{"other bot mentioned", tgtest.Message{From: &alice, Chat: group, Text: "@hermes_test_bot2 hi"},
			platform.Message{ChatID: "-1001", ChatType: platform.Group, UserID: "42", UserName: "Alice A", Text: "@hermes_test_bot2 hi"}},
		{"reply to bot", tgtest.Message{From: &alice, Chat: group, Text: "and then?", ReplyToMessage: &botMsgID},
			platform.Message{ChatID: "-1001", ChatType: platform.Group, UserID: "42", UserName: "Alice A", Text: "and then?", Mentioned: true}},
		{"command to bot", tgtest.Message{From: &alice, Chat: group, Text: "/new@hermes_test_bot now"},
			platform.Message{ChatID: "-1001", ChatType: platform.Group, UserID: "42", UserName: "Alice A", Text: "/new now", Mentioned: true}},
		{"command to other bot", tgtest.Message{From: &alice, Chat: group, Text: "/new@otherbot"},
			platform.Message{ChatID: "-1001", ChatType: platform.Group, UserID: "42", UserName: "Alice A", Text: "/new@otherbot"}},
		{"forum topic", tgtest.Message{From: &alice, Chat: forum, MessageThreadID: 77, Text: "in a topic"},
			platform.Message{ChatID: "-1002", ThreadID: "77", ChatType: platform.Group, UserID: "42", UserName: "Alice A", Text: "in a topic"}},
		{"basic group", tgtest.Message{From: &alice, Chat: tgtest.Group(-5, "old"), Text: "hi"},
			platform.Message{ChatID: "-5", ChatType: platform.Group, UserID: "42", UserName: "Alice A", Text: "hi"}},
		{"photo caption", tgtest.Message{From: &alice, Caption: "look at this"},
			platform.Message{ChatID: "42", ChatType: platform.DM, UserID: "42", UserName: "Alice A", Text: "look at this"}},
		{"channel post", tgtest.Message{SenderChat: &tgtest.Chat{ID: -1003, Type: "channel", Title: "news"}, Chat: tgtest.Channel(-1003, "news"), Text: "posted"},
			platform.Message{ChatID: "-1003", ChatType: platform.Channel, UserID: "-1003", UserName: "news", Text: "posted"}},
	}
	// a sticker without text is acknowledged and not delivered
	_, skipped := srv.InjectMessage(tgtest.Message{From: &alice})
	ids := make([]int, len(cases))
	for i, tc := range cases {
		m, _ := srv.InjectMessage(tc.in)
		ids[i] = m.MessageID
	}
	r.core.wait(t, "all messages", func() bool { return len(r.core.inbound) >= len(cases) })
	got := r.core.messages()
	if len(got) != len(cases) {
		t.Fatalf("got %d messages, want %d (the textless one must be skipped): %+v", len(got), len(cases), got)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := got[i]
			if g.At.IsZero() || time.Since(g.At) > time.Hour {
				t.Errorf("At = %v", g.At)
			}
			want := tc.want
			want.Platform, want.ID, want.At = "telegram", itoa(ids[i]), g.At
			if g != want {
				t.Errorf("got  %+v\nwant %+v", g, want)
			}
		})
	}
	srv.WaitOffset(t, skipped+1)
}

func TestAddressed(t *testing.T) {
	t.Parallel()
	me := tgtestUser()
	cases := []struct {
		text      string
		entities  bool
		wantText  string
		mentioned bool
	}{
		{"@hermes_test_bot hi", false, "@hermes_test_bot hi", true},
		{"hi @hermes_test_botx", false, "hi @hermes_test_botx", false},
		{"mail me@hermes_test_bot", true, "mail me@hermes_test_bot", false},
		{"/help@hermes_test_bot", true, "/help", true},
		{"/help", true, "/help", false},
		{"🎉 @hermes_test_bot", true, "🎉 @hermes_test_bot", true},
		{"no mention", false, "no mention", false},
	}
	for _, tc := range cases {
		var ents = entitiesOf(tc.text, tc.entities)
		text, m := addressed(tc.text, ents, me)
		if text != tc.wantText || m != tc.mentioned {
			t.Errorf("addressed(%q) = %q, %v; want %q, %v", tc.text, text, m, tc.wantText, tc.mentioned)
		}
	}
}

func TestAckOnlyAfterInbound(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.core.failNext = 2
	alice := tgtest.User{ID: 42, FirstName: "Alice"}
	_, upd := r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "keep me"})
	stop := r.run(t, r.a)
	r.core.wait(t, "journaled", func() bool { return len(r.core.inbound) == 1 })
	r.core.mu.Lock()
	calls := r.core.calls
	r.core.mu.Unlock()
	if calls != 3 {
		t.Fatalf("Inbound called %d times, want 3 (two failures, the update fetched again each time)", calls)
	}
	if got := r.srv.Calls("getUpdates"); got < 3 {
		t.Fatalf("getUpdates called %d times, want at least 3", got)
	}
	if w := r.waited(); len(w) != 2 || w[0] != time.Second || w[1] != 2*time.Second {
		t.Fatalf("waits %v, want [1s 2s]: the backoff grows while the journal fails", w)
	}
	// after success the offset passes the update (next poll, or the final
	// confirmation when Run ends)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if off := r.srv.Offset(); off != upd+1 {
		t.Fatalf("confirmed offset %d, want %d", off, upd+1)
	}
	// a restarted adapter does not see the acknowledged message again
	r2 := &rig{srv: r.srv, core: newCore(), logs: r.logs}
	a2 := r2.adapter(t)
	_, upd2 := r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "new one"})
	r2.run(t, a2)
	r2.core.wait(t, "new message", func() bool { return len(r2.core.inbound) >= 1 })
	r.srv.WaitOffset(t, upd2+1)
	if got := r2.core.messages(); len(got) != 1 || got[0].Text != "new one" {
		t.Fatalf("after restart got %+v, want only the new message", got)
	}
}

func TestUnjournaledRedeliveredAfterRestart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.core.failNext = 1 << 30 // the journal is down
	alice := tgtest.User{ID: 42, FirstName: "Alice"}
	r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "first"})
	_, upd := r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "second"})
	stop := r.run(t, r.a)
	r.core.wait(t, "an attempt", func() bool { return r.core.calls >= 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if p := r.srv.Pending(); p != 2 {
		t.Fatalf("%d updates pending at the server, want 2 (none acknowledged)", p)
	}
	r2 := &rig{srv: r.srv, core: newCore(), logs: r.logs}
	r2.run(t, r2.adapter(t))
	r2.core.wait(t, "both", func() bool { return len(r2.core.inbound) == 2 })
	r.srv.WaitOffset(t, upd+1)
	if got := r2.core.messages(); got[0].Text != "first" || got[1].Text != "second" {
		t.Fatalf("order after restart: %+v", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// tgtestUser is the fake server's bot as telego sees it.
func tgtestUser() telego.User {
	return telego.User{ID: tgtest.DefaultBot.ID, Username: tgtest.DefaultBot.Username}
}

// entitiesOf is what a Telegram client attaches to text, or nil.
func entitiesOf(text string, with bool) []telego.MessageEntity {
	if !with {
		return nil
	}
	var out []telego.MessageEntity
	for _, e := range tgtest.Entities(text) {
		out = append(out, telego.MessageEntity{Type: e.Type, Offset: e.Offset, Length: e.Length})
	}
	return out
}
