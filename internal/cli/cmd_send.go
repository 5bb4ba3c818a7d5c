package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/gateway"
	"github.com/hermes-go/hermes/internal/gateway/platform"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/store"
)

func newSendCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "send TARGET [TEXT]",
		Short: "Send a message to a chat through the platforms, without the agent (TEXT or stdin)",
		Long: `TARGET is a platform (its home_channel), PLATFORM:CHAT[:THREAD], all, or a comma
list. The message goes through the gateway's outbound ledger with retries.
Exit status: 0 sent, 1 failed, 2 usage.`,
		Args: rangeArgs(1, 2, "TARGET and an optional TEXT"),
		RunE: func(cmd *cobra.Command, args []string) error { return app.send(cmd.Context(), args) },
	}
}

func (a *App) send(ctx context.Context, args []string) error {
	target := args[0]
	if err := cron.ValidTarget(target); err != nil {
		return usageError{err}
	}
	for _, e := range strings.Split(target, ",") {
		if e = strings.TrimSpace(e); e == "local" || e == "origin" || strings.HasPrefix(e, "webhook:") {
			return usageError{fmt.Errorf("%s: hermes send delivers to chat platforms only (PLATFORM, PLATFORM:CHAT or all)", e)}
		}
	}
	var text string
	if len(args) == 2 {
		text = args[1]
	} else {
		b, err := io.ReadAll(io.LimitReader(a.Stdin, 1<<20))
		if err != nil {
			return err
		}
		text = string(b)
	}
	if text = strings.TrimRight(text, "\n"); strings.TrimSpace(text) == "" {
		return usageError{errors.New("nothing to send: give TEXT or pipe it on stdin")}
	}
	h, err := a.Home()
	if err != nil {
		return err
	}
	loaded, err := a.Config()
	if err != nil {
		return err
	}
	cfg := loaded.Config
	lookup, err := a.envLookup()
	if err != nil {
		return err
	}
	st, err := store.Open(h.Path(home.StateDB), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	adapters, _, err := buildPlatforms(func(name string) (platform.Deps, error) {
		dir := h.Path("platforms", name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return platform.Deps{}, err
		}
		return platform.Deps{Config: cfg, Env: lookup, StateDir: dir,
			Logf: func(f string, args ...any) { fmt.Fprintf(a.Stderr, "hermes send: "+name+": "+f+"\n", args...) }}, nil
	}, true)
	if err != nil {
		return err
	}
	core := gateway.New(gateway.Options{Store: st, Adapters: adapters, Retries: cfg.Gateway.DeliveryRetries})
	d := &gateway.Deliverer{Core: core, Home: func(name string) string { c, _ := chatSettings(cfg, name); return c.HomeChannel }}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	ctx, cancel := a.signalContext(ctx)
	defer cancel()
	if err := d.Send(ctx, target, "send:"+hex.EncodeToString(id), text); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "sent to %s\n", target)
	return nil
}
