package agent

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/tools"
)

const delegateScript = `
steps:
  # The parent's follow-up: every child's slot is in its tool result.
  - match: {tool_result: true, contains: "gamma-done"}
    response: {text: "All three reported."}
  - match: {contains: "delegate please"}
    response:
      tool_calls:
        - name: delegate_task
          arguments: '{"tasks": [{"goal": "goal-alpha", "context": "ctx-alpha"}, {"goal": "goal-beta"}, {"goal": "goal-gamma"}]}'
  # alpha and gamma meet at a barrier in a tool from the inherited
  # environment: run one after the other, they would never meet.
  - match: {contains: "goal-alpha"}
    response:
      tool_calls: [{name: where, arguments: '{}'}]
  - match: {contains: "goal-gamma"}
    response:
      tool_calls: [{name: where, arguments: '{}'}]
  - match: {tool_result: true, contains: "parent/child-1"}
    response: {text: "alpha-done in /parent/cwd"}
  - match: {tool_result: true, contains: "parent/child-3"}
    response: {text: "gamma-done"}
  - match: {contains: "goal-beta"}
    response: {status: 400, error: "beta exploded"}
`

func TestDelegation(t *testing.T) {
	t.Parallel()
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, delegateScript)
			var childValues atomic.Pointer[tools.Values]
			var arrived sync.WaitGroup
			arrived.Add(2)
			met := make(chan struct{})
			go func() { arrived.Wait(); close(met) }()
			where := fakeTool{name: "where", run: func(_ context.Context, env *tools.Env, _ json.RawMessage) (tools.Result, error) {
				childValues.Store(env.Values)
				arrived.Done()
				select {
				case <-met:
				case <-time.After(3 * time.Second):
					return tools.Errorf("the other child never came: children do not run in parallel"), nil
				}
				return tools.Result{Content: "cwd " + env.Cwd + " session " + env.SessionID}, nil
			}}
			cfg := testConfig()
			cfg.Delegation.Enabled = true
			a := newAgent(t, Options{Router: router(srv, api), Registry: registry(where), Config: cfg})
			s := &Session{ID: "parent", System: "parent-system", Env: &tools.Env{Cwd: "/parent/cwd"}}
			var ev events
			res, err := a.Turn(context.Background(), s, "delegate please", ev.on)
			if err != nil || res.Text != "All three reported." {
				t.Fatalf("%v %+v", err, res)
			}
			report := s.Messages[2].Content
			for _, want := range []string{"## Task 1: goal-alpha\nalpha-done in /parent/cwd", "## Task 2: goal-beta\nfailed:", "beta exploded", "## Task 3: goal-gamma\ngamma-done"} {
				if !strings.Contains(report, want) {
					t.Errorf("report lacks %q:\n%s", want, report)
				}
			}
			if s.Messages[2].IsError {
				t.Error("one child's failure failed the parent's call")
			}
			if v := childValues.Load(); v == nil || v == s.Env.Values {
				t.Error("the child shares the parent's tool state")
			}
			for _, r := range srv.Requests() {
				turn := r.Turn()
				child := strings.Contains(turn, "goal-") && !strings.Contains(turn, "## Task")
				switch {
				case r.Step < 0:
					t.Errorf("unanswered request %q", turn)
				case strings.Contains(turn, "delegate please"):
					if !slices.Contains(r.Tools, "delegate_task") {
						t.Errorf("the parent is not offered delegate_task: %v", r.Tools)
					}
				case child:
					if slices.Contains(r.Tools, "delegate_task") || strings.Contains(string(r.Body), "delegate please") {
						t.Errorf("a child at max depth saw delegation or the parent's messages: %q", turn)
					}
					if !strings.Contains(r.System, "parent-system") || !strings.Contains(r.System, "child agent") {
						t.Errorf("child system prompt %q", r.System)
					}
				}
			}
			if n := len(ev.of(EventNotice)); n != 2 {
				t.Errorf("%d notices, want alpha's and gamma's tool calls", n)
			}
		})
	}
}

func TestDelegationArguments(t *testing.T) {
	t.Parallel()
	a := newAgent(t, Options{Router: router(serve(t, "steps: []"), "openai")})
	d := &delegateTool{a: a, parent: &Session{}}
	tests := []struct{ args, want string }{
		{`{"tasks": []}`, "tasks is empty"},
		{`{"tasks": "do it"}`, "do not match the schema"},
		{`{"tasks": [{"goal": "  "}]}`, "tasks[0].goal is empty"},
		{`{"tasks": [` + strings.Repeat(`{"goal": "x"},`, 16) + `{"goal": "x"}]}`, "17 tasks is too many"},
	}
	for _, tt := range tests {
		res, err := d.Run(context.Background(), &tools.Env{}, json.RawMessage(tt.args))
		if err != nil || !res.IsError || !strings.Contains(res.Content, tt.want) {
			t.Errorf("%s: %+v %v, want %q", tt.args, res, err, tt.want)
		}
	}
}

func TestDelegationDisabled(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - response: {text: "no delegation here"}
`)
	a := newAgent(t, Options{Router: router(srv, "openai"), Registry: registry(echoTool("echo"))})
	if _, err := a.Turn(context.Background(), &Session{}, "hi", nil); err != nil {
		t.Fatal(err)
	}
	if tl := srv.Requests()[0].Tools; slices.Contains(tl, "delegate_task") || !slices.Contains(tl, "echo") {
		t.Errorf("tools offered: %v", tl)
	}
}

// FuzzParseTasks: any arguments give tasks with goals, or an error; never a panic.
func FuzzParseTasks(f *testing.F) {
	f.Add([]byte(`{"tasks": [{"goal": "a", "context": "b"}]}`))
	f.Add([]byte(`{"tasks": null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, args []byte) {
		tasks, err := parseTasks(args)
		if err != nil {
			return
		}
		if len(tasks) == 0 || len(tasks) > maxDelegated {
			t.Fatalf("%d tasks accepted", len(tasks))
		}
		for _, tk := range tasks {
			if strings.TrimSpace(tk.Goal) == "" {
				t.Fatal("an empty goal accepted")
			}
		}
	})
}
