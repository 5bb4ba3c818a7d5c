// Command llmtest serves a scripted model on a loopback address, speaking
// the OpenAI Chat Completions and Anthropic Messages wire formats, for
// demos and manual testing without a real provider.
//
//	llmtest -script FILE [-addr 127.0.0.1:0]
//
// It prints the address and the two base URLs, logs each request on
// standard error, and serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hermes-go/hermes/internal/llmtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("llmtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	script := fs.String("script", "", "YAML script `file` (required)")
	addr := fs.String("addr", "127.0.0.1:0", "loopback `host:port` to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *script == "" || fs.NArg() > 0 {
		return errors.New("usage: llmtest -script FILE [-addr 127.0.0.1:0]")
	}
	s, err := llmtest.LoadScript(*script)
	if err != nil {
		return err
	}
	srv, err := llmtest.Listen(s, llmtest.Config{Addr: *addr, OnRequest: logRequest(stderr)})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "llmtest: listening on %s\n", srv.URL)
	fmt.Fprintf(stdout, "llmtest: openai base URL %s\n", srv.OpenAIBaseURL())
	fmt.Fprintf(stdout, "llmtest: anthropic base URL %s\n", srv.AnthropicBaseURL())

	<-ctx.Done()
	for _, u := range srv.Unused() {
		fmt.Fprintln(stderr, "llmtest: unused:", u)
	}
	return nil
}

// logRequest logs one line per request.
func logRequest(w io.Writer) func(llmtest.Request) {
	return func(r llmtest.Request) {
		step := "no step"
		if r.Step >= 0 {
			step = fmt.Sprintf("steps[%d]", r.Step)
		}
		fmt.Fprintf(w, "llmtest: %s %s %s model=%q stream=%t messages=%d -> %s\n",
			r.API, r.Method, r.Path, r.Model, r.Stream, len(r.Messages), step)
	}
}
