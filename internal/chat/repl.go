package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/runtime"
)

// repl is one interactive chat.
type repl struct {
	o        *Options
	cfg      *config.Config
	out      *lockedWriter
	src      lineSource
	prompter *prompter
	render   *renderer
	style    style // display.color, markdown, timestamps on stdout
	rt       *runtime.Runtime
	s        *agent.Session

	mu     sync.Mutex
	cancel context.CancelFunc // of the running turn; nil between turns
}

// REPL runs the interactive chat until the input ends (Ctrl-D), two
// Ctrl-C in a row at the prompt, or /quit. On a terminal, lines are
// edited with history; otherwise they are read plainly, one message a
// line, and approvals are answered on the same input.
func REPL(ctx context.Context, o Options) error {
	ctx, cancel := context.WithCancel(ctx) // ends the input reader with the chat
	defer cancel()
	r := &repl{o: &o, cfg: o.Config, out: &lockedWriter{w: o.Stdout}}
	if f, ok := o.Stdin.(*os.File); ok && IsTerminal(f) {
		r.src = newTermSource(int(f.Fd()), f, r.out)
	} else {
		r.src = newPlainSource(ctx, o.Stdin, r.out, o.Interrupts)
	}
	r.prompter = &prompter{src: r.src, out: r.out, red: o.redactor(), interrupted: r.stopTurn}
	r.render = newRenderer(r.out, r.out, o.redactor(), r.cfg.Display.ToolProgress, r.cfg.Display.ShowReasoning)
	r.style = displayStyle(r.cfg.Display, o.Stdout, o.Getenv)
	r.render.setStyle(r.style, r.style)
	var err error
	r.rt, r.s, err = open(ctx, r.o, r.cfg, r.runtimeOptions(), o.Resume)
	if err != nil {
		return err
	}
	defer func() {
		r.endSession(context.WithoutCancel(ctx))
		r.rt.Close()
	}()
	r.banner()
	return r.loop(ctx)
}

func (r *repl) runtimeOptions() runtime.Options {
	return runtime.Options{Human: r.prompter, Ask: r.prompter.Ask, Notify: func(l string) { r.render.line("  · " + l) }}
}

func (r *repl) banner() {
	resumed := ""
	if n := len(r.s.Messages); n > 0 {
		resumed = fmt.Sprintf(" (resumed, %d messages)", n)
	}
	fmt.Fprintf(r.out, "hermes · %s/%s · session %s%s · /help for commands, Ctrl-D to exit\n",
		r.cfg.Model.Provider, r.cfg.Model.Default, r.s.ID, resumed)
}

func (r *repl) loop(ctx context.Context) error {
	ctrlC := 0
	for {
		text, err := readMessage(ctx, r.src)
		switch {
		case errors.Is(err, errCtrlC):
			if ctrlC++; ctrlC >= 2 {
				return nil
			}
			fmt.Fprintln(r.out, "(press Ctrl-C again or Ctrl-D to exit)")
			continue
		case err == io.EOF:
			fmt.Fprintln(r.out)
			return nil
		case err != nil:
			return err
		}
		ctrlC = 0
		if strings.TrimSpace(text) == "" {
			continue
		}
		if strings.HasPrefix(text, "/") {
			send, quit := r.command(ctx, text)
			if quit {
				return nil
			}
			if send == "" {
				continue
			}
			text = send
		}
		r.turn(ctx, text)
	}
}

// turn runs one agent turn; an interrupt cancels it and the session
// stays valid for the next.
func (r *repl) turn(ctx context.Context, text string) {
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.cancel = nil
		r.mu.Unlock()
	}()
	var (
		res  *agent.TurnResult
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		res, err = r.rt.Agent.Turn(tctx, r.s, text, r.render.on)
	}()
	select {
	case <-done:
	case <-r.o.Interrupts:
		cancel()
		<-done
	}
	r.render.endTurn()
	switch {
	case err != nil && tctx.Err() != nil:
		fmt.Fprintln(r.out, "⏹ interrupted: the turn was stopped and the session kept")
	case err != nil:
		fmt.Fprintln(r.out, r.style.info(r.o.redactor().String("error: "+err.Error())))
	case r.cfg.Display.ShowUsage && res != nil:
		fmt.Fprintf(r.out, "  tokens: %d in, %d out, %d model call(s)\n", res.Usage.InputTokens, res.Usage.OutputTokens, res.Iterations)
	}
}

// stopTurn cancels the running turn, if any.
func (r *repl) stopTurn() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
}

// endSession ends the current session, or deletes it when it holds no
// message: a chat quit before its first message is not stored, so
// --continue and `sessions show latest` never pick an empty one.
func (r *repl) endSession(ctx context.Context) error {
	err := r.rt.EndSession(ctx, r.s) // closes its shell and processes too
	if msgs, merr := r.rt.Store.Messages(ctx, r.s.ID); merr == nil && len(msgs) == 0 {
		return r.rt.Store.Delete(ctx, r.s.ID)
	}
	return err
}
