// Package slackfake is a local Slack for tests: the Web API methods the
// adapter calls (auth.test, apps.connections.open, chat.postMessage,
// chat.update) over HTTP, and a Socket Mode WebSocket that sends hello,
// pings and events_api / interactive envelopes and records acks. Like
// Slack, it sends an unacknowledged envelope again on the next
// connection. It listens on 127.0.0.1 only.
package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Tokens the fake accepts.
const (
	BotToken = "xoxb-1111-2222-fakefakefakefake"
	AppToken = "xapp-1-A111-2222-fakefakefakefake"
	BotUser  = "UHERMESBOT"
)

// Posted is one chat.postMessage or chat.update call.
type Posted struct {
	Method   string // chat.postMessage or chat.update
	Channel  string
	Text     string
	ThreadTS string
	TS       string // the ts the fake gave it (postMessage) or the edited one (update)
	Blocks   string // raw JSON of the blocks, "" for none
}

// Server is a running fake.
type Server struct {
	URL string // base URL: set platforms.slack.base_url to it
	srv *httptest.Server

	mu       sync.Mutex
	conn     *websocket.Conn
	connCh   chan struct{} // closed and replaced at each new connection
	conns    int
	pending  map[string][]byte // envelope id -> envelope, until acked
	order    []string
	acked    map[string]bool
	posted   []Posted
	nextTS   int
	nextEnv  int
	rateOnce bool // answer the next postMessage 429
	postCh   chan struct{}
}

// New starts a fake on 127.0.0.1.
func New() *Server {
	s := &Server{connCh: make(chan struct{}), pending: map[string][]byte{}, acked: map[string]bool{}, postCh: make(chan struct{}, 1000)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/auth.test", s.authTest)
	mux.HandleFunc("/api/apps.connections.open", s.open)
	mux.HandleFunc("/api/chat.postMessage", s.post)
	mux.HandleFunc("/api/chat.update", s.post)
	mux.HandleFunc("/link", s.link)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the fake.
func (s *Server) Close() {
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func bearer(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t
	}
	r.ParseForm()
	return r.Form.Get("token")
}

func (s *Server) authTest(w http.ResponseWriter, r *http.Request) {
	if bearer(r) != BotToken {
		reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	reply(w, map[string]any{"ok": true, "user_id": BotUser, "user": "hermes", "team": "Test Team", "team_id": "T1"})
}

func (s *Server) open(w http.ResponseWriter, r *http.Request) {
	if bearer(r) != AppToken {
		reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	reply(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(s.URL, "http") + "/link"})
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	if bearer(r) != BotToken {
		reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	r.ParseForm()
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	s.mu.Lock()
	if method == "chat.postMessage" && s.rateOnce {
		s.rateOnce = false
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	p := Posted{Method: method, Channel: r.Form.Get("channel"), Text: r.Form.Get("text"), ThreadTS: r.Form.Get("thread_ts"), Blocks: r.Form.Get("blocks")}
	if method == "chat.update" {
		p.TS = r.Form.Get("ts")
	} else {
		s.nextTS++
		p.TS = fmt.Sprintf("1800000000.%06d", s.nextTS)
	}
	s.posted = append(s.posted, p)
	s.mu.Unlock()
	s.postCh <- struct{}{}
	reply(w, map[string]any{"ok": true, "channel": p.Channel, "ts": p.TS, "text": p.Text})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// link is the Socket Mode WebSocket.
func (s *Server) link(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
	}
	s.conn = c
	s.conns++
	close(s.connCh)
	s.connCh = make(chan struct{})
	redeliver := make([][]byte, 0, len(s.order))
	for _, id := range s.order {
		if env, ok := s.pending[id]; ok {
			redeliver = append(redeliver, env)
		}
	}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A111"}, "debug_info": map[string]any{"host": "fake"}})
	c.WriteMessage(websocket.TextMessage, hello)
	for _, env := range redeliver {
		c.WriteMessage(websocket.TextMessage, env)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go s.pinger(c, done)
	defer close(done)
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if json.Unmarshal(data, &ack) == nil && ack.EnvelopeID != "" {
			s.mu.Lock()
			delete(s.pending, ack.EnvelopeID)
			s.acked[ack.EnvelopeID] = true
			s.mu.Unlock()
		}
	}
}

// pinger pings like Slack does; the client treats silence as a dead link.
func (s *Server) pinger(c *websocket.Conn, done chan struct{}) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			s.mu.Lock()
			err := c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// WaitConnected waits until n Socket Mode connections were made.
func (s *Server) WaitConnected(n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, ch := s.conns, s.connCh
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-deadline:
			return fmt.Errorf("slackfake: %d socket connections after %s, want %d", got, timeout, n)
		}
	}
}

// Message is a user message for SendMessage.
type Message struct {
	Channel     string
	ChannelType string // im, channel, group, mpim
	User        string
	Text        string
	TS          string // "" picks one
	ThreadTS    string
	BotID       string
	SubType     string
}

// SendMessage sends m as an events_api envelope of a message event and
// returns the envelope id.
func (s *Server) SendMessage(m Message) string {
	if m.TS == "" {
		s.mu.Lock()
		s.nextTS++
		m.TS = fmt.Sprintf("1700000000.%06d", s.nextTS)
		s.mu.Unlock()
	}
	ev := map[string]any{"type": "message", "channel": m.Channel, "channel_type": m.ChannelType, "user": m.User,
		"text": m.Text, "ts": m.TS, "event_ts": m.TS}
	if m.ThreadTS != "" {
		ev["thread_ts"] = m.ThreadTS
	}
	if m.BotID != "" {
		ev["bot_id"] = m.BotID
	}
	if m.SubType != "" {
		ev["subtype"] = m.SubType
	}
	return s.send("events_api", Callback(ev))
}

// Callback wraps an inner event as an Events API event_callback.
func Callback(inner map[string]any) map[string]any {
	return map[string]any{"type": "event_callback", "team_id": "T1", "api_app_id": "A111", "event": inner,
		"event_id": "Ev" + fmt.Sprint(inner["ts"]), "event_time": 1700000000}
}

// PressButton sends an interactive envelope: user pressed the button
// with value in the message ts of channel.
func (s *Server) PressButton(channel, messageTS, user, value string) string {
	payload := map[string]any{
		"type": "block_actions", "trigger_id": "trig-" + value, "user": map[string]any{"id": user},
		"channel":   map[string]any{"id": channel},
		"container": map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel},
		"message":   map[string]any{"ts": messageTS},
		"actions":   []any{map[string]any{"action_id": "hermes_0", "block_id": "hermes_row_0", "type": "button", "value": value}},
	}
	return s.send("interactive", payload)
}

func (s *Server) send(typ string, payload any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextEnv++
	id := "env-" + strconv.Itoa(s.nextEnv)
	env, _ := json.Marshal(map[string]any{"type": typ, "envelope_id": id, "payload": payload, "accepts_response_payload": false})
	s.pending[id] = env
	s.order = append(s.order, id)
	if s.conn != nil {
		s.conn.WriteMessage(websocket.TextMessage, env)
	}
	return id
}

// Acked reports whether the envelope was acknowledged.
func (s *Server) Acked(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked[id]
}

// Drop closes the current Socket Mode connection (the client reconnects
// and gets the unacknowledged envelopes again).
func (s *Server) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// RateLimitNext makes the next chat.postMessage answer 429 Retry-After 1.
func (s *Server) RateLimitNext() {
	s.mu.Lock()
	s.rateOnce = true
	s.mu.Unlock()
}

// Posted returns the messages posted so far.
func (s *Server) Posted() []Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Posted(nil), s.posted...)
}

// WaitPosted waits until at least n messages were posted and returns them.
func (s *Server) WaitPosted(n int, timeout time.Duration) ([]Posted, error) {
	deadline := time.After(timeout)
	for {
		if p := s.Posted(); len(p) >= n {
			return p, nil
		}
		select {
		case <-s.postCh:
		case <-deadline:
			p := s.Posted()
			return p, fmt.Errorf("slackfake: %d messages posted after %s, want %d: %+v", len(p), timeout, n, p)
		}
	}
}
