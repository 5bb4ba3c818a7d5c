package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/gateway/pairing"
	"github.com/hermes-go/hermes/internal/home"
)

func newPairingCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "pairing",
		Short: "Let unknown chat users in with the code the gateway sent them",
		Long: `An unknown user who writes to the bot in a direct message gets an 8-character
code (valid 1 hour). Approve it here to let that user talk to the agent on that
platform. Codes are stored only as salted hashes; five wrong approvals lock a
platform's approvals for an hour.`,
	}
	var jsonOut bool
	list := &cobra.Command{Use: "list [--json]", Short: "Pending requests and approved users per platform", Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.pairingList(jsonOut) }}
	list.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	c.AddCommand(list,
		&cobra.Command{Use: "approve PLATFORM CODE", Short: "Let in the user who was given CODE", Args: exactArgs(2, "PLATFORM and CODE"),
			RunE: func(_ *cobra.Command, args []string) error { return app.pairingApprove(args[0], args[1]) }},
		&cobra.Command{Use: "revoke PLATFORM USER", Short: "Take an approved user's access away", Args: exactArgs(2, "PLATFORM and USER"),
			RunE: func(_ *cobra.Command, args []string) error { return app.pairingRevoke(args[0], args[1]) }},
		&cobra.Command{Use: "clear-pending [PLATFORM]", Short: "Drop every pending code", Args: rangeArgs(0, 1, "an optional PLATFORM"),
			RunE: func(_ *cobra.Command, args []string) error {
				p := ""
				if len(args) == 1 {
					p = args[0]
				}
				return app.pairingClear(p)
			}},
	)
	return c
}

func (a *App) pairingStore() (*pairing.Store, error) {
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	return pairing.Open(h.Path(home.PairingDir)), nil
}

func (a *App) pairingList(jsonOut bool) error {
	s, err := a.pairingStore()
	if err != nil {
		return err
	}
	list, err := s.List()
	if err != nil {
		return err
	}
	if jsonOut {
		if list == nil {
			list = []pairing.Entry{}
		}
		return writeJSON(a, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.Stdout, "no pairing requests and no paired users")
		return nil
	}
	for _, e := range list {
		fmt.Fprintf(a.Stdout, "%s:\n", e.Platform)
		if !e.LockedUntil.IsZero() && time.Now().Before(e.LockedUntil) {
			fmt.Fprintf(a.Stdout, "  approvals locked until %s (too many wrong codes)\n", e.LockedUntil.Local().Format(time.DateTime))
		}
		for _, p := range e.Pending {
			fmt.Fprintf(a.Stdout, "  pending  %s %s (expires %s)\n", p.User, p.Name, p.Expires.Local().Format(time.DateTime))
		}
		for _, u := range e.Approved {
			fmt.Fprintf(a.Stdout, "  approved %s %s (%s)\n", u.User, u.Name, u.At.Local().Format(time.DateTime))
		}
	}
	return nil
}

func (a *App) pairingApprove(platform, code string) error {
	if _, err := pairing.ParseCode(code); err != nil {
		return usageError{fmt.Errorf("%w: copy the code the bot sent, e.g. hermes pairing approve %s ABCD2345", err, platform)}
	}
	s, err := a.pairingStore()
	if err != nil {
		return err
	}
	who, err := s.Approve(platform, code)
	switch {
	case errors.Is(err, pairing.ErrBadCode):
		return fmt.Errorf("no pending code on %s matches (expired, already used, or mistyped): `hermes pairing list` shows the pending requests", platform)
	case err != nil:
		return err
	}
	fmt.Fprintf(a.Stdout, "approved %s user %s %s\n", platform, who.User, who.Name)
	return nil
}

func (a *App) pairingRevoke(platform, user string) error {
	s, err := a.pairingStore()
	if err != nil {
		return err
	}
	ok, err := s.Revoke(platform, user)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s user %s was not paired: `hermes pairing list` shows who is", platform, user)
	}
	fmt.Fprintf(a.Stdout, "revoked %s user %s\n", platform, user)
	return nil
}

func (a *App) pairingClear(platform string) error {
	s, err := a.pairingStore()
	if err != nil {
		return err
	}
	n, err := s.ClearPending(platform)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "dropped %d pending code%s\n", n, plural(n))
	return nil
}
