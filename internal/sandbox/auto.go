package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Auto is the backend name that picks bubblewrap when it works on this
// machine and local otherwise (the default of terminal.backend).
const Auto = "auto"

// Choice is what auto resolved to, and why.
type Choice struct {
	Backend string `json:"backend"` // "bubblewrap" or "local"
	Reason  string `json:"reason"`  // one sentence: what was found
}

// Isolated reports whether auto found a sandbox.
func (c Choice) Isolated() bool { return c.Backend != "local" }

// autoProbeTimeout bounds the one bwrap run that decides auto.
const autoProbeTimeout = 10 * time.Second

var (
	autoMu    sync.Mutex
	autoCache = map[string]Choice{} // by PATH: one probe per process (per PATH, for tests that change it)
	warnOnce  sync.Once
)

// Warnings is where the one-time "auto fell back to local" warning goes.
var Warnings io.Writer = os.Stderr

// ResolveAuto says which backend auto uses on this machine: bubblewrap
// when bwrap is on PATH and can make a sandbox here (a minimal one with
// every namespace, a read-only root and a new /proc), otherwise local.
// The probe runs once per process; later calls return its result.
func ResolveAuto() Choice {
	path := os.Getenv("PATH")
	autoMu.Lock()
	defer autoMu.Unlock()
	if c, ok := autoCache[path]; ok {
		return c
	}
	c := probeBwrap()
	autoCache[path] = c
	return c
}

func probeBwrap() Choice {
	bin, err := exec.LookPath("bwrap")
	if err != nil {
		return Choice{Backend: "local", Reason: "bubblewrap is not installed (no bwrap on PATH)"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), autoProbeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "true")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		if msg == "" {
			msg = err.Error()
		}
		return Choice{Backend: "local", Reason: fmt.Sprintf("%s cannot make a sandbox on this machine: %s", bin, msg)}
	}
	return Choice{Backend: "bubblewrap", Reason: bin + " made a test sandbox (new namespaces, read-only root)"}
}

// LocalWarning is the text of the warning printed when auto falls back to
// local: what is not isolated and how to fix it.
func LocalWarning(c Choice) string {
	return "warning: terminal.backend auto runs commands on this machine without a sandbox, because " + c.Reason + ".\n" +
		"  Commands can read and write everything you can (your home, ~/.ssh, the hermes home) and see your processes;\n" +
		"  only the guard's approvals and the environment filter stand in the way.\n" +
		"  Install bubblewrap (apt install bubblewrap, or dnf install bubblewrap) for the sandbox,\n" +
		"  or set terminal.backend: local to accept this and silence the warning.\n"
}

// warnLocal prints LocalWarning to Warnings once per process.
func warnLocal(c Choice) {
	warnOnce.Do(func() {
		if Warnings != nil {
			fmt.Fprint(Warnings, LocalWarning(c))
		}
	})
}

// HiddenCredentials are the user's credential paths a sandbox hides even
// when they lie in the workspace or an extra bind, unless
// terminal.expose lists them (whose enum is this list).
var HiddenCredentials = []string{"~/.ssh", "~/.aws", "~/.gnupg", "~/.config/gcloud", "~/.kube", "~/.netrc", "~/.docker/config.json"}

// Profile is what a sandbox shows of the host, for /sandbox and reports.
type Profile struct {
	Network bool     // the host network is shared
	Home    string   // HOME inside
	Exposed []string // credential paths shown because terminal.expose lists them
	Hidden  []string // host paths covered although something visible holds them
}

// Profiler is a backend that can say what it shows of the host.
type Profiler interface {
	Profile() Profile
}
