package agent

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/llm"
)

// longHistory is ten messages of about 300 characters: head-0 and
// head-1, middle-2 to middle-6, and an assistant tool call (7) whose
// result (8) and the last answer (9) are at the end.
func longHistory() []llm.Message {
	pad := strings.Repeat(" lorem ipsum", 25)
	var msgs []llm.Message
	for i := range 7 {
		role, tag := llm.RoleUser, "middle"
		if i%2 == 1 {
			role = llm.RoleAssistant
		}
		if i < 2 {
			tag = "head"
		}
		msgs = append(msgs, llm.Message{Role: role, Content: fmt.Sprintf("%s-%d%s", tag, i, pad)})
	}
	return append(msgs,
		llm.Message{Role: llm.RoleAssistant, Content: "tail-7 reading", ToolCalls: []llm.ToolCall{{ID: "call_t", Name: "read", Arguments: `{"path": "tail.txt"}`}}},
		llm.Message{Role: llm.RoleTool, ToolCallID: "call_t", Content: "tail-8" + pad},
		llm.Message{Role: llm.RoleAssistant, Content: "tail-9" + pad},
	)
}

// compressConfig triggers at 500 tokens (2,000 characters), keeping 2
// messages first and 3 last.
func compressConfig() *config.Config {
	c := testConfig()
	c.Compression.Enabled = true
	c.Compression.Threshold = 0.5
	c.Model.ContextLength = 1000
	c.Compression.KeepFirst = 2
	c.Compression.KeepLast = 3
	return c
}

func auxFor(r *llm.Router) func(string) (*llm.Router, error) {
	return func(task string) (*llm.Router, error) {
		if task != "compression" {
			return nil, fmt.Errorf("unexpected task %q", task)
		}
		return r, nil
	}
}

func TestCompressionAtThreshold(t *testing.T) {
	t.Parallel()
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			main := serve(t, `
steps:
  - match: {contains: "final question"}
    response: {text: "the answer"}
`)
			aux := serve(t, `
steps:
  - response: {text: "SUMMARY: the user asked about lorem ipsum five times."}
`)
			rec := newRecorder()
			flushed := 0
			a := newAgent(t, Options{Router: router(main, api), Aux: auxFor(router(aux, api)), Config: compressConfig(),
				Flush: func(context.Context, *Session) error { flushed++; return nil }})
			s := &Session{ID: "p", System: "sys", Messages: longHistory(), Recorder: rec}
			var ev events
			res, err := a.Turn(context.Background(), s, "final question", ev.on)
			if err != nil || res.Text != "the answer" {
				t.Fatalf("%v %+v", err, res)
			}
			// The aux model saw exactly the middle: 2..6 (the tool call
			// at 7 stays with its result in the tail).
			ar := aux.Requests()
			if len(ar) != 1 || !strings.Contains(ar[0].System, "compress") || len(chat(ar[0])) != 1 {
				t.Fatalf("%d aux requests", len(ar))
			}
			sent := chat(ar[0])[0].Text
			for i := 2; i <= 6; i++ {
				if !strings.Contains(sent, fmt.Sprintf("middle-%d", i)) {
					t.Errorf("the summariser did not get middle-%d", i)
				}
			}
			if strings.Contains(sent, "head-") || strings.Contains(sent, "tail-") || strings.Contains(sent, "final question") {
				t.Errorf("the summariser got kept messages: %q", sent)
			}
			// The main model saw head, summary, tail and the question.
			mr := chat(main.Requests()[0])
			var texts []string
			for _, m := range mr {
				texts = append(texts, m.Text)
			}
			joined := strings.Join(texts, "|")
			if len(mr) != 7 || !strings.Contains(joined, "[Summary of 5 earlier messages] SUMMARY: the user asked") ||
				strings.Contains(joined, "middle-") || !strings.HasPrefix(texts[0], "head-0") || !strings.Contains(joined, "tail-8") {
				t.Errorf("the model saw %d messages: %q", len(mr), joined)
			}
			checkAnswered(t, s.Messages)
			if s.ID != "p-c" || s.Env.SessionID != "p-c" || len(rec.compressed) != 1 || rec.compressed[0] != "p" || flushed != 1 {
				t.Errorf("lineage: id %q, compressed %v, flushed %d", s.ID, rec.compressed, flushed)
			}
			// The child session holds the whole compressed history and the answer.
			if got := rec.msgs["p-c"]; len(got) != 8 || got[len(got)-1].Content != "the answer" {
				t.Errorf("child session recorded %d messages", len(got))
			}
			if len(ev.of(EventNotice)) != 1 || len(ev.of(EventWarning)) != 0 {
				t.Errorf("events: %+v", ev.all)
			}
		})
	}
}

func TestCompressionFailureKeepsHistory(t *testing.T) {
	t.Parallel()
	main := serve(t, `
steps:
  - match: {contains: "question"}
    response:
      tool_calls: [{name: echo, arguments: '{}'}]
  - match: {tool_result: true}
    response: {text: "answered anyway"}
`)
	aux := serve(t, `
steps:
  - times: -1
    response: {status: 400, error: "the summariser is broken"}
`)
	a := newAgent(t, Options{Router: router(main, "openai"), Aux: auxFor(router(aux, "openai")), Config: compressConfig(), Registry: registry(echoTool("echo"))})
	s := &Session{Messages: longHistory()}
	var ev events
	res, err := a.Turn(context.Background(), s, "question", ev.on)
	if err != nil || res.Text != "answered anyway" {
		t.Fatalf("%v %+v", err, res)
	}
	if n := len(chat(main.Requests()[0])); n != 11 {
		t.Errorf("the model saw %d messages, want all 11", n)
	}
	if len(s.Messages) != 14 || !strings.HasPrefix(s.Messages[2].Content, "middle-2") {
		t.Errorf("history changed: %d messages", len(s.Messages))
	}
	if n := len(aux.Requests()); n != 1 {
		t.Errorf("the summariser was asked %d times in one turn, want 1", n)
	}
	w := ev.of(EventWarning)
	if len(w) != 1 || !strings.Contains(w[0].Text, "history is kept whole") || !strings.Contains(w[0].Text, "the summariser is broken") {
		t.Errorf("warnings: %+v", w)
	}
}

func TestManualCompress(t *testing.T) {
	t.Parallel()
	aux := serve(t, `
steps:
  - response: {text: "short summary"}
`)
	main := serve(t, "steps: []")
	cfg := compressConfig()
	cfg.Compression.Enabled = false // /compress works with automatic compression off
	a := newAgent(t, Options{Router: router(main, "openai"), Aux: auxFor(router(aux, "openai")), Config: cfg})
	s := &Session{ID: "m", Messages: longHistory()}
	st, err := a.Compress(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if st.Before != 10 || st.After != 6 || st.Summarised != 5 || st.TokensAfter >= st.TokensBefore || st.SessionID != "m" {
		t.Errorf("stats %+v", st)
	}
	if _, err := a.Compress(context.Background(), &Session{Messages: longHistory()[:4]}); err == nil || !strings.Contains(err.Error(), "nothing to compress") {
		t.Errorf("short history: %v", err)
	}
	noAux := newAgent(t, Options{Router: router(main, "openai"), Config: cfg})
	s2 := &Session{Messages: longHistory()}
	if _, err := noAux.Compress(context.Background(), s2); err == nil || !strings.Contains(err.Error(), "auxiliary.compression") || len(s2.Messages) != 10 {
		t.Errorf("without an aux model: %v, %d messages", err, len(s2.Messages))
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	u := llm.Message{Role: llm.RoleUser}
	as := llm.Message{Role: llm.RoleAssistant}
	call := llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "x"}}}
	tool := llm.Message{Role: llm.RoleTool}
	tests := []struct {
		name             string
		msgs             []llm.Message
		first, last      int
		wantHead, wantTl int
	}{
		{"plain", []llm.Message{u, as, u, as, u, as, u, as}, 2, 2, 2, 6},
		{"head ends in a call", []llm.Message{u, call, tool, tool, u, as, u, as}, 2, 2, 4, 6},
		{"tail starts in results", []llm.Message{u, as, u, as, call, tool, tool, as}, 2, 2, 2, 4},
		{"too short", []llm.Message{u, as, u}, 2, 2, 2, 2},
		{"all results", []llm.Message{u, call, tool, tool, tool, tool}, 2, 2, 6, 6},
		{"empty", nil, 3, 20, 0, 0},
	}
	for _, tt := range tests {
		h, tl := split(tt.msgs, tt.first, tt.last)
		if h != tt.wantHead || tl != tt.wantTl {
			t.Errorf("%s: split = %d, %d; want %d, %d", tt.name, h, tl, tt.wantHead, tt.wantTl)
		}
	}
}

// FuzzSplit checks split's promises on any shape of history: bounds in
// order, the kept counts honoured, and no tool result cut from its call.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("uaucttua"), 2, 2)
	f.Add([]byte("ctttttt"), 1, 3)
	f.Add([]byte(""), 3, 20)
	f.Fuzz(func(t *testing.T, shape []byte, first, last int) {
		msgs := make([]llm.Message, len(shape))
		for i, b := range shape {
			switch b % 4 {
			case 0:
				msgs[i].Role = llm.RoleUser
			case 1:
				msgs[i].Role = llm.RoleAssistant
			case 2:
				msgs[i].Role, msgs[i].ToolCalls = llm.RoleAssistant, []llm.ToolCall{{ID: "c"}}
			default:
				msgs[i].Role = llm.RoleTool
			}
		}
		h, tl := split(msgs, first, last)
		n := len(msgs)
		if h < 0 || h > tl || tl > n {
			t.Fatalf("bounds %d, %d of %d", h, tl, n)
		}
		if h < tl {
			if h < min(max(first, 0), n) || n-tl < max(last, 0) {
				t.Fatalf("kept too few: head %d tail %d of %d (first %d last %d)", h, tl, n, first, last)
			}
			if msgs[h].Role == llm.RoleTool || (tl < n && msgs[tl].Role == llm.RoleTool) {
				t.Fatalf("a tool result is cut from its call: %q at %d, %d", shape, h, tl)
			}
		}
	})
}
