package runtime

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/contextfiles"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/memory"
	"github.com/hermes-go/hermes/internal/skills"
	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/tools"
	"github.com/hermes-go/hermes/internal/tools/cronjob"
	memtool "github.com/hermes-go/hermes/internal/tools/memory"
	"github.com/hermes-go/hermes/internal/tools/sessionsearch"
	skilltool "github.com/hermes-go/hermes/internal/tools/skills"
	"github.com/hermes-go/hermes/internal/tools/terminal"
	"github.com/hermes-go/hermes/internal/tools/web"
)

// NewSession starts a session: a row in the store, a system prompt built
// now and kept for the whole session, and the session's own tool
// environment (guard session, background processes, todo list).
func (rt *Runtime) NewSession(ctx context.Context) (*agent.Session, error) {
	c := rt.o.Config
	row, err := rt.Store.CreateSession(ctx, store.Session{Source: rt.o.Frontend, Model: c.Model.Default, Provider: c.Model.Provider})
	if err != nil {
		return nil, err
	}
	return rt.session(row.ID, nil)
}

// Resume continues a stored session ("latest" is the newest of this
// frontend's source, else a unique id prefix) with its whole history and a
// freshly built system prompt.
func (rt *Runtime) Resume(ctx context.Context, idOrLatest string) (*agent.Session, error) {
	var id string
	if idOrLatest == "latest" {
		s, err := rt.Store.Latest(ctx, rt.o.Frontend)
		if err != nil {
			return nil, err
		}
		id = s.ID
	} else {
		var err error
		if id, err = rt.Store.ResolveID(ctx, idOrLatest); err != nil {
			return nil, err
		}
	}
	msgs, err := rt.Store.Messages(ctx, id)
	if err != nil {
		return nil, err
	}
	return rt.session(id, msgs)
}

func (rt *Runtime) session(id string, history []llm.Message) (*agent.Session, error) {
	system, err := rt.SystemPrompt()
	if err != nil {
		return nil, err
	}
	env := &tools.Env{
		SessionID:  id,
		Home:       rt.o.Home.Dir,
		Cwd:        rt.Backend.Workspace(),
		Backend:    rt.Backend,
		Guard:      rt.Guard,
		Session:    guard.NewSession(id),
		Unattended: rt.o.Unattended,
		Container:  rt.Backend.Name() == "modal",
		Redactor:   rt.o.Redactor,
		OutputCap:  rt.o.Config.Agent.ToolOutputLimit,
		Notify:     rt.o.Notify,
		Ask:        rt.o.Ask,
		Values:     &tools.Values{},
	}
	if rt.o.Unattended {
		env.Ask = nil
	}
	if err := terminal.Configure(env, terminal.SettingsFromConfig(rt.o.Config.Terminal)); err != nil {
		return nil, err
	}
	memtool.Configure(env, rt.o.Config.Memory)
	skilltool.Configure(env, rt.o.Config.Skills)
	sessionsearch.Configure(env, rt.Store, rt.summariser("session_search"))
	web.Configure(env, rt.summariser("web_extract"))
	cronjob.Configure(env, rt.o.CronRun)
	return &agent.Session{ID: id, System: system, Messages: history, Env: env, Recorder: recorder{rt}}, nil
}

// SetOrigin records the chat a session's messages come from
// (PLATFORM:CHAT[:THREAD], the gateway's delivery target for it): the
// cronjob tool then delivers a job it creates there by default.
func (rt *Runtime) SetOrigin(s *agent.Session, target string) {
	if s != nil {
		cronjob.SetOrigin(s.Env, target)
	}
}

// StopProcesses ends a session's shell and background processes (/stop,
// and a session being replaced); the session itself goes on.
func (rt *Runtime) StopProcesses(s *agent.Session) error {
	if s == nil || s.Env == nil {
		return nil
	}
	return terminal.Close(s.Env)
}

// EndSession closes a session's shell and background processes and marks
// it ended in the store.
func (rt *Runtime) EndSession(ctx context.Context, s *agent.Session) error {
	if s.Env != nil {
		terminal.Close(s.Env)
	}
	return rt.Store.EndSession(ctx, s.ID)
}

// SystemPrompt builds the system prompt: identity, SOUL.md and project
// context files (blocked ones as their [BLOCKED: ...] line), the memory
// snapshot, the skills index and where the agent runs. A session keeps the
// prompt it started with.
func (rt *Runtime) SystemPrompt() (string, error) {
	c := rt.o.Config
	var parts []string
	parts = append(parts, identity)
	ctxFiles, err := contextfiles.Load(rt.o.Cwd, contextfiles.Options{
		Home: rt.o.Home.Dir, MaxBytes: c.Security.ContextFileMaxKiB << 10, Scan: c.Security.ScanContextFiles,
	})
	if err != nil {
		return "", err
	}
	if ctxFiles.Prompt != "" {
		parts = append(parts, "# Context files\n\n"+ctxFiles.Prompt)
	}
	if c.Memory.Enabled {
		snap, err := memory.Open(rt.o.Home.Dir, c.Memory).Snapshot()
		if err != nil {
			rt.notify("warning: memory: " + err.Error())
		} else if snap != "" {
			parts = append(parts, "# Memory\n\n"+snap)
		}
	}
	if c.Skills.Enabled {
		set, problems := skills.Load(rt.o.Home.Dir, c.Skills)
		for _, p := range problems {
			rt.notify("warning: skill " + p.String())
		}
		if idx := set.Index(); idx != "" {
			parts = append(parts, "# Skills\n\nLoad one with skill_view before you follow it.\n\n"+idx)
		}
	}
	parts = append(parts, fmt.Sprintf("# Environment\n\nWorking directory: %s (terminal backend: %s). Date: %s. System: %s/%s.",
		rt.Backend.Workspace(), rt.Backend.Name(), time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH)+sandboxNote(rt.Backend.Name()))
	return strings.Join(parts, "\n\n"), nil
}

// sandboxNote tells the model, on the bubblewrap backend, that its
// commands are sandboxed and how the terminal tool asks to leave the
// sandbox; "" on other backends.
func sandboxNote(backend string) string {
	if backend != "bubblewrap" {
		return ""
	}
	return "\nShell commands run in a sandbox: only the working directory is writable, the rest of the system is read-only and the user's home is hidden. " +
		"If a command truly needs the host, call terminal with sandbox: false and a one-sentence justification; the user approves each such command."
}

const identity = `You are Hermes, an autonomous assistant running on the user's own machine with access to their files and shell through tools.
Work step by step: use tools to look before you act, prefer small reversible changes, and say what you did.
Every shell command passes a guard: a dangerous one may need the user's approval, and some are never allowed. When a command is blocked, explain why and find a safer way instead of retrying it.
Secrets in tool output are masked; never try to reveal them.`

// recorder persists a session through the store.
type recorder struct{ rt *Runtime }

var _ agent.Recorder = recorder{}

func (r recorder) Append(ctx context.Context, id string, msgs ...llm.Message) error {
	if err := r.rt.Store.AppendMessages(ctx, id, msgs...); err != nil {
		return err
	}
	r.autoTitle(ctx, id, msgs)
	return nil
}

func (r recorder) Usage(ctx context.Context, id string, u llm.Usage) error {
	return r.rt.Store.AddUsage(ctx, id, u, 0)
}

func (r recorder) Compressed(ctx context.Context, parentID, summary string) (string, error) {
	parent, err := r.rt.Store.Session(ctx, parentID)
	if err != nil {
		return "", err
	}
	child, err := r.rt.Store.CreateSession(ctx, store.Session{
		Source: parent.Source, Key: parent.Key, Title: parent.Title, Model: parent.Model, Provider: parent.Provider, ParentID: parentID,
	})
	if err != nil {
		return "", err
	}
	if err := r.rt.Store.EndSession(ctx, parentID); err != nil {
		return "", err
	}
	return child.ID, nil
}
