package mcp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/version"
)

// State is where a server is in its life.
type State string

// The states of a server.
const (
	StateStarting   State = "starting"
	StateReady      State = "ready"
	StateRestarting State = "restarting" // it stopped and is being started again
	StateFailed     State = "failed"     // it did not start; its tools are skipped
	StateDisabled   State = "disabled"   // enabled: false
	StateClosed     State = "closed"
)

// Restart backoff: the first restart waits minBackoff, each failure in a
// row doubles it up to maxBackoff; a server up for stableAfter starts over.
const (
	minBackoff  = 500 * time.Millisecond
	maxBackoff  = 30 * time.Second
	stableAfter = time.Minute
)

// server is one configured MCP server and its supervisor's state.
type server struct {
	m    *Manager
	name string
	cfg  config.MCPServer

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every state change
	state     State
	err       error
	session   *sdk.ClientSession
	cmd       *exec.Cmd // the running stdio process
	tools     []*sdk.Tool
	resources []string
	prompts   []string
	started   time.Duration // time to connect and list, first start
	restarts  int
}

func newServer(m *Manager, name string, cfg config.MCPServer) *server {
	return &server{m: m, name: name, cfg: cfg, state: StateStarting, changed: make(chan struct{})}
}

// setState records a state change and wakes callers waiting for one.
func (s *server) setState(st State, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setStateLocked(st, err)
}

func (s *server) setStateLocked(st State, err error) {
	s.state, s.err = st, err
	close(s.changed)
	s.changed = make(chan struct{})
}

// connection is one live session with what it listed.
type connection struct {
	session   *sdk.ClientSession
	cmd       *exec.Cmd
	tools     []*sdk.Tool
	resources []string
	prompts   []string
}

// connect starts the server (or opens the HTTP session), initializes it and
// lists its tools, resources and prompts, all within ctx.
func (s *server) connect(ctx context.Context) (*connection, error) {
	t, cmd, err := s.m.transport(s.name, s.cfg)
	if err != nil {
		return nil, err
	}
	client := sdk.NewClient(&sdk.Implementation{Name: "hermes", Version: version.String()}, nil)
	cs, err := client.Connect(ctx, t, nil)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", explainCtx(ctx, err))
	}
	c := &connection{session: cs, cmd: cmd}
	if err := c.list(ctx); err != nil {
		_ = cs.Close()
		return nil, err
	}
	return c, nil
}

// list fills in the tools, and the resources and prompts where the server
// says it offers them.
func (c *connection) list(ctx context.Context) error {
	for tool, err := range c.session.Tools(ctx, nil) {
		if err != nil {
			return fmt.Errorf("list tools: %w", explainCtx(ctx, err))
		}
		c.tools = append(c.tools, tool)
	}
	caps := c.session.InitializeResult().Capabilities
	if caps == nil {
		return nil
	}
	if caps.Resources != nil {
		for r, err := range c.session.Resources(ctx, nil) {
			if err != nil {
				break // resources are informational: a failure lists none
			}
			c.resources = append(c.resources, r.URI)
		}
	}
	if caps.Prompts != nil {
		for p, err := range c.session.Prompts(ctx, nil) {
			if err != nil {
				break
			}
			c.prompts = append(c.prompts, p.Name)
		}
	}
	return nil
}

// explainCtx names a deadline as the connect timeout the user can raise.
func explainCtx(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w (no answer within the connect timeout; raise connect_timeout)", err)
	}
	return err
}

// install makes c the server's live connection.
func (s *server) install(c *connection, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.session, s.cmd = c.session, c.cmd
	if first {
		s.tools, s.resources, s.prompts = c.tools, c.resources, c.prompts
	} else {
		s.restarts++
	}
	s.setStateLocked(StateReady, nil)
}

// start makes the first attempt within ctx and reports whether it worked.
func (s *server) start(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, s.connectTimeout())
	defer cancel()
	t0 := time.Now()
	c, err := s.connect(ctx)
	if err != nil {
		s.setState(StateFailed, err)
		return false
	}
	s.mu.Lock()
	s.started = time.Since(t0)
	s.mu.Unlock()
	s.install(c, true)
	return true
}

func (s *server) connectTimeout() time.Duration {
	if d := time.Duration(s.cfg.ConnectTimeout); d > 0 {
		return d
	}
	return 30 * time.Second
}

func (s *server) callTimeout() time.Duration {
	if d := time.Duration(s.cfg.Timeout); d > 0 {
		return d
	}
	return 120 * time.Second
}

// supervise waits for the live session to end and starts the server again
// with backoff, until ctx ends (Manager.Close).
func (s *server) supervise(ctx context.Context) {
	backoff := minBackoff
	for {
		s.mu.Lock()
		cs := s.session
		s.mu.Unlock()
		up := time.Now()
		waitErr := cs.Wait()
		if ctx.Err() != nil {
			return
		}
		if time.Since(up) > stableAfter {
			backoff = minBackoff
		}
		why := "its connection closed"
		if waitErr != nil {
			why = waitErr.Error()
		}
		s.setState(StateRestarting, fmt.Errorf("stopped: %s", why))
		s.m.notify(fmt.Sprintf("mcp: server %s stopped (%s); restarting", s.name, why))
		for {
			if sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(backoff*2, maxBackoff)
			cctx, cancel := context.WithTimeout(ctx, s.connectTimeout())
			c, err := s.connect(cctx)
			cancel()
			if ctx.Err() != nil {
				if c != nil {
					_ = c.session.Close()
				}
				return
			}
			if err == nil {
				s.install(c, false)
				break
			}
			s.setState(StateRestarting, err)
			s.m.notify(fmt.Sprintf("mcp: server %s failed to restart: %v; retrying in %s", s.name, err, backoff))
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ready returns the live session, waiting while the server restarts until
// ctx ends.
func (s *server) ready(ctx context.Context) (*sdk.ClientSession, error) {
	for {
		s.mu.Lock()
		st, err, cs, changed := s.state, s.err, s.session, s.changed
		s.mu.Unlock()
		switch st {
		case StateReady:
			return cs, nil
		case StateFailed, StateClosed, StateDisabled:
			if err == nil {
				err = errors.New(string(st))
			}
			return nil, fmt.Errorf("mcp server %s is %s: %v", s.name, st, err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("mcp server %s is restarting (%v) and did not come back in time", s.name, err)
		}
	}
}

// call runs tool on the server within ctx. A transport failure (not an
// error the server answered with) closes the session, so the supervisor
// starts the server again.
func (s *server) call(ctx context.Context, tool string, args any) (*sdk.CallToolResult, error) {
	cs, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil && ctx.Err() == nil && !isServerError(err) {
		s.broken(cs, err)
		_ = cs.Close()
	}
	return res, err
}

// broken marks the server restarting when cs, its live session, failed, so
// calls wait for the supervisor's new session instead of using this one.
func (s *server) broken(cs *sdk.ClientSession, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == cs && s.state == StateReady {
		s.setStateLocked(StateRestarting, fmt.Errorf("stopped: %w", err))
	}
}

// close ends the live session and stops a stdio server.
func (s *server) close() error {
	s.mu.Lock()
	cs := s.session
	if s.state != StateDisabled && s.state != StateFailed {
		s.setStateLocked(StateClosed, nil)
	}
	s.mu.Unlock()
	if cs == nil {
		return nil
	}
	err := cs.Close()
	var exit *exec.ExitError
	if errors.As(err, &exit) || errors.Is(err, os.ErrProcessDone) {
		// A server killed on the way out, or one that exited by itself
		// before the signal to stop reached it (npx, whose child ends when
		// its stdin closes), is not a failure to close.
		err = nil
	}
	return err
}
