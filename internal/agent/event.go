package agent

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

// EventKind tells the events of a turn apart.
type EventKind int

// The events a Turn delivers, in order.
const (
	// EventText is a piece of the answer.
	EventText EventKind = iota
	// EventReasoning is a piece of the model's reasoning.
	EventReasoning
	// EventReset voids the text and reasoning streamed by the current
	// model call: it failed part-way (and is retried or handed to a
	// fallback) or was interrupted.
	EventReset
	// EventNotice is a line for the user: a provider switch, a child's
	// progress, a compression.
	EventNotice
	// EventWarning is something the user should know went wrong without
	// stopping the turn: a failed summary, a session store error.
	EventWarning
	// EventToolStart: a tool call begins (Tool, CallID, Args).
	EventToolStart
	// EventToolEnd: a tool call ended (Tool, CallID, IsError, Elapsed,
	// Text is the first line of its result).
	EventToolEnd
)

var kindNames = [...]string{"text", "reasoning", "reset", "notice", "warning", "tool_start", "tool_end"}

func (k EventKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Event is one thing that happened during a turn.
type Event struct {
	Kind      EventKind
	Text      string
	Tool      string // tool events: the tool's name
	CallID    string // tool events: the call's id
	Args      string // EventToolStart: a short, redacted preview of the arguments
	IsError   bool   // EventToolEnd: the call failed
	Elapsed   time.Duration
	Iteration int // the model call (from 1) the event belongs to
}

// emitter serialises events from the loop, the stream and parallel tools.
type emitter struct {
	mu   sync.Mutex
	on   func(Event)
	iter int
}

func (e *emitter) emit(ev Event) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.on == nil {
		return
	}
	if ev.Iteration == 0 {
		ev.Iteration = e.iter
	}
	e.on(ev)
}

// close stops delivery: a tool still running after an interrupt never
// calls the frontend after Turn returned.
func (e *emitter) close() {
	e.mu.Lock()
	e.on = nil
	e.mu.Unlock()
}

func (e *emitter) setIteration(n int) {
	e.mu.Lock()
	e.iter = n
	e.mu.Unlock()
}

// stream turns the Router's stream events into Events; it remembers
// whether any answer text arrived, so a non-streaming reply can still be
// shown.
type stream struct {
	em       *emitter
	streamed bool
}

func (s *stream) handle(ev llm.Event) {
	switch ev.Kind {
	case llm.EventText:
		s.streamed = true
		s.em.emit(Event{Kind: EventText, Text: ev.Text})
	case llm.EventReasoning:
		s.em.emit(Event{Kind: EventReasoning, Text: ev.Text})
	case llm.EventReset:
		s.streamed = false
		s.em.emit(Event{Kind: EventReset, Text: ev.Text})
	case llm.EventNotice:
		s.em.emit(Event{Kind: EventNotice, Text: ev.Text})
	}
}

// previewLen bounds an argument preview.
const previewLen = 80

// preview is a one-line, redacted, shortened view of a call's arguments:
// `{"path":"notes.txt"}` becomes `path=notes.txt`.
func preview(env *tools.Env, args string) string {
	var obj map[string]any
	out := strings.TrimSpace(args)
	if json.Unmarshal([]byte(args), &obj) == nil {
		parts := make([]string, 0, len(obj))
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			v, _ := json.Marshal(obj[k])
			s := string(v)
			if str, ok := obj[k].(string); ok {
				s = str
			}
			parts = append(parts, k+"="+s)
		}
		out = strings.Join(parts, " ")
	}
	out = strings.Join(strings.Fields(out), " ")
	if env != nil && env.Redactor != nil {
		out = env.Redactor.String(out)
	}
	return clip(out, previewLen)
}

// clip shortens s to about n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// firstLine is the first line of s, clipped.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return clip(s, 120)
}
