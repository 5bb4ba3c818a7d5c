package apiserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
)

// chatRequest is what the server reads of a chat completion request.
type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	Stream   bool          `json:"stream"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// chatTurn is a decoded chat request: the turn's text, the system
// message, the text of the first user message (the session fingerprint)
// and the model name to echo.
type chatTurn struct {
	Text, System, FirstUser, Model string
	Stream                         bool
}

// decodeChat parses and checks a chat completion body.
func decodeChat(body []byte) (chatTurn, error) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return chatTurn{}, fmt.Errorf("invalid JSON body: %v", err)
	}
	if len(req.Messages) == 0 {
		return chatTurn{}, errors.New("messages must be a non-empty array")
	}
	t := chatTurn{Model: req.Model, Stream: req.Stream}
	var system []string
	for i, m := range req.Messages {
		text, err := contentText(m.Content)
		if err != nil {
			return chatTurn{}, fmt.Errorf("messages[%d].content: %v", i, err)
		}
		switch m.Role {
		case "system", "developer":
			system = append(system, text)
		case "user":
			if t.FirstUser == "" {
				t.FirstUser = text
			}
		case "assistant", "tool", "function":
		default:
			return chatTurn{}, fmt.Errorf("messages[%d].role: unknown role %q", i, m.Role)
		}
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role != "user" {
		return chatTurn{}, errors.New("the last message must have role user")
	}
	t.Text, _ = contentText(last.Content)
	if strings.TrimSpace(t.Text) == "" {
		return chatTurn{}, errors.New("the last user message has no text")
	}
	t.System = strings.Join(system, "\n")
	return t, nil
}

// contentText flattens a message content: a string, null, or an array
// of parts of which text parts ("text", "input_text", "output_text")
// count; other parts (images, files) are refused.
func contentText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("must be a string or an array of text parts")
	}
	var out []string
	for i, p := range parts {
		switch p.Type {
		case "text", "input_text", "output_text":
			if p.Text != nil {
				out = append(out, *p.Text)
			}
		default:
			return "", fmt.Errorf("part %d: type %q is not supported (text parts only)", i, p.Type)
		}
	}
	return strings.Join(out, "\n"), nil
}

// derivedSession is the session of a chat request without
// X-Hermes-Session-Id: a hash of its system message and first user
// message, which stay the same as a client resends the growing history.
func derivedSession(system, firstUser string) string {
	h := sha256.Sum256([]byte(system + "\x00" + firstUser))
	return "chat-" + hex.EncodeToString(h[:12])
}

func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	t, err := decodeChat(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error())
		return
	}
	session, err := sessionFromHeader(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_session_id", err.Error())
		return
	}
	if session == "" {
		session = derivedSession(t.System, t.FirstUser)
	}
	if t.Model == "" {
		t.Model = s.model
	}
	req := platform.TurnRequest{SessionKey: sessionKeyPrefix + session, Text: t.Text, System: t.System, Source: Name}
	c := completion{id: newID("chatcmpl-"), model: t.Model, created: s.now().Unix()}
	w.Header().Set(sessionHeader, session)
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	if t.Stream {
		s.streamChat(ctx, w, req, c)
		return
	}
	res, err := s.agent.Turn(ctx, req)
	if err != nil {
		s.turnError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": c.id, "object": "chat.completion", "created": c.created, "model": c.model,
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": res.Text},
			"finish_reason": "stop",
		}},
		"usage": usage(res),
	})
}

func usage(res platform.TurnResult) map[string]int {
	return map[string]int{
		"prompt_tokens":     res.InputTokens,
		"completion_tokens": res.OutputTokens,
		"total_tokens":      res.InputTokens + res.OutputTokens,
	}
}

// completion is the identity every chunk of one stream repeats.
type completion struct {
	id, model string
	created   int64
}

func (c completion) chunk(delta map[string]any, finish any) map[string]any {
	return map[string]any{
		"id": c.id, "object": "chat.completion.chunk", "created": c.created, "model": c.model,
		"choices": []map[string]any{{"index": 0, "delta": delta, "finish_reason": finish}},
	}
}

// sse writes Server-Sent Events; flush sends what was written (once per
// batch of agent events, not per event).
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, rc: http.NewResponseController(w)}
}

// send writes one event; name "" is a plain data event.
func (e *sse) send(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var sb strings.Builder
	if name != "" {
		sb.WriteString("event: " + name + "\n")
	}
	sb.WriteString("data: ")
	sb.Write(b)
	sb.WriteString("\n\n")
	return e.raw(sb.String())
}

func (e *sse) raw(s string) error {
	_, err := e.w.Write([]byte(s))
	return err
}

func (e *sse) flush() error { return e.rc.Flush() }

// streamChat runs the turn and streams its events: text deltas as
// chat.completion.chunk data events, tool starts and ends as
// "event: hermes.tool.progress" events (fields tool, label, toolCallId,
// status running|completed, as the Python Hermes sends them), then a
// final chunk with finish_reason and usage, then [DONE]. A failed turn
// sends an OpenAI error object instead of the final chunk.
func (s *Server) streamChat(ctx context.Context, w http.ResponseWriter, req platform.TurnRequest, c completion) {
	q := newEventQueue()
	req.Events = q.push
	type outcome struct {
		res platform.TurnResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := s.agent.Turn(ctx, req)
		q.close()
		done <- outcome{res, err}
	}()
	out := newSSE(w)
	_ = out.send("", c.chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	_ = out.flush()
	tools := toolCalls{}
	sentText := false
	broken := out.pump(ctx, q, func(ev platform.Event) error {
		switch ev.Kind {
		case "text":
			if ev.Text != "" {
				sentText = true
				return out.send("", c.chunk(map[string]any{"content": ev.Text}, nil))
			}
		case "tool", "tool_done":
			return out.send("hermes.tool.progress", tools.progress(ev))
		}
		return nil
	})
	o := <-done // the turn ends: ctx is cancelled when the client left
	if broken {
		return
	}
	if o.err != nil {
		s.logf("api_server: streamed turn failed: %v", o.err)
		var e apiError
		e.Error.Message, e.Error.Type, e.Error.Code = "agent turn failed", "server_error", "agent_error"
		if errors.Is(o.err, context.DeadlineExceeded) {
			e.Error.Message, e.Error.Code = "the agent did not finish in time", "timeout"
		}
		_ = out.send("", e)
		_ = out.raw("data: [DONE]\n\n")
		_ = out.flush()
		return
	}
	if !sentText && o.res.Text != "" {
		_ = out.send("", c.chunk(map[string]any{"content": o.res.Text}, nil))
	}
	final := c.chunk(map[string]any{}, "stop")
	final["usage"] = usage(o.res)
	_ = out.send("", final)
	_ = out.raw("data: [DONE]\n\n")
	_ = out.flush()
}

// pump writes the queue's events through write until the queue closes,
// the client leaves or a write fails (broken), flushing once per batch
// and sending a keepalive comment when the turn is silent.
func (e *sse) pump(ctx context.Context, q *eventQueue, write func(platform.Event) error) (broken bool) {
	for {
		evs, open := q.wait(ctx, keepaliveEvery)
		for _, ev := range evs {
			if err := write(ev); err != nil {
				return true
			}
		}
		if len(evs) > 0 && e.flush() != nil {
			return true
		}
		if !open || ctx.Err() != nil {
			return false
		}
		if len(evs) == 0 && (e.raw(": keepalive\n\n") != nil || e.flush() != nil) {
			return true
		}
	}
}

// toolCalls gives tool events call ids: a start opens call_N, the next
// end of the same tool closes the oldest open one.
type toolCalls struct {
	n    int
	open map[string][]string
}

func (t *toolCalls) progress(ev platform.Event) map[string]any {
	if t.open == nil {
		t.open = map[string][]string{}
	}
	p := map[string]any{"tool": ev.Tool, "label": ev.Text}
	if ev.Kind == "tool" {
		t.n++
		id := fmt.Sprintf("call_%d", t.n)
		t.open[ev.Tool] = append(t.open[ev.Tool], id)
		p["toolCallId"], p["status"] = id, "running"
		return p
	}
	ids := t.open[ev.Tool]
	id := ""
	if len(ids) > 0 {
		id, t.open[ev.Tool] = ids[0], ids[1:]
	}
	p["toolCallId"], p["status"] = id, "completed"
	return p
}

// eventQueue is an unbounded queue: the agent's Events callback must not
// block, the HTTP writer may be slow.
type eventQueue struct {
	mu     sync.Mutex
	items  []platform.Event
	closed bool
	notify chan struct{}
}

func newEventQueue() *eventQueue { return &eventQueue{notify: make(chan struct{}, 1)} }

func (q *eventQueue) push(ev platform.Event) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, ev)
	}
	q.mu.Unlock()
	q.signal()
}

func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *eventQueue) signal() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// wait returns the queued events, waiting up to idle for one; open is
// false once the queue is closed and drained.
func (q *eventQueue) wait(ctx context.Context, idle time.Duration) (evs []platform.Event, open bool) {
	take := func() ([]platform.Event, bool, bool) {
		q.mu.Lock()
		defer q.mu.Unlock()
		if len(q.items) > 0 {
			evs := q.items
			q.items = nil
			return evs, true, true
		}
		return nil, !q.closed, false
	}
	if evs, open, got := take(); got || !open {
		return evs, open
	}
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		select {
		case <-q.notify:
			// A signal may be left from events an earlier call took.
			if evs, open, got := take(); got || !open {
				return evs, open
			}
		case <-ctx.Done():
			return nil, true
		case <-timer.C:
			return nil, true
		}
	}
}
