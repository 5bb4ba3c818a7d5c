package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/runtime"
	"github.com/hermes-go/hermes/internal/store"
)

// Source is the sessions' source for chats through the gateway.
const Source = "gateway"

// RuntimeAgent runs turns over a runtime (frontend "gateway"): one agent
// session per session key, kept in the session store with that key so a
// conversation continues after a restart. It implements platform.Agent
// and Sessions.
type RuntimeAgent struct {
	RT *runtime.Runtime

	mu       sync.Mutex
	sessions map[string]*agent.Session // by session key
	keys     map[string]string         // session id → session key
	turnMu   map[string]*sync.Mutex    // one turn per key (services too)
}

var (
	_ platform.Agent = (*RuntimeAgent)(nil)
	_ Sessions       = (*RuntimeAgent)(nil)
)

// NewRuntimeAgent wraps rt.
func NewRuntimeAgent(rt *runtime.Runtime) *RuntimeAgent {
	return &RuntimeAgent{RT: rt, sessions: map[string]*agent.Session{}, keys: map[string]string{}, turnMu: map[string]*sync.Mutex{}}
}

// KeyOf returns the session key of a session id ("" when unknown): the
// approver finds the chat to ask with it.
func (a *RuntimeAgent) KeyOf(sessionID string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keys[sessionID]
}

// session returns key's session: in memory, else resumed from the store,
// else new.
func (a *RuntimeAgent) session(ctx context.Context, key string) (*agent.Session, *sync.Mutex, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.turnMu[key]
	if l == nil {
		l = &sync.Mutex{}
		a.turnMu[key] = l
	}
	if s := a.sessions[key]; s != nil {
		return s, l, nil
	}
	var s *agent.Session
	row, err := a.RT.Store.SessionByKey(ctx, Source, key)
	switch {
	case err == nil:
		s, err = a.RT.Resume(ctx, row.ID)
	case errors.Is(err, store.ErrNotFound):
		if s, err = a.RT.NewSession(ctx); err == nil {
			err = a.RT.Store.SetSessionKey(ctx, s.ID, key)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session %s: %w", key, err)
	}
	a.sessions[key], a.keys[s.ID] = s, key
	return s, l, nil
}

// Turn runs one turn in r.SessionKey's session.
func (a *RuntimeAgent) Turn(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
	s, l, err := a.session(ctx, r.SessionKey)
	if err != nil {
		return platform.TurnResult{}, err
	}
	l.Lock()
	defer l.Unlock()
	a.RT.SetOrigin(s, r.Origin)
	text := r.Text
	if r.System != "" {
		text = "[" + r.System + "]\n\n" + text
	}
	var on func(agent.Event)
	if r.Events != nil {
		on = func(e agent.Event) { forwardEvent(e, r.Events) }
	}
	res, err := a.RT.Agent.Turn(ctx, s, text, on)
	if err != nil {
		return platform.TurnResult{SessionID: s.ID}, err
	}
	return platform.TurnResult{Text: res.Text, SessionID: s.ID, InputTokens: res.Usage.InputTokens,
		OutputTokens: res.Usage.OutputTokens}, nil
}

// Reset ends key's session; the next turn starts a new one.
func (a *RuntimeAgent) Reset(ctx context.Context, key string) error {
	s, _, err := a.session(ctx, key)
	if err != nil {
		return err
	}
	a.mu.Lock()
	delete(a.sessions, key)
	delete(a.keys, s.ID)
	a.mu.Unlock()
	return a.RT.EndSession(ctx, s)
}

// Yolo toggles /yolo in key's session.
func (a *RuntimeAgent) Yolo(ctx context.Context, key string) (bool, error) {
	s, _, err := a.session(ctx, key)
	if err != nil {
		return false, err
	}
	if s.Env == nil || s.Env.Session == nil {
		return false, errors.New("this session has no approval state")
	}
	on := !s.Env.Session.Yolo()
	s.Env.Session.SetYolo(on)
	return on, nil
}

// Model names the model; switching per chat is not offered.
func (a *RuntimeAgent) Model(ctx context.Context, key, name string) (string, error) {
	row, err := a.sessionRow(ctx, key)
	if err != nil {
		return "", err
	}
	if name != "" {
		return "", fmt.Errorf("the model is set for the whole gateway: run `hermes model set %s` on the host (the gateway reloads config.yaml); now %s", name, row.Model)
	}
	return row.Model, nil
}

// Usage reads key's session totals from the store.
func (a *RuntimeAgent) Usage(ctx context.Context, key string) (Usage, error) {
	row, err := a.sessionRow(ctx, key)
	if err != nil {
		return Usage{}, err
	}
	return Usage{SessionID: row.ID, InputTokens: row.InputTokens, OutputTokens: row.OutputTokens, CostUSD: row.CostUSD}, nil
}

func (a *RuntimeAgent) sessionRow(ctx context.Context, key string) (store.Session, error) {
	s, _, err := a.session(ctx, key)
	if err != nil {
		return store.Session{}, err
	}
	return a.RT.Store.Session(ctx, s.ID)
}

// forwardEvent turns the agent's events into the platform's.
func forwardEvent(e agent.Event, out func(platform.Event)) {
	switch e.Kind {
	case agent.EventText:
		out(platform.Event{Kind: "text", Text: e.Text})
	case agent.EventToolStart:
		out(platform.Event{Kind: "tool", Tool: e.Tool, Text: e.Tool + " " + e.Args})
	case agent.EventToolEnd:
		out(platform.Event{Kind: "tool_done", Tool: e.Tool, Text: e.Text})
	}
}

// ChatApprover is a guard.Approver over Core.Approve. The runtime is
// opened before the core exists, so Bind sets the core and agent later.
type ChatApprover struct {
	mu      sync.Mutex
	core    *Core
	agent   *RuntimeAgent
	timeout func() time.Duration
}

var _ guard.Approver = (*ChatApprover)(nil)

// Bind sets where approvals are asked.
func (ap *ChatApprover) Bind(c *Core, a *RuntimeAgent) {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	ap.core, ap.agent = c, a
}

// NewApprover returns the guard.Approver that asks in the chat; timeout
// is read at each request (approvals.timeout, reloadable).
func NewApprover(c *Core, a *RuntimeAgent, timeout func() time.Duration) *ChatApprover {
	return &ChatApprover{core: c, agent: a, timeout: timeout}
}

func (ap *ChatApprover) Approve(ctx context.Context, req guard.Request) (guard.Answer, error) {
	ap.mu.Lock()
	core, ag := ap.core, ap.agent
	ap.mu.Unlock()
	if core == nil || ag == nil {
		return guard.Answer{Choice: guard.ChoiceDeny, Reason: "the gateway is starting"}, nil
	}
	key := ag.KeyOf(req.SessionID)
	if key == "" {
		return guard.Answer{Choice: guard.ChoiceDeny, Reason: "no chat to ask"}, nil
	}
	return core.Approve(ctx, key, req, ap.timeout()), nil
}
