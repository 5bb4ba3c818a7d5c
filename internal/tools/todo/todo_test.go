package todo

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

func call(t testing.TB, env *tools.Env, args string) llm.Message {
	t.Helper()
	return tools.Default.Call(context.Background(), env, nil, llm.ToolCall{ID: "c1", Name: "todo", Arguments: args})
}

func TestWriteRead(t *testing.T) {
	t.Parallel()
	env := &tools.Env{Values: &tools.Values{}}
	if got := call(t, env, `{"action":"read"}`); got.IsError || got.Content != "the todo list is empty" {
		t.Fatalf("empty read: %+v", got)
	}
	write := `{"action":"write","todos":[
		{"id":"1","content":" read the spec ","status":"completed"},
		{"id":"2","content":"write the code","status":"in_progress"},
		{"id":"3","content":"test it","status":"pending"},
		{"id":"4","content":"gold-plate it","status":"cancelled"}]}`
	want := "todo list: 4 items (1 completed, 1 in progress, 1 pending, 1 cancelled)\n" +
		"[x] 1. read the spec\n[>] 2. write the code\n[ ] 3. test it\n[-] 4. gold-plate it"
	if got := call(t, env, write); got.IsError || got.Content != want {
		t.Fatalf("write: %+v\nwant %q", got, want)
	}
	if got := call(t, env, `{"action":"read"}`); got.Content != want {
		t.Errorf("read after write: %q", got.Content)
	}
	items := Items(env.Values)
	if len(items) != 4 || items[0] != (Item{ID: "1", Content: "read the spec", Status: Completed}) {
		t.Errorf("Items: %+v", items)
	}
	items[0].Content = "changed"
	if Items(env.Values)[0].Content != "read the spec" {
		t.Error("Items returned the session's own slice")
	}
	other := &tools.Env{Values: &tools.Values{}}
	if got := call(t, other, `{"action":"read"}`); got.Content != "the todo list is empty" {
		t.Errorf("another session sees the list: %q", got.Content)
	}
	if got := call(t, env, `{"action":"write","todos":[]}`); got.Content != "the todo list is empty" {
		t.Errorf("clearing: %q", got.Content)
	}
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", MaxContent+1)
	many, _ := json.Marshal(map[string]any{"action": "write", "todos": func() []Item {
		var out []Item
		for i := range MaxItems + 1 {
			out = append(out, Item{ID: strings.Repeat("i", i+1), Content: "c", Status: Pending})
		}
		return out
	}()})
	tests := []struct{ args, want string }{
		{`{}`, `"action" is missing`},
		{`{"action":"delete"}`, `unknown action "delete"`},
		{`{"action":"write"}`, `write needs "todos"`},
		{`{"action":"read","todos":[]}`, "read takes no todos"},
		{`{"action":"write","todos":"a, b"}`, "bad arguments"},
		{`{"action":"write","todos":[{"id":"1","content":"a","status":"done"}]}`, `status "done"`},
		{`{"action":"write","todos":[{"id":"","content":"a","status":"pending"}]}`, "item 1 has no id"},
		{`{"action":"write","todos":[{"id":"1","content":"a","status":"pending"},{"id":"1","content":"b","status":"pending"}]}`, `id "1" is used twice`},
		{`{"action":"write","todos":[{"id":"1","content":" ","status":"pending"}]}`, "has no content"},
		{`{"action":"write","todos":[{"id":"1","content":"` + long + `","status":"pending"}]}`, "over 500 characters"},
		{`{"action":"write","todos":[{"id":"1","content":"a\nb","status":"pending"}]}`, "spans lines"},
		{`{"action":"write","todos":[{"id":"1","content":"a","status":"pending","due":"now"}]}`, "unknown field"},
		{string(many), "over the limit of 100"},
	}
	env := &tools.Env{Values: &tools.Values{}}
	call(t, env, `{"action":"write","todos":[{"id":"keep","content":"me","status":"pending"}]}`)
	for _, tt := range tests {
		m := call(t, env, tt.args)
		if !m.IsError || strings.Contains(m.Content, "\n") || !strings.Contains(m.Content, tt.want) {
			t.Errorf("%.80s: %+v, want a one-line error with %q", tt.args, m, tt.want)
		}
	}
	if items := Items(env.Values); len(items) != 1 || items[0].ID != "keep" {
		t.Errorf("a bad write changed the list: %+v", items)
	}
	if m := call(t, &tools.Env{}, `{"action":"read"}`); !m.IsError {
		t.Errorf("no Values: %+v", m)
	}
}

// FuzzRun: any arguments give a list or a one-line error, and a failed
// write leaves the list as it was.
func FuzzRun(f *testing.F) {
	f.Add(`{"action":"write","todos":[{"id":"1","content":"a","status":"pending"}]}`)
	f.Add(`{"action":"read"}`)
	f.Add(`{"action":"write","todos":[{"id":"1"}]}`)
	f.Fuzz(func(t *testing.T, args string) {
		env := &tools.Env{Values: &tools.Values{}}
		call(t, env, `{"action":"write","todos":[{"id":"x","content":"y","status":"pending"}]}`)
		m := call(t, env, args)
		if m.IsError {
			if strings.Contains(m.Content, "\n") {
				t.Fatalf("multi-line error %q", m.Content)
			}
			if items := Items(env.Values); len(items) != 1 || items[0].ID != "x" {
				t.Fatalf("a failed call changed the list: %+v", items)
			}
		}
	})
}

func BenchmarkWrite(b *testing.B) {
	var items []Item
	for i := range 20 {
		items = append(items, Item{ID: strings.Repeat("a", i+1), Content: "a task of ordinary length for a model to write", Status: Pending})
	}
	raw, _ := json.Marshal(map[string]any{"action": "write", "todos": items})
	env := &tools.Env{Values: &tools.Values{}}
	for b.Loop() {
		if _, err := (Tool{}).Run(context.Background(), env, raw); err != nil {
			b.Fatal(err)
		}
	}
}
