// Package tgtest is a fake Telegram Bot API server for tests. It listens
// on 127.0.0.1, answers {URL}/bot{token}/METHOD with the Bot API's JSON
// shapes, and lets a test play the users: inject messages and button
// presses, then wait for what the bot sent.
//
// Methods: getMe, getUpdates, sendMessage, editMessageText,
// sendChatAction, answerCallbackQuery and deleteWebhook. Parameters are
// read from a JSON body, a form (urlencoded or multipart) or the query, as
// the real server does.
//
// getUpdates follows Telegram's offset rule: an update is served again and
// again until a call's offset passes it, and is then forgotten for good
// (Offset reports the confirmed offset). A call with nothing pending waits
// until an update is injected or its timeout passes; a second concurrent
// call ends the first with 409 Conflict, as Telegram does.
//
// Typical use:
//
//	srv := tgtest.New(t, "123456:"+strings.Repeat("A", 35))
//	// point platforms.telegram.base_url at srv.URL()
//	srv.InjectMessage(tgtest.Message{Chat: tgtest.Private(42), From: tgtest.User{ID: 42}, Text: "hi"})
//	sent := srv.WaitSent(t, 1)
//
// FailNext makes the next calls of a method fail (429 with retry_after,
// 502, or a dropped connection with code 0) to test retries.
package tgtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// DefaultBot is the bot getMe returns unless SetMe changed it.
var DefaultBot = User{ID: 7000001, IsBot: true, FirstName: "Hermes", Username: "hermes_test_bot"}

// Server is a running fake Bot API.
type Server struct {
	token string
	srv   *http.Server
	ln    net.Listener

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	me       User
	updates  []Update // pending, ascending update_id
	nextUpd  int
	offset   int // confirmed: every update below it is forgotten
	nextMsg  int
	poller   chan struct{} // closed to end the waiting getUpdates with 409
	sent     []Sent
	edits    []Edit
	actions  []Action
	answers  []Answer
	queries  map[string]bool
	chats    map[int64]Chat
	msgs     map[msgKey]Message
	calls    map[string]int
	failures map[string][]Failure
	params   []Call
	webhook  string
}

// New starts a server for token on 127.0.0.1; tb.Cleanup closes it.
func New(tb testing.TB, token string) *Server {
	tb.Helper()
	s, err := Start(token)
	if err != nil {
		tb.Fatalf("tgtest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a server for token on 127.0.0.1 without a testing.TB;
// Close stops it.
func Start(token string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	s := &Server{
		token:    token,
		ln:       ln,
		changed:  make(chan struct{}),
		me:       DefaultBot,
		nextUpd:  100,
		nextMsg:  1,
		queries:  map[string]bool{},
		chats:    map[int64]Chat{},
		msgs:     map[msgKey]Message{},
		calls:    map[string]int{},
		failures: map[string][]Failure{},
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the base URL to configure (platforms.telegram.base_url).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Token is the bot token the server accepts.
func (s *Server) Token() string { return s.token }

// Close stops the server and ends waiting long polls.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	_ = s.srv.Close()
}

// SetMe changes the bot getMe returns.
func (s *Server) SetMe(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u.IsBot = true
	s.me = u
}

// Me is the bot getMe returns.
func (s *Server) Me() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.me
}

// Failure is an injected failure of one call.
type Failure struct {
	// Code is the HTTP status and error_code (429, 400, 502...); 0 drops
	// the connection without an answer.
	Code        int
	Description string
	RetryAfter  int // seconds, for 429
	// MigrateTo is the supergroup a group became (400 with
	// migrate_to_chat_id).
	MigrateTo int64
}

// FailNext makes the next len(f) calls of method fail, in order.
func (s *Server) FailNext(method string, f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], f...)
}

// SetWebhook sets a webhook: getUpdates then answers 409 until
// deleteWebhook is called, as Telegram does.
func (s *Server) SetWebhook(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = url
}

// Webhook is the webhook set, "" for none.
func (s *Server) Webhook() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// RateLimit makes the next call of method answer 429 with retry_after.
func (s *Server) RateLimit(method string, retryAfter int) {
	s.FailNext(method, Failure{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), RetryAfter: retryAfter})
}

// Calls is how many times method was called (failed calls included).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Call is one recorded request: its method and parameters as sent.
type Call struct {
	Method string
	Params map[string]json.RawMessage
}

// Requests returns every request received, in order.
func (s *Server) Requests() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.params...)
}

// Offset is the confirmed offset: updates below it are forgotten.
func (s *Server) Offset() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// Pending is the number of updates not yet confirmed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// InjectMessage queues a message update as if a user wrote it, filling
// message_id, date, a private chat for From when Chat is zero, and
// entities for @mentions and /commands; it returns the message and its
// update_id.
func (s *Server) InjectMessage(m Message) (Message, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.MessageID == 0 {
		m.MessageID = s.nextMsg
		s.nextMsg++
	}
	if m.Date == 0 {
		m.Date = time.Now().Unix()
	}
	if m.Chat.ID == 0 && m.From != nil {
		m.Chat = Private(m.From.ID)
	}
	if m.MessageThreadID != 0 && m.Chat.IsForum {
		m.IsTopicMessage = true
	}
	if m.Entities == nil {
		m.Entities = Entities(m.Text)
	}
	s.chats[m.Chat.ID] = m.Chat
	s.msgs[msgKey{m.Chat.ID, m.MessageID}] = m
	u := s.pushLocked(Update{Message: &m})
	if m.Chat.Type == "channel" {
		u.ChannelPost, u.Message = u.Message, nil
	}
	return m, u.UpdateID
}

// InjectCallback queues a button press by from on the bot's sent message
// messageID with data; it returns the callback query id.
func (s *Server) InjectCallback(from User, messageID int, data string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var msg *Message
	for _, m := range s.sent {
		if m.MessageID == messageID {
			mm := m.Message
			msg = &mm
		}
	}
	if msg == nil {
		return "", fmt.Errorf("tgtest: the bot sent no message %d", messageID)
	}
	id := fmt.Sprintf("cq%d", s.nextUpd)
	s.queries[id] = true
	s.pushLocked(Update{CallbackQuery: &CallbackQuery{ID: id, From: from, Message: msg, ChatInstance: "ci", Data: data}})
	return id, nil
}

func (s *Server) pushLocked(u Update) *Update {
	u.UpdateID = s.nextUpd
	s.nextUpd++
	s.updates = append(s.updates, u)
	s.notifyLocked()
	return &s.updates[len(s.updates)-1]
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Sent is a message the bot sent (sendMessage), with the message as
// returned to the bot.
type Sent struct {
	Message
	ReplyTo  int                      // reply_parameters.message_id or reply_to_message_id
	Keyboard [][]InlineKeyboardButton // reply_markup.inline_keyboard
}

// Edit is an editMessageText call that succeeded.
type Edit struct {
	ChatID    int64
	MessageID int
	Text      string
}

// Action is a sendChatAction call.
type Action struct {
	ChatID   int64
	ThreadID int
	Action   string
}

// Answer is an answerCallbackQuery call.
type Answer struct {
	ID   string
	Text string
}

// SentMessages returns what the bot sent so far.
func (s *Server) SentMessages() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Edits returns the successful edits so far.
func (s *Server) Edits() []Edit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Edit(nil), s.edits...)
}

// Actions returns the chat actions so far.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Action(nil), s.actions...)
}

// Answers returns the answered callback queries so far.
func (s *Server) Answers() []Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Answer(nil), s.answers...)
}

// WaitTimeout bounds the Wait helpers.
var WaitTimeout = 15 * time.Second

// Wait blocks until cond (called under no lock) is true, or fails tb after
// WaitTimeout.
func (s *Server) Wait(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	if err := s.WaitContext(context.Background(), WaitTimeout, cond); err != nil {
		tb.Fatalf("tgtest: waiting for %s: %v", what, err)
	}
}

// WaitContext blocks until cond is true, ctx ends or timeout passes.
func (s *Server) WaitContext(ctx context.Context, timeout time.Duration, cond func() bool) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return errors.New("timed out")
		}
	}
}

// WaitSent waits until the bot sent at least n messages and returns them.
func (s *Server) WaitSent(tb testing.TB, n int) []Sent {
	tb.Helper()
	s.Wait(tb, fmt.Sprintf("%d sent messages", n), func() bool { return len(s.SentMessages()) >= n })
	return s.SentMessages()
}

// WaitOffset waits until the confirmed offset reaches at least offset.
func (s *Server) WaitOffset(tb testing.TB, offset int) {
	tb.Helper()
	s.Wait(tb, fmt.Sprintf("offset %d", offset), func() bool { return s.Offset() >= offset })
}

// WaitCalls waits until method was called at least n times.
func (s *Server) WaitCalls(tb testing.TB, method string, n int) {
	tb.Helper()
	s.Wait(tb, fmt.Sprintf("%d calls of %s", n, method), func() bool { return s.Calls(method) >= n })
}

// Entities finds the mention and bot_command entities the Telegram client
// would attach to text (offsets in UTF-16 code units).
func Entities(text string) []MessageEntity {
	var out []MessageEntity
	u := utf16.Encode([]rune(text))
	for i := 0; i < len(u); i++ {
		c := u[i]
		if (c != '@' && c != '/') || (i > 0 && !space(u[i-1])) {
			continue
		}
		j := i + 1
		for j < len(u) && (word(u[j]) || (c == '/' && u[j] == '@')) {
			j++
		}
		if j-i < 2 {
			continue
		}
		typ := "mention"
		if c == '/' {
			typ = "bot_command"
		}
		out = append(out, MessageEntity{Type: typ, Offset: i, Length: j - i})
		i = j - 1
	}
	return out
}

func space(c uint16) bool { return c == ' ' || c == '\n' || c == '\t' }

func word(c uint16) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Private is a private chat with user id.
func Private(id int64) Chat { return Chat{ID: id, Type: "private"} }

// Group is a basic group.
func Group(id int64, title string) Chat { return Chat{ID: id, Type: "group", Title: title} }

// Supergroup is a supergroup; forum enables topics.
func Supergroup(id int64, title string, forum bool) Chat {
	return Chat{ID: id, Type: "supergroup", Title: title, IsForum: forum}
}

// Channel is a channel.
func Channel(id int64, title string) Chat { return Chat{ID: id, Type: "channel", Title: title} }

// Utf16Len is the length Telegram measures text by.
func Utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// AddChat makes a chat known, so the bot can send to it before any user
// wrote there (Telegram answers "chat not found" otherwise).
func (s *Server) AddChat(c Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[c.ID] = c
}

type msgKey struct {
	chat int64
	id   int
}
