// Package apiserver is the gateway's OpenAI-compatible HTTP service
// (platforms.api_server): /v1/chat/completions (streaming and not),
// /v1/responses (continued with previous_response_id), /v1/models,
// /v1/runs (asynchronous turns with Idempotency-Key) and /health. Every
// route but /health and CORS preflights needs the bearer key
// API_SERVER_KEY from the home's .env; turns run through the core's
// platform.Agent. Responses, runs and idempotency keys live in a small
// SQLite file in the platform's state directory.
package apiserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/redact"
)

// Name is the platform's registered name and its sessions' source.
const Name = "api_server"

// Defaults the config does not carry.
const (
	DefaultListen    = "127.0.0.1:8642"
	DefaultModel     = "hermes"
	MaxBody          = 1 << 20          // bytes of a request body; more is 413
	DefaultTimeout   = 10 * time.Minute // longest turn a request waits for
	keepaliveEvery   = 15 * time.Second // SSE comment while a turn is silent
	sessionHeader    = "X-Hermes-Session-Id"
	idempotencyKey   = "Idempotency-Key"
	idempotencyTTL   = 24 * time.Hour
	storeFile        = "apiserver.db"
	maxSessionIDLen  = 128
	sessionKeyPrefix = "agent:main:" + Name + ":dm:"
)

func init() { platform.RegisterService(Name, New) }

// Server is the API server; it implements platform.Service and io.Closer.
type Server struct {
	keyHash  [32]byte
	listen   string
	model    string
	origins  map[string]bool
	anyOrig  bool
	agent    platform.Agent
	logf     func(string, ...any)
	st       *store
	timeout  time.Duration
	now      func() time.Time
	handler  http.Handler
	runMu    sync.Mutex // serialises idempotency check-and-insert and closed
	closed   bool
	runs     sync.WaitGroup
	base     context.Context
	stopRuns context.CancelFunc
}

// New builds the server from d; it refuses to build without
// API_SERVER_KEY and returns platform.ErrDisabled when
// platforms.api_server.enabled is false.
func New(d platform.Deps) (platform.Service, error) {
	if d.Config == nil || !d.Config.Platforms.APIServer.Enabled {
		return nil, platform.ErrDisabled
	}
	return Open(d)
}

// Open builds the server whether or not the config enables it (tests and
// New use it).
func Open(d platform.Deps) (*Server, error) {
	var key string
	if d.Env != nil {
		key, _ = d.Env("API_SERVER_KEY")
	}
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("api_server: API_SERVER_KEY is not set: add API_SERVER_KEY=<a long random key> to the home's .env (the API server never runs without a key)")
	}
	if d.Agent == nil {
		return nil, errors.New("api_server: no agent to run turns (a gateway bug)")
	}
	if d.StateDir == "" {
		return nil, errors.New("api_server: no state directory (a gateway bug)")
	}
	logf := d.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	s := &Server{
		keyHash: sha256.Sum256([]byte(key)),
		listen:  DefaultListen,
		model:   DefaultModel,
		origins: map[string]bool{},
		agent:   d.Agent,
		logf:    logf,
		timeout: DefaultTimeout,
		now:     time.Now,
	}
	if d.Config != nil {
		c := d.Config.Platforms.APIServer
		if c.Listen != "" {
			s.listen = c.Listen
		}
		if c.ModelName != "" {
			s.model = c.ModelName
		}
		for _, o := range c.CORSOrigins {
			if o == "*" {
				s.anyOrig = true
			}
			s.origins[strings.TrimRight(o, "/")] = true
		}
	}
	if !loopback(s.listen) {
		logf("api_server: listening on %s, beyond this machine: anyone who reaches it needs only API_SERVER_KEY (platforms.api_server.listen)", s.listen)
	}
	st, err := openStore(filepath.Join(d.StateDir, storeFile))
	if err != nil {
		return nil, err
	}
	s.st = st
	s.base, s.stopRuns = context.WithCancel(context.Background())
	s.handler = s.routes()
	return s, nil
}

// loopback reports whether a host:port binds only this machine.
func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Name implements platform.Service.
func (s *Server) Name() string { return Name }

// Listen implements platform.Service: the server binds its own address.
func (s *Server) Listen() string { return s.listen }

// Handler implements platform.Service.
func (s *Server) Handler() http.Handler { return s.handler }

// SetTimeout changes the longest turn a request waits for (tests).
func (s *Server) SetTimeout(d time.Duration) { s.timeout = d }

// Close cancels runs still going, waits for them to record their end and
// closes the store.
func (s *Server) Close() error {
	s.runMu.Lock()
	s.closed = true
	s.runMu.Unlock()
	s.stopRuns()
	s.runs.Wait()
	return s.st.close()
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("POST /v1/chat/completions", s.chatCompletions)
	mux.HandleFunc("POST /v1/responses", s.responses)
	mux.HandleFunc("GET /v1/responses/{id}", s.getResponse)
	mux.HandleFunc("POST /v1/runs", s.startRun)
	mux.HandleFunc("GET /v1/runs/{id}", s.getRun)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "no route "+r.Method+" "+r.URL.Path)
	})
	return s.cors(s.auth(mux))
}

// auth checks the bearer key on everything but /health, in constant time.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			next.ServeHTTP(w, r)
			return
		}
		h := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !ok || subtle.ConstantTimeCompare(got[:], s.keyHash[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hermes"`)
			writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "invalid or missing API key: send Authorization: Bearer <API_SERVER_KEY>")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cors answers preflights and marks responses for allowed origins.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && (s.anyOrig || s.origins[strings.TrimRight(origin, "/")])
		if allowed {
			h := w.Header()
			if s.anyOrig {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
			}
			h.Set("Access-Control-Expose-Headers", sessionHeader)
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !allowed {
				writeError(w, http.StatusForbidden, "invalid_request_error", "cors_origin_denied", "origin not allowed: add it to platforms.api_server.cors_origins")
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, "+sessionHeader)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "platform": Name})
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data": []map[string]any{{
			"id": s.model, "object": "model", "created": 0, "owned_by": "hermes",
		}},
	})
}

// apiError is the OpenAI error envelope.
type apiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    string  `json:"code"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	var e apiError
	e.Error.Message, e.Error.Type, e.Error.Code = msg, typ, code
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// readBody reads at most MaxBody bytes; it writes the error itself and
// returns false when the body is too large or unreadable.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", fmt.Sprintf("request body over %d bytes", MaxBody))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_body", "read request body: "+err.Error())
		return nil, false
	}
	return b, true
}

// turnError answers a failed turn: 504 on timeout, 500 otherwise; the
// message is redacted.
func (s *Server) turnError(w http.ResponseWriter, err error) {
	msg := redact.Default().String(err.Error())
	s.logf("api_server: turn failed: %s", msg)
	if errors.Is(err, context.DeadlineExceeded) {
		writeError(w, http.StatusGatewayTimeout, "server_error", "timeout", "the agent did not finish in time")
		return
	}
	writeError(w, http.StatusInternalServerError, "server_error", "agent_error", "agent turn failed: "+msg)
}

// sessionFromHeader validates X-Hermes-Session-Id; "" when absent.
func sessionFromHeader(r *http.Request) (string, error) {
	id := strings.TrimSpace(r.Header.Get(sessionHeader))
	if id == "" {
		return "", nil
	}
	if !validID(id) {
		return "", fmt.Errorf("%s must be 1 to %d characters of letters, digits, '-', '_', '.' or ':'", sessionHeader, maxSessionIDLen)
	}
	return id, nil
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > maxSessionIDLen {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}
