package chat

import (
	"fmt"
	"io"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
)

// showSandbox is /sandbox: where this session's commands run and what
// the sandbox shows of the host.
func (r *repl) showSandbox() {
	writeSandbox(r.out, r.cfg.Terminal, r.rt.Backend)
}

// writeSandbox writes the state of backend b, built from term.
func writeSandbox(w io.Writer, term config.Terminal, b sandbox.Backend) {
	if b == nil {
		fmt.Fprintln(w, "sandbox: this session has no terminal backend")
		return
	}
	if term.Backend == sandbox.Auto {
		c := sandbox.ResolveAuto()
		fmt.Fprintf(w, "backend:   auto -> %s (%s)\n", b.Name(), c.Reason)
	} else {
		fmt.Fprintf(w, "backend:   %s\n", b.Name())
	}
	fmt.Fprintf(w, "workspace: %s\n", b.Workspace())
	p, ok := b.(sandbox.Profiler)
	if !ok {
		if b.Name() == "local" {
			fmt.Fprintln(w, "isolation: none: commands run as you on this machine (only the environment filter and the guard's approvals apply)")
			fmt.Fprintln(w, "           install bubblewrap (apt install bubblewrap, or dnf install bubblewrap) and use terminal.backend auto for the sandbox")
		} else {
			fmt.Fprintf(w, "isolation: see `hermes sandbox check` for what the %s backend holds\n", b.Name())
		}
		return
	}
	prof := p.Profile()
	network := "only the sandbox's own loopback (terminal.network: false)"
	if prof.Network {
		network = "the host's (terminal.network: true)"
	}
	fmt.Fprintf(w, "network:   %s\n", network)
	fmt.Fprintf(w, "home:      %s (inside)\n", prof.Home)
	fmt.Fprintf(w, "exposed:   %s\n", listOrNone(prof.Exposed, "none (terminal.expose)"))
	fmt.Fprintf(w, "hidden:    %s\n", listOrNone(prof.Hidden, "none"))
	fmt.Fprintf(w, "always hidden when present: %s; the hermes home\n", strings.Join(sandbox.HiddenCredentials, ", "))
	fmt.Fprintln(w, "escalation: a command may ask to run outside the sandbox (terminal sandbox: false); you are asked every time")
}

func listOrNone(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}
