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

type (
	storeKey     struct{}
	summariseKey struct{}
)

// Configure gives a session's tools the store to search; without it the
// tool says that no session store is open. summarise, when not nil, is the
// auxiliary.session_search model: it sums up what the hits say about the
// query, above the hits themselves.
func Configure(env *tools.Env, st *store.Store, summarise tools.Summarise) {
	env.Values.Set(storeKey{}, st)
	if summarise != nil {
		env.Values.Set(summariseKey{}, summarise)
	}
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
	return tools.Result{Content: summary(ctx, env, a.Query, b.String()) + b.String()}, nil
}

// summary asks the auxiliary.session_search model, when one is set, what
// the hits say about the query. A failure is one line; the hits follow in
// every case.
func summary(ctx context.Context, env *tools.Env, query, hits string) string {
	x, _ := env.Values.Get(summariseKey{})
	fn, _ := x.(tools.Summarise)
	if fn == nil {
		return ""
	}
	text, err := fn(ctx, fmt.Sprintf("These are excerpts of earlier conversations that match the search %q. "+
		"Say in a few sentences what they tell about it: decisions, facts, commands, dates. Say so when they do not answer it.", query), hits)
	if err != nil || strings.TrimSpace(text) == "" {
		reason := "an empty answer"
		if err != nil {
			reason = err.Error()
		}
		return fmt.Sprintf("[the auxiliary.session_search model could not summarise the hits (%s)]\n\n", reason)
	}
	return "Summary: " + strings.TrimSpace(text) + "\n\n"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
