package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/hermes-go/hermes/internal/memory"
	"github.com/hermes-go/hermes/internal/skills"
)

const helpText = `Commands:
  /new             end this session and start a fresh one
  /model [NAME]    show the model, or switch this session to model NAME
  /yolo            toggle approval bypass for this session (the hardline blocklist still applies)
  /stop            stop this session's background processes and shell
  /sandbox         where commands run: backend (auto's choice), workspace, network, exposed and hidden paths
  /usage           tokens used by this session and the size of the next prompt
  /compress        summarise the middle of the conversation now
  /memory          show MEMORY.md and USER.md
  /skills          list the skills; /NAME [TEXT] asks the agent to use skill NAME
  /help            this list
  /quit            exit (so do Ctrl-D and Ctrl-C twice)
Input: end a line with \ to continue it; a line of """ opens and closes a block.
Ctrl-C during a turn stops it.`

// command runs a slash command. It returns text to send as the user's
// message (a skill), and whether the REPL should end.
func (r *repl) command(ctx context.Context, line string) (send string, quit bool) {
	name, arg, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "/")), " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "help", "?":
		fmt.Fprintln(r.out, helpText)
	case "quit", "exit":
		return "", true
	case "new":
		r.newSession(ctx)
	case "model":
		r.model(ctx, arg)
	case "yolo":
		on := !r.s.Env.Session.Yolo()
		r.s.Env.Session.SetYolo(on)
		if on {
			fmt.Fprintln(r.out, "yolo on: dangerous commands run without asking in this session (the hardline blocklist and approvals.deny still apply)")
		} else {
			fmt.Fprintln(r.out, "yolo off: dangerous commands ask again")
		}
	case "stop":
		if err := r.rt.StopProcesses(r.s); err != nil {
			fmt.Fprintln(r.out, "error: /stop: "+err.Error())
		} else {
			fmt.Fprintln(r.out, "stopped the session's background processes and shell")
		}
	case "usage":
		u := r.s.Usage
		fmt.Fprintf(r.out, "session %s: %d messages; %d tokens in, %d out since it was opened; next prompt ~%d tokens\n",
			r.s.ID, len(r.s.Messages), u.InputTokens, u.OutputTokens, r.rt.Agent.Estimate(r.s))
	case "compress":
		st, err := r.rt.Agent.Compress(ctx, r.s)
		if err != nil {
			fmt.Fprintln(r.out, "error: /compress: "+err.Error())
			break
		}
		fmt.Fprintf(r.out, "compressed %d messages into a summary: %d -> %d messages, ~%d -> ~%d tokens; session %s\n",
			st.Summarised, st.Before, st.After, st.TokensBefore, st.TokensAfter, st.SessionID)
	case "sandbox":
		r.showSandbox()
	case "memory":
		r.showMemory()
	case "skills":
		r.listSkills()
	default:
		return r.skill(name, arg), false
	}
	return "", false
}

func (r *repl) newSession(ctx context.Context) {
	s, err := r.rt.NewSession(ctx)
	if err != nil {
		fmt.Fprintln(r.out, "error: /new: "+err.Error())
		return
	}
	if err := r.endSession(ctx); err != nil {
		fmt.Fprintln(r.out, "warning: ending the last session: "+err.Error())
	}
	s.Env.Session.SetYolo(r.s.Env.Session.Yolo())
	r.s = s
	fmt.Fprintln(r.out, "new session "+s.ID)
}

// model shows the model or reopens the runtime with another one and
// resumes this session on it.
func (r *repl) model(ctx context.Context, name string) {
	if name == "" {
		fmt.Fprintf(r.out, "model: %s/%s\n", r.cfg.Model.Provider, r.cfg.Model.Default)
		return
	}
	cfg := *r.cfg
	cfg.Model.Default = name
	rt, s, err := open(ctx, r.o, &cfg, r.runtimeOptions(), r.s.ID)
	if err != nil {
		fmt.Fprintln(r.out, "error: /model: "+err.Error())
		return
	}
	// The approval state (grants, /yolo, the smart-mode breaker) is the
	// session's, not the model's: it carries over.
	s.Env.Session = r.s.Env.Session
	r.rt.StopProcesses(r.s)
	r.rt.Close()
	r.rt, r.s, r.cfg = rt, s, &cfg
	fmt.Fprintf(r.out, "model: %s/%s (session %s continues)\n", cfg.Model.Provider, name, s.ID)
}

func (r *repl) showMemory() {
	if !r.cfg.Memory.Enabled {
		fmt.Fprintln(r.out, "memory is off (memory.enabled: false)")
		return
	}
	st := memory.Open(r.o.Home.Dir, r.cfg.Memory)
	for _, t := range []memory.Target{memory.Memory, memory.User} {
		m, err := st.Read(t)
		if err != nil {
			fmt.Fprintln(r.out, "error: /memory: "+err.Error())
			return
		}
		fmt.Fprintf(r.out, "%s (%s)\n%s\n", m.Target.File(), m.Usage(), memory.Format(m.Entries))
	}
}

func (r *repl) skillSet() *skills.Set {
	set, _ := skills.Load(r.o.Home.Dir, r.cfg.Skills)
	return set
}

func (r *repl) listSkills() {
	avail := r.skillSet().Available()
	if len(avail) == 0 {
		fmt.Fprintln(r.out, "no skills yet; create one with hermes skills create NAME, or ask the agent to")
		return
	}
	for _, s := range avail {
		fmt.Fprintf(r.out, "  /%-24s %s\n", s.Name, s.Description)
	}
}

// skill turns /NAME TEXT into the message asking for skill NAME, after
// checking it exists and is offered.
func (r *repl) skill(name, rest string) string {
	sk, ok := r.skillSet().Get(name)
	if !ok || !r.cfg.Skills.Enabled {
		fmt.Fprintf(r.out, "unknown command /%s: /help lists the commands, /skills the skills\n", name)
		return ""
	}
	if st := sk.Status(); st != "" {
		fmt.Fprintf(r.out, "skill %s is not available: %s\n", name, st)
		return ""
	}
	return "Use the skill " + name + ": " + rest
}
