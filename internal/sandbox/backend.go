// Package sandbox owns where shell commands run: the Backend interface
// every terminal backend implements (local, bubblewrap, docker, ssh,
// singularity/apptainer, modal), the registry that backends add
// themselves to, the environment filter that keeps provider keys and
// messaging tokens out of child processes, output capping, and the
// persistent shell that keeps cd and exports across a session's commands.
//
// A command reaches a backend only after internal/guard has allowed it;
// this package does not judge commands, it confines them.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/config"
)

// Defaults for a Spec that leaves them out.
const (
	DefaultTimeout   = 180 * time.Second
	DefaultMaxOutput = 1 << 20
)

// Spec is one command to run.
type Spec struct {
	Command   string            // shell text, run with the backend's sh -c (or its persistent shell)
	Dir       string            // working directory as the command sees it; "" is the workspace
	Env       map[string]string // extra variables for this command, already filtered
	Stdin     io.Reader         // nil: empty stdin
	Timeout   time.Duration     // 0: DefaultTimeout; the whole process tree is killed when it passes
	MaxOutput int               // bytes of output kept; 0: DefaultMaxOutput (see Capture)
}

// Result is how a foreground command ended.
type Result struct {
	Output    string        // stdout and stderr as the process wrote them, capped
	ExitCode  int           // the command's status; -1 when it was killed
	TimedOut  bool          // killed because Timeout passed
	Truncated bool          // output went past MaxOutput and its middle was dropped
	Duration  time.Duration // wall time
}

// Process is a command running in the background.
type Process interface {
	ID() string             // stable id for the process tool ("bg-3")
	Command() string        // the command text
	Output() (string, bool) // output so far (capped) and whether it was truncated
	Done() <-chan struct{}  // closed when the process has ended
	ExitCode() (int, bool)  // the status, and whether it has ended
	Kill() error            // ends the process tree; a no-op once ended
}

// Backend runs commands somewhere.
type Backend interface {
	// Name is the backend's config name ("local", "docker", ...).
	Name() string
	// Workspace is the working directory commands start in, as they see it.
	Workspace() string
	// Run runs a command to its end, its timeout, or ctx's end, and kills
	// the whole process tree in the last two cases. An error means the
	// command could not be run at all; a failing command is a Result
	// with its exit code.
	Run(ctx context.Context, s Spec) (*Result, error)
	// Start runs a command in the background; it lives until it ends, is
	// killed, or the backend is closed.
	Start(ctx context.Context, s Spec) (Process, error)
	// Close kills background processes and releases what the backend
	// holds (containers, connections, shells).
	Close() error
}

// ShellBackend is a Backend that can keep one shell per session, so cd
// and exports carry over from one command to the next.
type ShellBackend interface {
	Backend
	// Shell starts a persistent shell in the workspace.
	Shell(ctx context.Context) (Shell, error)
}

// Shell is a persistent shell: commands run one after another in it.
type Shell interface {
	Run(ctx context.Context, s Spec) (*Result, error)
	Close() error
}

// Options is what every backend is built from.
type Options struct {
	Terminal  config.Terminal // the terminal section of config.yaml
	Workspace string          // host folder commands work in (created if missing); local/bubblewrap use it as is, docker mounts it
	HomeDir   string          // the hermes home: never visible inside a sandbox (its .env and auth.json above all)
	Env       []string        // the parent environment (os.Environ()), filtered by FilterEnv before any child sees it
}

// Factory builds a backend.
type Factory func(ctx context.Context, o Options) (Backend, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a backend available under name. Backends call it from
// init; registering a name twice panics.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("sandbox: backend " + name + " registered twice")
	}
	registry[name] = f
}

// Names lists the registered backends and auto.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry)+1)
	out = append(out, Auto)
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrUnknownBackend is returned by New for a name nobody registered.
var ErrUnknownBackend = errors.New("unknown terminal backend")

// New builds the backend config names (terminal.backend); "" is local.
// auto becomes bubblewrap or local as ResolveAuto says; falling back to
// local prints LocalWarning to Warnings, once per process.
func New(ctx context.Context, o Options) (Backend, error) {
	name := o.Terminal.Backend
	switch name {
	case "":
		name = "local"
	case Auto:
		c := ResolveAuto()
		if !c.Isolated() {
			warnLocal(c)
		}
		name = c.Backend
	}
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (available: %v)", ErrUnknownBackend, name, Names())
	}
	return f(ctx, o)
}

// Normalize fills a Spec's defaults.
func (s Spec) Normalize() Spec {
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	if s.MaxOutput <= 0 {
		s.MaxOutput = DefaultMaxOutput
	}
	return s
}
