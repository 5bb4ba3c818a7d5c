package agent

import (
	"context"
	"fmt"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

// Interactive is implemented by tools that talk to the user (clarify):
// such a call runs alone, never beside other calls.
type Interactive interface {
	Interactive() bool
}

// interactive says whether a call must run alone. Tools that do not
// implement Interactive count as interactive when named clarify.
func interactive(reg *tools.Registry, name string) bool {
	t, ok := reg.Lookup(name)
	if !ok {
		return false
	}
	if i, ok := t.(Interactive); ok {
		return i.Interactive()
	}
	return name == "clarify"
}

// runTools runs the calls of one reply and returns their tool messages in
// the order of the calls. Consecutive non-interactive calls run together,
// up to agent.max_parallel_tools at once when agent.parallel_tool_calls is
// on; an interactive call runs alone. When ctx ends, calls that have not
// finished are answered "interrupted" and the rest are not started.
func (a *Agent) runTools(ctx context.Context, s *Session, em *emitter, calls []llm.ToolCall) []llm.Message {
	out := make([]llm.Message, len(calls))
	width := 1
	if a.cfg.Agent.ParallelToolCalls {
		width = max(a.cfg.Agent.MaxParallelTools, 1)
	}
	for start := 0; start < len(calls); {
		end := start + 1
		if !interactive(s.reg, calls[start].Name) {
			for end < len(calls) && !interactive(s.reg, calls[end].Name) {
				end++
			}
		}
		a.runBatch(ctx, s, em, calls[start:end], out[start:end], width)
		start = end
	}
	return out
}

type done struct {
	i   int
	msg llm.Message
}

// runBatch runs calls with up to width at once, filling out. It waits for
// every call unless ctx ends first.
func (a *Agent) runBatch(ctx context.Context, s *Session, em *emitter, calls []llm.ToolCall, out []llm.Message, width int) {
	results := make(chan done, len(calls)) // buffered: a late tool never blocks
	filled := make([]bool, len(calls))
	sem := make(chan struct{}, width)
	launched := 0
launch:
	for i := range calls {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break launch
		}
		if ctx.Err() != nil {
			break
		}
		launched++
		go func() {
			defer func() { <-sem }()
			results <- done{i, a.runOne(ctx, s, em, calls[i])}
		}()
	}
	for got := 0; got < launched; got++ {
		select {
		case d := <-results:
			out[d.i], filled[d.i] = d.msg, true
		case <-ctx.Done():
			got = launched
		}
	}
	// Results that arrived together with the cancellation still count.
	for drained := false; !drained; {
		select {
		case d := <-results:
			out[d.i], filled[d.i] = d.msg, true
		default:
			drained = true
		}
	}
	for i, ok := range filled {
		if !ok {
			out[i] = interrupted(calls[i])
		}
	}
}

// runOne runs one call through the session's registry, which redacts and
// caps the result.
func (a *Agent) runOne(ctx context.Context, s *Session, em *emitter, call llm.ToolCall) llm.Message {
	em.emit(Event{Kind: EventToolStart, Tool: call.Name, CallID: call.ID, Args: preview(s.Env, call.Arguments)})
	t0 := a.opts.Clock.Now()
	msg := s.reg.Call(ctx, s.Env, nil, call)
	em.emit(Event{Kind: EventToolEnd, Tool: call.Name, CallID: call.ID, IsError: msg.IsError,
		Elapsed: a.opts.Clock.Now().Sub(t0), Text: firstLine(msg.Content)})
	return msg
}

// interrupted answers a call the user stopped.
func interrupted(call llm.ToolCall) llm.Message {
	return llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, IsError: true,
		Content: fmt.Sprintf("error: %s was interrupted by the user before it finished; its effects, if any, are unknown", call.Name)}
}
