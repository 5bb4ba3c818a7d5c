package clarify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

func call(t testing.TB, ctx context.Context, env *tools.Env, args string) llm.Message {
	t.Helper()
	return tools.Default.Call(ctx, env, nil, llm.ToolCall{ID: "c1", Name: "clarify", Arguments: args})
}

// asker answers with answer (or fails with err) and records the question.
type asker struct {
	answer   string
	err      error
	question string
	choices  []string
	calls    int
}

func (a *asker) ask(_ context.Context, q string, choices []string) (string, error) {
	a.calls++
	a.question, a.choices = q, choices
	return a.answer, a.err
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	a := &asker{answer: " staging \n"}
	env := &tools.Env{Ask: a.ask}
	m := call(t, context.Background(), env, `{"question":" Deploy where? ","choices":["staging"," production "]}`)
	if m.IsError || m.Content != "the user answered: staging" {
		t.Fatalf("answer: %+v", m)
	}
	if a.question != "Deploy where?" || !slices.Equal(a.choices, []string{"staging", "production"}) {
		t.Errorf("asked %q %q", a.question, a.choices)
	}
	a.answer = "  "
	if m := call(t, context.Background(), env, `{"question":"Name?"}`); m.IsError || !strings.Contains(m.Content, "no answer") || a.choices != nil {
		t.Errorf("empty answer: %+v (choices %q)", m, a.choices)
	}
}

func TestNobodyToAsk(t *testing.T) {
	t.Parallel()
	m := call(t, context.Background(), &tools.Env{}, `{"question":"Which branch?"}`)
	if !m.IsError || !strings.Contains(m.Content, "nobody can answer") || !strings.Contains(m.Content, "best judgement") {
		t.Errorf("no Ask: %+v", m)
	}
}

func TestAskFails(t *testing.T) {
	t.Parallel()
	a := &asker{err: errors.New("terminal\nclosed")}
	m := call(t, context.Background(), &tools.Env{Ask: a.ask}, `{"question":"Which branch?"}`)
	if !m.IsError || strings.Contains(m.Content, "\n") || !strings.Contains(m.Content, "terminal closed") {
		t.Errorf("failed Ask: %+v", m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.err = context.Canceled
	if m := call(t, ctx, &tools.Env{Ask: a.ask}, `{"question":"Which branch?"}`); !m.IsError || !strings.Contains(m.Content, "interrupted") {
		t.Errorf("cancelled Ask: %+v", m)
	}
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	a := &asker{answer: "x"}
	env := &tools.Env{Ask: a.ask}
	tests := []struct{ args, want string }{
		{`{}`, "question is empty"},
		{`{"question":"  "}`, "question is empty"},
		{`{"question":7}`, "bad arguments"},
		{`{"question":"q","choices":"a or b"}`, "bad arguments"},
		{`{"question":"q","choices":["a",""]}`, "choice 2 is empty"},
		{`{"question":"q","choices":["a","A"]}`, `choice "A" is offered twice`},
		{`{"question":"q","choices":["1","2","3","4","5","6","7","8","9","10","11"]}`, "over the limit of 10"},
		{`{"question":"q","choices":["` + strings.Repeat("c", MaxChoice+1) + `"]}`, "choice 1 is over 200"},
		{`{"question":"` + strings.Repeat("q", MaxQuestion+1) + `"}`, "over 2000 characters"},
		{`{"question":"q","default":"a"}`, "unknown field"},
	}
	for _, tt := range tests {
		m := call(t, context.Background(), env, tt.args)
		if !m.IsError || strings.Contains(m.Content, "\n") || !strings.Contains(m.Content, tt.want) {
			t.Errorf("%.60s: %+v, want a one-line error with %q", tt.args, m, tt.want)
		}
	}
	if a.calls != 0 {
		t.Errorf("bad arguments reached the user %d times", a.calls)
	}
}

// FuzzRun: any arguments give an answer or a one-line error, and the user
// is asked only a valid question.
func FuzzRun(f *testing.F) {
	f.Add(`{"question":"q","choices":["a","b"]}`)
	f.Add(`{"question":""}`)
	f.Add(`{"choices":[1]}`)
	f.Fuzz(func(t *testing.T, args string) {
		a := &asker{answer: "ok"}
		m := call(t, context.Background(), &tools.Env{Ask: a.ask}, args)
		if m.IsError && strings.Contains(m.Content, "\n") {
			t.Fatalf("multi-line error %q", m.Content)
		}
		if a.calls == 1 && (strings.TrimSpace(a.question) != a.question || a.question == "" || len(a.choices) > MaxChoices) {
			t.Fatalf("asked an invalid question %q %q", a.question, a.choices)
		}
		if !m.IsError && a.calls != 1 {
			t.Fatalf("answered without asking: %+v", m)
		}
	})
}
