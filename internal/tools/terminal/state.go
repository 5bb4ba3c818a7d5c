package terminal

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/tools"
)

// Settings are the terminal section of config.yaml as the tools use it.
type Settings struct {
	Timeout         time.Duration // default and cap of a foreground command's timeout (terminal.timeout)
	MaxOutput       int           // bytes of output kept per command (terminal.max_output)
	PersistentShell bool          // keep one shell per session (terminal.persistent_shell)
	EnvPassthrough  []string      // variables commands run outside the sandbox also get (terminal.env_passthrough)
}

// DefaultSettings are the settings of a session nobody configured: the
// config defaults.
func DefaultSettings() Settings {
	return Settings{Timeout: sandbox.DefaultTimeout, MaxOutput: sandbox.DefaultMaxOutput, PersistentShell: true}
}

// SettingsFromConfig reads c; zero fields keep their defaults.
func SettingsFromConfig(c config.Terminal) Settings {
	s := DefaultSettings()
	if c.Timeout > 0 {
		s.Timeout = c.Timeout.D()
	}
	if c.MaxOutput > 0 {
		s.MaxOutput = c.MaxOutput
	}
	s.PersistentShell = c.PersistentShell
	s.EnvPassthrough = c.EnvPassthrough
	return s
}

// stateKey is the key of the terminal family's state in tools.Values.
type stateKey struct{}

// state is one session's terminal state: its settings, its persistent
// shell and its background processes.
type state struct {
	mu       sync.Mutex
	settings Settings
	shell    sandbox.Shell
	shellOf  sandbox.Backend // the backend the shell belongs to
	host     sandbox.Backend // the local backend escalated commands run on; nil until the first
	procs    map[string]*proc
	order    []string // process ids, oldest first
}

// proc is a background process and how much of its output the model has
// read through poll and wait.
type proc struct {
	p         sandbox.Process
	started   time.Time
	maxOutput int // the Spec's MaxOutput, to find the capture's marker

	mu   sync.Mutex
	seen int64
}

var errNoValues = errors.New("the session has no tool state (tools.Env.Values is nil); the agent must give every session a tools.Values")

func load(env *tools.Env) (*state, error) {
	if env == nil || env.Values == nil {
		return nil, errNoValues
	}
	v := env.Values.Load(stateKey{}, func() any {
		return &state{settings: DefaultSettings(), procs: map[string]*proc{}}
	})
	return v.(*state), nil
}

// Configure sets the terminal settings of env's session; call it when the
// session starts (without it the config defaults apply).
func Configure(env *tools.Env, s Settings) error {
	st, err := load(env)
	if err != nil {
		return err
	}
	d := DefaultSettings()
	if s.Timeout <= 0 {
		s.Timeout = d.Timeout
	}
	if s.MaxOutput <= 0 {
		s.MaxOutput = d.MaxOutput
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.settings = s
	return nil
}

// Close ends the persistent shell of env's session and kills its
// background processes. Call it when the session ends; the tools work
// again afterwards (with a new shell).
func Close(env *tools.Env) error {
	st, err := load(env)
	if err != nil {
		return err
	}
	st.mu.Lock()
	sh, host := st.shell, st.host
	st.shell, st.shellOf, st.host = nil, nil, nil
	procs := make([]*proc, 0, len(st.procs))
	for _, id := range st.order {
		procs = append(procs, st.procs[id])
	}
	st.mu.Unlock()
	var errs []error
	if sh != nil {
		errs = append(errs, sh.Close())
	}
	for _, p := range procs {
		errs = append(errs, p.p.Kill())
	}
	if host != nil {
		errs = append(errs, host.Close())
	}
	return errors.Join(errs...)
}

func (s *state) config() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

// shellFor returns the session's shell in b, starting one when there is
// none or the backend changed. The shell outlives the call that starts it.
func (s *state) shellFor(ctx context.Context, b sandbox.ShellBackend) (sandbox.Shell, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shell != nil && s.shellOf == sandbox.Backend(b) {
		return s.shell, nil
	}
	if s.shell != nil {
		_ = s.shell.Close()
	}
	sh, err := b.Shell(context.WithoutCancel(ctx))
	if err != nil {
		s.shell, s.shellOf = nil, nil
		return nil, err
	}
	s.shell, s.shellOf = sh, b
	return sh, nil
}

// dropShell forgets sh (if it is still the session's shell) and closes it.
func (s *state) dropShell(sh sandbox.Shell) {
	s.mu.Lock()
	if s.shell == sh {
		s.shell, s.shellOf = nil, nil
	}
	s.mu.Unlock()
	_ = sh.Close()
}

func (s *state) add(p sandbox.Process, maxOutput int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.procs[p.ID()] = &proc{p: p, started: time.Now(), maxOutput: maxOutput}
	s.order = append(s.order, p.ID())
}

func (s *state) get(id string) (*proc, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.procs[id]
	return p, ok
}

func (s *state) list() []*proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*proc, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.procs[id])
	}
	return out
}

func (s *state) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

// unread returns the output the model has not read yet and marks it read.
func (p *proc) unread() string {
	out, truncated := p.p.Output()
	p.mu.Lock()
	defer p.mu.Unlock()
	text, seen := delta(out, truncated, p.maxOutput, p.seen)
	p.seen = seen
	return text
}
