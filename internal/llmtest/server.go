package llmtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// Server is a running scripted model server.
type Server struct {
	// URL is http://127.0.0.1:PORT, without a trailing slash.
	URL string

	srv       *http.Server
	quit      chan struct{}
	closeOnce sync.Once
	onRequest func(Request)
	ids       atomic.Int64 // response and request ids
	toolIDs   atomic.Int64 // default tool-call ids

	mu          sync.Mutex
	script      Script
	left        []int // uses left per step; -1 unlimited
	requests    []Request
	allowUnused bool
}

// Config tunes Listen.
type Config struct {
	// Addr is a loopback host:port; default 127.0.0.1:0 (any free port).
	Addr string
	// OnRequest, if set, sees each request once it has been answered.
	OnRequest func(Request)
}

// New starts a server for a test. t.Cleanup closes it and reports, with
// t.Errorf, script steps that were not used up, unless AllowUnused was
// called or the test was skipped.
func New(t testing.TB, s Script) *Server {
	t.Helper()
	srv, err := Start(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		if t.Skipped() {
			return // a test that skipped before using the script is not a failure
		}
		if unused := srv.Unused(); len(unused) > 0 {
			t.Errorf("llmtest: script steps not used up (call AllowUnused if that is expected):\n\t%s",
				strings.Join(unused, "\n\t"))
		}
	})
	return srv
}

// Start starts a server on 127.0.0.1 at a free port; the caller calls Close.
func Start(s Script) (*Server, error) {
	return Listen(s, Config{})
}

// Listen starts a server as c says; the caller calls Close.
func Listen(s Script, c Config) (*Server, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	addr, err := loopbackAddr(c.Addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("llmtest: %w", err)
	}
	srv := &Server{URL: "http://" + ln.Addr().String(), quit: make(chan struct{}), onRequest: c.OnRequest}
	srv.setScript(s)
	srv.srv = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.srv.Serve(ln) }()
	return srv, nil
}

// loopbackAddr checks that addr is on a loopback interface.
func loopbackAddr(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("llmtest: address %q: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("llmtest: address %q is not a loopback address (use 127.0.0.1:PORT)", addr)
	}
	return net.JoinHostPort(host, port), nil
}

// Close stops the server and ends requests in progress.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.quit)
		_ = s.srv.Close()
	})
}

// OpenAIBaseURL is URL + "/v1", the base URL openai-go wants.
func (s *Server) OpenAIBaseURL() string { return s.URL + "/v1" }

// AnthropicBaseURL is URL; anthropic-sdk-go appends /v1/messages.
func (s *Server) AnthropicBaseURL() string { return s.URL }

// Requests is every request so far, in order of arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Reset replaces the script and clears the recorded requests. Steps of the
// old script left unused are forgotten. It panics if the script is invalid.
func (s *Server) Reset(script Script) {
	if err := script.Validate(); err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.setScriptLocked(script)
}

// AllowUnused stops New's cleanup from reporting unused steps.
func (s *Server) AllowUnused() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowUnused = true
}

// Unused describes the steps with a finite Times that have uses left, one
// line each; nil after AllowUnused.
func (s *Server) Unused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.allowUnused {
		return nil
	}
	var out []string
	for i, st := range s.script.Steps {
		if left := s.left[i]; left > 0 {
			out = append(out, fmt.Sprintf("steps[%d] %s: %d of %d uses left; response %s",
				i, st.Match, left, st.remaining(), st.Response))
		}
	}
	return out
}

func (s *Server) setScript(script Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setScriptLocked(script)
}

func (s *Server) setScriptLocked(script Script) {
	if len(script.Models) == 0 {
		script.Models = []string{"scripted-model"}
	}
	s.script = script
	s.left = make([]int, len(script.Steps))
	for i, st := range script.Steps {
		s.left[i] = st.remaining()
	}
}

// answer picks the step for req, if it is a chat request that needs one,
// and records req. It returns the step's response and the request's number.
func (s *Server) answer(req *Request, needsStep bool) (Response, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req.Step = -1
	var resp Response
	if needsStep {
		for i, st := range s.script.Steps {
			if s.left[i] != 0 && st.Match.matches(req) {
				if s.left[i] > 0 {
					s.left[i]--
				}
				req.Step, resp = i, st.Response
				break
			}
		}
	}
	s.requests = append(s.requests, *req)
	return resp, len(s.requests)
}

func (s *Server) models() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.script.Models
}

func (m Match) matches(r *Request) bool {
	switch {
	case m.API != "" && m.API != r.API,
		m.Model != "" && m.Model != r.Model,
		m.Key != "" && m.Key != r.Key,
		m.Contains != "" && !strings.Contains(r.Turn(), m.Contains),
		m.HasTools != nil && *m.HasTools != (len(r.Tools) > 0),
		m.ToolResult && !r.hasToolResult():
		return false
	}
	return true
}

// String is the set fields of m, for messages.
func (m Match) String() string {
	var f []string
	add := func(k, v string) {
		if v != "" {
			f = append(f, k+": "+v)
		}
	}
	add("api", m.API)
	add("model", m.Model)
	add("key", m.Key)
	if m.Contains != "" {
		add("contains", fmt.Sprintf("%q", m.Contains))
	}
	if m.HasTools != nil {
		add("has_tools", fmt.Sprint(*m.HasTools))
	}
	if m.ToolResult {
		add("tool_result", "true")
	}
	return "{" + strings.Join(f, ", ") + "}"
}

// String summarises r, for messages.
func (r Response) String() string {
	switch {
	case r.Raw != "":
		return fmt.Sprintf("raw %d", r.status())
	case r.status() >= 300:
		return fmt.Sprintf("%d %q", r.status(), r.Error)
	}
	s := fmt.Sprintf("text %q", clip(r.Text, 40))
	for _, tc := range r.ToolCalls {
		s += " tool " + tc.Name
	}
	return s
}

// clip shortens s to about n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// maxBody bounds a request body.
const maxBody = 64 << 20

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return
	}
	api := apiOf(r)
	req := &Request{API: api, Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(),
		Key: requestKey(api, r.Header), Body: body}
	if s.onRequest != nil {
		// Deferred: a cut stream ends the handler with a panic.
		defer func() { s.onRequest(*req) }()
	}
	x := &exchange{srv: s, w: w, r: r, req: req}
	x.serve()
}

// apiOf is the API of a request: by path, else by its headers.
func apiOf(r *http.Request) string {
	switch {
	case r.URL.Path == "/v1/chat/completions":
		return apiOpenAI
	case r.URL.Path == "/v1/messages",
		r.Header.Get("Anthropic-Version") != "", r.Header.Get("X-Api-Key") != "":
		return apiAnthropic
	}
	return apiOpenAI
}

// exchange is one request being answered.
type exchange struct {
	srv  *Server
	w    http.ResponseWriter
	r    *http.Request
	req  *Request
	resp Response
	n    int // the request's number, from 1
	id   int64
	// includeUsage: openai stream_options.include_usage.
	includeUsage bool
}

func (x *exchange) serve() {
	x.id = x.srv.ids.Add(1)
	chat := x.r.Method == http.MethodPost
	var bad *apiError
	switch p := x.req.Path; {
	case chat && p == "/v1/chat/completions":
		var body openAIRequest
		body, bad = parseOpenAI(x.req)
		x.includeUsage = body.StreamOptions != nil && body.StreamOptions.IncludeUsage
	case chat && p == "/v1/messages":
		bad = parseAnthropic(x.req)
	case x.r.Method == http.MethodGet && (p == "/v1/models" || strings.HasPrefix(p, "/v1/models/")):
		x.resp, x.n = x.srv.answer(x.req, false)
		x.serveModels()
		return
	default:
		bad = &apiError{404, fmt.Sprintf("llmtest: no endpoint %s %s", x.r.Method, p)}
	}
	x.resp, x.n = x.srv.answer(x.req, bad == nil)
	switch {
	case bad != nil:
		x.writeError(bad.status, bad.msg)
	case x.req.Step < 0:
		x.writeError(500, x.noMatch())
	default:
		x.respond()
	}
}

func (x *exchange) noMatch() string {
	return fmt.Sprintf("llmtest: no scripted response for request #%d (%s, model %q, last user text %q)",
		x.n, x.req.API, x.req.Model, clip(x.req.Turn(), 200))
}

// respond sends the scripted response after its delay.
func (x *exchange) respond() {
	if !x.sleep(time.Duration(x.resp.Delay)) {
		return
	}
	rs := x.resp
	switch {
	case rs.Raw != "":
		x.writeRaw()
	case rs.status() >= 300:
		x.writeError(rs.status(), rs.Error)
	case x.req.Stream:
		x.stream()
	case rs.Malformed:
		x.writeBody(rs.status(), "application/json", []byte(malformedJSON))
	case rs.CutAfter > 0:
		x.writeHalf(x.complete())
	default:
		x.writeBody(rs.status(), "application/json", x.complete())
	}
}

// malformedJSON is a body cut in the middle of a JSON object.
const malformedJSON = `{"id": "llmtest-malformed", "choices": [{"index": 0, "content": [{"type": "text", "text": "trunc`

// sleep waits d; false if the client left or the server closed first.
func (x *exchange) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-x.r.Context().Done():
	case <-x.srv.quit:
	}
	return false
}

// header sets the default headers, then the scripted ones.
func (x *exchange) header(contentType string) {
	h := x.w.Header()
	h.Set("X-Request-Id", x.requestID())
	h.Set("Request-Id", x.requestID())
	h.Set("Content-Type", contentType)
	if strings.HasPrefix(contentType, "text/event-stream") {
		h.Set("Cache-Control", "no-cache")
		h.Set("Connection", "keep-alive")
	}
	for k, v := range x.resp.Headers {
		h.Set(k, v)
	}
}

func (x *exchange) requestID() string { return fmt.Sprintf("req_llmtest%06d", x.id) }

func (x *exchange) writeBody(status int, contentType string, body []byte) {
	x.header(contentType)
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

// writeHalf promises body but sends half of it, then drops the connection.
func (x *exchange) writeHalf(body []byte) {
	x.header("application/json")
	x.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(x.resp.status())
	_, _ = x.w.Write(body[:len(body)/2])
	_ = http.NewResponseController(x.w).Flush()
	panic(http.ErrAbortHandler)
}

func (x *exchange) writeRaw() {
	ct := "application/json"
	if x.req.Stream && x.resp.status() < 300 {
		ct = "text/event-stream; charset=utf-8"
	}
	x.writeBody(x.resp.status(), ct, []byte(x.resp.Raw))
}

func (x *exchange) writeError(status int, msg string) {
	if msg == "" {
		msg = http.StatusText(status)
	}
	x.writeBody(status, "application/json", x.errorBody(status, msg))
}

func (x *exchange) errorBody(status int, msg string) []byte {
	if x.req.API == apiAnthropic {
		return anthropicError(status, msg, x.requestID())
	}
	return openAIError(status, msg)
}

func (x *exchange) complete() []byte {
	if x.req.API == apiAnthropic {
		return x.anthropicComplete()
	}
	return x.openAIComplete()
}

func (x *exchange) stream() {
	switch {
	case x.resp.EmptyStream:
		x.startStream()
	case x.req.API == apiAnthropic:
		x.anthropicStream()
	default:
		x.openAIStream()
	}
}
