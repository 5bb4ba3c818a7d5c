// Package chat is the terminal frontend of the agent: the one-shot run of
// `hermes chat -q` (unattended, in text, json or stream-json) and the
// interactive REPL (streaming answers, tool progress lines, multiline
// input, approval prompts and clarify questions, Ctrl-C interrupts and
// slash commands). It owns how a conversation is shown and read; the
// runtime package assembles what the agent runs on, and the agent package
// runs it.
package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/runtime"
)

// Routers builds the main Router and the side-task Routers for a config;
// the CLI supplies one that knows the credential pools and .env. /model
// calls it again with the model switched.
type Routers func(cfg *config.Config) (main *llm.Router, aux func(task string) (*llm.Router, error), err error)

// Options say what to chat with and through which streams.
type Options struct {
	Home    *home.Home
	Config  *config.Config // agent.max_turns already overridden by --max-turns
	Routers Routers
	// Toolsets override the cli frontend's toolsets when not nil.
	Toolsets []string
	Cwd      string   // working directory of the terminal backend
	Env      []string // parent environment of the terminal backend
	// Resume continues a stored session: "latest" or an id (prefix);
	// empty starts a new one.
	Resume string
	// Yolo turns /yolo on in the session's guard state from the start.
	Yolo bool

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Interrupts delivers Ctrl-C (SIGINT) while a turn runs or the plain
	// prompt waits; nil: none arrive.
	Interrupts <-chan struct{}
	// Redactor masks approval prompts; nil is redact.Default().
	Redactor *redact.Redactor
	// Getenv reads NO_COLOR and TERM for display.color auto; nil is
	// os.Getenv.
	Getenv func(string) string
	// CronRun lets the cronjob tool run a job now; nil refuses that.
	CronRun runtime.CronRunFunc
}

func (o *Options) redactor() *redact.Redactor {
	if o.Redactor == nil {
		return redact.Default()
	}
	return o.Redactor
}

// ErrInterrupted is a one-shot turn stopped by Ctrl-C.
var ErrInterrupted = errors.New("interrupted")

// open builds a runtime for cfg and starts or resumes the session.
func open(ctx context.Context, o *Options, cfg *config.Config, ro runtime.Options, resume string) (*runtime.Runtime, *agent.Session, error) {
	if o.Routers == nil {
		return nil, nil, errors.New("chat: Options.Routers is required")
	}
	main, aux, err := o.Routers(cfg)
	if err != nil {
		return nil, nil, err
	}
	ro.Home, ro.Config, ro.Router, ro.Aux = o.Home, cfg, main, aux
	ro.Frontend, ro.Toolsets, ro.Cwd, ro.Env, ro.Redactor = "cli", o.Toolsets, o.Cwd, o.Env, o.Redactor
	ro.CronRun = o.CronRun
	rt, err := runtime.Open(ctx, ro)
	if err != nil {
		return nil, nil, err
	}
	var s *agent.Session
	if resume != "" {
		// The store's errors name the session ("session \"x\": no such
		// session"): say only what was being done.
		if s, err = rt.Resume(ctx, resume); err != nil {
			err = fmt.Errorf("resume: %w", err)
		}
	} else if s, err = rt.NewSession(ctx); err != nil {
		err = fmt.Errorf("new session: %w", err)
	}
	if err != nil {
		rt.Close()
		return nil, nil, err
	}
	if o.Yolo {
		s.Env.Session.SetYolo(true)
	}
	return rt, s, nil
}

// lockedWriter serialises writes from the agent's events, the approval
// prompt and the REPL.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// IsTerminal reports whether r is a terminal someone types at.
func IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
