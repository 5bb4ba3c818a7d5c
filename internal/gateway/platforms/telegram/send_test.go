package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/gateway/platforms/telegram/tgtest"
)

func TestSend(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	alice := tgtest.User{ID: 42, FirstName: "Alice"}
	asked, _ := r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "question"})
	r.srv.AddChat(tgtest.Supergroup(-1002, "forum", true))
	r.srv.AddChat(tgtest.Supergroup(-1001, "plain", false))
	approve := [][]platform.Button{{{Text: "Approve", Data: "approve:7"}, {Text: "Deny", Data: "deny:7"}}, {{Text: "Always", Data: "always:7"}}}
	cases := []struct {
		name    string
		o       platform.Outbound
		wantErr string
		check   func(t *testing.T, s tgtest.Sent)
	}{
		{name: "plain", o: platform.Outbound{ChatID: "42", Text: "answer"}, check: func(t *testing.T, s tgtest.Sent) {
			if s.Chat.ID != 42 || s.Text != "answer" || s.ReplyTo != 0 || s.Keyboard != nil || s.MessageThreadID != 0 {
				t.Errorf("sent %+v", s)
			}
		}},
		{name: "reply", o: platform.Outbound{ChatID: "42", Text: "re", ReplyTo: strconv.Itoa(asked.MessageID)}, check: func(t *testing.T, s tgtest.Sent) {
			if s.ReplyTo != asked.MessageID || s.ReplyToMessage == nil || s.ReplyToMessage.Text != "question" {
				t.Errorf("reply %+v", s)
			}
		}},
		{name: "reply to a deleted message is sent anyway", o: platform.Outbound{ChatID: "42", Text: "re", ReplyTo: "9999"}, check: func(t *testing.T, s tgtest.Sent) {
			if s.ReplyTo != 9999 || s.ReplyToMessage != nil {
				t.Errorf("reply %+v", s)
			}
		}},
		{name: "topic", o: platform.Outbound{ChatID: "-1002", ThreadID: "77", Text: "in topic"}, check: func(t *testing.T, s tgtest.Sent) {
			if s.MessageThreadID != 77 || !s.IsTopicMessage {
				t.Errorf("topic %+v", s)
			}
		}},
		{name: "buttons", o: platform.Outbound{ChatID: "42", Text: "run rm -rf build?", Buttons: approve}, check: func(t *testing.T, s tgtest.Sent) {
			want := [][]tgtest.InlineKeyboardButton{{{Text: "Approve", CallbackData: "approve:7"}, {Text: "Deny", CallbackData: "deny:7"}}, {{Text: "Always", CallbackData: "always:7"}}}
			if len(s.Keyboard) != 2 || len(s.Keyboard[0]) != 2 || s.Keyboard[0][1] != want[0][1] || s.Keyboard[1][0] != want[1][0] {
				t.Errorf("keyboard %+v", s.Keyboard)
			}
		}},
		{name: "channel by username", o: platform.Outbound{ChatID: "@plain", Text: "hi"}, check: func(t *testing.T, s tgtest.Sent) {
			if s.Chat.ID != -1001 {
				t.Errorf("chat %+v", s.Chat)
			}
		}},
		{name: "unknown chat", o: platform.Outbound{ChatID: "555", Text: "x"}, wantErr: "chat not found"},
		{name: "thread in a chat without topics", o: platform.Outbound{ChatID: "-1001", ThreadID: "3", Text: "x"}, wantErr: "message thread not found"},
		{name: "bad chat id", o: platform.Outbound{ChatID: "alice", Text: "x"}, wantErr: `chat "alice" is not a Telegram chat id`},
		{name: "bad reply id", o: platform.Outbound{ChatID: "42", Text: "x", ReplyTo: "abc"}, wantErr: "reply-to message id"},
		{name: "empty", o: platform.Outbound{ChatID: "42", Text: " "}, wantErr: "text is empty"},
		{name: "button data too long", o: platform.Outbound{ChatID: "42", Text: "x", Buttons: [][]platform.Button{{{Text: "a", Data: strings.Repeat("d", 65)}}}}, wantErr: "at most 64 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(r.srv.SentMessages())
			got, err := r.a.Send(context.Background(), tc.o)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if n := len(r.srv.SentMessages()); n != before {
					t.Fatalf("a failed send recorded a message")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			all := r.srv.SentMessages()
			if len(all) != before+1 {
				t.Fatalf("sent %d, want %d", len(all), before+1)
			}
			s := all[len(all)-1]
			if got.ID != strconv.Itoa(s.MessageID) {
				t.Fatalf("Sent.ID %q, server message %d", got.ID, s.MessageID)
			}
			tc.check(t, s)
		})
	}
}

func TestMaxLen(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.srv.AddChat(tgtest.Private(42))
	r.srv.InjectMessage(tgtest.Message{From: &tgtest.User{ID: 42}, Text: "q"}) // message 1
	emoji := strings.Repeat("🎉", 2049)                                         // 4098 UTF-16 units
	cases := []struct {
		name     string
		text     string
		wantErr  string
		messages int
	}{
		{"4096 ascii", strings.Repeat("a", 4096), "", 1},
		{"4097 ascii", strings.Repeat("a", 4097), "over the limit of 4096", 0},
		{"2048 emoji are 4096 UTF-16 units", strings.Repeat("🎉", 2048), "", 1},
		{"2049 emoji are split", emoji, "", 2},
		{"4096 emoji are split", strings.Repeat("😀", 4096), "", 2},
		{"4097 emoji", strings.Repeat("😀", 4097), "over the limit of 4096", 0},
		{"4096 cyrillic", strings.Repeat("ж", 4096), "", 1},
	}
	for _, tc := range cases {
		before := len(r.srv.SentMessages())
		got, err := r.a.Send(context.Background(), platform.Outbound{ChatID: "42", Text: tc.text, ReplyTo: "1",
			Buttons: [][]platform.Button{{{Text: "ok", Data: "ok"}}}})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sent := r.srv.SentMessages()[before:]
		if len(sent) != tc.messages {
			t.Fatalf("%s: %d messages, want %d", tc.name, len(sent), tc.messages)
		}
		var joined string
		for i, s := range sent {
			joined += s.Text
			if (i == 0) != (s.ReplyTo == 1) || (i == len(sent)-1) != (s.Keyboard != nil) {
				t.Errorf("%s: part %d reply %d keyboard %v", tc.name, i, s.ReplyTo, s.Keyboard)
			}
		}
		if joined != tc.text || got.ID != strconv.Itoa(sent[len(sent)-1].MessageID) {
			t.Errorf("%s: parts do not add up, or the id is not the last part's", tc.name)
		}
	}
	// an edit cannot split
	sent, err := r.a.Send(context.Background(), platform.Outbound{ChatID: "42", Text: "short"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.a.Edit(context.Background(), "42", sent.ID, emoji); err == nil || !strings.Contains(err.Error(), "limit of 4096") {
		t.Fatalf("Edit with 4098 units: %v", err)
	}
	if r.a.MaxLen() != 4096 {
		t.Fatal(r.a.MaxLen())
	}
}

func TestSplitUTF16(t *testing.T) {
	t.Parallel()
	cases := []struct {
		text  string
		limit int
		want  []string
	}{
		{"abc", 3, []string{"abc"}},
		{"abcd", 3, []string{"abc", "d"}},
		{"ab cd ef", 6, []string{"ab cd ", "ef"}},
		{"abcd\nefgh", 6, []string{"abcd\n", "efgh"}},
		{"🎉🎉🎉", 4, []string{"🎉🎉", "🎉"}},
		{"a🎉", 2, []string{"a", "🎉"}},
	}
	for _, tc := range cases {
		got := splitUTF16(tc.text, tc.limit)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("splitUTF16(%q, %d) = %q, want %q", tc.text, tc.limit, got, tc.want)
		}
	}
}

func TestEditTypingCallback(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	alice := tgtest.User{ID: 42, FirstName: "Alice"}
	r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "start"})
	r.srv.AddChat(tgtest.Supergroup(-1002, "forum", true))
	r.run(t, r.a)
	r.core.wait(t, "first message", func() bool { return len(r.core.inbound) == 1 })

	sent, err := r.a.Send(ctx, platform.Outbound{ChatID: "42", Text: "allow?", Buttons: [][]platform.Button{{{Text: "Yes", Data: "yes:1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.Atoi(sent.ID)
	q1, err := r.srv.InjectCallback(alice, id, "yes:1")
	if err != nil {
		t.Fatal(err)
	}
	r.srv.Wait(t, "answer", func() bool { return len(r.srv.Answers()) == 1 })
	r.core.mu.Lock()
	got := append([]platform.Callback(nil), r.core.pressed...)
	r.core.pressErr = errors.New("approval expired")
	r.core.mu.Unlock()
	want := platform.Callback{Platform: "telegram", ID: q1, ChatID: "42", UserID: "42", Data: "yes:1"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("pressed %+v, want %+v", got, want)
	}
	if a := r.srv.Answers()[0]; a.ID != q1 || a.Text != "" {
		t.Fatalf("answer %+v", a)
	}
	// a press the core fails on is still answered, with a notice
	q2, _ := r.srv.InjectCallback(alice, id, "yes:1")
	r.srv.Wait(t, "second answer", func() bool { return len(r.srv.Answers()) == 2 })
	if a := r.srv.Answers()[1]; a.ID != q2 || !strings.Contains(a.Text, "could not be handled") {
		t.Fatalf("answer %+v", a)
	}

	// edits
	if err := r.a.Edit(ctx, "42", sent.ID, "allowed"); err != nil {
		t.Fatal(err)
	}
	if err := r.a.Edit(ctx, "42", sent.ID, "allowed"); err != nil {
		t.Fatalf("the same text again: %v", err)
	}
	if e := r.srv.Edits(); len(e) != 1 || e[0] != (tgtest.Edit{ChatID: 42, MessageID: id, Text: "allowed"}) {
		t.Fatalf("edits %+v", e)
	}
	for _, bad := range []struct{ chat, msg, text, want string }{
		{"42", "1", "x", "message to edit not found"}, // the user's message
		{"42", "x", "x", "not a Telegram message id"},
		{"42", sent.ID, "", "text is empty"},
	} {
		if err := r.a.Edit(ctx, bad.chat, bad.msg, bad.text); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Edit(%q, %q) = %v, want %q", bad.msg, bad.text, err, bad.want)
		}
	}

	// typing, in a topic too
	if err := r.a.Typing(ctx, "42", ""); err != nil {
		t.Fatal(err)
	}
	if err := r.a.Typing(ctx, "-1002", "77"); err != nil {
		t.Fatal(err)
	}
	acts := r.srv.Actions()
	if len(acts) != 2 || acts[0] != (tgtest.Action{ChatID: 42, Action: "typing"}) || acts[1] != (tgtest.Action{ChatID: -1002, ThreadID: 77, Action: "typing"}) {
		t.Fatalf("actions %+v", acts)
	}
	if err := r.a.Typing(ctx, "555", ""); err == nil {
		t.Fatal("typing in an unknown chat succeeded")
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.srv.AddChat(tgtest.Private(42))
	ctx := context.Background()

	r.srv.RateLimit("sendMessage", 3)
	if _, err := r.a.Send(ctx, platform.Outbound{ChatID: "42", Text: "after the flood"}); err != nil {
		t.Fatal(err)
	}
	if n := r.srv.Calls("sendMessage"); n != 2 {
		t.Fatalf("sendMessage called %d times, want 2", n)
	}
	if w := r.waited(); len(w) != 1 || w[0] != 3*time.Second {
		t.Fatalf("waited %v, want [3s] (retry_after)", w)
	}
	// a flood that outlasts the retries is returned, with the code
	for range sendAttempts {
		r.srv.RateLimit("sendMessage", 1)
	}
	_, err := r.a.Send(ctx, platform.Outbound{ChatID: "42", Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "429") || retryAfter(err) != 1 {
		t.Fatalf("err = %v", err)
	}
	if n := len(r.srv.SentMessages()); n != 1 {
		t.Fatalf("%d messages sent, want 1", n)
	}

	// getUpdates and answerCallbackQuery wait too
	r.srv.RateLimit("getUpdates", 7)
	alice := tgtest.User{ID: 42, FirstName: "Alice"}
	r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "hi"})
	r.run(t, r.a)
	r.core.wait(t, "message after the 429", func() bool { return len(r.core.inbound) == 1 })
	found := false
	for _, w := range r.waited() {
		found = found || w == 7*time.Second
	}
	if !found {
		t.Fatalf("waited %v, want a 7s wait for getUpdates", r.waited())
	}
}

func TestNetworkErrorsReportedAndRetried(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.srv.FailNext("getMe", tgtest.Failure{Code: 0})
	r.srv.FailNext("getUpdates", tgtest.Failure{Code: 502}, tgtest.Failure{Code: 0})
	alice := tgtest.User{ID: 42, FirstName: "Alice"}
	r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "through the storm"})
	r.run(t, r.a)
	r.core.wait(t, "message", func() bool { return len(r.core.inbound) == 1 })
	r.core.mu.Lock()
	events := append([]connEvent(nil), r.core.connected...)
	r.core.mu.Unlock()
	var downs, ups int
	for _, e := range events {
		if e.up {
			ups++
			continue
		}
		downs++
		if e.err == nil || strings.Contains(e.err.Error(), testToken) {
			t.Errorf("down event error %v", e.err)
		}
	}
	if downs != 3 || ups < 2 || !events[len(events)-1].up {
		t.Fatalf("events %+v: want 3 downs, ups after recovery, up at the end", events)
	}
	w := r.waited()
	if len(w) != 3 || w[0] != time.Second || w[1] != time.Second || w[2] != 2*time.Second {
		t.Fatalf("backoff %v, want [1s 1s 2s]", w)
	}
}

func TestTokenNeverShown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	r.srv.AddChat(tgtest.Private(42))
	var errs []error
	// transport error: the URL with the token is in the library's error
	r.srv.FailNext("sendMessage", tgtest.Failure{Code: 0})
	_, err := r.a.Send(ctx, platform.Outbound{ChatID: "42", Text: "x"})
	errs = append(errs, err)
	r.srv.FailNext("editMessageText", tgtest.Failure{Code: 500})
	errs = append(errs, r.a.Edit(ctx, "42", "1", "x"))
	r.srv.FailNext("sendChatAction", tgtest.Failure{Code: 400, Description: "Bad Request: echo " + testToken})
	errs = append(errs, r.a.Typing(ctx, "42", ""))
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d succeeded", i)
		}
		if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), strings.Split(testToken, ":")[1]) {
			t.Fatalf("error %d shows the token: %v", i, err)
		}
	}
	if !strings.Contains(errs[0].Error(), "/bot***/sendMessage") {
		t.Errorf("transport error lost its shape: %v", errs[0])
	}

	// a refused token ends Run, without the token in the error or logs
	other := &rig{srv: tgtest.New(t, "987654321:"+strings.Repeat("B", 35)), core: newCore(), logs: r.logs}
	a := other.adapter(t)
	runErr := a.Run(ctx, other.core)
	if runErr == nil || !strings.Contains(runErr.Error(), "401") || strings.Contains(runErr.Error(), testToken) {
		t.Fatalf("Run = %v, want a 401 without the token", runErr)
	}
	if other.core.connected[len(other.core.connected)-1].up {
		t.Fatal("a refused token reported connected")
	}
	if logs := r.logs.String(); strings.Contains(logs, strings.Split(testToken, ":")[1]) || logs == "" {
		t.Fatalf("logs show the token or are empty:\n%s", logs)
	}
}

func TestWebhookDeletedAndGroupMigration(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.srv.SetWebhook("https://example.invalid/hook")
	alice := tgtest.User{ID: 42, FirstName: "Alice"}
	r.srv.InjectMessage(tgtest.Message{From: &alice, Text: "kept while the webhook was set"})
	r.run(t, r.a)
	r.core.wait(t, "message", func() bool { return len(r.core.inbound) == 1 })
	if r.srv.Webhook() != "" || r.srv.Calls("deleteWebhook") != 1 {
		t.Fatalf("webhook %q, deleteWebhook called %d times", r.srv.Webhook(), r.srv.Calls("deleteWebhook"))
	}
	if p := findParams(r.srv.Requests(), "deleteWebhook"); strings.Contains(string(p), "drop_pending_updates") {
		t.Fatalf("deleteWebhook dropped pending updates: %s", p)
	}

	r.srv.AddChat(tgtest.Group(-5, "old"))
	r.srv.AddChat(tgtest.Supergroup(-1005, "old", false))
	r.srv.FailNext("sendMessage", tgtest.Failure{Code: 400, Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateTo: -1005})
	if _, err := r.a.Send(context.Background(), platform.Outbound{ChatID: "-5", Text: "to the new home"}); err != nil {
		t.Fatal(err)
	}
	if s := r.srv.SentMessages(); len(s) != 1 || s[0].Chat.ID != -1005 {
		t.Fatalf("sent %+v", s)
	}
	if !strings.Contains(r.logs.String(), "became supergroup -1005") {
		t.Fatalf("migration not logged:\n%s", r.logs.String())
	}
}

func findParams(calls []tgtest.Call, method string) []byte {
	for _, c := range calls {
		if c.Method == method {
			b, _ := json.Marshal(c.Params)
			return b
		}
	}
	return nil
}
