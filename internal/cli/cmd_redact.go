package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/redact"
)

func newRedactCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "redact [FILE...]",
		Short: "Mask secrets in text: standard input or files, to standard output",
		Long: `Copy standard input (or each FILE in turn) to standard output with every secret
hermes recognises masked: API keys and tokens of the known vendors, Authorization
headers, KEY=value assignments whose name says key/token/secret/password, JWTs,
private key blocks, passwords in URLs, sensitive query parameters, plus the
patterns in security.redact_patterns. Nothing else is changed. Use it to clean
a log before you share it:

  hermes redact < agent.log > agent-clean.log`,
		RunE: func(_ *cobra.Command, args []string) error {
			extra, err := app.redactPatterns()
			if err != nil {
				return err
			}
			r, err := redact.New(redact.Options{Extra: extra})
			if err != nil {
				return err
			}
			out := bufio.NewWriterSize(app.Stdout, 64<<10)
			if len(args) == 0 {
				if _, err := r.Copy(out, app.Stdin); err != nil {
					return err
				}
				return out.Flush()
			}
			for _, name := range args {
				if err := redactFile(r, out, name); err != nil {
					out.Flush()
					return err
				}
			}
			return out.Flush()
		},
	}
}

func redactFile(r *redact.Redactor, out io.Writer, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("redact: %w", err)
	}
	defer f.Close()
	if _, err := r.Copy(out, f); err != nil {
		return fmt.Errorf("redact %s: %w", name, err)
	}
	return nil
}

// redactPatterns returns security.redact_patterns when a home with a
// config exists; redaction works without one.
func (a *App) redactPatterns() ([]string, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	return cfg.Security.RedactPatterns, nil
}
