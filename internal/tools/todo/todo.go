// Package todo owns the todo tool: the session's task list, which the
// model writes whole and reads back to keep track of multi-step work. The
// list lives in tools.Env.Values, so each session has its own.
package todo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hermes-go/hermes/internal/tools"
)

func init() { tools.Default.Register(Tool{}) }

// Limits of one list.
const (
	MaxItems   = 100
	MaxContent = 500 // characters of one item's content
)

// Status is where an item stands.
type Status string

// The statuses.
const (
	Pending    Status = "pending"
	InProgress Status = "in_progress"
	Completed  Status = "completed"
	Cancelled  Status = "cancelled"
)

// Item is one task.
type Item struct {
	ID      string `json:"id"`
	Content string `json:"content"`
	Status  Status `json:"status"`
}

type listKey struct{}

type list struct {
	mu    sync.Mutex
	items []Item
}

// Items returns a copy of the session's list (nil when values is nil or
// nothing was written), for frontends that show it.
func Items(values *tools.Values) []Item {
	if values == nil {
		return nil
	}
	l := load(values)
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Item(nil), l.items...)
}

func load(values *tools.Values) *list {
	return values.Load(listKey{}, func() any { return &list{} }).(*list)
}

// Tool is the todo tool.
type Tool struct{}

var _ tools.Tool = Tool{}

// Name returns "todo".
func (Tool) Name() string { return "todo" }

// Toolset returns "todo".
func (Tool) Toolset() string { return "todo" }

// Description tells the model how to keep its list.
func (Tool) Description() string {
	return "Keep a task list for multi-step work in this session. write replaces the whole list with todos " +
		"(each with id, content, status: pending, in_progress, completed or cancelled); read returns it. " +
		"Keep one item in_progress at a time and mark items completed as soon as they are done."
}

// Schema is the JSON Schema of the arguments.
func (Tool) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"action":{"type":"string","enum":["write","read"],"description":"write replaces the list; read returns it"},` +
		`"todos":{"type":"array","description":"write only: the whole new list","items":{"type":"object","properties":{` +
		`"id":{"type":"string","description":"a short unique id"},` +
		`"content":{"type":"string","description":"what to do"},` +
		`"status":{"type":"string","enum":["pending","in_progress","completed","cancelled"]}},` +
		`"required":["id","content","status"],"additionalProperties":false}}` +
		`},"required":["action"],"additionalProperties":false}`)
}

type args struct {
	Action string  `json:"action"`
	Todos  *[]Item `json:"todos"`
}

// Run writes or reads the list.
func (Tool) Run(_ context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a args
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&a); err != nil {
		return tools.Errorf("todo: bad arguments (%s); send {\"action\": \"write\", \"todos\": [{\"id\", \"content\", \"status\"}, ...]} or {\"action\": \"read\"}", oneLine(err)), nil
	}
	if env == nil || env.Values == nil {
		return tools.Result{}, errors.New("the session has no tool state (tools.Env.Values is nil)")
	}
	l := load(env.Values)
	switch a.Action {
	case "read":
		if a.Todos != nil {
			return tools.Errorf("todo: read takes no todos; use action write to change the list"), nil
		}
	case "write":
		if a.Todos == nil {
			return tools.Errorf("todo: write needs \"todos\", the whole new list (an empty list clears it)"), nil
		}
		items, err := validate(*a.Todos)
		if err != nil {
			return tools.Errorf("todo: %v; the list was not changed", err), nil
		}
		l.mu.Lock()
		l.items = items
		l.mu.Unlock()
	case "":
		return tools.Errorf("todo: \"action\" is missing; use write or read"), nil
	default:
		return tools.Errorf("todo: unknown action %q; use write or read", a.Action), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return tools.Result{Content: Render(l.items)}, nil
}

// validate checks a new list and returns it trimmed.
func validate(in []Item) ([]Item, error) {
	if len(in) > MaxItems {
		return nil, fmt.Errorf("the list has %d items, over the limit of %d; merge or drop some", len(in), MaxItems)
	}
	out := make([]Item, 0, len(in))
	ids := map[string]bool{}
	for i, it := range in {
		it.ID, it.Content = strings.TrimSpace(it.ID), strings.TrimSpace(it.Content)
		switch {
		case it.ID == "":
			return nil, fmt.Errorf("item %d has no id", i+1)
		case ids[it.ID]:
			return nil, fmt.Errorf("id %q is used twice; give each item its own id", it.ID)
		case it.Content == "":
			return nil, fmt.Errorf("item %q has no content", it.ID)
		case len([]rune(it.Content)) > MaxContent:
			return nil, fmt.Errorf("item %q is over %d characters; keep items short", it.ID, MaxContent)
		case strings.ContainsAny(it.ID+it.Content, "\n\r"):
			return nil, fmt.Errorf("item %q spans lines; keep id and content on one line", it.ID)
		}
		switch it.Status {
		case Pending, InProgress, Completed, Cancelled:
		default:
			return nil, fmt.Errorf("item %q has status %q; use pending, in_progress, completed or cancelled", it.ID, it.Status)
		}
		ids[it.ID] = true
		out = append(out, it)
	}
	return out, nil
}

// Render shows a list as the model and the user see it.
func Render(items []Item) string {
	if len(items) == 0 {
		return "the todo list is empty"
	}
	count := map[Status]int{}
	for _, it := range items {
		count[it.Status]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "todo list: %d items (%d completed, %d in progress, %d pending, %d cancelled)\n",
		len(items), count[Completed], count[InProgress], count[Pending], count[Cancelled])
	for _, it := range items {
		fmt.Fprintf(&b, "%s %s. %s\n", box(it.Status), it.ID, it.Content)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func box(s Status) string {
	switch s {
	case Completed:
		return "[x]"
	case InProgress:
		return "[>]"
	case Cancelled:
		return "[-]"
	}
	return "[ ]"
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
