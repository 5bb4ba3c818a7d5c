// Package agent owns the conversation loop, independent of any frontend:
// a frontend hands it a Session and a line of user text and reads Events.
//
// A Turn appends the user message, then loops: a preflight compression
// check, one model call through the Router (streamed to the frontend as
// Events), and, when the reply asks for tools, the tool calls (in parallel
// up to agent.max_parallel_tools, interactive tools such as clarify alone),
// each answered by exactly one tool message in the order of the calls. The
// loop ends on a reply without tool calls, when agent.max_turns model calls
// are spent (TurnResult.Exhausted), or when the loop guard sees
// agent.loop_guard identical failing calls in a row (TurnResult.LoopGuard).
//
// Interrupts are context cancellation. A cancelled model call leaves no
// assistant message: the partial text already streamed to the frontend is
// dropped from the history (an EventReset tells the frontend so), because
// an incomplete answer is never a valid turn. A cancelled tool batch keeps
// the results of the calls that finished and answers every other call with
// an "interrupted" tool message, so the history stays valid for the next
// Turn. Turn then returns ctx's error.
//
// Compression estimates the prompt as the input tokens the provider
// reported for the last call plus a quarter of the characters added since
// (a quarter of all characters when no call has been made), and when it
// passes compression.threshold × model.context_length, summarises the
// middle of the history with the auxiliary "compression" model, keeping
// compression.keep_first and keep_last messages and never separating an
// assistant's tool calls from their results. A failed summary keeps the
// history untouched and emits a warning.
//
// The package holds no state of its own: everything about a conversation
// lives in its Session.
package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

// DefaultContextLength is the context window assumed when
// model.context_length is 0.
const DefaultContextLength = 128_000

// Options configure an Agent.
type Options struct {
	// Router is the main chain: primary model, then fallbacks.
	Router *llm.Router
	// Aux returns the Router of a side task; the agent asks it for
	// "compression". Nil: compression is unavailable and warns.
	Aux func(task string) (*llm.Router, error)
	// ChildRouter answers delegated children (delegation.model); nil uses
	// Router.
	ChildRouter *llm.Router
	// Registry holds the tools; nil is an empty registry.
	Registry *tools.Registry
	// Toolsets are the toolsets enabled for this frontend.
	Toolsets []string
	// Config supplies agent, model, compression and delegation settings;
	// nil is config.Default().
	Config *config.Config
	// Clock times tool calls; nil is the real clock.
	Clock clock.Clock
	// Flush runs before the history is compressed (the memory flush of
	// memory.flush_on_compress); a failure is a warning, not a stop.
	Flush func(ctx context.Context, s *Session) error
}

// Agent runs conversations. It is safe for concurrent use by many
// sessions; one session runs one Turn at a time.
type Agent struct {
	opts Options
	cfg  *config.Config
}

// New returns an Agent; it needs a Router.
func New(o Options) (*Agent, error) {
	if o.Router == nil {
		return nil, errors.New("agent: no model router; build one with llm.FromConfig")
	}
	if o.Registry == nil {
		o.Registry = tools.NewRegistry()
	}
	if o.Config == nil {
		o.Config = config.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if _, err := o.Registry.Enabled(o.Toolsets); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return &Agent{opts: o, cfg: o.Config}, nil
}

// Recorder persists a session as it grows (the session store). Every
// message is appended as soon as it is part of the history; usage is
// reported after each model call.
type Recorder interface {
	Append(ctx context.Context, sessionID string, msgs ...llm.Message) error
	Usage(ctx context.Context, sessionID string, u llm.Usage) error
	// Compressed starts the child session that continues parentID after
	// compression; the agent then appends the whole compressed history
	// to it.
	Compressed(ctx context.Context, parentID string, summary string) (newSessionID string, err error)
}

// Session is one conversation.
type Session struct {
	ID string
	// System is the system prompt, fixed when the session is created.
	System   string
	Messages []llm.Message
	// Usage is the total of every model call of the session.
	Usage llm.Usage
	// Env is what the session's tools use; nil gets an empty one.
	Env *tools.Env
	// Depth is 0 for a top-level session, parent's + 1 for a delegated child.
	Depth int
	// MaxIterations overrides agent.max_turns for this session (children).
	MaxIterations int
	// Recorder persists the session; nil keeps it in memory only.
	Recorder Recorder

	busy atomic.Bool
	em   *emitter // the events of the running turn

	setup     sync.Once
	setupErr  error
	reg       *tools.Registry // enabled tools plus the session's own
	defs      []llm.Tool      // their schemas, for every request
	toolChars int             // characters of defs, for the estimate

	// The last call's reported prompt size and the history length then.
	promptTokens int
	promptLen    int
}

// TurnResult is what a Turn produced.
type TurnResult struct {
	Text       string    // the final answer (or the stop message)
	Usage      llm.Usage // of every model call of this turn
	Iterations int       // model calls made
	Provider   string    // the endpoint that gave the last answer
	Model      string    // the model it reported
	Exhausted  bool      // the iteration budget ran out
	LoopGuard  bool      // stopped by the loop guard
}

// ErrBusy is returned by Turn and Compress when the session is already
// running one.
var ErrBusy = errors.New("agent: the session is busy with another turn; wait for it or stop it first")

func (a *Agent) maxIterations(s *Session) int {
	if s.MaxIterations > 0 {
		return s.MaxIterations
	}
	return max(a.cfg.Agent.MaxTurns, 1)
}

func (a *Agent) contextLength() int {
	if n := a.cfg.Model.ContextLength; n > 0 {
		return n
	}
	return DefaultContextLength
}
