package runtime

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/llm"
)

// TestFlushOnCompress: memory.flush_on_compress gives the model one call
// with only the memory tool before compression, and runs its memory calls;
// off, compression goes straight to the summary.
func TestFlushOnCompress(t *testing.T) {
	t.Parallel()
	script := `
steps:
  - match: {contains: "about to be summarised"}
    times: -1
    response:
      tool_calls: [{id: f1, name: memory, arguments: '{"action": "add", "target": "user", "content": "Deploys billing on Fridays."}'}]
  - match: {has_tools: false}
    times: -1
    response: {text: "The user talked about deploys."}
  - times: -1
    response: {text: "noted"}
`
	for _, flush := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[flush], func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, script)
			f.cfg.Memory.FlushOnCompress = flush
			f.cfg.Compression.KeepFirst, f.cfg.Compression.KeepLast = 1, 2
			rt := f.open(t, Options{Unattended: true})
			ctx := context.Background()
			s, err := rt.NewSession(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range []string{"we deploy billing on Fridays", "and test on Thursdays", "ok", "thanks"} {
				if _, err := rt.Agent.Turn(ctx, s, msg, nil); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := rt.Agent.Compress(ctx, s); err != nil {
				t.Fatal(err)
			}
			user, _ := os.ReadFile(filepath.Join(f.home.Dir, "memories", "USER.md"))
			if saved := strings.Contains(string(user), "Deploys billing on Fridays."); saved != flush {
				t.Errorf("memory saved: %v, want %v (USER.md %q)", saved, flush, user)
			}
			var flushReq bool
			for _, r := range f.srv.Requests() {
				if len(r.Messages) > 0 && strings.Contains(r.Messages[len(r.Messages)-1].Text, "about to be summarised") {
					flushReq = true
					if !slices.Equal(r.Tools, []string{"memory"}) {
						t.Errorf("the flush offered %v, want only memory", r.Tools)
					}
				}
			}
			if flushReq != flush {
				t.Errorf("flush request sent: %v, want %v", flushReq, flush)
			}
		})
	}
}

// TestDelegationModel: delegation.model answers the children, the parent
// stays on model.default.
func TestDelegationModel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, `
steps:
  - match: {model: child-model}
    times: -1
    response: {text: "child done"}
  - match: {contains: "delegate it", model: scripted}
    response:
      tool_calls: [{id: d1, name: delegate_task, arguments: '{"tasks": [{"goal": "count the files"}]}'}]
  - match: {tool_result: true, model: scripted}
    response: {text: "parent done"}
`)
	f.cfg.Delegation.Model = config.Endpoint{Model: "child-model"}
	rt := f.openAux(t, Options{Unattended: true})
	s, err := rt.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := rt.Agent.Turn(context.Background(), s, "delegate it", nil)
	if err != nil || res.Text != "parent done" {
		t.Fatalf("turn: %+v, %v", res, err)
	}
	models := map[string]int{}
	for _, r := range f.srv.Requests() {
		models[r.Model]++
	}
	if models["child-model"] == 0 || models["scripted"] != 2 {
		t.Errorf("requests per model: %v; want the child on child-model", models)
	}
}

// TestSideModels: auxiliary.session_search summarises hits with its own
// model; unset, the tool answers without one.
func TestSideModels(t *testing.T) {
	t.Parallel()
	script := `
steps:
  - match: {model: side-model}
    times: -1
    response: {text: "They deploy on Fridays."}
  - match: {contains: "search it"}
    times: -1
    response:
      tool_calls: [{id: s1, name: session_search, arguments: '{"query": "fridays"}'}]
  - match: {tool_result: true}
    times: -1
    response: {text: "found"}
  - times: -1
    response: {text: "we deploy on fridays"}
`
	for _, set := range []bool{true, false} {
		t.Run(map[bool]string{true: "set", false: "unset"}[set], func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, script)
			if set {
				f.cfg.Auxiliary.SessionSearch = config.Endpoint{Model: "side-model"}
			}
			rt := f.openAux(t, Options{Unattended: true})
			ctx := context.Background()
			s, err := rt.NewSession(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []string{"fridays are deploy days", "search it"} {
				if _, err := rt.Agent.Turn(ctx, s, m, nil); err != nil {
					t.Fatal(err)
				}
			}
			reqs := f.srv.Requests()
			last := reqs[len(reqs)-1]
			result := last.Messages[len(last.Messages)-1].Text
			if got := strings.Contains(result, "Summary: They deploy on Fridays."); got != set {
				t.Errorf("summary in the tool result: %v, want %v:\n%s", got, set, result)
			}
		})
	}
}

// openAux opens a runtime whose Aux resolves side tasks from config, as the
// CLI's does.
func (f *fixture) openAux(t *testing.T, o Options) *Runtime {
	t.Helper()
	chain, err := llm.Chain(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.Home, o.Config, o.Cwd = f.home, f.cfg, f.project
	o.Router = llm.NewRouter(chain, llm.Options{Stream: true})
	o.Aux = func(task string) (*llm.Router, error) { return llm.AuxFromConfig(f.cfg, task, llm.Options{}) }
	rt, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// TestCloseStopsTheTitleModel: a title model that does not answer is
// cancelled by Close, which waits for it, so nothing writes to the store
// after it is closed.
func TestCloseStopsTheTitleModel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "steps: [{times: -1, response: {text: 'On Friday.'}}]")
	asked, gone := make(chan struct{}), make(chan struct{})
	var once sync.Once
	title := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server watches the connection
		once.Do(func() {
			close(asked)
			select {
			case <-r.Context().Done(): // the client gave up
				close(gone)
			case <-time.After(time.Minute):
			}
		})
	}))
	t.Cleanup(title.Close)
	f.cfg.Auxiliary.Title = config.Endpoint{Provider: "custom", Model: "titler", BaseURL: title.URL + "/v1"}
	rt := f.openAux(t, Options{Unattended: true})
	ctx := context.Background()
	s, err := rt.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Agent.Turn(ctx, s, "when do we deploy?", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-asked:
	case <-time.After(30 * time.Second):
		t.Fatal("the title model was never asked")
	}
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	// The client has given up by now; the server notices the closed
	// connection shortly after (without the cancel it would wait for the
	// title's 30-second timeout).
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("Close returned while the title request was still open")
	}
}
