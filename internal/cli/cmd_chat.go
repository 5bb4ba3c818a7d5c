package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/chat"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/llm"
)

// chatFlags are the flags of hermes chat (and of hermes alone).
type chatFlags struct {
	query, format, resume, toolsets string
	cont, yolo                      bool
	maxTurns                        int
}

func newChatCmd(app *App) *cobra.Command {
	f := &chatFlags{}
	c := &cobra.Command{
		Use:   "chat [-q PROMPT] [--format text|json|stream-json] [--resume ID|latest] [--continue] [--yolo] [--toolsets a,b] [--max-turns N]",
		Short: "Chat with the agent, or run one prompt with -q",
		Long: `Without -q, start the interactive chat: answers stream as they arrive, tool
calls show as progress lines, dangerous commands ask for approval, and slash
commands (/help lists them) manage the session. Ctrl-C stops a turn; at the
prompt it clears the line, and Ctrl-D or a second Ctrl-C in a row exits. A
chat quit before its first message is not stored.

With -q PROMPT (or -q - to read it from stdin), run one unattended turn:
nobody can approve a dangerous command (approvals.unattended decides) or
answer a question. The answer goes to stdout, progress to stderr; --format
json prints one JSON object, stream-json one object per event and a final
{"type":"result",...}.`,
		Args: exactArgs(0, "no arguments (the prompt goes after -q)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.runChat(cmd.Context(), f, cmd.Flags().Changed("max-turns"))
		},
	}
	addChatFlags(c, f)
	return c
}

// addChatFlags puts the chat flags on c (hermes chat, or the root
// command so hermes alone takes them).
func addChatFlags(c *cobra.Command, f *chatFlags) {
	fl := c.Flags()
	fl.StringVarP(&f.query, "query", "q", "", "run one `PROMPT` unattended and exit (- reads it from stdin)")
	fl.StringVar(&f.format, "format", chat.FormatText, "one-shot output: text, json or stream-json")
	fl.StringVar(&f.resume, "resume", "", "continue the stored session `ID` (or a unique prefix, or latest)")
	fl.BoolVar(&f.cont, "continue", false, "continue the latest chat session (--resume latest)")
	fl.BoolVar(&f.yolo, "yolo", false, "run dangerous commands without asking in this session (the hardline blocklist still applies)")
	fl.StringVar(&f.toolsets, "toolsets", "", "comma-separated toolsets instead of agent.toolsets.cli")
	fl.IntVar(&f.maxTurns, "max-turns", 0, "model calls allowed in one turn instead of agent.max_turns")
}

func (a *App) runChat(ctx context.Context, f *chatFlags, maxTurnsSet bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	o, err := a.chatOptions(f, maxTurnsSet)
	if err != nil {
		return err
	}
	if h, herr := a.Home(); herr == nil {
		if l, cerr := a.Config(); cerr == nil {
			a.openLogs(h, l.Config, "chat")
		}
	}
	if f.query == "" {
		stop := a.interrupts(&o)
		defer stop()
		return chat.REPL(ctx, o)
	}
	prompt := f.query
	if prompt == "-" {
		data, err := io.ReadAll(a.Stdin)
		if err != nil {
			return fmt.Errorf("read the prompt from stdin: %w", err)
		}
		if prompt = strings.TrimSpace(string(data)); prompt == "" {
			return usageError{errors.New("-q - read an empty prompt from stdin")}
		}
	}
	if a.ownsProcess {
		var cancel context.CancelFunc
		ctx, cancel = signal.NotifyContext(ctx, os.Interrupt)
		defer cancel()
	}
	err = chat.Once(ctx, o, prompt, f.format)
	if errors.Is(err, chat.ErrInterrupted) {
		fmt.Fprintln(a.Stderr, "hermes: interrupted")
		return exitError{130}
	}
	return err
}

func (a *App) chatOptions(f *chatFlags, maxTurnsSet bool) (chat.Options, error) {
	switch f.format {
	case chat.FormatText, chat.FormatJSON, chat.FormatStreamJSON:
	default:
		return chat.Options{}, usageError{fmt.Errorf("--format %q: want text, json or stream-json", f.format)}
	}
	if f.format != chat.FormatText && f.query == "" {
		return chat.Options{}, usageError{errors.New("--format applies to -q only")}
	}
	if f.cont && f.resume != "" && f.resume != "latest" {
		return chat.Options{}, usageError{errors.New("--continue and --resume ID contradict each other; give one")}
	}
	if maxTurnsSet && f.maxTurns < 1 {
		return chat.Options{}, usageError{fmt.Errorf("--max-turns %d: want 1 or more", f.maxTurns)}
	}
	h, err := a.Home()
	if err != nil {
		return chat.Options{}, err
	}
	loaded, err := a.Config()
	if err != nil {
		return chat.Options{}, err
	}
	cfg := *loaded.Config
	if maxTurnsSet {
		cfg.Agent.MaxTurns = f.maxTurns
	}
	cwd, err := os.Getwd()
	if err != nil {
		return chat.Options{}, fmt.Errorf("working directory: %w", err)
	}
	o := chat.Options{Home: h, Config: &cfg, Routers: a.chatRouters, Cwd: cwd, Env: os.Environ(),
		Resume: f.resume, Yolo: f.yolo, Stdin: a.Stdin, Stdout: a.Stdout, Stderr: a.Stderr, Getenv: a.Getenv,
		CronRun: a.cronToolRun}
	if f.cont {
		o.Resume = "latest"
	}
	if f.toolsets != "" {
		o.Toolsets = []string{}
		for _, t := range strings.Split(f.toolsets, ",") {
			if t = strings.TrimSpace(t); t != "" {
				o.Toolsets = append(o.Toolsets, t)
			}
		}
	}
	return o, nil
}

// chatRouters builds the main and side-task Routers with the credential
// pools and .env.
func (a *App) chatRouters(cfg *config.Config) (*llm.Router, func(string) (*llm.Router, error), error) {
	lookup, err := a.envLookup()
	if err != nil {
		return nil, nil, err
	}
	pools, err := a.pools()
	if err != nil {
		return nil, nil, err
	}
	main, err := llm.FromConfig(cfg, llm.Options{Pools: pools, Env: lookup})
	if err != nil {
		return nil, nil, err
	}
	aux := func(task string) (*llm.Router, error) {
		return llm.AuxFromConfig(cfg, task, llm.Options{Pools: pools, Env: lookup})
	}
	return main, aux, nil
}

// interrupts turns SIGINT into the REPL's interrupts, in the real process
// only; the returned func stops it.
func (a *App) interrupts(o *chat.Options) func() {
	if !a.ownsProcess {
		return func() {}
	}
	sig := make(chan os.Signal, 1)
	ch := make(chan struct{}, 1)
	signal.Notify(sig, os.Interrupt)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				select {
				case ch <- struct{}{}:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	o.Interrupts = ch
	return func() { signal.Stop(sig); close(done) }
}

// addRootChat makes hermes alone start the chat: the root command takes
// the chat flags and runs it when no subcommand is given.
func addRootChat(root *cobra.Command, app *App) {
	f := &chatFlags{}
	addChatFlags(root, f)
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		return app.runChat(cmd.Context(), f, cmd.Flags().Changed("max-turns"))
	}
}
