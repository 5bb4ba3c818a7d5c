// Package discordfake is a local Discord for tests: the REST calls the
// adapter makes (users/@me, gateway, channel messages, typing, edits,
// message history, interaction callbacks) and a gateway WebSocket that
// says Hello, answers Identify with READY, Resume with RESUMED and
// heartbeats with acks, and dispatches MESSAGE_CREATE and
// INTERACTION_CREATE events. Like Discord, it does not keep events for a
// client that is not connected; they stay readable in the channel's
// history. It listens on 127.0.0.1 only.
package discordfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Identities the fake knows.
const (
	Token = "MTAwMDAwMDAwMDAwMDAwMDAx.FakeFk.fakefakefakefakefakefakefakefake0001"
	BotID = "1000000000000000001"
)

// Posted is one message sent or edited through the REST API.
type Posted struct {
	Method     string // "send" or "edit"
	Channel    string
	ID         string // the message id (new for a send, the edited one for an edit)
	Content    string
	ReplyTo    string // message_reference.message_id
	Components string // raw JSON of components, "" when absent
	Mentions   string // raw JSON of allowed_mentions
}

// Callback is one interaction callback.
type Callback struct {
	ID    string
	Token string
	Type  int
}

// Message is a user message for SendMessage and AddHistory.
type Message struct {
	ID        string // "" picks the next snowflake
	ChannelID string
	GuildID   string // "" for a DM
	AuthorID  string
	Username  string
	Bot       bool
	Content   string
	Mentions  []string // user ids mentioned
	WebhookID string
}

// Server is a running fake.
type Server struct {
	URL string // set platforms.discord.base_url to it
	srv *httptest.Server

	mu         sync.Mutex
	conn       *websocket.Conn
	conns      int
	identifies int
	resumes    int
	intents    int
	changed    chan struct{}
	seq        int64
	next       int64
	posted     []Posted
	typing     []string
	callbacks  []Callback
	history    map[string][]map[string]any // channel -> messages, oldest first
	histReads  []string                    // "channel after=ID"
	refuse     bool                        // close Identify with 4014
}

// New starts a fake on 127.0.0.1.
func New() *Server {
	s := &Server{changed: make(chan struct{}), history: map[string][]map[string]any{}, next: 1300000000000000000}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v9/users/@me", s.authed(s.me))
	mux.HandleFunc("GET /api/v9/gateway", s.authed(s.gateway))
	mux.HandleFunc("GET /api/v9/gateway/bot", s.authed(s.gateway))
	mux.HandleFunc("POST /api/v9/channels/{ch}/messages", s.authed(s.send))
	mux.HandleFunc("PATCH /api/v9/channels/{ch}/messages/{id}", s.authed(s.edit))
	mux.HandleFunc("GET /api/v9/channels/{ch}/messages", s.authed(s.read))
	mux.HandleFunc("POST /api/v9/channels/{ch}/typing", s.authed(s.type_))
	mux.HandleFunc("POST /api/v9/interactions/{id}/{token}/callback", s.callback)
	mux.HandleFunc("/ws", s.ws)
	mux.HandleFunc("/ws/", s.ws) // discordgo adds a trailing slash
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the fake.
func (s *Server) Close() {
	s.Drop()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) notifyLocked() { close(s.changed); s.changed = make(chan struct{}) }

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func tokenOK(t string) bool { return t == "Bot "+Token || t == Token }

func (s *Server) authed(f http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !tokenOK(r.Header.Get("Authorization")) {
			reply(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
			return
		}
		f(w, r)
	}
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request) {
	reply(w, 200, map[string]any{"id": BotID, "username": "hermes", "discriminator": "0", "bot": true})
}

func (s *Server) gateway(w http.ResponseWriter, _ *http.Request) {
	reply(w, 200, map[string]any{"url": "ws" + strings.TrimPrefix(s.URL, "http") + "/ws"})
}

func (s *Server) snowflakeLocked() string {
	s.next++
	return strconv.FormatInt(s.next, 10)
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Content    string          `json:"content"`
		Components json.RawMessage `json:"components"`
		Allowed    json.RawMessage `json:"allowed_mentions"`
		Reference  *struct {
			MessageID string `json:"message_id"`
		} `json:"message_reference"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	if len([]rune(body.Content)) > 2000 {
		reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	ch := r.PathValue("ch")
	s.mu.Lock()
	p := Posted{Method: "send", Channel: ch, ID: s.snowflakeLocked(), Content: body.Content, Components: raw(body.Components), Mentions: raw(body.Allowed)}
	if body.Reference != nil {
		p.ReplyTo = body.Reference.MessageID
	}
	s.posted = append(s.posted, p)
	msg := s.messageLocked(Message{ID: p.ID, ChannelID: ch, AuthorID: BotID, Username: "hermes", Bot: true, Content: p.Content})
	s.history[ch] = append(s.history[ch], msg)
	s.notifyLocked()
	s.mu.Unlock()
	reply(w, 200, msg)
}

func raw(m json.RawMessage) string {
	if len(m) == 0 || string(m) == "null" {
		return ""
	}
	return string(m)
}

func (s *Server) edit(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Content    *string         `json:"content"`
		Components json.RawMessage `json:"components"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || body.Content == nil {
		reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	s.mu.Lock()
	p := Posted{Method: "edit", Channel: r.PathValue("ch"), ID: r.PathValue("id"), Content: *body.Content, Components: raw(body.Components)}
	s.posted = append(s.posted, p)
	msg := s.messageLocked(Message{ID: p.ID, ChannelID: p.Channel, AuthorID: BotID, Username: "hermes", Bot: true, Content: p.Content})
	s.notifyLocked()
	s.mu.Unlock()
	reply(w, 200, msg)
}

func (s *Server) read(w http.ResponseWriter, r *http.Request) {
	ch := r.PathValue("ch")
	after := r.URL.Query().Get("after")
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	s.mu.Lock()
	s.histReads = append(s.histReads, ch+" after="+after)
	var out []map[string]any
	for _, m := range s.history[ch] { // oldest first
		if after == "" || less(after, m["id"].(string)) {
			out = append(out, m)
			if len(out) == limit {
				break
			}
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	// Discord answers newest first.
	sort.Slice(out, func(i, j int) bool { return less(out[j]["id"].(string), out[i]["id"].(string)) })
	if out == nil {
		out = []map[string]any{}
	}
	reply(w, 200, out)
}

func less(x, y string) bool {
	if len(x) != len(y) {
		return len(x) < len(y)
	}
	return x < y
}

func (s *Server) type_(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.typing = append(s.typing, r.PathValue("ch"))
	s.notifyLocked()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type int `json:"type"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		reply(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	s.mu.Lock()
	s.callbacks = append(s.callbacks, Callback{ID: r.PathValue("id"), Token: r.PathValue("token"), Type: body.Type})
	s.notifyLocked()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

// ws is the gateway: Hello, then Identify/Resume and heartbeats.
func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
	}
	s.conn = c
	s.writeLocked(c, map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 1000}})
	s.mu.Unlock()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			s.mu.Lock()
			if s.conn == c {
				s.conn = nil
			}
			s.mu.Unlock()
			return
		}
		var f frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		var d struct {
			Token   string `json:"token"`
			Intents int    `json:"intents"`
		}
		json.Unmarshal(f.D, &d)
		s.mu.Lock()
		switch f.Op {
		case 1:
			s.writeLocked(c, map[string]any{"op": 11})
		case 2, 6:
			if !tokenOK(d.Token) {
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."), time.Now().Add(time.Second))
				s.mu.Unlock()
				return
			}
			if f.Op == 2 && s.refuse {
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4014, "Disallowed intent(s)."), time.Now().Add(time.Second))
				s.mu.Unlock()
				return
			}
			if f.Op == 2 {
				s.identifies++
				s.intents = d.Intents
				s.dispatchLocked("READY", map[string]any{"v": 9, "session_id": "fake-session-" + strconv.Itoa(s.identifies),
					"resume_gateway_url": "ws" + strings.TrimPrefix(s.URL, "http") + "/ws",
					"user":               map[string]any{"id": BotID, "username": "hermes", "discriminator": "0", "bot": true},
					"guilds":             []any{}, "private_channels": []any{}})
			} else {
				s.resumes++
				s.dispatchLocked("RESUMED", map[string]any{})
			}
			s.conns++
			s.notifyLocked()
		}
		s.mu.Unlock()
	}
}

func (s *Server) writeLocked(c *websocket.Conn, v any) {
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	c.WriteJSON(v)
}

// dispatchLocked sends an op 0 event on the current connection; with no
// connection the event is lost, as on Discord between sessions.
func (s *Server) dispatchLocked(t string, d any) {
	s.seq++
	if s.conn != nil {
		s.writeLocked(s.conn, map[string]any{"op": 0, "t": t, "s": s.seq, "d": d})
	}
}

func (s *Server) messageLocked(m Message) map[string]any {
	if m.ID == "" {
		m.ID = s.snowflakeLocked()
	}
	mentions := []any{}
	for _, id := range m.Mentions {
		mentions = append(mentions, map[string]any{"id": id, "username": "u" + id})
	}
	name := m.Username
	if name == "" {
		name = "user" + m.AuthorID
	}
	msg := map[string]any{"id": m.ID, "channel_id": m.ChannelID, "type": 0, "content": m.Content,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "mentions": mentions, "tts": false, "pinned": false,
		"author": map[string]any{"id": m.AuthorID, "username": name, "discriminator": "0", "bot": m.Bot}}
	if m.GuildID != "" {
		msg["guild_id"] = m.GuildID
	}
	if m.WebhookID != "" {
		msg["webhook_id"] = m.WebhookID
	}
	return msg
}

// SendMessage dispatches m as MESSAGE_CREATE (and keeps it in the
// channel's history, as Discord does); it returns the message id.
func (s *Server) SendMessage(m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.messageLocked(m)
	s.history[m.ChannelID] = append(s.history[m.ChannelID], withoutGuild(msg))
	s.dispatchLocked("MESSAGE_CREATE", msg)
	return msg["id"].(string)
}

// AddHistory adds m to the channel's history without dispatching it: a
// message sent while the bot was not connected. It returns the id.
func (s *Server) AddHistory(m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := withoutGuild(s.messageLocked(m))
	s.history[m.ChannelID] = append(s.history[m.ChannelID], msg)
	return msg["id"].(string)
}

// withoutGuild is a message as the REST history returns it.
func withoutGuild(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "guild_id" {
			out[k] = v
		}
	}
	return out
}

// PressButton dispatches INTERACTION_CREATE: user pressed the button
// customID on message messageID; guildID "" is a DM. It returns the
// interaction id.
func (s *Server) PressButton(channelID, guildID, messageID, user, customID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.snowflakeLocked()
	u := map[string]any{"id": user, "username": "u" + user, "discriminator": "0"}
	ev := map[string]any{"id": id, "application_id": BotID, "type": 3, "token": "itoken-" + id, "version": 1,
		"channel_id": channelID, "data": map[string]any{"custom_id": customID, "component_type": 2},
		"message": map[string]any{"id": messageID, "channel_id": channelID, "content": "", "author": map[string]any{"id": BotID, "bot": true}}}
	if guildID != "" {
		ev["guild_id"] = guildID
		ev["member"] = map[string]any{"user": u, "roles": []any{}}
	} else {
		ev["user"] = u
	}
	s.dispatchLocked("INTERACTION_CREATE", ev)
	return id
}

// Drop closes the gateway connection (discordgo reconnects and resumes).
func (s *Server) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// Stats is a snapshot of the gateway's sessions.
type Stats struct {
	Sessions   int // READY or RESUMED answered
	Identifies int
	Resumes    int
	Intents    int // of the last Identify
}

// Stats returns the gateway's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Sessions: s.conns, Identifies: s.identifies, Resumes: s.resumes, Intents: s.intents}
}

// Posted returns the messages sent and edited so far.
func (s *Server) Posted() []Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Posted(nil), s.posted...)
}

// Typing returns the channels typed in so far.
func (s *Server) Typing() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.typing...)
}

// Callbacks returns the interaction callbacks so far.
func (s *Server) Callbacks() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Callback(nil), s.callbacks...)
}

// HistoryReads returns the history requests so far ("CHANNEL after=ID").
func (s *Server) HistoryReads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.histReads...)
}

// Wait waits until cond holds (checked after every change) or timeout.
func (s *Server) Wait(what string, timeout time.Duration, cond func() bool) error {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-deadline:
			return fmt.Errorf("discordfake: timed out after %s waiting for %s; posted %+v", timeout, what, s.Posted())
		}
	}
}

// RefuseIntents makes the gateway close every Identify with 4014
// (disallowed intents), as Discord does when the Message Content intent
// is not switched on in the developer portal.
func (s *Server) RefuseIntents(on bool) {
	s.mu.Lock()
	s.refuse = on
	s.mu.Unlock()
}
