package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Probe is one isolation check run inside a backend by Check.
type Probe struct {
	ID       string `json:"id"`       // run, workspace, env, home, host_write, network, processes
	What     string `json:"what"`     // what was tried
	Isolated bool   `json:"isolated"` // the sandbox held (for run and workspace: the command worked)
	Expected bool   `json:"expected"` // this backend, so configured, promises it
	Detail   string `json:"detail"`   // what was seen
}

// Failed reports whether the probe did not hold although the backend
// promises it.
func (p Probe) Failed() bool { return p.Expected && !p.Isolated }

// CheckReport is what Check found about one backend.
type CheckReport struct {
	Backend string  `json:"backend"`        // the backend that ran the probes
	Auto    *Choice `json:"auto,omitempty"` // what auto chose and why, when terminal.backend is auto
	Probes  []Probe `json:"probes"`
}

// Failed reports whether any promised probe did not hold.
func (r CheckReport) Failed() bool {
	for _, p := range r.Probes {
		if p.Failed() {
			return true
		}
	}
	return false
}

// probeTimeout bounds each probe command.
const probeTimeout = 30 * time.Second

// Check builds the backend o names, runs a command in it, and tries what a
// sandbox must stop: seeing a provider key from the environment, reading
// the hermes home, writing to the host outside the workspace, reaching a
// listener on the host's loopback, seeing host processes. Each probe says
// whether the backend held and whether it promises to (local promises only
// the environment filter). Probes leave nothing behind on the host.
func Check(ctx context.Context, o Options) (CheckReport, error) {
	canary := "hermes-canary-" + randHex(8)
	o.Env = append(append([]string(nil), o.Env...), "OPENAI_API_KEY="+canary, "HERMES_GATEWAY_TOKEN="+canary)
	b, err := New(ctx, o)
	if err != nil {
		return CheckReport{}, err
	}
	defer b.Close()
	rep := CheckReport{Backend: b.Name()}
	if o.Terminal.Backend == Auto {
		c := ResolveAuto()
		rep.Auto = &c
	}
	confined, netOff := promises(b.Name(), o)

	run := func(cmd string) (*Result, error) {
		return b.Run(ctx, Spec{Command: cmd, Timeout: probeTimeout, MaxOutput: 64 << 10})
	}
	res, err := run("echo hermes-probe-ok")
	if err != nil || !strings.Contains(res.Output, "hermes-probe-ok") {
		return rep, fmt.Errorf("the %s backend cannot run a command: %v", b.Name(), errOrOutput(err, res))
	}
	rep.Probes = append(rep.Probes, Probe{ID: "run", What: "run a command", Isolated: true, Expected: true, Detail: "echo works"})
	rep.Probes = append(rep.Probes,
		probeWorkspace(run),
		probeEnv(run, canary),
		probeHome(run, o.HomeDir, confined),
		probeHostWrite(run, b.Workspace(), confined),
		probeNetwork(run, confined && netOff),
		probeProcesses(run, confined),
	)
	return rep, nil
}

// promises says what a backend name promises: confinement from the host
// (everything but local and ssh), and whether its network is off.
func promises(name string, o Options) (confined, netOff bool) {
	switch name {
	case "bubblewrap":
		return true, !o.Terminal.Network
	case "docker":
		return true, !o.Terminal.Docker.Network
	case "singularity":
		return true, !o.Terminal.Singularity.Network
	case "modal":
		return true, !o.Terminal.Modal.Network
	}
	return false, false
}

type runFunc func(cmd string) (*Result, error)

func probeWorkspace(run runFunc) Probe {
	p := Probe{ID: "workspace", What: "write and read a file in the workspace", Expected: true}
	name := ".hermes-probe-" + randHex(4)
	res, err := run(fmt.Sprintf("echo probe > %s && cat %s && rm -f %s", name, name, name))
	p.Isolated = err == nil && res.ExitCode == 0 && strings.Contains(res.Output, "probe")
	p.Detail = "writable"
	if !p.Isolated {
		p.Detail = "not writable: " + errOrOutput(err, res)
	}
	return p
}

func probeEnv(run runFunc, canary string) Probe {
	p := Probe{ID: "env", What: "see OPENAI_API_KEY and a gateway token set in hermes's environment", Expected: true}
	res, err := run("env")
	if err != nil {
		p.Detail = "env failed: " + err.Error()
		return p
	}
	p.Isolated = !strings.Contains(res.Output, canary)
	p.Detail = "filtered out"
	if !p.Isolated {
		p.Detail = "visible to commands"
	}
	return p
}

func probeHome(run runFunc, homeDir string, expected bool) Probe {
	p := Probe{ID: "home", What: "read the hermes home (" + homeDir + ")", Expected: expected}
	if homeDir == "" {
		p.Isolated, p.Detail = true, "no home given"
		return p
	}
	q := ShellQuote(homeDir)
	res, err := run(fmt.Sprintf("if ls -A %s/ 2>/dev/null | grep -q .; then echo home-visible; else echo home-hidden; fi", q))
	if err != nil {
		p.Detail = "probe failed: " + err.Error()
		return p
	}
	p.Isolated = !strings.Contains(res.Output, "home-visible")
	p.Detail = "hidden"
	if !p.Isolated {
		p.Detail = "its files are listed"
	}
	return p
}

func probeHostWrite(run runFunc, workspace string, expected bool) Probe {
	target := filepath.Join(hostProbeDir(workspace), "hermes-probe-"+randHex(6))
	p := Probe{ID: "host_write", What: "write " + target + " on the host", Expected: expected}
	defer os.Remove(target)
	if _, err := run("echo probe > " + ShellQuote(target) + " 2>/dev/null"); err != nil {
		p.Detail = "probe failed: " + err.Error()
		return p
	}
	_, statErr := os.Stat(target)
	p.Isolated = statErr != nil
	p.Detail = "the write did not reach the host"
	if !p.Isolated {
		p.Detail = "the file appeared on the host"
	}
	return p
}

// hostProbeDir is a host directory outside the workspace (which the
// sandbox may write by design): the temporary directory, else /var/tmp,
// else the user's home.
func hostProbeDir(workspace string) string {
	cands := []string{os.TempDir(), "/var/tmp"}
	if h, err := os.UserHomeDir(); err == nil {
		cands = append(cands, h)
	}
	for _, d := range cands {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		if workspace == "" || !pathWithin(d, workspace) {
			return d
		}
	}
	return os.TempDir()
}

// pathWithin reports whether p is dir or inside it.
func pathWithin(p, dir string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// probeNetwork opens a listener on the host's loopback and asks the
// sandbox to connect to it with whatever client it has.
func probeNetwork(run runFunc, expected bool) Probe {
	p := Probe{ID: "network", What: "connect to a listener on the host's 127.0.0.1", Expected: expected}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.Detail = "cannot listen: " + err.Error()
		return p
	}
	defer ln.Close()
	var hits atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Write([]byte("HTTP/1.0 200 OK\r\n\r\nok\n"))
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	cmd := fmt.Sprintf(`if command -v curl >/dev/null 2>&1; then curl -s -m 3 http://127.0.0.1:%[1]d/;
elif command -v wget >/dev/null 2>&1; then wget -q -T 3 -O - http://127.0.0.1:%[1]d/;
elif command -v nc >/dev/null 2>&1; then echo | nc -w 3 127.0.0.1 %[1]d;
elif command -v bash >/dev/null 2>&1; then bash -c 'echo > /dev/tcp/127.0.0.1/%[1]d';
else echo no-client; fi`, port)
	res, err := run(cmd)
	if err != nil {
		p.Detail = "probe failed: " + err.Error()
		return p
	}
	if hits.Load() == 0 && strings.Contains(res.Output, "no-client") {
		p.Expected, p.Detail = false, "not tested: no curl, wget, nc or bash inside"
		return p
	}
	p.Isolated = hits.Load() == 0
	p.Detail = "unreachable"
	if !p.Isolated {
		p.Detail = "the host listener was reached"
	}
	return p
}

func probeProcesses(run runFunc, expected bool) Probe {
	pid := os.Getpid()
	p := Probe{ID: "processes", What: fmt.Sprintf("see host processes (hermes itself is pid %d)", pid), Expected: expected}
	res, err := run(fmt.Sprintf("tr '\\0' ' ' < /proc/%d/cmdline 2>/dev/null; echo", pid))
	if err != nil {
		p.Detail = "probe failed: " + err.Error()
		return p
	}
	self, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	want := strings.TrimSpace(strings.ReplaceAll(string(self), "\x00", " "))
	p.Isolated = want == "" || !strings.Contains(res.Output, want)
	p.Detail = "hidden"
	if !p.Isolated {
		p.Detail = "hermes's own process is visible"
	}
	return p
}

func errOrOutput(err error, res *Result) string {
	if err != nil {
		return err.Error()
	}
	if res == nil {
		return "no result"
	}
	out := strings.TrimSpace(res.Output)
	if len(out) > 200 {
		out = out[:200] + "..."
	}
	return fmt.Sprintf("exit %d: %s", res.ExitCode, out)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
