package mcp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/tools"
)

// DefaultStartTimeout bounds Start when Options.StartTimeout is 0.
const DefaultStartTimeout = 60 * time.Second

// Options configure a Manager.
type Options struct {
	// HomeDir is the hermes home: its .env answers ${VAR} (when Env is
	// nil) and logs/mcp-stderr.log receives servers' stderr. Empty: no
	// .env and stderr is dropped.
	HomeDir string
	// Env looks up ${VAR}; nil: the process environment, then .env.
	Env func(name string) (string, bool)
	// Environ is hermes's environment the allowlist is taken from; nil:
	// os.Environ().
	Environ []string
	// Redactor masks secrets in results and in the stderr log; nil: the
	// default redactor.
	Redactor *redact.Redactor
	// Notify receives one line per event the user should see
	// ("mcp: server X failed: ..."); nil discards them.
	Notify func(line string)
	// StartTimeout bounds Start as a whole; 0: DefaultStartTimeout.
	StartTimeout time.Duration
}

// ServerStatus is what Status reports about one server.
type ServerStatus struct {
	Name      string        `json:"name"`
	Transport string        `json:"transport"`
	State     State         `json:"state"`
	Tools     int           `json:"tools"`
	Resources []string      `json:"resources,omitempty"`
	Prompts   []string      `json:"prompts,omitempty"`
	Error     string        `json:"error,omitempty"`
	StartTime time.Duration `json:"start_time_ns"` // to connect and list, first start
	Restarts  int           `json:"restarts"`
}

// Manager runs the configured MCP servers. Its methods are safe for
// concurrent use.
type Manager struct {
	o        Options
	lookup   func(string) (string, bool)
	environ  []string
	red      *redact.Redactor
	stderr   *stderrLog
	setupErr error // .env could not be read: no server can start

	servers []*server // sorted by name
	tools   []tools.Tool
	life    context.Context // ends at Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closed  sync.Once
}

// Start starts every enabled server in parallel and returns when each has
// started or failed, or when o.StartTimeout has passed. A server that fails
// is reported through o.Notify and skipped: Start never fails as a whole.
// Servers started keep running, and are restarted when they stop, until
// Close. ctx bounds only the start.
func Start(ctx context.Context, servers map[string]config.MCPServer, o Options) *Manager {
	m := newManager(o)
	names := make([]string, 0, len(servers))
	for name := range servers {
		names = append(names, name)
	}
	sort.Strings(names)
	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	sctx, scancel := context.WithTimeout(ctx, timeout)
	defer scancel()
	var starting sync.WaitGroup
	for _, name := range names {
		s := newServer(m, name, servers[name])
		m.servers = append(m.servers, s)
		if !s.cfg.Enabled {
			s.setState(StateDisabled, nil)
			continue
		}
		if m.setupErr != nil {
			s.setState(StateFailed, m.setupErr)
			m.notify(fmt.Sprintf("mcp: server %s failed: %v", name, m.setupErr))
			continue
		}
		starting.Add(1)
		go func() {
			defer starting.Done()
			if !s.start(sctx) {
				m.notify(fmt.Sprintf("mcp: server %s failed: %v (its tools are skipped)", name, s.status().Error))
				return
			}
			m.wg.Go(func() { s.supervise(m.life) })
		}()
	}
	starting.Wait()
	taken := map[string]bool{}
	for _, s := range m.servers {
		m.tools = append(m.tools, s.toolValues(taken)...)
	}
	return m
}

func newManager(o Options) *Manager {
	m := &Manager{o: o, environ: o.Environ, red: o.Redactor}
	m.life, m.cancel = context.WithCancel(context.Background())
	if m.environ == nil {
		m.environ = os.Environ()
	}
	if m.red == nil {
		m.red = redact.Default()
	}
	lookup, err := envLookup(o)
	if err != nil {
		m.setupErr = err
	}
	m.lookup = lookup
	if m.stderr, err = openStderrLog(o.HomeDir, m.red); err != nil {
		m.notify(fmt.Sprintf("mcp: cannot open logs/%s (%v): servers' stderr is dropped", StderrLog, err))
		m.stderr = &stderrLog{red: m.red}
	}
	return m
}

func (m *Manager) notify(line string) {
	if m.o.Notify != nil {
		m.o.Notify(line)
	}
}

// Tools returns the tools of the servers that started, sorted by server
// and then as each server listed them. Each is in the toolset
// "mcp-<server>" and named ToolName(server, tool).
func (m *Manager) Tools() []tools.Tool { return append([]tools.Tool(nil), m.tools...) }

// Status reports every configured server, sorted by name.
func (m *Manager) Status() []ServerStatus {
	out := make([]ServerStatus, len(m.servers))
	for i, s := range m.servers {
		out[i] = s.status()
	}
	return out
}

func (s *server) status() ServerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ServerStatus{
		Name: s.name, Transport: transportOf(s.cfg), State: s.state, Tools: len(s.tools),
		Resources: s.resources, Prompts: s.prompts, StartTime: s.started, Restarts: s.restarts,
	}
	if s.err != nil {
		st.Error = s.m.red.String(s.err.Error())
	}
	return st
}

// Close stops every server and waits for their supervisors. It returns the
// errors of servers that did not close cleanly.
func (m *Manager) Close() error {
	var errs []error
	m.closed.Do(func() {
		m.cancel()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, s := range m.servers {
			wg.Go(func() {
				if err := s.close(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("mcp: close %s: %w", s.name, err))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		m.wg.Wait()
		if err := m.stderr.Close(); err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
}

// isServerError reports whether err is an error the server answered with,
// as opposed to the connection failing.
func isServerError(err error) bool {
	var we *jsonrpc.Error
	return errors.As(err, &we)
}
