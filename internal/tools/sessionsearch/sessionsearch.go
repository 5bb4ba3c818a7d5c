// Package sessionsearch owns the session_search tool: full-text search
// over every stored session (internal/store's FTS5 index), so the agent can
// find what was said before ("what did we decide about the deploy?").
package sessionsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/tools"
)

func init() { tools.Default.Register(Tool{}) }

// Tool is session_search.
type Tool struct{}

var _ tools.Tool = Tool{}

type storeKey struct{}

// Configure gives a session's tools the store to search; without it the
// tool says that no session store is open.
func Configure(env *tools.Env, st *store.Store) {
	env.Values.Set(storeKey{}, st)
}

func (Tool) Name() string    { return "session_search" }
func (Tool) Toolset() string { return "session_search" }
func (Tool) Description() string {
	return "Search the text of earlier conversations (every stored session, best matches first). " +
		"Use it to recall decisions, facts or commands from past sessions. Words are AND-ed; \"quoted phrases\" match exactly."
}
func (Tool) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"query":{"type":"string","description":"words to find"},` +
		`"limit":{"type":"integer","minimum":1,"maximum":50,"description":"most hits to return (default 10)"},` +
		`"session_id":{"type":"string","description":"search only this session"}},` +
		`"required":["query"],"additionalProperties":false}`)
}

type args struct {
	Query     string `json:"query"`
	Limit     int    `json:"limit"`
	SessionID string `json:"session_id"`
}

func (Tool) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a args
	if err := json.Unmarshal(raw, &a); err != nil {
		return tools.Errorf("session_search: %v; send {\"query\": \"words\"}", err), nil
	}
	if strings.TrimSpace(a.Query) == "" {
		return tools.Errorf("session_search: query is empty; give the words to look for"), nil
	}
	if a.Limit <= 0 || a.Limit > 50 {
		a.Limit = 10
	}
	var st *store.Store
	if env != nil && env.Values != nil {
		x, _ := env.Values.Get(storeKey{})
		st, _ = x.(*store.Store)
	}
	if st == nil {
		return tools.Errorf("session_search: no session store is open in this run"), nil
	}
	hits, err := st.Search(ctx, a.Query, store.SearchOptions{Limit: a.Limit, SessionID: a.SessionID})
	if err != nil {
		return tools.Result{}, err
	}
	if len(hits) == 0 {
		return tools.Result{Content: fmt.Sprintf("no messages match %q", a.Query)}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d match(es) for %q:\n", len(hits), a.Query)
	for _, h := range hits {
		fmt.Fprintf(&b, "- session %s (%s, %s) %s: %s\n", h.SessionID, h.Source, h.CreatedAt.Format("2006-01-02 15:04"), h.Role, oneLine(h.Snippet))
	}
	return tools.Result{Content: b.String()}, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
