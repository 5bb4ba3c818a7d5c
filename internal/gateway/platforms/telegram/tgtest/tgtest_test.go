package tgtest

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const tok = "123:" + "abcdefghijabcdefghijabcdefghijabcde"

type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func call(t *testing.T, s *Server, token, method string, body any) (int, answer) {
	t.Helper()
	code, a, err := rawCall(s, token, method, body)
	if err != nil {
		t.Fatal(err)
	}
	return code, a
}

// rawCall is call for goroutines, where t.Fatal is not allowed.
func rawCall(s *Server, token, method string, body any) (int, answer, error) {
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.URL()+"/bot"+token+"/"+method, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, answer{}, err
	}
	defer resp.Body.Close()
	var a answer
	err = json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a, err
}

// poll is getUpdates for goroutines: nil on any failure.
func poll(s *Server, params map[string]any) []Update {
	code, a, err := rawCall(s, tok, "getUpdates", params)
	var ups []Update
	if err != nil || code != 200 || json.Unmarshal(a.Result, &ups) != nil {
		return nil
	}
	return ups
}

func updates(t *testing.T, s *Server, params map[string]any) []Update {
	t.Helper()
	code, a := call(t, s, tok, "getUpdates", params)
	if code != 200 || !a.OK {
		t.Fatalf("getUpdates: %d %+v", code, a)
	}
	var ups []Update
	if err := json.Unmarshal(a.Result, &ups); err != nil {
		t.Fatal(err)
	}
	return ups
}

func TestOffsetRule(t *testing.T) {
	t.Parallel()
	s := New(t, tok)
	alice := User{ID: 1, FirstName: "A"}
	_, u1 := s.InjectMessage(Message{From: &alice, Text: "one"})
	_, u2 := s.InjectMessage(Message{From: &alice, Text: "two"})
	// served again until confirmed
	for range 2 {
		if ups := updates(t, s, map[string]any{"timeout": 0}); len(ups) != 2 || ups[0].UpdateID != u1 || ups[1].Message.Text != "two" {
			t.Fatalf("updates %+v", ups)
		}
	}
	if ups := updates(t, s, map[string]any{"offset": u2, "timeout": 0}); len(ups) != 1 || ups[0].UpdateID != u2 {
		t.Fatalf("after offset %d: %+v", u2, ups)
	}
	if s.Offset() != u2 || s.Pending() != 1 {
		t.Fatalf("offset %d pending %d", s.Offset(), s.Pending())
	}
	// forgotten for good: a call without offset does not bring it back
	if ups := updates(t, s, map[string]any{}); len(ups) != 1 || ups[0].UpdateID != u2 {
		t.Fatalf("without offset: %+v", ups)
	}
	if ups := updates(t, s, map[string]any{"offset": u2 + 1, "timeout": 0}); len(ups) != 0 {
		t.Fatalf("all confirmed: %+v", ups)
	}
	// negative offset keeps the last -offset updates
	s.InjectMessage(Message{From: &alice, Text: "3"})
	s.InjectMessage(Message{From: &alice, Text: "4"})
	if ups := updates(t, s, map[string]any{"offset": -1}); len(ups) != 1 || ups[0].Message.Text != "4" {
		t.Fatalf("negative offset: %+v", ups)
	}
}

func TestLongPoll(t *testing.T) {
	t.Parallel()
	s := New(t, tok)
	got := make(chan []Update, 1)
	go func() { got <- poll(s, map[string]any{"timeout": 30}) }()
	s.WaitCalls(t, "getUpdates", 1)
	s.InjectMessage(Message{From: &User{ID: 5}, Text: "wake up"})
	if ups := <-got; len(ups) != 1 || ups[0].Message.Text != "wake up" {
		t.Fatalf("long poll returned %+v", ups)
	}
	// a second poller ends the first with 409
	first := make(chan int, 1)
	go func() {
		code, _, _ := rawCall(s, tok, "getUpdates", map[string]any{"timeout": 30, "offset": 1 << 20})
		first <- code
	}()
	s.WaitCalls(t, "getUpdates", 2)
	s.Wait(t, "first poller waiting", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.poller != nil })
	done := make(chan []Update, 1)
	go func() { done <- poll(s, map[string]any{"timeout": 30}) }()
	if code := <-first; code != http.StatusConflict {
		t.Fatalf("first poller got %d, want 409", code)
	}
	s.InjectMessage(Message{From: &User{ID: 5}, Text: "again"})
	if ups := <-done; len(ups) != 1 {
		t.Fatalf("second poller %+v", ups)
	}
}

func TestMethodsAndErrors(t *testing.T) {
	t.Parallel()
	s := New(t, tok)
	s.AddChat(Private(9))
	if code, a := call(t, s, "999:wrong", "getMe", nil); code != 401 || a.ErrorCode != 401 {
		t.Fatalf("wrong token: %d %+v", code, a)
	}
	if code, _ := call(t, s, tok, "sendPhoto", nil); code != 404 {
		t.Fatalf("unknown method: %d", code)
	}
	var me User
	_, a := call(t, s, tok, "getMe", nil)
	if json.Unmarshal(a.Result, &me); me.Username != DefaultBot.Username || !me.IsBot {
		t.Fatalf("getMe %+v", me)
	}
	s.RateLimit("sendMessage", 4)
	if code, a := call(t, s, tok, "sendMessage", map[string]any{"chat_id": 9, "text": "x"}); code != 429 || a.Parameters.RetryAfter != 4 {
		t.Fatalf("429: %d %+v", code, a)
	}
	// multipart form, as go-telegram/bot sends, with a keyboard as JSON text
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("chat_id", "9")
	_ = mw.WriteField("text", "choose")
	_ = mw.WriteField("reply_markup", `{"inline_keyboard":[[{"text":"Yes","callback_data":"y"}]]}`)
	_ = mw.Close()
	resp, err := http.Post(s.URL()+"/bot"+tok+"/sendMessage", mw.FormDataContentType(), &buf)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("multipart send: %v %v", err, resp)
	}
	resp.Body.Close()
	// urlencoded
	resp, err = http.PostForm(s.URL()+"/bot"+tok+"/sendChatAction", url.Values{"chat_id": {"9"}, "action": {"typing"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("form action: %v %v", err, resp)
	}
	resp.Body.Close()
	sent := s.WaitSent(t, 1)
	if sent[0].Text != "choose" || sent[0].Keyboard[0][0].CallbackData != "y" || len(s.Actions()) != 1 {
		t.Fatalf("sent %+v actions %+v", sent, s.Actions())
	}
	cases := []struct {
		method string
		body   map[string]any
		want   string
	}{
		{"sendMessage", map[string]any{"chat_id": 10, "text": "x"}, "chat not found"},
		{"sendMessage", map[string]any{"chat_id": 9, "text": ""}, "message text is empty"},
		{"sendMessage", map[string]any{"chat_id": 9, "text": strings.Repeat("x", 4097)}, "message is too long"},
		{"sendMessage", map[string]any{"chat_id": 9, "text": "x", "reply_parameters": map[string]any{"message_id": 77}}, "message to be replied not found"},
		{"sendMessage", map[string]any{"chat_id": 9, "text": "x", "reply_markup": map[string]any{"inline_keyboard": [][]map[string]any{{{"text": "a", "callback_data": strings.Repeat("d", 65)}}}}}, "BUTTON_DATA_INVALID"},
		{"editMessageText", map[string]any{"chat_id": 9, "message_id": sent[0].MessageID, "text": "choose"}, "message is not modified"},
		{"editMessageText", map[string]any{"chat_id": 9, "message_id": 12345, "text": "y"}, "message to edit not found"},
		{"answerCallbackQuery", map[string]any{"callback_query_id": "nope"}, "query ID is invalid"},
		{"sendChatAction", map[string]any{"chat_id": 9, "action": "dancing"}, "wrong parameter action"},
	}
	for _, tc := range cases {
		code, a := call(t, s, tok, tc.method, tc.body)
		if code != 400 || !strings.Contains(a.Description, tc.want) {
			t.Errorf("%s %v: %d %q, want 400 %q", tc.method, tc.body, code, a.Description, tc.want)
		}
	}
	if _, err := s.InjectCallback(User{ID: 9}, 4242, "x"); err == nil {
		t.Fatal("callback on a message the bot never sent")
	}
}

func TestEntities(t *testing.T) {
	t.Parallel()
	got := Entities("🎉 @bot hi /new@bot x@y")
	want := []MessageEntity{{Type: "mention", Offset: 3, Length: 4}, {Type: "bot_command", Offset: 11, Length: 8}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("entities %+v, want %+v", got, want)
	}
}
