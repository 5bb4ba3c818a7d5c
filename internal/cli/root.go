package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Main runs hermes with args and returns the process exit code: 0 on
// success, 1 on failure, 2 on a command line that cannot be run.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runApp(&App{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, ownsProcess: true}, args)
}

// run is Main with the environment as a function, so tests run the real
// commands against a home of their own.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runApp(&App{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv}, args)
}

func runApp(app *App, args []string) int {
	stdin, stdout, stderr := app.Stdin, app.Stdout, app.Stderr
	root := newRootCmd(app)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if app.ctx != nil {
		root.SetContext(app.ctx) // commands that take cmd.Context() stop with it too
	}
	err := root.Execute()
	defer app.closeLogs()
	if app.poolStore != nil {
		if ferr := app.poolStore.Flush(); ferr != nil {
			fmt.Fprintln(stderr, "hermes: warning: "+ferr.Error())
		}
	}
	if err == nil {
		return 0
	}
	var ee exitError
	if !errors.As(err, &ee) {
		fmt.Fprintln(stderr, "hermes: "+err.Error())
	}
	return exitCode(err)
}

func newRootCmd(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "hermes",
		Short: "A self-hosted autonomous AI agent",
		Long: `hermes is an AI agent that runs on your machine: it thinks with the model
provider you choose, acts through guarded tools, and keeps everything that
matters in one home folder (~/.hermes, or $HERMES_HOME).

Profiles are separate homes under ~/.hermes/profiles/<name>/, chosen with
-p NAME, $HERMES_PROFILE, or 'hermes profile use NAME'.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           versionString(),
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentFlags().StringVarP(&app.profileFlag, "profile", "p", "", "use profile `NAME` (default: $HERMES_PROFILE, then the sticky profile)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
	root.AddCommand(
		newVersionCmd(app),
		newConfigCmd(app),
		newProfileCmd(app),
		newModelCmd(app),
		newFallbackCmd(app),
		newAuthCmd(app),
		newRedactCmd(app),
		newApprovalsCmd(app),
		newContextCmd(app),
		newSandboxCmd(app),
		newMemoryCmd(app),
		newSkillsCmd(app),
		newSessionsCmd(app),
		newChatCmd(app),
		newMCPCmd(app),
		newCronCmd(app),
		newPairingCmd(app),
		newGatewayCmd(app),
		newSendCmd(app),
		newSlackCmd(app),
		newUpdateCmd(app),
		newBackupCmd(app),
		newDoctorCmd(app),
		newSecurityCmd(app),
		newImportCmd(app),
		newMigrateCmd(app),
		newLogsCmd(app),
		newStatusCmd(app),
	)
	addRootChat(root, app)
	return root
}

// exactArgs is cobra.ExactArgs with a usage error that names the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %s (got %d argument%s)", c.CommandPath(), names, len(args), plural(len(args)))}
		}
		return nil
	}
}

// rangeArgs allows between lo and hi arguments.
func rangeArgs(lo, hi int, names string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usageError{fmt.Errorf("%s takes %s (got %d argument%s)", c.CommandPath(), names, len(args), plural(len(args)))}
		}
		return nil
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// confirm asks a yes/no question on the terminal; the default is no.
func (a *App) confirm(question string) bool {
	fmt.Fprintf(a.Stderr, "%s [y/N] ", question)
	var answer string
	fmt.Fscanln(a.Stdin, &answer)
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}
