package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/hermes-go/hermes/internal/tools"
)

const delegateName = "delegate_task"

// maxDelegated bounds the tasks of one delegate_task call.
const maxDelegated = 16

// delegateTool runs child agents for its session. It belongs to one
// session (parent) and is registered only in that session's registry.
type delegateTool struct {
	a      *Agent
	parent *Session
}

var (
	_ tools.Tool  = (*delegateTool)(nil)
	_ Interactive = (*delegateTool)(nil)
)

func (*delegateTool) Name() string      { return delegateName }
func (*delegateTool) Toolset() string   { return "delegation" }
func (*delegateTool) Interactive() bool { return false }
func (*delegateTool) Description() string {
	return "Hand independent sub-tasks to child agents. Each child starts with a fresh context " +
		"(it sees only its goal and context, not this conversation), has the same tools, runs with its " +
		"own iteration budget, and returns only a final summary. Children run in parallel. Use it for " +
		"work that can be done without asking the user and whose details you do not need in this conversation."
}

func (*delegateTool) Schema() json.RawMessage {
	return json.RawMessage(`{
  "type": "object",
  "properties": {
    "tasks": {
      "type": "array",
      "minItems": 1,
      "maxItems": 16,
      "description": "the sub-tasks, one child agent each",
      "items": {
        "type": "object",
        "properties": {
          "goal": {"type": "string", "description": "what the child must achieve and report back"},
          "context": {"type": "string", "description": "everything the child needs to know: it cannot see this conversation"}
        },
        "required": ["goal"]
      }
    }
  },
  "required": ["tasks"]
}`)
}

// task is one delegated sub-task.
type task struct {
	Goal    string `json:"goal"`
	Context string `json:"context"`
}

// parseTasks reads delegate_task's arguments.
func parseTasks(args json.RawMessage) ([]task, error) {
	var in struct {
		Tasks []task `json:"tasks"`
	}
	if err := json.Unmarshal(args, &in); err != nil {
		return nil, fmt.Errorf(`the arguments do not match the schema (%v); send {"tasks": [{"goal": "...", "context": "..."}]}`, err)
	}
	switch {
	case len(in.Tasks) == 0:
		return nil, fmt.Errorf(`tasks is empty; send at least one {"goal": "..."}`)
	case len(in.Tasks) > maxDelegated:
		return nil, fmt.Errorf("%d tasks is too many; send at most %d and delegate the rest afterwards", len(in.Tasks), maxDelegated)
	}
	for i, t := range in.Tasks {
		if strings.TrimSpace(t.Goal) == "" {
			return nil, fmt.Errorf("tasks[%d].goal is empty; say what the child must achieve", i)
		}
	}
	return in.Tasks, nil
}

// Run starts one child per task, up to delegation.max_parallel at once,
// and reports each child's final answer in its slot. A failed child is
// reported in its slot; the call fails only for bad arguments.
func (d *delegateTool) Run(ctx context.Context, env *tools.Env, args json.RawMessage) (tools.Result, error) {
	tasks, err := parseTasks(args)
	if err != nil {
		return tools.Errorf("%s: %v", delegateName, err), nil
	}
	em := d.parent.em // the running turn's events, fixed for this call
	reports := make([]string, len(tasks))
	sem := make(chan struct{}, max(d.a.cfg.Delegation.MaxParallel, 1))
	var wg sync.WaitGroup
	for i, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				reports[i] = "interrupted before it started"
				return
			}
			reports[i] = d.child(ctx, env, em, i, len(tasks), t)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return tools.Result{}, err
	}
	var b strings.Builder
	for i, t := range tasks {
		fmt.Fprintf(&b, "## Task %d: %s\n%s\n\n", i+1, clip(firstLine(t.Goal), 120), reports[i])
	}
	return tools.Result{Content: strings.TrimRight(b.String(), "\n")}, nil
}

// child runs one task to its end and returns its report.
func (d *delegateTool) child(ctx context.Context, env *tools.Env, em *emitter, i, n int, t task) string {
	p := d.parent
	ce := tools.Env{}
	if env != nil {
		ce = *env // guard, guard session, backend, redactor, cwd: inherited
	}
	ce.SessionID = fmt.Sprintf("%s/child-%d", p.ID, i+1)
	ce.Values = &tools.Values{} // the child's own tool state
	ce.Ask = nil                // children cannot question the user
	label := fmt.Sprintf("child %d/%d", i+1, n)
	cs := &Session{ID: ce.SessionID, System: childSystem(p.System), Env: &ce, Depth: p.Depth + 1,
		MaxIterations: d.a.cfg.Delegation.MaxTurns}
	ca := *d.a
	if d.a.opts.ChildRouter != nil {
		ca.opts.Router = d.a.opts.ChildRouter
	}
	on := func(e Event) {
		if e.Kind == EventToolStart {
			em.emit(Event{Kind: EventNotice, Text: fmt.Sprintf("%s: %s %s", label, e.Tool, e.Args)})
		}
	}
	prompt := t.Goal
	if strings.TrimSpace(t.Context) != "" {
		prompt += "\n\nContext:\n" + t.Context
	}
	res, err := ca.Turn(ctx, cs, prompt, on)
	switch {
	case err != nil:
		return "failed: " + err.Error()
	case res.Exhausted:
		return fmt.Sprintf("stopped unfinished after %d model calls (delegation.max_turns); its last word: %s", res.Iterations, lastAnswer(cs))
	case res.LoopGuard:
		return "stopped by the loop guard: " + res.Text
	}
	return res.Text
}

// childSystem is a child's system prompt: the parent's, plus its role.
func childSystem(parent string) string {
	const role = "You are a child agent working on one delegated task. Work on your own: nobody can " +
		"answer questions. When done, reply with a concise summary of what you did and found; " +
		"that summary is all the parent agent will see."
	if parent == "" {
		return role
	}
	return parent + "\n\n" + role
}

// lastAnswer is the last assistant text before the budget message.
func lastAnswer(s *Session) string {
	for i := len(s.Messages) - 2; i >= 0; i-- {
		if m := s.Messages[i]; m.Role == "assistant" && strings.TrimSpace(m.Content) != "" {
			return clip(m.Content, 2000)
		}
	}
	return "(none)"
}
