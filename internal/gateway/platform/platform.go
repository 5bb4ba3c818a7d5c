// Package platform is the contract between the gateway core
// (internal/gateway) and the adapters under internal/gateway/platforms:
// what an inbound message is, what an adapter must do with the platform's
// acknowledgements, how replies and approvals go out, and how services
// that answer over HTTP (the API server, webhooks) run agent turns. It
// holds types and a registry only; adapters import it, never the core.
package platform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/config"
)

// ChatType says where a message was written.
type ChatType string

// Chat types.
const (
	DM      ChatType = "dm"
	Group   ChatType = "group"
	Channel ChatType = "channel"
	Thread  ChatType = "thread"
)

// Message is one inbound message from a chat platform.
type Message struct {
	Platform  string    // the adapter's Name
	ID        string    // the platform's id, unique per Platform and ChatID; the ledger's idempotency key
	ChatID    string    // chat, channel or room id
	ThreadID  string    // topic or thread inside ChatID; "" for none
	ChatType  ChatType  // dm, group, channel, thread
	UserID    string    // the sender's stable id
	UserName  string    // display name, for logs and prompts only; never for authorization
	Text      string    // the text; a slash command is kept as written ("/new")
	Mentioned bool      // the bot was addressed in a group (mention, reply to it)
	At        time.Time // when the platform says it was sent
}

// Key is the ledger key of m: platform, chat and message id.
func (m Message) Key() string { return m.Platform + ":" + m.ChatID + ":" + m.ID }

// Button is one inline button; Data comes back in a Callback.
type Button struct {
	Text string
	Data string // at most 64 bytes (Telegram's limit)
}

// Outbound is one message to send.
type Outbound struct {
	ChatID   string
	ThreadID string
	Text     string     // at most the adapter's MaxLen; the core splits longer replies
	ReplyTo  string     // platform message id to reply to; "" for none
	Buttons  [][]Button // rows of inline buttons (approvals); adapters without buttons append the choices as text
	// Key is the ledger's idempotency key of this delivery; an adapter
	// that can pass it to the platform does, others ignore it.
	Key string
}

// Sent is what the platform returned for a sent message.
type Sent struct {
	ID string // the platform's message id
}

// Callback is a button pressed by a user.
type Callback struct {
	Platform string
	ID       string // the platform's callback id, answered by the adapter
	ChatID   string
	ThreadID string
	UserID   string
	Data     string
}

// Handler is the core as an adapter sees it.
type Handler interface {
	// Inbound journals m durably and returns; the turn runs later. Only
	// after it returned nil may the adapter acknowledge m to the platform
	// (Telegram: move the getUpdates offset past it). An error means the
	// message was not journaled: do not acknowledge it, fetch it again.
	Inbound(ctx context.Context, m Message) error
	// Pressed handles a button press (approvals).
	Pressed(ctx context.Context, c Callback) error
	// Connected reports a change of the adapter's connection, for
	// /healthz and `gateway status`.
	Connected(name string, up bool, err error)
}

// Adapter connects one chat platform.
type Adapter interface {
	Name() string
	// Run connects and feeds inbound messages to h until ctx ends or the
	// connection fails for good; the core restarts it after
	// gateway.restart_delay.
	Run(ctx context.Context, h Handler) error
	// Send delivers o and returns the platform's id for it.
	Send(ctx context.Context, o Outbound) (Sent, error)
	// MaxLen is the longest text Send accepts.
	MaxLen() int
}

// Typer is an adapter that can show "typing…".
type Typer interface {
	Typing(ctx context.Context, chatID, threadID string) error
}

// Editor is an adapter that can edit a message it sent.
type Editor interface {
	Edit(ctx context.Context, chatID, messageID, text string) error
}

// HomeChannel is an adapter's configured home channel for cron results
// (platforms.<name>.home_channel); "" when none.
type HomeChannel interface {
	Home() string
}

// TargetParser is an adapter whose chat ids contain ':' (Matrix room
// ids, !opaque:server[:port]): it splits the CHAT[:THREAD] part of a
// delivery target itself. Adapters without it split at the first ':'.
type TargetParser interface {
	ParseTarget(rest string) (chat, thread string, err error)
}

// Event is progress of a turn, for streaming frontends.
type Event struct {
	Kind string // "text" (a delta of the answer), "tool" (a tool call started), "tool_done"
	Text string // the delta, or the tool's progress line (redacted)
	Tool string // the tool's name for tool events
}

// TurnRequest asks the agent for one turn.
type TurnRequest struct {
	// SessionKey names the conversation; the same key continues it.
	SessionKey string
	Text       string
	// System is an extra system message for this turn (the API server's
	// system role); "" for none.
	System string
	// Source says who asked, for the session's metadata ("api_server",
	// "webhook:ROUTE").
	Source string
	// Origin is the chat the message came from as a delivery target
	// (PLATFORM:CHAT[:THREAD]); "" for services (the API server,
	// webhooks). A job the agent schedules in this turn delivers there
	// by default.
	Origin string
	// Events receives progress when not nil; it must not block.
	Events func(Event)
}

// TurnResult is what a turn produced.
type TurnResult struct {
	Text         string
	SessionID    string
	InputTokens  int
	OutputTokens int
}

// Agent runs turns: the core implements it over the runtime, with the
// unattended approval policy.
type Agent interface {
	Turn(ctx context.Context, r TurnRequest) (TurnResult, error)
}

// Deliver sends text to a delivery target (`local`, `telegram`,
// `telegram:CHAT[:THREAD]`, `origin`, `all`, a comma list), as cron does.
type Deliver func(ctx context.Context, target, text string) error

// Deps are what the core gives a factory.
type Deps struct {
	Config *config.Config
	// Env looks a variable up in the home's .env, then the environment.
	Env func(string) (string, bool)
	// Agent runs turns (services use it directly; chat adapters go
	// through Handler).
	Agent Agent
	// Deliver sends a service's result to configured targets.
	Deliver Deliver
	// StateDir is a private directory for this platform's files (0700).
	StateDir string
	// Logf writes a line to the gateway log; never a secret.
	Logf func(format string, args ...any)
}

// Service is a platform that answers over HTTP on its own listener or on
// the gateway's (the API server, webhooks).
type Service interface {
	Name() string
	// Handler serves the platform's routes.
	Handler() http.Handler
	// Listen is the address the service binds on its own; "" mounts
	// Handler on the gateway's listener.
	Listen() string
}

// ErrDisabled is returned by a factory whose platform is not enabled.
var ErrDisabled = errors.New("platform not enabled")

// AdapterFactory builds a chat adapter from config.
type AdapterFactory func(d Deps) (Adapter, error)

// ServiceFactory builds an HTTP service from config.
type ServiceFactory func(d Deps) (Service, error)

var (
	mu       sync.Mutex
	adapters = map[string]AdapterFactory{}
	services = map[string]ServiceFactory{}
)

// RegisterAdapter registers a chat adapter under name; adapters call it
// from init. A name registered twice panics.
func RegisterAdapter(name string, f AdapterFactory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := adapters[name]; dup {
		panic(fmt.Sprintf("platform: adapter %q registered twice", name))
	}
	adapters[name] = f
}

// RegisterService registers an HTTP service under name.
func RegisterService(name string, f ServiceFactory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := services[name]; dup {
		panic(fmt.Sprintf("platform: service %q registered twice", name))
	}
	services[name] = f
}

// Adapters returns the registered adapter factories by name.
func Adapters() map[string]AdapterFactory {
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]AdapterFactory, len(adapters))
	for k, v := range adapters {
		out[k] = v
	}
	return out
}

// Services returns the registered service factories by name.
func Services() map[string]ServiceFactory {
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]ServiceFactory, len(services))
	for k, v := range services {
		out[k] = v
	}
	return out
}

// Names lists every registered platform, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	var out []string
	for k := range adapters {
		out = append(out, k)
	}
	for k := range services {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
