package sessionsearch

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/tools"
)

func TestSessionSearch(t *testing.T) {
	t.Parallel()
	red, _ := redact.New(redact.Options{})
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), red)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	s, err := st.CreateSession(ctx, store.Session{Source: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AppendMessages(ctx, s.ID, llm.Message{Role: llm.RoleUser, Content: "we deploy the billing service on Fridays"}); err != nil {
		t.Fatal(err)
	}
	env := &tools.Env{Values: &tools.Values{}}
	call := func(args string) llm.Message {
		return tools.Default.Call(ctx, env, nil, llm.ToolCall{ID: "1", Name: "session_search", Arguments: args})
	}
	if m := call(`{"query":"billing"}`); !m.IsError || !strings.Contains(m.Content, "no session store") {
		t.Errorf("without a store: %+v", m)
	}
	Configure(env, st, nil)
	if m := call(`{"query":"billing deploy"}`); m.IsError || !strings.Contains(m.Content, s.ID) || !strings.Contains(m.Content, "billing") {
		t.Errorf("hit: %+v", m)
	}
	if m := call(`{"query":"kubernetes"}`); m.IsError || !strings.Contains(m.Content, "no messages match") {
		t.Errorf("miss: %+v", m)
	}
	for _, bad := range []string{`{"query":""}`, `{"query":5}`} {
		if m := call(bad); !m.IsError || strings.Count(m.Content, "\n") > 0 {
			t.Errorf("%s: %+v", bad, m)
		}
	}
	if m := call(`{"query":"\"AND OR ( *"}`); m.IsError {
		t.Errorf("hostile query: %+v", m)
	}
	if m := call(`{"query":"billing"}`); strings.Contains(m.Content, "Summary") {
		t.Errorf("a summary without a session_search model: %+v", m)
	}

	// With the auxiliary.session_search model: a summary above the hits,
	// and a failure that keeps the hits.
	for _, tt := range []struct {
		name string
		fn   tools.Summarise
		want string
	}{
		{"summary", func(_ context.Context, instruction, text string) (string, error) {
			if !strings.Contains(instruction, `"billing"`) || !strings.Contains(text, s.ID) {
				return "", errors.New("the model did not get the query and the hits")
			}
			return "They deploy billing on Fridays.", nil
		}, "Summary: They deploy billing on Fridays.\n\n1 match(es)"},
		{"model fails", func(context.Context, string, string) (string, error) { return "", errors.New("model down") },
			"could not summarise the hits (model down)]\n\n1 match(es)"},
	} {
		env := &tools.Env{Values: &tools.Values{}}
		Configure(env, st, tt.fn)
		m := tools.Default.Call(ctx, env, nil, llm.ToolCall{ID: "1", Name: "session_search", Arguments: `{"query":"billing"}`})
		if m.IsError || !strings.Contains(m.Content, tt.want) || !strings.Contains(m.Content, s.ID) {
			t.Errorf("%s: %+v", tt.name, m)
		}
	}
}
