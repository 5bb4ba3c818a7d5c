package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/runtime"
)

// Output formats of a one-shot run.
const (
	FormatText       = "text"        // the answer on stdout, progress on stderr
	FormatJSON       = "json"        // one Result object on stdout
	FormatStreamJSON = "stream-json" // one StreamEvent a line, then the Result
)

// Result is what a one-shot run prints with --format json, and the last
// line of stream-json (Type "result").
type Result struct {
	Type       string    `json:"type,omitempty"`
	Answer     string    `json:"answer"`
	SessionID  string    `json:"session_id"`
	Provider   string    `json:"provider"`
	Model      string    `json:"model"`
	Usage      llm.Usage `json:"usage"`
	Iterations int       `json:"iterations"`
	Exhausted  bool      `json:"exhausted"`
	LoopGuard  bool      `json:"loop_guard"`
	Error      string    `json:"error,omitempty"`
}

// StreamEvent is one agent.Event as a stream-json line.
type StreamEvent struct {
	Type      string `json:"type"` // the event kind: text, reasoning, reset, notice, warning, tool_start, tool_end
	Text      string `json:"text,omitempty"`
	Tool      string `json:"tool,omitempty"`
	CallID    string `json:"call_id,omitempty"`
	Args      string `json:"args,omitempty"`
	IsError   bool   `json:"is_error,omitempty"`
	ElapsedMS int64  `json:"elapsed_ms,omitempty"`
	Iteration int    `json:"iteration,omitempty"`
}

func streamEvent(ev agent.Event) StreamEvent {
	return StreamEvent{Type: ev.Kind.String(), Text: ev.Text, Tool: ev.Tool, CallID: ev.CallID, Args: ev.Args,
		IsError: ev.IsError, ElapsedMS: ev.Elapsed.Milliseconds(), Iteration: ev.Iteration}
}

// Once runs one unattended turn with prompt and prints it in format:
// nobody answers approvals (approvals.unattended decides) or clarify
// questions. A failed or interrupted turn is returned as the error after
// the session is saved; json formats also print it in their result.
func Once(ctx context.Context, o Options, prompt, format string) error {
	switch format {
	case "", FormatText, FormatJSON, FormatStreamJSON:
	default:
		return fmt.Errorf("unknown output format %q: want text, json or stream-json", format)
	}
	render := newRenderer(nil, &lockedWriter{w: o.Stderr}, o.redactor(), o.Config.Display.ToolProgress, false)
	render.setStyle(style{}, displayStyle(o.Config.Display, o.Stderr, o.Getenv))
	ro := runtime.Options{Unattended: true, Notify: func(l string) { render.line("  · " + l) }}
	rt, s, err := open(ctx, &o, o.Config, ro, o.Resume)
	if err != nil {
		return err
	}
	defer rt.Close()
	defer rt.EndSession(context.WithoutCancel(ctx), s)

	red := o.redactor()
	on := render.on
	enc := json.NewEncoder(o.Stdout)
	enc.SetEscapeHTML(false)
	var flushStream func()
	if format == FormatStreamJSON {
		on, flushStream = streamJSON(enc, red)
	}
	res, err := rt.Agent.Turn(ctx, s, prompt, on)
	if flushStream != nil {
		flushStream()
	}
	if ctx.Err() != nil && err != nil {
		err = ErrInterrupted
	}
	out := Result{SessionID: s.ID}
	if res != nil {
		out = Result{Answer: res.Text, SessionID: s.ID, Provider: res.Provider, Model: res.Model,
			Usage: res.Usage, Iterations: res.Iterations, Exhausted: res.Exhausted, LoopGuard: res.LoopGuard}
	}
	if err != nil {
		out.Answer, out.Error = "", err.Error()
	}
	out.Answer, out.Error = red.String(out.Answer), red.String(out.Error)
	switch format {
	case FormatJSON:
		enc.SetIndent("", "  ")
		if werr := enc.Encode(out); werr != nil && err == nil {
			err = werr
		}
	case FormatStreamJSON:
		out.Type = "result"
		if werr := enc.Encode(out); werr != nil && err == nil {
			err = werr
		}
	default:
		if err == nil {
			st := displayStyle(o.Config.Display, o.Stdout, o.Getenv)
			_, err = io.WriteString(o.Stdout, withNewline(st.answer(out.Answer)))
		}
	}
	if err != nil && !errors.Is(err, ErrInterrupted) {
		return fmt.Errorf("turn failed: %w", err)
	}
	return err
}

// streamJSON returns the event callback of --format stream-json and the
// function that ends its output. Every event passes the redactor: text
// and reasoning deltas through a redacting stream, so a secret split
// across deltas is masked; they come out as text (reasoning) events of
// whole lines, each at the latest delta's iteration. Other events are
// redacted whole, after the held text is written out.
func streamJSON(enc *json.Encoder, red *redact.Redactor) (on func(agent.Event), flush func()) {
	var (
		mu        sync.Mutex
		kind      agent.EventKind
		iteration int
		text      maskedStream
	)
	text = maskedStream{red: red, dst: writerFunc(func(p []byte) (int, error) {
		return len(p), enc.Encode(StreamEvent{Type: kind.String(), Text: string(p), Iteration: iteration})
	})}
	on = func(ev agent.Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Kind == agent.EventText || ev.Kind == agent.EventReasoning {
			if ev.Kind != kind {
				text.flush()
			}
			kind, iteration = ev.Kind, ev.Iteration
			text.write(ev.Text)
			return
		}
		text.flush()
		se := streamEvent(ev)
		se.Text, se.Args = red.String(se.Text), red.String(se.Args)
		enc.Encode(se)
	}
	flush = func() {
		mu.Lock()
		defer mu.Unlock()
		text.flush()
	}
	return on, flush
}

// writerFunc is an io.Writer of a function.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func withNewline(s string) string {
	if s == "" || s[len(s)-1] != '\n' {
		return s + "\n"
	}
	return s
}
