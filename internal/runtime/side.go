package runtime

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

// sideTasks are the auxiliary tasks a tool family asks through a
// tools.Summarise: each is used only when its auxiliary.<task> names a
// provider or model (unset, the tool works without a side model).
var sideTasks = []string{"web_extract", "session_search"}

// openSide builds the Routers of the side tasks that config sets, and the
// children's Router when delegation.model is set. A task whose endpoint does
// not resolve is a warning and runs without its model.
func (rt *Runtime) openSide() {
	c := rt.o.Config
	rt.side = map[string]*llm.Router{}
	if rt.o.Aux == nil {
		return
	}
	for _, task := range sideTasks {
		e := sideEndpoint(c, task)
		if e.Provider == "" && e.Model == "" {
			continue
		}
		r, err := rt.o.Aux(task)
		if err != nil {
			rt.notify("warning: auxiliary." + task + ": " + err.Error() + "; " + task + " runs without its model")
			continue
		}
		rt.side[task] = r
	}
}

// childRouter is the Router of delegated children: delegation.model when it
// names a provider or model, else nil (children use the parent's chain).
func (rt *Runtime) childRouter() (*llm.Router, error) {
	m := rt.o.Config.Delegation.Model
	if (m.Provider == "" && m.Model == "") || rt.o.Aux == nil {
		return nil, nil
	}
	r, err := rt.o.Aux(llm.DelegationTask)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func sideEndpoint(c *config.Config, task string) config.Endpoint {
	switch task {
	case "web_extract":
		return c.Auxiliary.WebExtract
	case "session_search":
		return c.Auxiliary.SessionSearch
	}
	return config.Endpoint{}
}

// summariser is the side task's model as a tools.Summarise, or nil.
func (rt *Runtime) summariser(task string) tools.Summarise {
	r := rt.side[task]
	if r == nil {
		return nil
	}
	return func(ctx context.Context, instruction, text string) (string, error) {
		zero := 0.0
		resp, err := r.Chat(ctx, llm.Request{
			System:      instruction,
			Messages:    []llm.Message{{Role: llm.RoleUser, Content: text}},
			Temperature: &zero,
		}, nil)
		if err != nil {
			return "", err
		}
		return resp.Text, nil
	}
}

// flushPrompt asks the model to save what it should remember before the
// middle of the conversation is summarised away (memory.flush_on_compress).
const flushPrompt = "The middle of this conversation is about to be summarised to save context. " +
	"Before that, save with the memory tool anything from it worth keeping for future sessions " +
	"(facts about the user, their projects, decisions, preferences) that is not already in memory. " +
	"Call the memory tool only; if nothing is worth saving, answer \"nothing to save\"."

// flushMemories is agent.Options.Flush: one model call that may only use
// the memory tool, whose calls are run. Sessions without the memory tool
// are left alone.
func (rt *Runtime) flushMemories(ctx context.Context, s *agent.Session) error {
	mem, ok := rt.registry.Lookup("memory")
	if !ok || !slices.Contains(rt.toolsets, mem.Toolset()) {
		return nil
	}
	allowed := []tools.Tool{mem}
	msgs := append(slices.Clone(s.Messages), llm.Message{Role: llm.RoleUser, Content: flushPrompt})
	resp, err := rt.o.Router.Chat(ctx, llm.Request{System: s.System, Messages: msgs, Tools: tools.Schemas(allowed)}, nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, call := range resp.ToolCalls {
		if res := rt.registry.Call(ctx, s.Env, allowed, call); res.IsError {
			errs = append(errs, errors.New(strings.TrimPrefix(res.Content, "error: ")))
		}
	}
	return errors.Join(errs...)
}
