package agent

import (
	"context"
	"fmt"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

// Turn runs one user turn on s: it appends userText, then calls the model
// and runs the tools it asks for until it answers without tool calls. on
// receives the turn's Events (nil discards them); it is never called from
// two goroutines at once. When ctx is cancelled, Turn leaves s valid for
// the next Turn and returns ctx's error.
func (a *Agent) Turn(ctx context.Context, s *Session, userText string, on func(Event)) (*TurnResult, error) {
	if !s.busy.CompareAndSwap(false, true) {
		return nil, ErrBusy
	}
	defer s.busy.Store(false)
	if err := a.prepare(s); err != nil {
		return nil, err
	}
	em := &emitter{on: on}
	defer em.close()
	s.em = em
	t := &turn{a: a, s: s, em: em, res: &TurnResult{}}
	t.add(ctx, llm.Message{Role: llm.RoleUser, Content: userText})
	return t.run(ctx)
}

// turn is the state of one Turn.
type turn struct {
	a          *Agent
	s          *Session
	em         *emitter
	res        *TurnResult
	noCompress bool // compression failed once this turn: do not retry
	guardKey   string
	guardRun   int
}

func (t *turn) run(ctx context.Context) (*TurnResult, error) {
	limit := t.a.maxIterations(t.s)
	for t.res.Iterations < limit {
		if err := ctx.Err(); err != nil {
			return t.res, err
		}
		if !t.noCompress {
			if _, err := t.a.compressIfNeeded(ctx, t.s, t.em); err != nil {
				t.noCompress = true
			}
		}
		t.res.Iterations++
		t.em.setIteration(t.res.Iterations)
		resp, err := t.call(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.em.emit(Event{Kind: EventReset, Text: "interrupted"})
				return t.res, ctx.Err()
			}
			return t.res, err
		}
		t.add(ctx, llm.Message{Role: llm.RoleAssistant, Content: resp.Text, ToolCalls: resp.ToolCalls})
		if len(resp.ToolCalls) == 0 {
			t.res.Text = resp.Text
			return t.res, nil
		}
		results := t.a.runTools(ctx, t.s, t.em, resp.ToolCalls)
		t.add(ctx, results...)
		if err := ctx.Err(); err != nil {
			return t.res, err
		}
		if msg, tripped := t.loopGuard(resp.ToolCalls, results); tripped {
			t.res.LoopGuard = true
			return t.stop(ctx, msg), nil
		}
	}
	t.res.Exhausted = true
	return t.stop(ctx, fmt.Sprintf("I stopped after %d model calls: the iteration budget of one turn (agent.max_turns) ran out before the task was done. Say \"continue\" to go on.", limit)), nil
}

// stop ends the turn with a message of its own, kept in the history so
// the next user message follows an assistant one.
func (t *turn) stop(ctx context.Context, msg string) *TurnResult {
	t.add(ctx, llm.Message{Role: llm.RoleAssistant, Content: msg})
	t.em.emit(Event{Kind: EventText, Text: msg})
	t.res.Text = msg
	return t.res
}

// call makes one model call with the session's history and tools.
func (t *turn) call(ctx context.Context) (*llm.Response, error) {
	s, cfg := t.s, t.a.cfg
	req := llm.Request{System: s.System, Messages: s.Messages, Tools: s.defs,
		MaxTokens: cfg.Model.MaxTokens, Temperature: cfg.Model.Temperature}
	st := &stream{em: t.em}
	resp, err := t.a.opts.Router.Chat(ctx, req, st.handle)
	if err != nil {
		return nil, err
	}
	if !st.streamed && resp.Text != "" {
		t.em.emit(Event{Kind: EventText, Text: resp.Text})
	}
	if chain := t.a.opts.Router.Chain(); len(chain) > 0 && resp.Provider != chain[0].Provider {
		t.em.emit(Event{Kind: EventNotice, Text: fmt.Sprintf("answered by the fallback %s", resp.Provider)})
	}
	t.res.Usage.Add(resp.Usage)
	t.res.Provider, t.res.Model = resp.Provider, resp.Model
	s.Usage.Add(resp.Usage)
	s.promptTokens, s.promptLen = resp.Usage.InputTokens, len(s.Messages)
	if s.Recorder != nil {
		if err := s.Recorder.Usage(context.WithoutCancel(ctx), s.ID, resp.Usage); err != nil {
			t.em.emit(Event{Kind: EventWarning, Text: "session store: usage not saved: " + err.Error()})
		}
	}
	return resp, nil
}

// add appends messages to the history and the recorder. A recorder
// failure is a warning: the conversation goes on in memory.
func (t *turn) add(ctx context.Context, msgs ...llm.Message) {
	t.s.Messages = append(t.s.Messages, msgs...)
	if t.s.Recorder == nil {
		return
	}
	if err := t.s.Recorder.Append(context.WithoutCancel(ctx), t.s.ID, msgs...); err != nil {
		t.em.emit(Event{Kind: EventWarning, Text: "session store: messages not saved: " + err.Error()})
	}
}

// loopGuard counts identical failing calls in a row across iterations;
// any success or a different call resets the count.
func (t *turn) loopGuard(calls []llm.ToolCall, results []llm.Message) (string, bool) {
	limit := t.a.cfg.Agent.LoopGuard
	if limit <= 0 {
		return "", false
	}
	for i, c := range calls {
		r := results[i]
		key := c.Name + "\x00" + c.Arguments
		switch {
		case !r.IsError:
			t.guardKey, t.guardRun = "", 0
		case key == t.guardKey:
			t.guardRun++
		default:
			t.guardKey, t.guardRun = key, 1
		}
		if t.guardRun >= limit {
			return fmt.Sprintf("I stopped: the tool %s failed %d times in a row with the same arguments (%s). The last error was: %s",
				c.Name, t.guardRun, clip(c.Arguments, 200), firstLine(r.Content)), true
		}
	}
	return "", false
}

// prepare sets up a session once: its Env and the tools it may call.
func (a *Agent) prepare(s *Session) error {
	s.setup.Do(func() {
		if s.Env == nil {
			s.Env = &tools.Env{SessionID: s.ID}
		}
		if s.Env.Values == nil {
			s.Env.Values = &tools.Values{}
		}
		if s.Env.OutputCap == 0 {
			s.Env.OutputCap = a.cfg.Agent.ToolOutputLimit
		}
		enabled, err := a.opts.Registry.Enabled(a.toolsets(s))
		if err != nil {
			s.setupErr = fmt.Errorf("agent: %w", err)
			return
		}
		s.reg = tools.NewRegistry()
		for _, tl := range enabled {
			s.reg.Register(tl)
		}
		if d := a.cfg.Delegation; d.Enabled && s.Depth < d.MaxDepth {
			if _, taken := s.reg.Lookup(delegateName); !taken {
				enabled = append(enabled, &delegateTool{a: a, parent: s})
				s.reg.Register(enabled[len(enabled)-1])
			}
		}
		s.defs = tools.Schemas(enabled)
		for _, d := range s.defs {
			s.toolChars += len(d.Name) + len(d.Description) + len(d.Parameters)
		}
	})
	return s.setupErr
}

// toolsets are the session's: the frontend's, or delegation.toolsets for
// a child when set.
func (a *Agent) toolsets(s *Session) []string {
	if s.Depth > 0 && len(a.cfg.Delegation.Toolsets) > 0 {
		return a.cfg.Delegation.Toolsets
	}
	return a.opts.Toolsets
}
