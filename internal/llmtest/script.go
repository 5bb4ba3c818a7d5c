// Package llmtest is a scripted model server on 127.0.0.1 that speaks the
// OpenAI Chat Completions and Anthropic Messages wire formats, streaming
// included, and can inject the failures providers produce (429 with
// Retry-After, 401, 402, 5xx, malformed bodies, cut or empty streams, slow
// responses). A script says which request gets which response; every request
// is recorded so tests can assert on what was sent.
//
// A script in YAML:
//
//	models: [gpt-4o]                     # GET /v1/models
//	steps:
//	  - match: {has_tools: true, contains: "notes.txt"}
//	    response:
//	      text: "Let me read it."
//	      tool_calls: [{name: read_file, arguments: '{"path": "notes.txt"}'}]
//	  - match: {tool_result: true}
//	    response: {text: "It says: buy milk.", chunk_size: 4}
//	  - match: {key: sk-limited}
//	    times: -1
//	    response: {status: 429, headers: {Retry-After: "120"}, error: "rate limited"}
//
// In a test:
//
//	srv := llmtest.New(t, script)
//	client := openai.NewClient(option.WithBaseURL(srv.OpenAIBaseURL()), option.WithAPIKey("sk-test"))
//	// ... then assert on srv.Requests().
package llmtest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Script is what the server answers. Steps are tried in order for each
// chat request; the first step that still has uses left and whose Match
// matches answers it.
type Script struct {
	Steps []Step `yaml:"steps"`
	// Models are listed by GET /v1/models, in the OpenAI format or, when the
	// request carries anthropic-version or x-api-key, the Anthropic format.
	// Default ["scripted-model"].
	Models []string `yaml:"models"`
}

// Step answers up to Times matching requests with Response.
type Step struct {
	Match Match `yaml:"match"`
	// Times is how many matching requests this step answers: 0 means 1,
	// -1 means every one from now on.
	Times    int      `yaml:"times"`
	Response Response `yaml:"response"`
}

// Match selects requests. All set fields must match; the zero Match
// matches anything.
type Match struct {
	API   string `yaml:"api"` // "openai" or "anthropic"
	Model string `yaml:"model"`
	// Key is the API key sent: the bearer token for openai, x-api-key for
	// anthropic (each falls back to the other header).
	Key string `yaml:"key"`
	// Contains is a substring of the current turn: the text of the messages
	// after the last assistant message (the last user message, or the tool
	// results of a follow-up after tool calls).
	Contains string `yaml:"contains"`
	HasTools *bool  `yaml:"has_tools"`
	// ToolResult: the request carries tool results after the last assistant
	// message (openai role "tool"; anthropic user message with tool_result).
	ToolResult bool `yaml:"tool_result"`
}

// Response is one scripted answer.
type Response struct {
	Status int `yaml:"status"` // default 200, or 500 when Error is set
	// Headers are added to the response, e.g. Retry-After; they override
	// the defaults.
	Headers map[string]string `yaml:"headers"`
	// Error is the message of an error body, formatted per API with the
	// error type that goes with the status.
	Error     string     `yaml:"error"`
	Text      string     `yaml:"text"`
	Reasoning string     `yaml:"reasoning"` // anthropic thinking block, openai reasoning_content
	ToolCalls []ToolCall `yaml:"tool_calls"`
	// Finish is the finish reason in either vocabulary (stop/end_turn,
	// length/max_tokens, tool_calls/tool_use); it is translated per API.
	// Default tool_calls/tool_use when ToolCalls, else stop/end_turn.
	Finish string `yaml:"finish"`
	// Usage defaults: input = len(request body)/4, output = len(output)/4+1.
	Usage Usage `yaml:"usage"`
	// ChunkSize is the bytes per streamed text or tool-argument delta
	// (never splitting a UTF-8 sequence); default 7.
	ChunkSize  int      `yaml:"chunk_size"`
	Delay      Duration `yaml:"delay"`       // before the response headers
	ChunkDelay Duration `yaml:"chunk_delay"` // between stream events
	// Malformed: non-streaming, a 200 whose body is not JSON; streaming, an
	// event whose data is not JSON halfway through the content.
	Malformed bool `yaml:"malformed"`
	// CutAfter closes a stream abruptly after that many content events
	// (text, reasoning and tool deltas; after the last one if there are
	// fewer): no finish, no [DONE] or message_stop, and an unterminated
	// chunked body, so the client reads an unexpected EOF. Non-streaming,
	// any value above 0 sends half the body, then drops the connection.
	CutAfter int `yaml:"cut_after"`
	// EmptyStream: a 200 text/event-stream that ends without any event.
	EmptyStream bool `yaml:"empty_stream"`
	// Raw is sent verbatim (with Status and Headers) instead of anything
	// generated.
	Raw string `yaml:"raw"`
}

// ToolCall is a scripted tool call, or one sent back by the client.
type ToolCall struct {
	// ID defaults to call_<n> (openai) or toolu_<n> (anthropic), n counting
	// up over the server's life.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Arguments is JSON text, streamed verbatim in pieces. A non-streamed
	// anthropic tool_use input is it as a compact object ({} when empty, a
	// JSON string when it is not JSON).
	Arguments string `yaml:"arguments"`
}

// Usage is a token count; zero fields take the defaults.
type Usage struct {
	Input  int `yaml:"input"`
	Output int `yaml:"output"`
}

// Duration is a time.Duration written in YAML as "150ms" or "2s".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want a value like 150ms or 2s", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// String is the Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }

// ParseScript reads a YAML script. Unknown keys are an error naming the line.
func ParseScript(data []byte) (Script, error) {
	var s Script
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.DisallowUnknownField()); err != nil {
		return Script{}, yamlError(err)
	}
	if err := s.Validate(); err != nil {
		return Script{}, err
	}
	return s, nil
}

// yamlError names the line and column of a YAML error and quotes the
// source around it.
func yamlError(err error) error {
	var yerr yaml.Error
	if !errors.As(err, &yerr) || yerr.GetToken() == nil {
		return fmt.Errorf("llmtest: script: %w", err)
	}
	pos := yerr.GetToken().Position
	_, source, _ := strings.Cut(yerr.FormatError(false, true), "\n")
	return fmt.Errorf("llmtest: script: line %d, column %d: %s\n%s", pos.Line, pos.Column, yerr.GetMessage(), strings.TrimRight(source, " \n"))
}

// LoadScript reads a YAML script from a file.
func LoadScript(path string) (Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Script{}, fmt.Errorf("llmtest: %w", err)
	}
	s, err := ParseScript(data)
	if err != nil {
		return Script{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Validate reports the first step with an impossible value.
func (s Script) Validate() error {
	for i, st := range s.Steps {
		if err := st.validate(); err != nil {
			return fmt.Errorf("llmtest: script: steps[%d]: %w", i, err)
		}
	}
	for _, m := range s.Models {
		if strings.TrimSpace(m) == "" {
			return errors.New("llmtest: script: empty model name in models")
		}
	}
	return nil
}

func (st Step) validate() error {
	switch st.Match.API {
	case "", apiOpenAI, apiAnthropic:
	default:
		return fmt.Errorf("match.api %q: want openai or anthropic", st.Match.API)
	}
	if st.Times < -1 {
		return fmt.Errorf("times %d: want -1 (always), 0 (once) or a count", st.Times)
	}
	r := st.Response
	switch {
	case r.Status != 0 && (r.Status < 100 || r.Status > 599):
		return fmt.Errorf("response.status %d: not an HTTP status", r.Status)
	case r.ChunkSize < 0:
		return fmt.Errorf("response.chunk_size %d: negative", r.ChunkSize)
	case r.CutAfter < 0:
		return fmt.Errorf("response.cut_after %d: negative", r.CutAfter)
	case r.Delay < 0 || r.ChunkDelay < 0:
		return errors.New("response: negative delay")
	case r.Error != "" && r.Status != 0 && r.Status < 400:
		return fmt.Errorf("response.error with status %d: an error body needs a 4xx or 5xx status", r.Status)
	}
	for j, tc := range r.ToolCalls {
		if tc.Name == "" {
			return fmt.Errorf("response.tool_calls[%d]: name is required", j)
		}
	}
	return nil
}

// remaining is how many uses a fresh step has; -1 is unlimited.
func (st Step) remaining() int {
	switch {
	case st.Times < 0:
		return -1
	case st.Times == 0:
		return 1
	}
	return st.Times
}

// status is the HTTP status of the response.
func (r Response) status() int {
	switch {
	case r.Status != 0:
		return r.Status
	case r.Error != "":
		return 500
	}
	return 200
}

func (r Response) chunkSize() int {
	if r.ChunkSize > 0 {
		return r.ChunkSize
	}
	return 7
}
