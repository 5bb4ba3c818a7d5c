package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// obj is a JSON object that keeps its keys in order, as the real APIs
// write them.
type obj []kv

type kv struct {
	k string
	v any
}

// MarshalJSON writes the keys in order, without HTML escaping.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshal(f.k))
		b.WriteByte(':')
		b.Write(marshal(f.v))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is v as JSON without HTML escaping (like the real APIs).
func marshal(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		panic(fmt.Sprintf("llmtest: marshal %T: %v", v, err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// rawJSON is s as a JSON value if it is one, else as a JSON string.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("{}")
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	return marshal(s)
}

// chunks splits s into pieces of at most n bytes, never inside a UTF-8
// sequence (a piece holds at least one character).
func chunks(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		end := min(n, len(s))
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// finish is the finish reason of r in the vocabulary of api.
func (r Response) finish(api string) string {
	f := r.Finish
	if f == "" {
		f = "stop"
		if len(r.ToolCalls) > 0 {
			f = "tool_calls"
		}
	}
	toAnthropic := map[string]string{"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}
	if api == apiAnthropic {
		if g, ok := toAnthropic[f]; ok {
			return g
		}
		return f
	}
	for o, a := range toAnthropic {
		if f == a {
			return o
		}
	}
	return f
}

// usage is the scripted usage with the defaults filled in.
func (x *exchange) usage() Usage {
	u := x.resp.Usage
	if u.Input == 0 {
		u.Input = len(x.req.Body) / 4
	}
	if u.Output == 0 {
		n := len(x.resp.Text) + len(x.resp.Reasoning)
		for _, tc := range x.resp.ToolCalls {
			n += len(tc.Name) + len(tc.Arguments)
		}
		u.Output = n/4 + 1
	}
	return u
}

// toolCalls are the scripted tool calls with their default IDs.
func (x *exchange) toolCalls() []ToolCall {
	calls := append([]ToolCall(nil), x.resp.ToolCalls...)
	prefix := "call_"
	if x.req.API == apiAnthropic {
		prefix = "toolu_"
	}
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = fmt.Sprintf("%s%d", prefix, x.srv.toolIDs.Add(1))
		}
	}
	return calls
}

// event is one server-sent event; content events carry model output.
type event struct {
	name    string // "" for a data-only event
	data    []byte
	content bool
}

func dataEvent(name string, v any, content bool) event {
	return event{name: name, data: marshal(v), content: content}
}

// play streams events, with the scripted chunk delay, malformed event and
// cut. A client that leaves, or a cut, ends the handler.
func (x *exchange) play(events []event, malformed event) {
	x.startStream()
	var contentAt []int
	for i, e := range events {
		if e.content {
			contentAt = append(contentAt, i)
		}
	}
	malformedAfter, cutAfter := -1, -1
	if x.resp.Malformed {
		malformedAfter = 0
		if len(contentAt) > 0 {
			malformedAfter = contentAt[(len(contentAt)-1)/2]
		}
	}
	if n := x.resp.CutAfter; n > 0 {
		cutAfter = 0
		if len(contentAt) > 0 {
			cutAfter = contentAt[min(n, len(contentAt))-1]
		}
	}
	for i, e := range events {
		if i > 0 && !x.sleep(time.Duration(x.resp.ChunkDelay)) {
			panic(http.ErrAbortHandler)
		}
		x.send(e)
		if i == malformedAfter {
			x.send(malformed)
		}
		if i == cutAfter {
			// The chunked body is left unterminated: the client reads an
			// unexpected EOF.
			panic(http.ErrAbortHandler)
		}
	}
}

func (x *exchange) startStream() {
	x.header("text/event-stream; charset=utf-8")
	x.w.WriteHeader(x.resp.status())
	_ = http.NewResponseController(x.w).Flush()
}

// send writes and flushes one event; a client that left ends the handler.
func (x *exchange) send(e event) {
	var b bytes.Buffer
	if e.name != "" {
		b.WriteString("event: " + e.name + "\n")
	}
	b.WriteString("data: ")
	b.Write(e.data)
	b.WriteString("\n\n")
	if _, err := x.w.Write(b.Bytes()); err != nil {
		panic(http.ErrAbortHandler)
	}
	if err := http.NewResponseController(x.w).Flush(); err != nil {
		panic(http.ErrAbortHandler)
	}
}

// errorType is the error type (and, for openai, code) of a status.
func errorType(api string, status int) (typ, code string) {
	if api == apiAnthropic {
		return anthropicErrorType(status), ""
	}
	switch status {
	case 401:
		return "invalid_request_error", "invalid_api_key"
	case 402:
		return "insufficient_quota", "insufficient_quota"
	case 403:
		return "invalid_request_error", "permission_denied"
	case 404:
		return "invalid_request_error", "model_not_found"
	case 429:
		return "requests", "rate_limit_exceeded"
	}
	if status >= 500 {
		return "server_error", "server_error"
	}
	return "invalid_request_error", ""
}

func anthropicErrorType(status int) string {
	switch status {
	case 401:
		return "authentication_error"
	case 402:
		return "billing_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 504:
		return "timeout_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// openAIError is an OpenAI error body.
func openAIError(status int, msg string) []byte {
	typ, code := errorType(apiOpenAI, status)
	var c any
	if code != "" {
		c = code
	}
	return marshal(obj{{"error", obj{{"message", msg}, {"type", typ}, {"param", nil}, {"code", c}}}})
}

// anthropicError is an Anthropic error body.
func anthropicError(status int, msg, requestID string) []byte {
	return marshal(obj{{"type", "error"},
		{"error", obj{{"type", anthropicErrorType(status)}, {"message", msg}}},
		{"request_id", requestID}})
}
